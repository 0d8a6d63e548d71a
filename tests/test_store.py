"""The encrypted store: key slots, wrong passwords, damaged files, backups (contract 1 and 7)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from fupin_desktop.errors import (
    EncryptionUnavailable,
    InvalidInput,
    KeySlotCorrupt,
    StoreCorrupt,
    StoreExists,
    StoreNotFound,
    UnknownUser,
    WrongPassword,
)
from fupin_desktop.model import Household
from fupin_desktop.services.checks import verify_store
from fupin_desktop.services.households import create_households
from fupin_desktop.services.users import add_user
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store import engine as engine_module
from fupin_desktop.store.keyslots import KeyRing, tuned_kdf_params
from fupin_desktop.store.archive import restore_backup
from fupin_desktop.store.store import Store

from .conftest import PASSWORD, VILLAGE
from .factories import household


def snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def add_household(store: Store, **kw) -> str:
    with unit_of_work(store) as uow:
        return create_households(uow, [household(**kw)])[0]


def count_households(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Household)).scalar_one()


def test_database_file_is_encrypted_and_uses_raw_key(new_store):
    add_household(new_store)
    header = (new_store.path / "fupin.db").read_bytes()[:16]
    assert header != b"SQLite format 3\x00"
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(new_store.path / "fupin.db").execute("select * from sqlite_master").fetchall()
    with new_store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA cipher_version")).scalar()
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA temp_store")).scalar() == 2  # MEMORY


def test_refuses_a_sqlite_without_sqlcipher():
    plain = sqlite3.connect(":memory:")
    with pytest.raises(EncryptionUnavailable, match="明文"):
        engine_module._on_connect(plain, None)


def test_reopen_with_password_and_recovery_code(new_store):
    add_household(new_store)
    path, code = new_store.path, new_store.recovery_code
    new_store.close()
    with Store.open(path, "admin", PASSWORD) as s:
        assert count_households(s) == 1
    with Store.open_with_recovery_code(path, code.lower().replace("-", " ")) as s:
        assert count_households(s) == 1


def test_wrong_password_is_clear_slows_down_and_changes_nothing(new_store):
    path = new_store.path
    new_store.close()
    before = snapshot(path)
    ring = Store.keyring_for(path)
    for expected_failures in (1, 2, 3):
        with pytest.raises(WrongPassword, match="密码不正确"):
            Store.open(path, "admin", "not-the-password")
        assert ring.failures("admin") == expected_failures
    assert KeyRing(ring.dir, ring.store_id, unlock_delay_base=1.0).delay_seconds("admin") == 4.0  # 1, 2, 4 …
    after = snapshot(path)
    assert {k: v for k, v in after.items() if "failures" not in k} == before
    with Store.open(path, "admin", PASSWORD):
        assert ring.failures("admin") == 0  # a success resets the delay
    with pytest.raises(UnknownUser):
        Store.open(path, "nobody", PASSWORD)
    with pytest.raises(WrongPassword, match="恢复码"):
        Store.open_with_recovery_code(path, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")


def test_growing_delay_is_capped():
    ring = KeyRing(Path("/nonexistent"), "x", unlock_delay_base=1.0)
    ring.lockout.failures = lambda who: 20  # type: ignore[method-assign]
    assert ring.delay_seconds("admin") == 30.0


def _password_slot(path: Path) -> Path:
    for slot in (path / "keys").glob("*.slot"):
        if json.loads(slot.read_text())["kind"] == "password":
            return slot
    raise AssertionError("no password slot")


@pytest.mark.parametrize("damage", ["truncate", "edit-wrapped-key", "edit-kdf", "garbage"])
def test_damaged_key_slot_is_reported_as_such(new_store, damage):
    path = new_store.path
    new_store.close()
    slot = _password_slot(path)
    raw = slot.read_bytes()
    doc = json.loads(raw)
    if damage == "truncate":
        slot.write_bytes(raw[: len(raw) // 2])
    elif damage == "edit-wrapped-key":
        wrapped = doc["wrapped_key"]
        doc["wrapped_key"] = ("A" if wrapped[0] != "A" else "B") + wrapped[1:]
        slot.write_text(json.dumps(doc))
    elif damage == "edit-kdf":
        doc["kdf"]["iterations"] += 1
        slot.write_text(json.dumps(doc))
    else:
        slot.write_bytes(b"\x00\xff" * 40)
    before = snapshot(path)
    with pytest.raises(KeySlotCorrupt, match="密钥文件已损坏"):
        Store.open(path, "admin", PASSWORD)
    assert snapshot(path) == before
    # The recovery code still opens the store: one broken slot does not lock everybody out.
    with Store.open_with_recovery_code(path, new_store.recovery_code):
        pass


def test_flipped_byte_in_database_is_reported_and_nothing_changes(new_store):
    for i in range(30):
        add_household(new_store, hh_no=f"H{i:04d}")
    path = new_store.path
    new_store.close()
    db = path / "fupin.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x01
    db.write_bytes(bytes(data))
    before = snapshot(path)
    with pytest.raises(StoreCorrupt, match="已损坏"):
        with Store.open(path, "admin", PASSWORD) as store:
            problems = verify_store(store)
            if problems:
                raise StoreCorrupt("数据库文件已损坏：" + problems[0])
            count_households(store)
            with store.engine.connect() as conn:
                conn.execute(text("SELECT * FROM member")).all()
    after = snapshot(path)
    assert after["fupin.db"] == before["fupin.db"]


def test_flipped_byte_in_first_page_fails_on_open(new_store):
    path = new_store.path
    new_store.close()
    db = path / "fupin.db"
    data = bytearray(db.read_bytes())
    data[100] ^= 0xFF
    db.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt):
        Store.open(path, "admin", PASSWORD)


def test_password_change_rewraps_one_slot_and_old_password_fails(new_store):
    add_household(new_store)
    path = new_store.path
    new_store.close()  # checkpoints the WAL into the database file
    db_before = (path / "fupin.db").read_bytes()
    with Store.open(path, "admin", PASSWORD) as store:
        store.change_password("admin", "a-new-password-2")
    assert (path / "fupin.db").read_bytes() == db_before  # the database is not rewritten
    with pytest.raises(WrongPassword):
        Store.open(path, "admin", PASSWORD)
    with Store.open(path, "admin", "a-new-password-2") as s:
        assert count_households(s) == 1
    assert len(list((path / "keys").glob("*.slot"))) == 2  # one password slot, one recovery slot


def test_add_user_and_recovery_flow(new_store):
    add_user(new_store, "wangwu", "wangwu-password", display_name="王五")
    with pytest.raises(InvalidInput, match="已存在"):
        add_user(new_store, "wangwu", "another-password")
    with pytest.raises(InvalidInput, match="太短"):
        add_user(new_store, "zhaoliu", "short")
    path, code = new_store.path, new_store.recovery_code
    new_store.close()
    with Store.open(path, "wangwu", "wangwu-password") as s:
        assert s.username == "wangwu"
    with Store.open_with_recovery_code(path, code) as s:
        s.change_password("admin", "reset-by-recovery")
        new_code = s.new_recovery_code()
    with Store.open(path, "admin", "reset-by-recovery"):
        pass
    with pytest.raises(WrongPassword):
        Store.open_with_recovery_code(path, code)
    Store.open_with_recovery_code(path, new_code).close()


def test_create_refuses_existing_store_and_missing_store_is_clear(new_store, tmp_path):
    with pytest.raises(StoreExists):
        Store.create(new_store.path, village_code=VILLAGE, village_name="x", username="a", password=PASSWORD)
    with pytest.raises(StoreNotFound, match="没有数据库"):
        Store.open(tmp_path / "nothing", "admin", PASSWORD)


def test_backup_is_encrypted_and_restores_with_the_same_password(new_store, tmp_path):
    add_household(new_store, head="赵大")
    out = new_store.backup(tmp_path / "b" / "village")
    assert out.suffix == ".fupinbak"
    assert "赵大".encode() not in out.read_bytes()
    restored = restore_backup(out, tmp_path / "restored")
    with Store.open(restored, "admin", PASSWORD) as s:
        assert count_households(s) == 1
    with pytest.raises(StoreExists):
        restore_backup(out, tmp_path / "restored")
    bad = tmp_path / "bad.fupinbak"
    bad.write_bytes(b"not a backup")
    with pytest.raises(InvalidInput, match="备份文件无法读取"):
        restore_backup(bad, tmp_path / "other")


def test_product_kdf_defaults_are_memory_hard(monkeypatch):
    monkeypatch.delenv("FUPIN_TEST_SUITE", raising=False)
    monkeypatch.delenv("FUPIN_KDF_MEMORY_KIB", raising=False)
    monkeypatch.delenv("FUPIN_KDF_ITERATIONS", raising=False)
    params = tuned_kdf_params(target_seconds=0.05)
    assert params.memory_kib >= 64 * 1024
    assert params.iterations >= 2


def test_a_unit_of_works_sqlite_settings_last_through_its_commit_and_are_set_back(new_store):
    """A big down package's settings (sync/down.py BULK_PRAGMAS) hold for its unit of work, commit
    included, and the pooled connection goes back as it came, also after a failure."""
    def settings(conn) -> tuple:
        return tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("cache_size", "wal_autocheckpoint"))

    with new_store.engine.connect() as conn:
        before = settings(conn)
    wanted = {"cache_size": -65536, "wal_autocheckpoint": 20000}
    with unit_of_work(new_store, pragmas=wanted) as uow:
        assert settings(uow.conn) == (-65536, 20000)
    with pytest.raises(ValueError), unit_of_work(new_store, pragmas=wanted):
        raise ValueError("a failure inside")
    for _ in range(3):  # whichever pooled connection comes
        with new_store.engine.connect() as conn:
            assert settings(conn) == before
