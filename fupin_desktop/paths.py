"""Where the program's data files are, from a source checkout or a frozen (PyInstaller) build."""

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


def default_store_dir() -> Path:
    """A per-user data folder: %APPDATA%\\FupinDesktop on Windows, XDG data home elsewhere."""
    if override := os.environ.get("FUPIN_STORE"):
        return Path(override)
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
        return base / "FupinDesktop" / "store"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "FupinDesktop" / "store"
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "fupin-desktop" / "store"
