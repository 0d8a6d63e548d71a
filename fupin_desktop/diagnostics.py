""""导出诊断信息": one zip for support with the log files and the versions of everything, and no
personal data (the logs are scrubbed as they are written; nothing from the store goes in)."""

from __future__ import annotations

import json
import os
import platform
import sys
import zipfile
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .logs import log_files, scrub_text

PACKAGES = ("PySide6-Essentials", "SQLAlchemy", "alembic", "sqlcipher3", "cryptography", "reportlab", "pypdf",
            "pypdfium2", "python-stdnum", "pypinyin")


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "（未安装或已打包）"


def sqlcipher_versions() -> dict[str, str]:
    """SQLite and SQLCipher versions of the driver in use, from a throwaway in-memory database."""
    try:
        import sqlcipher3  # noqa: PLC0415 (a driver that fails to load is reported, not raised)

        conn = sqlcipher3.connect(":memory:")
        try:
            cipher = conn.execute("PRAGMA cipher_version").fetchone()
            return {"sqlite": sqlcipher3.sqlite_version, "sqlcipher": cipher[0] if cipher else "（无）"}
        finally:
            conn.close()
    except Exception as exc:  # noqa: BLE001 - a diagnostics file must be written even then
        return {"sqlite": "?", "sqlcipher": f"不可用（{type(exc).__name__}）"}


def versions(extra: dict[str, str] | None = None) -> dict[str, Any]:
    """What support needs to know about this installation. ``extra``: what only the UI knows (Qt)."""
    return {
        "fupin_desktop": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        **sqlcipher_versions(),
        "packages": {name: _package_version(name) for name in PACKAGES},
        **(extra or {}),
    }


def write_diagnostics(out: Path, *, extra: dict[str, str] | None = None) -> Path:
    """Write the zip; returns its path (``.zip`` added when missing)."""
    out = Path(out)
    if out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    info = versions(extra)
    info["written"] = datetime.now().isoformat(timespec="seconds")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("versions.json", scrub_text(json.dumps(info, ensure_ascii=False, indent=1)))
        for path in log_files():
            # Scrubbed again on the way out: a log written by an older version is made safe too.
            zf.writestr(f"logs/{path.name}", scrub_text(path.read_text("utf-8", errors="replace")))
    return out
