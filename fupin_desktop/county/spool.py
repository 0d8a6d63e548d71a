"""Where uploads wait while they arrive: sealed bytes in the server's own folder, never /tmp at large.

Each server keeps its own folder, named after the port it listens on: only one process can listen on
a port, so whatever is in that folder when a server starts was left by a killed predecessor (a
partial upload) and is removed. Servers sharing a data folder on other ports are not touched.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ..fsutil import try_remove

_SUFFIX = ".fupinpkg.part"


def spool_dir(port: int | None, base: Path | None = None) -> Path:
    """The upload folder of the server on ``port``; None for an app run in-process (tests, embedding)."""
    from ..paths import data_dir  # noqa: PLC0415

    return (base or data_dir() / "county-uploads") / (str(port) if port is not None else "in-process")


def new_upload_path(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"upload-{secrets.token_hex(8)}{_SUFFIX}"


def clean_stale_uploads(folder: Path) -> int:
    """Remove what a killed server left behind; returns how many files."""
    if not folder.is_dir():
        return 0
    stale = list(folder.glob(f"*{_SUFFIX}"))
    for path in stale:
        try_remove(path)
    return len(stale)
