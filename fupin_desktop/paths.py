"""Where the program's data files are, from a source checkout or a frozen (PyInstaller) build, and
where the user's own files go (store, logs, settings)."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
from pathlib import Path

from . import fsutil
from .store.lock import holder

log = logging.getLogger(__name__)
# The platform the data folder is chosen for; tests of the Windows places set it to "win32" on Linux.
PLATFORM = sys.platform
APP_FOLDER = "FupinDesktop"


def app_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return app_root() / "resources"


def migrations_dir() -> Path:
    return app_root() / "migrations"


def _windows_places() -> tuple[Path, Path]:
    """(Local, Roaming) data folders: %LOCALAPPDATA%\\FupinDesktop and the %APPDATA%\\FupinDesktop of older versions."""
    home = Path.home()
    local = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    roaming = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    return local / APP_FOLDER, roaming / APP_FOLDER


def data_dir() -> Path:
    """The per-user data folder: %LOCALAPPDATA%\\FupinDesktop on Windows, XDG data home elsewhere.

    ``FUPIN_DATA_DIR`` overrides it (tests, portable installs on a USB stick). On Windows the folder is
    the Local one: a roaming profile copies Roaming to the domain server at every log-off, which a
    township store of a gigabyte must not be. Older versions used Roaming; until ``move_roaming_data``
    has moved it (or while it cannot, a file in it being held), that folder stays the one in use.
    """
    if override := os.environ.get("FUPIN_DATA_DIR"):
        return Path(override)
    if PLATFORM == "win32":
        local, roaming = _windows_places()
        return roaming if roaming.is_dir() and not local.exists() else local
    if PLATFORM == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_FOLDER
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "fupin-desktop"


_moved: str | None = None


def move_roaming_data() -> str | None:
    """Windows, once: move the data folder of older versions from Roaming to Local, before anything
    opens or makes a file in it. Returns what happened, for the log (None: nothing to move).

    All or nothing: one rename on the same disk; when Roaming is redirected to a network share (a
    domain policy), a copy into a side folder that only becomes the data folder once complete, after
    which the Roaming copy is deleted as far as it can be. If an app still has the store open there,
    or a file in it stays held, nothing moves and Roaming stays in use until a later start.
    """
    global _moved
    if _moved is not None or os.environ.get("FUPIN_DATA_DIR") or PLATFORM != "win32":
        return None
    local, roaming = _windows_places()
    if not roaming.is_dir() or local.exists():
        return None
    if (who := holder(roaming / "store")) is not None:
        _moved = f"data folder left in Roaming: the store is open in the app (pid {who.pid})"
        return _moved
    local.parent.mkdir(parents=True, exist_ok=True)
    try:
        fsutil.rename(roaming, local)
        _moved = "data folder moved from Roaming to Local"
    except fsutil.FileHeldError:
        _moved = "data folder left in Roaming: a file in it is held; trying again next start"
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _moved = _copy_across(roaming, local)
    return _moved


def _copy_across(roaming: Path, local: Path) -> str:
    side = local.with_name(f"{APP_FOLDER}.moving")
    fsutil.try_rmtree(side)  # what an interrupted copy left
    try:
        shutil.copytree(roaming, side)
        fsutil.rename(side, local)
    except (fsutil.FileHeldError, OSError) as exc:  # held, or the disk is full: Roaming stays the data folder
        fsutil.try_rmtree(side)
        return f"data folder left in Roaming: copying it failed ({type(exc).__name__})"
    fsutil.try_rmtree(roaming)  # the Local copy is in use from now on; what stays behind is only space
    return "data folder copied from Roaming (another disk) to Local"


def default_store_dir() -> Path:
    if override := os.environ.get("FUPIN_STORE"):
        return Path(override)
    return data_dir() / "store"


def logs_dir() -> Path:
    return data_dir() / "logs"


def settings_dir() -> Path:
    return data_dir() / "settings"
