"""The one-machine county on SQLite is SQLCipher, like a village store: a random 256-bit raw key,
kept beside the database in ``county.db.key`` wrapped by the county passphrase (the same
Argon2id + AES-GCM wrapping as the county's private keys, keys.wrap_secret).

The key file lives outside the database because the database cannot be read to find it. A clear
county.db from an earlier version is encrypted in place on the first open with the right passphrase
(checked against the county's own wrapped private keys first): sqlcipher_export into a new file,
key file written, then the new file renamed over the old one. A crash half-way leaves the clear file,
which the next open encrypts again.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import sqlcipher3  # no stubs (pyproject: ignore_missing_imports); only connect() is used
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from ..errors import EncryptionUnavailable, FupinError
from .. import fsutil
from ..fsutil import write_atomic
from ..store.engine import raw_key_literal
from .keys import unwrap_secret, wrap_secret

_CLEAR_HEADER = b"SQLite format 3\x00"
_DB_KEY_AAD = b"fupin-county-db/1"
KEY_FORMAT = "fupin-county-db-key/1"


class CountyKeyFileMissingError(FupinError):
    exit_code = 10


def key_file(db: Path) -> Path:
    return db.with_name(db.name + ".key")


def is_clear_sqlite(db: Path) -> bool:
    try:
        with open(db, "rb") as fh:
            return fh.read(len(_CLEAR_HEADER)) == _CLEAR_HEADER
    except OSError:
        return False


def _write_key(db: Path, passphrase: str) -> bytes:
    key = secrets.token_bytes(32)
    doc = {"format": KEY_FORMAT, **wrap_secret(passphrase, key, _DB_KEY_AAD)}
    write_atomic(key_file(db), json.dumps(doc, indent=1).encode("utf-8"))
    return key


def _read_key(db: Path, passphrase: str) -> bytes:
    try:
        doc = json.loads(key_file(db).read_text("utf-8"))
        return unwrap_secret(doc, passphrase, _DB_KEY_AAD)
    except (OSError, ValueError, KeyError, TypeError):
        raise CountyKeyFileMissingError(f"县级数据库的密钥文件 {key_file(db).name} 无法读取或已损坏。",
                                   hint="请从备份中恢复这个文件（它和 county.db 必须一起备份）。") from None


def database_key(db: Path, passphrase: str) -> bytes:
    """The raw key of ``db``; a new one for a new database, an encryption pass for a clear one."""
    if is_clear_sqlite(db):
        return _encrypt_clear(db, passphrase)
    if key_file(db).exists():
        return _read_key(db, passphrase)
    if db.exists() and db.stat().st_size > 0:
        raise CountyKeyFileMissingError(f"县级数据库已加密，但旁边的密钥文件 {key_file(db).name} 不见了。",
                                   hint="请从备份中恢复这个文件；没有它，数据库无法打开。")
    from ..store.store import check_password_strength  # noqa: PLC0415

    check_password_strength(passphrase)  # a new county: this passphrase will guard everything
    return _write_key(db, passphrase)


def _check_passphrase(db: Path, passphrase: str) -> None:
    """A clear county must be encrypted by its own passphrase, not by whatever was typed."""
    from .keys import CountyNotInitialised, load_county  # noqa: PLC0415

    clear = create_engine(URL.create("sqlite", database=str(db)))
    try:
        load_county(clear, passphrase)
    except CountyNotInitialised:
        pass
    finally:
        clear.dispose()


def _encrypt_clear(db: Path, passphrase: str) -> bytes:
    _check_passphrase(db, passphrase)
    staging = db.with_name(db.name + ".encrypting")
    fsutil.remove(staging)
    conn = sqlcipher3.connect(str(db))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")  # no clear -wal left to be replayed into the new file
        key = _write_key(db, passphrase)
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"{raw_key_literal(key)}\"", (str(staging),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    fsutil.replace(staging, db)
    for suffix in ("-wal", "-shm", "-journal"):
        fsutil.remove(db.with_name(db.name + suffix))
    return key


def make_cipher_engine(db: Path, key: bytes) -> Engine:
    url = URL.create("sqlite+pysqlcipher", password=raw_key_literal(key), database=str(db))
    engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=8, pool_pre_ping=True,
                           hide_parameters=True, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    return engine


def _on_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    try:
        version = cursor.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise EncryptionUnavailable("当前的 SQLite 模块不支持加密（缺少 SQLCipher），已拒绝打开县级数据库。",
                                        hint="请重新安装程序。")
        for pragma in ("PRAGMA cipher_log_level = NONE", "PRAGMA temp_store = MEMORY", "PRAGMA journal_mode = WAL",
                       "PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 30000"):
            cursor.execute(pragma).fetchall()
    finally:
        cursor.close()
