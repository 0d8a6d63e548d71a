"""Rollback detection: the database's commit counter, also kept in an authenticated file beside it.

SQLCipher authenticates each page, not the file as a whole: an older copy of ``fupin.db`` (the
"恢复前" folder is one) opens without complaint and silently reverts whatever changed since. The
counter is the hybrid logical clock every unit of work writes to ``meta.hlc`` in its own transaction
(services/uow.py), so it grows with every commit and needs no hook in the unit of work.

``commit-counter.json`` holds the last counter this program saw, with an HMAC keyed from the data key
(so it cannot be forged without the key). It is written only from what the database has already
committed — at open and at close, read back from the database — and only ever raised, so a crash at
any moment leaves it at or behind the database, never ahead: the check (file > database) cannot
fire falsely. Backups do not contain it, so a restored store starts a fresh counter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..errors import RESTORE_HINT, StoreRolledBack
from ..fsutil import commit_temp

log = logging.getLogger(__name__)
GUARD_FORMAT = "fupin-commit-counter/1"
GUARD_NAME = "commit-counter.json"  # beside fupin.db; never packed into a backup (archive.py)
Counter = tuple[int, int]  # (wall milliseconds, logical counter) of the hybrid clock


_READ = "SELECT value FROM meta WHERE key = 'hlc'"


def raw_counter(dbapi_connection: Any) -> Counter:
    """The committed counter, read on a driver connection that is not inside a transaction."""
    row = dbapi_connection.execute(_READ).fetchone()
    if not row or not row[0]:
        return (0, 0)
    wall, counter = str(row[0]).split(":")
    return (int(wall), int(counter))


def database_counter(engine: Engine) -> Counter:
    with engine.connect() as conn:
        conn.rollback()
        return raw_counter(conn.connection.dbapi_connection)


def _mac(data_key: bytes, store_id: str, counter: Counter) -> str:
    guard_key = hmac.new(data_key, b"fupin-commit-counter", hashlib.sha256).digest()
    message = f"{GUARD_FORMAT}|{store_id}|{counter[0]}|{counter[1]}".encode("ascii")
    return hmac.new(guard_key, message, hashlib.sha256).hexdigest()


def read_guard(path: Path, data_key: bytes, store_id: str) -> Counter | None:
    """The counter in the file, or None when there is none or it does not authenticate."""
    try:
        doc = json.loads((path / GUARD_NAME).read_text("ascii"))
        counter = (int(doc["wall"]), int(doc["counter"]))
        good = hmac.compare_digest(str(doc["mac"]), _mac(data_key, store_id, counter))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, OSError):
        good, counter = False, (0, 0)
    if not good:
        log.warning("commit counter file does not authenticate; ignored")
        return None
    return counter


def remember(path: Path, committed: Counter, data_key: bytes, store_id: str) -> None:
    """Raise the file to ``committed`` (read from the database after its commit); never lower it."""
    known = read_guard(path, data_key, store_id)
    if known is not None and known >= committed:
        return
    doc = {"format": GUARD_FORMAT, "wall": committed[0], "counter": committed[1],
           "mac": _mac(data_key, store_id, committed)}
    _write_unique(path / GUARD_NAME, json.dumps(doc).encode("ascii"))


def _write_unique(target: Path, data: bytes) -> None:
    # A temporary name of its own: two threads or two processes may raise the counter at once.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    commit_temp(tmp, target)


def rolled_back(path: Path, engine: Engine, data_key: bytes, store_id: str) -> StoreRolledBack | None:
    """The error to show when the database is older than the file says it should be."""
    known = read_guard(path, data_key, store_id)
    if known is None or known <= database_counter(engine):
        return None
    return StoreRolledBack("数据库被替换为旧版本：数据库比上次保存的内容旧，之后的修改不在其中。",
                           hint=f"为防止数据被悄悄改回，已拒绝打开。{RESTORE_HINT}")
