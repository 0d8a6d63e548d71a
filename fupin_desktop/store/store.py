"""Creating, unlocking, backing up and closing a store folder.

A store is a folder::

    store.json           format and a random store id (nothing personal; descriptor.py)
    fupin.db             the SQLCipher database (+ -wal, -shm while open)
    commit-counter.json  the last commit counter seen, authenticated (rollback.py)
    keys/*.slot          the data key, wrapped per password and by the recovery code (keyslots.py)
    keys/failures/       one empty file per failed unlock (lockout.py)
    backups/             encrypted .fupinbak copies (daily, before migrations and imports; see backups.py)
    held-down/           the county's down packages that wait their turn, still sealed (sync/held_down.py)

Opening checks, in order, before anything is written: the descriptor's schema, a non-empty database,
the key, a readable database at a known schema revision, and no rollback. Only then may a schema
upgrade (after its backup) or the daily backup run.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.exc import DatabaseError

from ..errors import (
    InvalidInput,
    KeySlotCorrupt,
    StoreExists,
    corrupt_error,
    missing_database_error,
)
from ..fsutil import FileHeldError, write_atomic
from ..model import AppUser, Meta
from . import migrate, rollback
from .archive import DB_NAME, write_backup
from .backups import backup_before_migration
from .descriptor import (
    DESCRIPTOR_NAME,
    check_database_file,
    descriptor_bytes,
    read_descriptor,
)
from .engine import make_engine
from .keyslots import (
    DATA_KEY_BYTES,
    KdfParams,
    KeyRing,
    new_recovery_code,
    tuned_kdf_params,
)
from .passwords import check_password_strength, password_strength_hint

log = logging.getLogger(__name__)
RECOVERY_USER = "恢复码"
DEMO_FLAG = "demo_store"  # meta: "1" when the store was created as a demo store
SLOT_MAC_FLAG = "keyslot_mac"  # meta: every key slot of this store carries a MAC (keyslots.py)
REMEMBER_EVERY = 30.0  # seconds between raises of the commit counter file while a store is open
# The password rules moved to passwords.py; ui/ and county/ still import them from here.
__all__ = ["RECOVERY_USER", "Store", "check_password_strength", "password_strength_hint"]


class Store:
    """An unlocked store. Holds the engine (and so the key) until ``close()``."""

    def __init__(self, path: Path, engine: Engine, keyring: KeyRing, data_key: bytes, username: str) -> None:
        self.path = path
        self.engine = engine
        self.keyring = keyring
        self._data_key = data_key
        self.username = username
        self.rolled_back = rollback.rolled_back(path, engine, data_key, keyring.store_id)
        self._remember_lock = threading.RLock()  # close() reads through the pool, whose checkin calls back
        self._remembered_at = 0.0
        with engine.connect() as conn:
            meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
        self.store_id: str = meta["store_id"]
        self.device_id: str = meta["device_id"]
        self.village_code: str = meta.get("village_code", "")
        self.village_name: str = meta.get("village_name", "")
        # Made for trying the program out: only such a store takes generated households (demo/guard.py).
        self.demo: bool = meta.get(DEMO_FLAG) == "1"

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def keyring_for(cls, path: Path) -> KeyRing:
        return KeyRing(Path(path) / "keys", read_descriptor(Path(path)).store_id)

    @classmethod
    def open(cls, path: Path, username: str, password: str, *, allow_rollback: bool = False) -> Store:
        """``allow_rollback``: open a database older than its commit counter anyway (``verify`` does,
        to report it); ``rolled_back`` then holds the error and the counter file is left alone."""
        path = Path(path)
        keyring = cls.keyring_for(path)
        check_database_file(path)
        key = keyring.unlock_password(username, password)
        return cls._open_with_key(path, keyring, key, username.strip(), allow_rollback)

    @classmethod
    def open_with_recovery_code(cls, path: Path, code: str, *, allow_rollback: bool = False) -> Store:
        path = Path(path)
        keyring = cls.keyring_for(path)
        check_database_file(path)
        key = keyring.unlock_recovery(code)
        return cls._open_with_key(path, keyring, key, RECOVERY_USER, allow_rollback)

    @classmethod
    def _open_with_key(cls, path: Path, keyring: KeyRing, key: bytes, username: str,
                       allow_rollback: bool) -> Store:
        check_database_file(path)  # again: it may have gone while the key was derived
        engine = make_engine(path / DB_NAME, key)
        try:
            _check_readable(engine)
            store = cls(path, engine, keyring, key, username)
            if store.rolled_back is not None and not allow_rollback:
                raise store.rolled_back
            _check_slot_format(engine, keyring)
            store._upgrade_schema()
            _merge_shipped_reference(engine)
            store._remember_best_effort("open")
            event.listen(engine.pool, "checkin", store._after_checkin)
            return store
        except DatabaseError as exc:
            engine.dispose()
            raise corrupt_error(exc) from None
        except BaseException:
            engine.dispose()
            raise

    def _upgrade_schema(self) -> None:
        def backup(revision: str | None) -> None:
            assert revision is not None  # _check_readable refused a database without one
            backup_before_migration(self.engine, self.path, self.keyring, self.username, revision)

        migrate.upgrade(self.engine, before=backup)

    def remember_commits(self, counter: rollback.Counter | None = None) -> None:
        """Raise the authenticated commit counter beside the database to what it has committed.
        Called at open, at close and every ``REMEMBER_EVERY`` seconds of use; it only moves forward."""
        if self.rolled_back is not None or not self._data_key:
            return
        with self._remember_lock:
            committed = counter if counter is not None else rollback.database_counter(self.engine)
            rollback.remember(self.path, committed, self._data_key, self.keyring.store_id)
            self._remembered_at = time.monotonic()

    def _remember_best_effort(self, when: str) -> None:
        # A counter file held by a virus scan or a sync client must not refuse a correct password
        # or a close: the counter only lags behind, and the next open or checkin raises it.
        try:
            self.remember_commits()
        except (DatabaseError, OSError, FileHeldError) as exc:
            log.warning("commit counter not raised at %s: %s", when, type(exc).__name__)

    def _after_checkin(self, dbapi_connection: Any, _record: Any) -> None:
        # A connection back in the pool has committed or rolled back, so what it reads now is
        # committed: the file can never get ahead of the database, whatever happens next.
        if dbapi_connection is None or time.monotonic() - self._remembered_at < REMEMBER_EVERY:
            return
        try:
            self.remember_commits(rollback.raw_counter(dbapi_connection))
        except Exception as exc:  # noqa: BLE001 (a lagging counter is harmless; the write that
            # triggered this has committed and must not be reported as failed)
            log.warning("commit counter not raised: %s", type(exc).__name__)

    def rollback_problem(self) -> str | None:
        """For ``verify``: the rollback found at open, in Chinese, or None."""
        return None if self.rolled_back is None else self.rolled_back.message

    # ---- creating ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, *, village_code: str, village_name: str, username: str, password: str,
               kdf: KdfParams | None = None, demo: bool = False) -> tuple[Store, str]:
        """Make a new store; returns it and the recovery code, which is shown once and never stored.
        ``demo``: a store for trying the program out, the only kind that takes generated households."""
        path = Path(path)
        _check_new_store(path, username, village_code, password)
        path.mkdir(parents=True, exist_ok=True)
        store_id, data_key, code = uuid.uuid4().hex, secrets.token_bytes(DATA_KEY_BYTES), new_recovery_code()
        kdf = kdf or tuned_kdf_params()
        keyring = KeyRing(path / "keys", store_id)
        keyring.add_password(username, password, data_key, kdf)
        keyring.add_recovery(code, data_key, kdf)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        _fill_new_database(path / DB_NAME, data_key, store_id, now, village_code, village_name, username.strip(),
                           demo=demo)
        # The descriptor is written last: a folder without it is an unfinished set-up, not a store.
        write_atomic(path / DESCRIPTOR_NAME, descriptor_bytes(store_id, now))
        return cls.open(path, username, password), code

    # ---- keys ---------------------------------------------------------------------------------
    def kdf_params(self) -> KdfParams:
        return tuned_kdf_params()

    def change_password(self, username: str, new_password: str) -> None:
        if not self.keyring.has_user(username):
            raise InvalidInput(f"没有名为“{username.strip()}”的用户。", field="用户名")
        check_password_strength(new_password)
        self.keyring.replace_password(username, new_password, self._data_key, self.kdf_params())

    def add_password_slot(self, username: str, password: str) -> None:
        """A key slot for a user the database already knows (services/users.py adds the row first)."""
        self.keyring.add_password(username, password, self._data_key, self.kdf_params())

    def new_recovery_code(self) -> str:
        code = new_recovery_code()
        self.keyring.replace_recovery(code, self._data_key, self.kdf_params())
        return code

    # ---- backups and closing -----------------------------------------------------------------
    def backup(self, out: Path) -> Path:
        """One file (tar) holding an encrypted copy of the database and the key slots.

        It opens with the same passwords and recovery code; without them it reveals nothing.
        """
        return write_backup(self.engine, self.path, self.keyring, Path(out))

    def close(self) -> None:
        """Record the commit counter, then drop the engine and with it every connection holding the key."""
        try:
            self._remember_best_effort("close")
        finally:
            self.engine.dispose()
            self._data_key = b""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _merge_shipped_reference(engine: Engine) -> None:
    """A program upgrade brings newer shipped thresholds and rule parameters; the county's stay."""
    from ..reference import merge_shipped  # noqa: PLC0415 (reference imports the model)

    with engine.begin() as conn:
        merge_shipped(conn)


def _check_readable(engine: Engine) -> None:
    """The key opens the file and it holds a store's schema (not a fresh, empty database)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
        if migrate.current_revision(conn) is None:
            raise missing_database_error()


def _check_slot_format(engine: Engine, keyring: KeyRing) -> None:
    """Once every slot of a store carries a MAC, the database says so (meta ``keyslot_mac``), and a slot
    without one — a MAC stripped to hide an edit — is refused from then on."""
    with engine.begin() as conn:
        signed = conn.execute(select(Meta.value).where(Meta.key == SLOT_MAC_FLAG)).scalar_one_or_none()
        if signed and keyring.legacy_opened is not None:
            raise KeySlotCorrupt("密钥文件被改动过：它的校验码被去掉了。",
                                 hint="已拒绝使用。请用恢复码解锁并重设密码，或从备份恢复密钥文件。")
        try:
            keyring.save_upgraded()
        except FileHeldError:  # the slot stays in its old format until an open that can rewrite it
            log.warning("key slot not upgraded: the file is held")
        if not signed and keyring.all_signed():
            conn.execute(insert(Meta).values(key=SLOT_MAC_FLAG, value="1"))


def _check_new_store(path: Path, username: str, village_code: str, password: str) -> None:
    if (path / DESCRIPTOR_NAME).exists() or (path / DB_NAME).exists():
        raise StoreExists(f"这里已经有数据库：{path}", hint="请换一个文件夹，或直接打开它。")
    if not username.strip():
        raise InvalidInput("用户名不能为空。", field="用户名")
    if not (village_code.isdigit() and len(village_code) == 12):
        raise InvalidInput(f"村代码应为12位数字（统计用区划代码），而不是“{village_code}”。", field="村代码",
                           hint="例如 520102003004。")
    check_password_strength(password)


def _fill_new_database(db: Path, data_key: bytes, store_id: str, now: str, village_code: str,
                       village_name: str, username: str, *, demo: bool = False) -> None:
    engine = make_engine(db, data_key)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(insert(Meta), [
                {"key": "store_id", "value": store_id}, {"key": "device_id", "value": uuid.uuid4().hex},
                {"key": "village_code", "value": village_code}, {"key": "village_name", "value": village_name},
                {"key": "created", "value": now}, {"key": SLOT_MAC_FLAG, "value": "1"},
                *([{"key": DEMO_FLAG, "value": "1"}] if demo else []),
            ])
            conn.execute(insert(AppUser).values(id=uuid.uuid4().hex, username=username, role="管理员", active=True,
                                                updated_at=now))
        from ..reference import seed_reference_data  # noqa: PLC0415 (reference imports the model)

        seed_reference_data(engine, village_code=village_code, village_name=village_name)
    finally:
        engine.dispose()
