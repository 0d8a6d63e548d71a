"""One desktop app per store: a lock file in the store folder, held by the operating system.

Two copies of the app on one store (a double click too many, a second user's session on a shared
laptop) would each keep their own drafts and fight over every save. The first copy holds
``app.lock`` with an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) for as long as it
runs, and writes into it who it is (user, computer, process, since when), so the second can say who
has the store. The OS drops the lock when the process ends, however it ends, so a lock file left by
a crash is stale by definition and simply taken over. CLI commands do not take this lock: they work
beside the app, their writes waiting their turn (``BEGIN IMMEDIATE`` and the busy timeout,
engine.py); only ``restore --replace`` refuses while the app has the store open.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from ..errors import FupinError

log = logging.getLogger(__name__)
LOCK_NAME = "app.lock"
# Windows locks a byte range, and a locked range cannot be read by others: lock a byte far past the
# few hundred bytes of text so the second copy can still read who holds the store.
_LOCK_OFFSET = 1 << 20


class StoreInUseError(FupinError):
    exit_code = 3


@dataclass(frozen=True)
class Holder:
    user: str
    host: str
    pid: int
    since: str

    def describe(self) -> str:
        return f"用户 {self.user}，电脑 {self.host}，进程 {self.pid}，{self.since} 起"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fh: IO[str]) -> bool:
        fh.seek(_LOCK_OFFSET)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fh: IO[str]) -> None:
        fh.seek(_LOCK_OFFSET)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fh: IO[str]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: also between threads
            return True
        except BlockingIOError:
            return False

    def _unlock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _me() -> Holder:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (a service account)
        user = "?"
    return Holder(user, socket.gethostname(), os.getpid(), f"{datetime.now():%Y-%m-%d %H:%M}")


def _read(path: Path) -> Holder | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
        return Holder(str(doc["user"]), str(doc["host"]), int(doc["pid"]), str(doc["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def in_use_error(holder: Holder | None) -> StoreInUseError:
    who = f"（{holder.describe()}）" if holder else ""
    return StoreInUseError(f"这个数据库已经在另一个扶贫档案窗口中打开{who}。",
                           hint="请切换到那个窗口继续工作（看任务栏）；如果它是别的用户打开的，请让他先退出。")


class StoreLock:
    """Held from ``acquire`` until ``release`` (or the process ends)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.file = self.folder / LOCK_NAME
        self._fh: IO[str] | None = None

    @classmethod
    def acquire(cls, folder: Path) -> StoreLock:
        """Take the store for this process, or raise ``StoreInUseError`` saying who has it."""
        lock = cls(folder)
        lock.take()
        return lock

    def take(self) -> None:
        if self._fh is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fh = open(self.file, "a+", encoding="utf-8")  # kept open for as long as the lock is held
        if not _try_lock(fh):
            fh.close()
            raise in_use_error(_read(self.file))
        fh.seek(0)
        fh.truncate()
        me = _me()
        fh.write(json.dumps({"user": me.user, "host": me.host, "pid": me.pid, "since": me.since}, ensure_ascii=False))
        fh.flush()
        self._fh = fh
        log.info("store lock taken")

    def release(self) -> None:
        """Let go (the file stays: deleting it could let a third copy lock a fresh file beside a second)."""
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        try:
            fh.seek(0)
            fh.truncate()
            _unlock(fh)
        except OSError as exc:
            log.warning("store lock not cleanly released: %s", type(exc).__name__)
        finally:
            fh.close()

    @property
    def held(self) -> bool:
        return self._fh is not None


def holder(folder: Path) -> Holder | None:
    """Who has the store open in the app right now (None: nobody). Tries the lock and lets go at once."""
    path = Path(folder) / LOCK_NAME
    if not path.is_file():
        return None
    with open(path, "a+", encoding="utf-8") as fh:
        if _try_lock(fh):
            _unlock(fh)
            return None
    return _read(path) or Holder("?", "?", 0, "?")
