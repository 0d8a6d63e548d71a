"""Damaged stores end in clear messages (issue 12, item 5): a missing or empty database, a corrupt
page while the daily backup is due, edited key slots, a malformed store.json."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from fupin_desktop.cli import main
from fupin_desktop.errors import KeySlotCorrupt, StoreCorrupt, WrongPassword
from fupin_desktop.store import kdf
from fupin_desktop.store.keyslots import LEGACY_FORMAT, SLOT_FORMAT, _checksum
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .test_store import add_household, snapshot


def _closed(store: Store) -> Path:
    path = store.path
    store.close()
    return path


def _edit_slot(path: Path, change: Any) -> None:
    """Edit admin's slot the way someone with a text editor would, checksum recomputed."""
    for slot in (path / "keys").glob("*.slot"):
        doc = json.loads(slot.read_text())
        if doc["kind"] == "password":
            doc.pop("checksum")
            change(doc)
            doc["checksum"] = _checksum(doc)
            slot.write_text(json.dumps(doc))
            return
    raise AssertionError("no password slot")


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_an_empty_or_missing_database_is_said_and_nothing_is_written(new_store, damage, monkeypatch, capsys):
    path = _closed(new_store)
    db = path / "fupin.db"
    db.write_bytes(b"") if damage == "empty" else db.unlink()
    before = snapshot(path)
    with pytest.raises(StoreCorrupt, match="数据库文件丢失或为空，请从备份恢复"):
        Store.open(path, "admin", PASSWORD)
    with pytest.raises(StoreCorrupt, match="数据库文件丢失或为空"):
        Store.open_with_recovery_code(path, new_store.recovery_code)
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["stats", "--store", str(path)]) == 6
    assert "数据库文件丢失或为空" in capsys.readouterr().err
    assert snapshot(path) == before


def _corrupt_a_late_page(store: Store) -> Path:
    """A table nothing else reads, filled last so its pages sit at the end of the file; then one of
    them is damaged, as a failing disk would."""
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE ballast (x BLOB)"))
        for _ in range(40):
            conn.execute(text("INSERT INTO ballast VALUES (randomblob(3000))"))
    path = _closed(store)
    db = path / "fupin.db"
    data = bytearray(db.read_bytes())
    page = len(data) // 4096 - 3
    data[page * 4096 + 200 : page * 4096 + 260] = bytes(60)
    db.write_bytes(bytes(data))
    return path


def test_a_corrupt_page_with_the_daily_backup_due_is_reported_and_blocks_nothing(new_store, tmp_path, monkeypatch,
                                                                                 capsys):
    add_household(new_store, head="赵大")
    good = new_store.backup(tmp_path / "good")  # outside the backups folder: the daily one is still due
    path = _corrupt_a_late_page(new_store)
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["verify", "--store", str(path)]) == 6
    err = capsys.readouterr().err
    assert "加密校验" in err and "程序内部错误" not in err
    assert main(["check", "--store", str(path)]) == 0
    captured = capsys.readouterr()
    assert "今天的自动备份没有完成" in captured.err and "损坏" in captured.err
    assert "程序内部错误" not in captured.err and "户" in captured.out
    assert not list((path / "backups").glob("*.fupinbak"))  # no half-made backup left behind
    assert main(["restore", str(good), "--store", str(path), "--replace"]) == 0
    assert main(["verify", "--store", str(path)]) == 0


def test_an_edited_slot_asking_for_huge_memory_or_iterations_is_refused_at_once(new_store):
    path = _closed(new_store)
    for field, value in (("memory_kib", 2**30), ("iterations", 10**9), ("lanes", "4")):
        _edit_slot(path, lambda doc, field=field, value=value: doc["kdf"].update({field: value}))
        before = snapshot(path)
        started = time.monotonic()
        with pytest.raises(KeySlotCorrupt, match="参数超出允许范围"):
            Store.open(path, "admin", PASSWORD)
        assert time.monotonic() - started < 5
        assert snapshot(path) == before
    Store.open_with_recovery_code(path, new_store.recovery_code).close()  # the other slot still opens


def test_a_slot_moved_to_another_user_is_caught_by_its_mac(new_store):
    path = _closed(new_store)
    ring = Store.keyring_for(path)
    _edit_slot(path, lambda doc: doc.update(user_hash=ring.user_hash("mallory")))
    before = snapshot(path)
    with pytest.raises(KeySlotCorrupt, match="密钥文件被改动过"):
        Store.open(path, "mallory", PASSWORD)  # without the MAC, admin's password would open it as "mallory"
    assert snapshot(path) == before


def test_an_edited_parameter_within_bounds_is_not_taken_for_a_plain_wrong_password(new_store):
    path = _closed(new_store)
    _edit_slot(path, lambda doc: doc["kdf"].update(lanes=2))
    with pytest.raises(WrongPassword) as caught:
        Store.open(path, "admin", PASSWORD)
    assert "密钥文件可能被改动过" in str(caught.value)


def _strip_mac(doc: dict[str, Any]) -> None:
    doc.pop("mac")
    doc["format"] = LEGACY_FORMAT


def test_a_legacy_slot_is_upgraded_with_a_mac_at_its_first_unlock(new_store):
    with new_store.engine.begin() as conn:  # a store made before slots had MACs
        conn.execute(text("DELETE FROM meta WHERE key = 'keyslot_mac'"))
    path = _closed(new_store)
    _edit_slot(path, _strip_mac)
    Store.open(path, "admin", PASSWORD).close()
    formats = {json.loads(p.read_text())["format"] for p in (path / "keys").glob("*.slot")}
    assert formats == {SLOT_FORMAT}
    Store.open(path, "admin", PASSWORD).close()


def test_a_stripped_mac_does_not_hide_an_edit(new_store):
    path = _closed(new_store)
    ring = Store.keyring_for(path)
    _edit_slot(path, lambda doc: (_strip_mac(doc), doc.update(user_hash=ring.user_hash("mallory"))))
    before = snapshot(path)
    with pytest.raises(KeySlotCorrupt, match="密钥文件被改动过"):
        Store.open(path, "mallory", PASSWORD)
    assert snapshot(path) == before


@pytest.mark.parametrize("doc", [
    {"format": "fupin-store/1", "store_id": 12345},
    {"format": "fupin-store/1"},
    {"format": "fupin-store/1", "store_id": "not-a-uuid"},
    ["fupin-store/1"],
    {"format": 1, "store_id": "0" * 32},
])
def test_a_malformed_store_json_is_a_clear_message(new_store, doc, monkeypatch, capsys):
    path = _closed(new_store)
    (path / "store.json").write_text(json.dumps(doc))
    before = snapshot(path)
    with pytest.raises(StoreCorrupt, match="store.json 不正确"):
        Store.open(path, "admin", PASSWORD)
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["verify", "--store", str(path)]) == 6
    assert "store.json 不正确" in capsys.readouterr().err
    assert snapshot(path) == before


def test_weak_kdf_settings_need_the_test_suite_token(monkeypatch):
    monkeypatch.setenv("FUPIN_KDF_MEMORY_KIB", "8192")
    monkeypatch.setenv("FUPIN_KDF_ITERATIONS", "1")
    monkeypatch.setenv("FUPIN_UNLOCK_DELAY", "0")
    assert kdf.tuned_kdf_params().memory_kib == 8192  # the suite's own token is set by conftest
    monkeypatch.delenv("FUPIN_TEST_SUITE")
    params = kdf.tuned_kdf_params(target_seconds=0.05)
    assert params.memory_kib >= 64 * 1024 and params.iterations >= 2
    assert kdf.unlock_delay_base() == 1.0
    monkeypatch.setenv("FUPIN_TEST_SUITE", "1")
    assert kdf.tuned_kdf_params(target_seconds=0.05).memory_kib >= 64 * 1024
    monkeypatch.setenv("FUPIN_TEST_SUITE", kdf.TEST_SUITE_TOKEN)
    monkeypatch.setattr("sys.frozen", True, raising=False)
    assert kdf.tuned_kdf_params(target_seconds=0.05).memory_kib >= 64 * 1024  # never in a frozen build
