"""Where the program's data files are, from a source checkout or a frozen (PyInstaller) build, and
where the user's own files go (store, logs, settings)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return app_root() / "resources"


def migrations_dir() -> Path:
    return app_root() / "migrations"


def data_dir() -> Path:
    """The per-user data folder: %APPDATA%\\FupinDesktop on Windows, XDG data home elsewhere.

    ``FUPIN_DATA_DIR`` overrides it (tests, portable installs on a USB stick).
    """
    if override := os.environ.get("FUPIN_DATA_DIR"):
        return Path(override)
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
        return base / "FupinDesktop"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "FupinDesktop"
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "fupin-desktop"


def default_store_dir() -> Path:
    if override := os.environ.get("FUPIN_STORE"):
        return Path(override)
    return data_dir() / "store"


def logs_dir() -> Path:
    return data_dir() / "logs"


def settings_dir() -> Path:
    return data_dir() / "settings"
