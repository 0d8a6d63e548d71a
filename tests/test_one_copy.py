"""One copy of the app per store, and CLI writes beside it that wait their turn (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from fupin_desktop.cli import main
from fupin_desktop.errors import FupinError
from fupin_desktop.model import AppUser, Household
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.store import engine
from fupin_desktop.store.backups import auto_backup, replace_with_backup
from fupin_desktop.store.lock import LOCK_NAME, StoreInUseError, StoreLock, holder
from fupin_desktop.store.store import Store

from .conftest import HOLD, PASSWORD, ROOT
from .factories import household

def count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Household)).scalar_one()


def test_a_second_copy_is_refused_saying_who_holds_the_store(other_copy, store_path):
    with pytest.raises(StoreInUseError) as err:
        StoreLock.acquire(store_path)
    assert f"进程 {other_copy.pid}" in str(err.value) and "另一个扶贫档案窗口" in str(err.value)
    assert holder(store_path).pid == other_copy.pid


def test_the_lock_goes_with_the_process_and_a_stale_file_is_taken_over(store_path):
    store_path.mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-c", HOLD, str(store_path)], cwd=ROOT, input="", text=True,
                          capture_output=True, check=True)
    assert proc.stdout.strip() == "held"
    assert json.loads((store_path / LOCK_NAME).read_text("utf-8"))["pid"] != os.getpid()  # left behind
    assert holder(store_path) is None  # its process has ended: whatever the file says, it is stale
    lock = StoreLock.acquire(store_path)
    assert holder(store_path).pid == os.getpid()
    lock.release()
    assert holder(store_path) is None and StoreLock.acquire(store_path).held


def test_restore_replace_is_refused_while_the_app_has_the_store(other_copy, new_store, store_path):
    backup = auto_backup(new_store, "manual")
    new_store.close()
    with pytest.raises(StoreInUseError):
        replace_with_backup(store_path, backup)
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["store"]


def test_a_cli_write_beside_the_open_store_waits_and_succeeds(new_store, store_path, monkeypatch):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("FUPIN_NEW_PASSWORD", PASSWORD + "-new")
    result: dict[str, object] = {}

    def cli() -> None:
        started = time.monotonic()
        result["code"] = main(["user", "add", "--name", "村干部乙", "--store", str(store_path)])
        result["seconds"] = time.monotonic() - started

    with unit_of_work(new_store) as uow:  # the app, in the middle of a save
        create_households(uow, [household("户主甲", hh_no="5201020030000001")])
        thread = threading.Thread(target=cli)
        thread.start()
        time.sleep(2.0)  # the CLI has opened the store, read, and is waiting for the write lock
        assert thread.is_alive()
    thread.join(timeout=60)
    assert result["code"] == 0
    assert count(new_store) == 1  # both writes are there
    with new_store.engine.connect() as conn:
        assert conn.execute(select(AppUser.username).where(AppUser.username == "村干部乙")).scalar_one()


def test_a_write_that_waits_too_long_says_so_and_saves_nothing(new_store, store_path, monkeypatch):
    monkeypatch.setattr(engine, "CONNECTION_PRAGMAS",
                        tuple(p for p in engine.CONNECTION_PRAGMAS if "busy_timeout" not in p)
                        + ("PRAGMA busy_timeout = 200",))
    with Store.open(store_path, "admin", PASSWORD) as beside, unit_of_work(new_store) as uow:
        create_households(uow, [household("户主甲", hh_no="5201020030000001")])
        with pytest.raises(FupinError, match="另一个程序"), unit_of_work(beside) as other:
            create_households(other, [household("户主乙", hh_no="5201020030000002")])
    assert count(new_store) == 1
