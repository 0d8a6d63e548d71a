"""The SQLCipher engine: raw-key mode, the pragmas every connection needs, and no clear-text fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from ..errors import EncryptionUnavailable

BUSY_TIMEOUT_MS = 10_000
WRITE = "fupin_write"  # execution option of a unit of work's connection: its transaction writes

CONNECTION_PRAGMAS = (
    "PRAGMA cipher_log_level = NONE",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    # A write beside another program's (the CLI beside the app) waits its turn instead of failing.
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
)


def raw_key_literal(data_key: bytes) -> str:
    """SQLCipher's raw-key syntax: with x'…' the key is used as it is, with no passphrase KDF."""
    return f"x'{data_key.hex()}'"


def make_engine(db_path: Path, data_key: bytes) -> Engine:
    # The pysqlcipher dialect issues `PRAGMA key="<password>"` first on every connection; passing
    # the raw-key literal as the password gives exactly `PRAGMA key = "x'…'"`.
    url = URL.create("sqlite+pysqlcipher", password=raw_key_literal(data_key), database=str(db_path))
    # A real pool instead of the dialect's one-connection-per-thread default: a unit of work and a
    # read in the same thread must not share (and nest transactions on) one connection. Pooled
    # connections move between the UI thread and the worker, hence check_same_thread=False.
    engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=8,
                           connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        version = cursor.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise EncryptionUnavailable(
                "当前的 SQLite 模块不支持加密（缺少 SQLCipher），为防止明文写入，已拒绝打开数据库。",
                hint="请重新安装程序或运行 pip install sqlcipher3。",
            )
        for pragma in CONNECTION_PRAGMAS:
            cursor.execute(pragma).fetchall()
    finally:
        cursor.close()
    # Let SQLAlchemy, not the driver, decide where transactions begin (see _on_begin).
    dbapi_connection.isolation_level = None


def _on_begin(connection: Any) -> None:
    # A unit of work is one transaction from its first read to its commit. It takes the write lock
    # at BEGIN: a deferred transaction that read first and then found another process had written
    # meanwhile fails at once (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out), while
    # BEGIN IMMEDIATE waits up to the busy timeout for the other writer to finish.
    immediate = connection.get_execution_options().get(WRITE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
