"""Creating, unlocking, backing up and closing a store folder.

A store is a folder::

    store.json        format and a random store id (nothing personal)
    fupin.db          the SQLCipher database (+ -wal, -shm while open)
    keys/*.slot       the data key, wrapped per password and by the recovery code
    backups/          encrypted .fupinbak copies (daily, before migrations and imports; see backups.py)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tarfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DatabaseError

from ..errors import FupinError, InvalidInput, StoreCorrupt, StoreExists, StoreNotFound
from ..fsutil import write_atomic
from ..model import AppUser, Meta
from .engine import make_engine
from .keyslots import DATA_KEY_BYTES, KdfParams, KeyRing, new_recovery_code, tuned_kdf_params
from . import migrate

STORE_FORMAT = "fupin-store/1"
DB_NAME = "fupin.db"
RECOVERY_USER = "恢复码"


def corrupt_error(exc: BaseException | None = None) -> StoreCorrupt:
    return StoreCorrupt(
        "数据库文件已损坏，无法读取。",
        hint="数据没有被改动。请从最近的备份恢复（fupin restore），或联系县扶贫办技术人员。",
    )


class Store:
    """An unlocked store. Holds the engine (and so the key) until ``close()``."""

    def __init__(self, path: Path, engine: Engine, keyring: KeyRing, data_key: bytes, username: str) -> None:
        self.path = path
        self.engine = engine
        self.keyring = keyring
        self._data_key = data_key
        self.username = username
        with engine.connect() as conn:
            meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
        self.store_id: str = meta["store_id"]
        self.device_id: str = meta["device_id"]
        self.village_code: str = meta.get("village_code", "")
        self.village_name: str = meta.get("village_name", "")

    # ---- opening ---------------------------------------------------------------------------
    @staticmethod
    def _read_descriptor(path: Path) -> dict[str, Any]:
        descriptor = path / "store.json"
        if not descriptor.is_file():
            raise StoreNotFound(f"这里没有数据库：{path}", hint="请检查路径，或先用 fupin init 建立数据库。")
        try:
            doc: dict[str, Any] = json.loads(descriptor.read_text("utf-8"))
            if doc["format"] != STORE_FORMAT:
                raise ValueError(doc["format"])
            uuid.UUID(doc["store_id"])
            return doc
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreCorrupt(f"数据库描述文件已损坏：{descriptor}", hint="请从备份恢复。") from exc

    @classmethod
    def keyring_for(cls, path: Path) -> KeyRing:
        doc = cls._read_descriptor(Path(path))
        return KeyRing(Path(path) / "keys", doc["store_id"])

    @classmethod
    def open(cls, path: Path, username: str, password: str) -> "Store":
        path = Path(path)
        keyring = cls.keyring_for(path)
        key = keyring.unlock_password(username, password)
        return cls._open_with_key(path, keyring, key, username.strip())

    @classmethod
    def open_with_recovery_code(cls, path: Path, code: str) -> "Store":
        path = Path(path)
        keyring = cls.keyring_for(path)
        key = keyring.unlock_recovery(code)
        return cls._open_with_key(path, keyring, key, RECOVERY_USER)

    @classmethod
    def _open_with_key(cls, path: Path, keyring: KeyRing, key: bytes, username: str) -> "Store":
        db = path / DB_NAME
        if not db.is_file():
            raise StoreCorrupt(f"找不到数据库文件：{db}", hint="请从备份恢复。")
        engine = make_engine(db, key)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            migrate.upgrade(engine,
                            before=lambda rev: cls._backup_before_migration(engine, path, keyring, username, rev))
            return cls(path, engine, keyring, key, username)
        except DatabaseError as exc:
            engine.dispose()
            raise corrupt_error(exc) from None
        except BaseException:
            engine.dispose()
            raise

    @staticmethod
    def _backup_before_migration(engine: Engine, path: Path, keyring: KeyRing, username: str,
                                 revision: str | None) -> None:
        if revision is None:
            return  # a brand-new database has nothing to lose
        from .backups import backup_before_migration  # noqa: PLC0415 (backups builds on this module)

        backup_before_migration(engine, path, keyring, username, revision)

    # ---- creating ---------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path,
        *,
        village_code: str,
        village_name: str,
        username: str,
        password: str,
        kdf: KdfParams | None = None,
    ) -> tuple["Store", str]:
        """Make a new store; returns it and the recovery code, which is shown once and never stored."""
        path = Path(path)
        if (path / "store.json").exists() or (path / DB_NAME).exists():
            raise StoreExists(f"这里已经有数据库：{path}", hint="请换一个文件夹，或直接打开它。")
        if not username.strip():
            raise InvalidInput("用户名不能为空。", field="用户名")
        if not (village_code.isdigit() and len(village_code) == 12):
            raise InvalidInput(f"村代码应为12位数字（统计用区划代码），而不是“{village_code}”。", field="村代码",
                               hint="例如 520102003004。")
        check_password_strength(password)
        kdf = kdf or tuned_kdf_params()
        path.mkdir(parents=True, exist_ok=True)
        store_id = uuid.uuid4().hex
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        keyring = KeyRing(path / "keys", store_id)
        code = new_recovery_code()
        keyring.add_password(username, password, data_key, kdf)
        keyring.add_recovery(code, data_key, kdf)
        engine = make_engine(path / DB_NAME, data_key)
        try:
            migrate.upgrade(engine)
            with engine.begin() as conn:
                now = datetime.now(timezone.utc).isoformat(timespec="seconds")
                conn.execute(insert(Meta), [
                    {"key": "store_id", "value": store_id},
                    {"key": "device_id", "value": uuid.uuid4().hex},
                    {"key": "village_code", "value": village_code},
                    {"key": "village_name", "value": village_name},
                    {"key": "created", "value": now},
                ])
                conn.execute(insert(AppUser).values(
                    id=uuid.uuid4().hex, username=username.strip(), role="管理员", active=True, updated_at=now,
                ))
            from ..reference import seed_reference_data  # noqa: PLC0415 (reference imports the model)

            seed_reference_data(engine, village_code=village_code, village_name=village_name)
        finally:
            engine.dispose()
        # The descriptor is written last: a folder without it is an unfinished set-up, not a store.
        descriptor = {"format": STORE_FORMAT, "store_id": store_id, "created": now}
        write_atomic(path / "store.json", json.dumps(descriptor, indent=1).encode("utf-8"))
        return cls.open(path, username, password), code

    # ---- keys and users ------------------------------------------------------------------
    def _kdf(self) -> KdfParams:
        return tuned_kdf_params()

    def change_password(self, username: str, new_password: str) -> None:
        if not self.keyring.has_user(username):
            raise InvalidInput(f"没有名为“{username.strip()}”的用户。", field="用户名")
        check_password_strength(new_password)
        self.keyring.replace_password(username, new_password, self._data_key, self._kdf())

    def add_user(self, username: str, password: str, *, display_name: str = "", role: str = "采集员") -> None:
        name = username.strip()
        if not name:
            raise InvalidInput("用户名不能为空。", field="用户名")
        if self.keyring.has_user(name):
            raise InvalidInput(f"用户“{name}”已存在。", field="用户名")
        check_password_strength(password)
        from ..services.uow import UnitOfWork  # noqa: PLC0415 (services build on the store)

        with UnitOfWork(self) as uow:
            uow.insert(AppUser, {"username": name, "display_name": display_name or None, "role": role, "active": True})
        # After the commit: a crash in between leaves a user who cannot log in yet, never a
        # slot that opens the store for a user the store does not know.
        self.keyring.add_password(name, password, self._data_key, self._kdf())

    def new_recovery_code(self) -> str:
        code = new_recovery_code()
        self.keyring.replace_recovery(code, self._data_key, self._kdf())
        return code

    # ---- backups ----------------------------------------------------------------------------
    def backup(self, out: Path) -> Path:
        """One file (tar) holding an encrypted copy of the database and the key slots.

        It opens with the same passwords and recovery code; without them it reveals nothing.
        """
        return write_backup(self.engine, self.path, self.keyring, Path(out))

    def close(self) -> None:
        """Drop the engine and with it every connection holding the key."""
        self.engine.dispose()
        self._data_key = b""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def vacuum_into(engine: Engine, target: Path) -> None:
    """SQLCipher's VACUUM INTO writes a copy encrypted with the same key (checked by a test)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    with engine.connect() as conn:
        conn.rollback()  # VACUUM cannot run inside a transaction
        raw = conn.connection.dbapi_connection
        assert raw is not None  # the connection is open (typed Optional for a closed one)
        raw.execute("VACUUM INTO ?", (str(target),))


def write_backup(engine: Engine, path: Path, keyring: KeyRing, out: Path) -> Path:
    """The ``.fupinbak`` of the store at ``path``: store.json, the key slots and a VACUUM INTO copy."""
    if out.suffix != ".fupinbak":
        out = out.with_name(out.name + ".fupinbak")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = path / "backups" / f".staging-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        vacuum_into(engine, staging / DB_NAME)
        with tarfile.open(tmp, "w") as tar:
            tar.add(path / "store.json", arcname="store.json")
            for slot in sorted(keyring.dir.glob("*.slot")):
                tar.add(slot, arcname=f"keys/{slot.name}")
            tar.add(staging / DB_NAME, arcname=DB_NAME)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return out


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


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("密码太短：至少需要 8 位。", field="密码",
                           hint="建议用字母、数字和符号混合，不要用生日或手机号。")


def password_strength_hint(password: str) -> str:
    kinds = sum(bool(any(f(c) for c in password)) for f in (str.isdigit, str.islower, str.isupper))
    kinds += any(not c.isalnum() for c in password)
    if len(password) < 8:
        return "太短"
    if len(password) >= 12 and kinds >= 3:
        return "强"
    return "中" if kinds >= 2 else "弱"


__all__ = ["Store", "restore_backup", "vacuum_into", "write_backup", "FupinError"]
