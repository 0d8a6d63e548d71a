"""The ``.fupinbak`` file: store.json, the key slots and a VACUUM INTO copy of the database, in one tar.

It opens with the same passwords and recovery code; without them it reveals nothing. Both the store
(``Store.backup``, the backup before a migration) and the automatic backups (backups.py) build on
this module, which depends on neither.
"""

from __future__ import annotations

import os
import tarfile
import uuid
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from ..errors import InvalidInput, StoreCorrupt, StoreExists, is_corruption
from ..fsutil import commit_temp, remove, try_remove, try_rmtree
from .keyslots import KeyRing

DB_NAME = "fupin.db"


def vacuum_into(engine: Engine, target: Path) -> None:
    """SQLCipher's VACUUM INTO writes a copy encrypted with the same key (checked by a test)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove(target)
    with engine.connect() as conn:
        conn.rollback()  # VACUUM cannot run inside a transaction
        raw = conn.connection.dbapi_connection
        assert raw is not None
        try:
            raw.execute("VACUUM INTO ?", (str(target),))
        except engine.dialect.loaded_dbapi.DatabaseError as exc:  # the driver's own, not SQLAlchemy's
            # A VACUUM that met a damaged page leaves its connection failing every later read,
            # even of sound pages: it must not go back into the pool.
            conn.invalidate()
            raise DatabaseError("VACUUM INTO", None, exc) from None


def _copy_failed(exc: DatabaseError) -> StoreCorrupt:
    if is_corruption(exc):
        return StoreCorrupt("备份没有完成：数据库文件有损坏的部分，无法复制。",
                            hint="现有的备份没有被删除。请运行 fupin verify 检查，并从较早的备份恢复。")
    return StoreCorrupt("备份没有完成：复制数据库时出错。", hint="现有的备份没有被删除。请稍后再试。")


def write_backup(engine: Engine, path: Path, keyring: KeyRing, out: Path) -> Path:
    """The ``.fupinbak`` of the store at ``path``. A failed copy raises in Chinese and leaves nothing behind."""
    if out.suffix != ".fupinbak":
        out = out.with_name(out.name + ".fupinbak")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = path / "backups" / f".staging-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        vacuum_into(engine, staging / DB_NAME)
        _pack(tmp, path, keyring, staging / DB_NAME)
        commit_temp(tmp, out)
    except DatabaseError as exc:
        raise _copy_failed(exc) from None
    finally:
        try_remove(tmp)
        try_rmtree(staging)
    return out


def _pack(tmp: Path, path: Path, keyring: KeyRing, db_copy: Path) -> None:
    with tarfile.open(tmp, "w") as tar:
        tar.add(path / "store.json", arcname="store.json")
        for slot in sorted(keyring.dir.glob("*.slot")):
            tar.add(slot, arcname=f"keys/{slot.name}")
        tar.add(db_copy, arcname=DB_NAME)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())


def restore_backup(backup: Path, target: Path) -> Path:
    """Unpack a ``.fupinbak`` into a new, empty store folder."""
    backup, target = Path(backup), Path(target)
    if (target / "store.json").exists():
        raise StoreExists(f"目标文件夹已经有数据库：{target}", hint="请选择一个空文件夹。")
    try:
        with tarfile.open(backup, "r") as tar:
            names = tar.getnames()
            if "store.json" not in names or DB_NAME not in names:
                raise InvalidInput(f"这不是 Fupin 备份文件：{backup}")
            target.mkdir(parents=True, exist_ok=True)
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(f"备份文件无法读取：{backup}", hint=str(exc)) from None
    return target
