"""Lockout that cannot lock out (issue 12, item 6) and rollback detection (item 7)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fupin_desktop.cli import main
from fupin_desktop.errors import StoreRolledBack, WrongPassword
from fupin_desktop.services.users import add_user
from fupin_desktop.store.backups import auto_backup, replace_with_backup
from fupin_desktop.store.keyslots import KeyRing
from fupin_desktop.store.lockout import FAILURE_CAP
from fupin_desktop.store.rollback import GUARD_NAME
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .test_crash import _kill_during_write
from .test_store import add_household, count_households, snapshot

ROOT = Path(__file__).resolve().parent.parent
_WRONG_TRY = """
import sys
from fupin_desktop.errors import WrongPassword
from fupin_desktop.store.store import Store
try:
    Store.open(sys.argv[1], "admin", "not-the-password")
except WrongPassword:
    sys.exit(0)
sys.exit(1)
"""


def test_ten_parallel_failures_are_counted_exactly(new_store):
    path = new_store.path
    new_store.close()
    tries = [subprocess.Popen([sys.executable, "-c", _WRONG_TRY, str(path)], cwd=ROOT, env={**os.environ},
                              stderr=subprocess.PIPE) for _ in range(10)]
    results = [(t.wait(timeout=120), t.stderr.read() if t.stderr else b"") for t in tries]
    assert results == [(0, b"")] * 10  # each a clean "wrong password", no FileNotFoundError
    ring = Store.keyring_for(path)
    assert ring.failures("admin") == 10
    assert ring.failures(None) == 0  # the recovery code's own counter is untouched


def test_the_counter_is_capped_and_never_overflows(new_store):
    path = new_store.path
    new_store.close()
    (path / "keys" / "unlock-state.json").write_text(json.dumps({"failures": 1025}))  # the old counter, edited
    ring = KeyRing(path / "keys", Store.keyring_for(path).store_id, unlock_delay_base=1.0)
    for _ in range(1100):
        ring.lockout.record_failure(ring.user_hash("admin")[:32])
    assert ring.failures("admin") == FAILURE_CAP
    assert len(list((path / "keys" / "failures").iterdir())) == FAILURE_CAP  # the disk does not fill
    assert ring.delay_seconds("admin") == 30.0
    Store.open(path, "admin", PASSWORD).close()
    assert ring.failures("admin") == 0


def test_failures_are_per_user_and_never_delay_the_recovery_code(new_store):
    add_user(new_store, "wangwu", "wangwu-password")
    path, code = new_store.path, new_store.recovery_code
    new_store.close()
    for _ in range(20):
        with pytest.raises(WrongPassword):
            Store.open(path, "admin", "not-the-password")
    ring = KeyRing(path / "keys", Store.keyring_for(path).store_id, unlock_delay_base=1.0)
    assert ring.delay_seconds("admin") == 30.0
    assert ring.delay_seconds("wangwu") == 0.0
    assert ring.delay_seconds(None) == 0.0  # the recovery code
    with Store.open_with_recovery_code(path, code) as store:
        store.change_password("admin", "reset-after-failures")
    Store.open(path, "admin", "reset-after-failures").close()


def _roll_back(store: Store) -> Path:
    """Copy the database, make changes, put the old copy back (as with the "恢复前" folder)."""
    add_household(store, head="赵大")
    path = store.path
    store.close()
    shutil.copy2(path / "fupin.db", path.parent / "old.db")
    with Store.open(path, "admin", PASSWORD) as again:
        add_household(again, head="钱二")
    shutil.copy2(path.parent / "old.db", path / "fupin.db")
    return path


def test_an_older_database_put_back_is_refused_and_verify_says_so(new_store, monkeypatch, capsys):
    path = _roll_back(new_store)
    before = snapshot(path)
    with pytest.raises(StoreRolledBack, match="数据库被替换为旧版本"):
        Store.open(path, "admin", PASSWORD)
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["stats", "--store", str(path)]) == 6
    err = capsys.readouterr().err
    assert "数据库被替换为旧版本" in err and "fupin restore" in err
    assert main(["verify", "--store", str(path)]) == 6
    assert "数据库被替换为旧版本" in capsys.readouterr().err
    assert snapshot(path) == before  # refused: nothing written, no backup of the old copy made


def test_no_false_rollback_after_close_open_crash_and_restore(new_store, tmp_path, monkeypatch):
    path = new_store.path
    add_household(new_store)
    backup = auto_backup(new_store, "manual")
    new_store.close()
    for _ in range(3):
        with Store.open(path, "admin", PASSWORD) as store:
            add_household(store)
    rng = random.Random(3)
    for run in range(3):
        _kill_during_write(path, run, rng.uniform(0.3, 1.0))
        Store.open(path, "admin", PASSWORD).close()
    replace_with_backup(path, backup)  # deliberately older: the counter starts afresh
    assert not (path / GUARD_NAME).exists()
    with Store.open(path, "admin", PASSWORD) as store:
        assert count_households(store) == 1
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["verify", "--store", str(path)]) == 0


def test_the_counter_file_follows_commits_while_the_store_stays_open(new_store, monkeypatch):
    monkeypatch.setattr("fupin_desktop.store.store.REMEMBER_EVERY", 0.0)
    path = new_store.path
    first = (path / GUARD_NAME).read_bytes()
    add_household(new_store)
    assert (path / GUARD_NAME).read_bytes() != first  # raised after the commit, before any close
    new_store.close()


def test_a_counter_file_forged_without_the_key_is_ignored(new_store):
    path = new_store.path
    new_store.close()
    doc = json.loads((path / GUARD_NAME).read_text())
    doc["wall"] += 10**9  # "the database is far behind", but the MAC cannot be made without the data key
    (path / GUARD_NAME).write_text(json.dumps(doc))
    Store.open(path, "admin", PASSWORD).close()
    assert json.loads((path / GUARD_NAME).read_text())["wall"] < doc["wall"]  # replaced by an authentic one
