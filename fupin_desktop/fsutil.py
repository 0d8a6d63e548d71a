"""Crash-safe file writes, and renames and deletes that survive a file held by another program.

On Windows a file that another process has open (an antivirus scan, OneDrive or a 同步盘 syncing
it, WPS/Excel showing it) cannot be renamed, replaced or deleted: the call fails with
``PermissionError`` (WinError 32 or 5) until that process lets go, usually within a second. Every
rename, replace and delete of the program goes through this module, which retries a bounded number
of times with a growing pause; a file still held after that is ``FileHeldError`` (the Chinese message
below) and nothing was changed. Jobs that are only housekeeping (pruning old backups, clearing the
wrong-password counter) use ``try_remove``, which never raises: they must not stop an unlock or a
command.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .errors import FupinError

log = logging.getLogger(__name__)
T = TypeVar("T")
HELD_MESSAGE = "文件被其他程序占用（杀毒软件、WPS/Excel 或同步盘），请关闭后重试"
# About 1.5 s in all: a virus scan or a sync client's read of a small file ends well within it, and a
# person waiting on a save does not notice it.
DELAYS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.75)


class FileHeldError(FupinError):
    exit_code = 9

    def __init__(self, path: Path) -> None:
        super().__init__(f"{HELD_MESSAGE}。", hint=f"文件：{path}。这次没有做任何改动。")
        self.path = path


def retrying(action: Callable[[], T], what: Path, delays: tuple[float, ...] | None = None) -> T:
    """Run ``action``; while it fails with ``PermissionError`` (the file is held), wait and try
    again; after the last pause raise ``FileHeldError`` naming ``what``."""
    for pause in (*(DELAYS if delays is None else delays), None):
        try:
            return action()
        except PermissionError as exc:
            if pause is None:
                log.warning("file held, gave up after retries: %s", type(exc).__name__)
                raise FileHeldError(Path(what)) from exc
            time.sleep(pause)
    raise AssertionError("unreachable")


def replace(src: Path, dst: Path) -> None:
    """``os.replace`` (overwrites ``dst``), retried while either file is held."""
    retrying(lambda: os.replace(src, dst), dst)


def rename(src: Path, dst: Path) -> None:
    """``os.rename`` (a folder or a file to a new name), retried while anything in it is held."""
    retrying(lambda: os.rename(src, dst), src)


def remove(path: Path) -> None:
    """Delete a file (gone already is fine), retried while it is held."""
    retrying(lambda: Path(path).unlink(missing_ok=True), path)


def rmtree(path: Path) -> None:
    """Delete a folder and everything in it (gone already is fine); each retry resumes with what is left."""
    def action() -> None:
        if Path(path).exists():
            shutil.rmtree(path)

    retrying(action, path)


def try_remove(path: Path, *, retry: bool = False) -> bool:
    """Housekeeping deletes: True when the file is gone; a held or unwritable file is logged and left
    for next time, never raised."""
    try:
        retrying(lambda: Path(path).unlink(missing_ok=True), path, None if retry else ())
        return True
    except (FileHeldError, OSError) as exc:
        log.warning("could not delete a file, left for later: %s", type(exc).__name__)
        return False


def try_rmtree(path: Path) -> None:
    """Delete a scratch folder as far as possible; what is held stays (and is logged)."""
    shutil.rmtree(path, ignore_errors=True)
    if Path(path).exists():
        log.warning("scratch folder left behind (a file in it is held)")


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync; rename is durable there.
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """A power cut leaves either the old file or the new one, never half. A target held by another
    program raises ``FileHeldError`` after the retries, with the old file untouched."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    commit_temp(tmp, path)


def commit_temp(tmp: Path, path: Path) -> None:
    """Move a finished temporary file over ``path`` (retried while held); the temporary file never
    stays behind, whatever happens."""
    try:
        replace(tmp, path)
    except BaseException:
        try_remove(tmp)
        raise
    fsync_dir(path.parent)
