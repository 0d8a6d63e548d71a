"""Files held by another process, as on Windows (issue 19): tests/winfs.py makes renames, replaces and
deletes of a held file fail with PermissionError, the way an antivirus scan, OneDrive or WPS does."""

from __future__ import annotations

import io
import logging
from contextlib import redirect_stderr
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from fupin_desktop import fsutil
from fupin_desktop.cli import main
from fupin_desktop.fsutil import HELD_MESSAGE, FileHeldError, write_atomic
from fupin_desktop.logs import SharedRotatingFileHandler
from fupin_desktop.model import Household
from fupin_desktop.settings import Settings, save_settings
from fupin_desktop.store.backups import auto_backup, list_backups, replace_with_backup
from fupin_desktop.store.rollback import GUARD_NAME
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .test_backups import add

T0 = datetime(2026, 3, 1, 9, 0, 0)


def households(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Household)).scalar_one()


# ---- the retry helper ------------------------------------------------------------------------
def test_a_scan_that_ends_is_waited_out_and_the_file_replaced(winfs, tmp_path):
    target = tmp_path / "settings.json"
    target.write_bytes(b"old")
    with winfs.hold(target, attempts=2):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and len(winfs.refused) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_a_file_that_stays_held_is_a_clear_message_and_nothing_changed(winfs, tmp_path):
    target = tmp_path / "settings.json"
    target.write_bytes(b"old")
    with winfs.hold(target), pytest.raises(FileHeldError) as err:
        write_atomic(target, b"new")
    assert HELD_MESSAGE in str(err.value) and "没有做任何改动" in str(err.value)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]  # no temporary file left


def test_without_the_held_file_the_layer_changes_nothing(winfs, tmp_path):
    (tmp_path / "a").write_text("x")
    fsutil.rename(tmp_path / "a", tmp_path / "b")
    fsutil.remove(tmp_path / "b")
    assert not list(tmp_path.iterdir()) and winfs.refused == []


# ---- unlocking while the unlock state is held ------------------------------------------------
def test_the_correct_password_works_while_the_unlock_state_is_held(winfs, new_store, store_path):
    new_store.close()
    with pytest.raises(Exception, match="密码"):
        Store.open(store_path, "admin", "wrong-password-1")
    [failure] = list((store_path / "keys" / "failures").glob("*.fail"))
    (store_path / GUARD_NAME).unlink()  # as after a restore: the open writes the counter afresh
    with winfs.hold(failure), winfs.hold(store_path / GUARD_NAME):
        with Store.open(store_path, "admin", PASSWORD) as store:  # neither file can be replaced or deleted
            assert households(store) == 0
    assert str(failure) in winfs.refused and str(store_path / GUARD_NAME) in winfs.refused
    with Store.open(store_path, "admin", PASSWORD):  # released: the next success clears the counter
        pass
    assert not list((store_path / "keys" / "failures").glob("*.fail"))


# ---- backups held ------------------------------------------------------------------------------
def test_pruning_leaves_a_held_backup_for_later(winfs, new_store, tmp_path):
    settings = Settings(backup_dir=str(tmp_path / "bk"), backup_keep=1)
    first = auto_backup(new_store, "import", settings=settings, now=T0)
    with winfs.hold(first):
        second = auto_backup(new_store, "import", settings=settings, now=T0 + timedelta(minutes=1))
    assert first.exists() and second.exists()
    third = auto_backup(new_store, "import", settings=settings, now=T0 + timedelta(minutes=2))
    assert [b.path for b in list_backups(tmp_path / "bk", new_store.store_id)] == [third]


def test_commands_work_while_a_backup_is_held(winfs, new_store, store_path, tmp_path, monkeypatch):
    add(new_store, 2)
    save_settings(Settings(backup_keep=1), new_store.store_id, "admin")
    old = auto_backup(new_store, "daily", now=datetime.now() - timedelta(days=3))  # the daily one is due
    new_store.close()
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    with winfs.hold(old):
        assert main(["stats", "--store", str(store_path)]) == 0  # the daily backup is made, pruning skips
        assert main(["backups", "--now", "--store", str(store_path)]) == 0
    assert old.exists() and len(list_backups(store_path / "backups", new_store.store_id)) == 3


# ---- restore --replace, all or nothing -----------------------------------------------------------
def test_a_restore_whose_second_rename_fails_leaves_the_original_store_working(winfs, new_store, store_path):
    backup = auto_backup(new_store, "manual", now=T0)
    add(new_store, 3)
    new_store.close()
    staging = store_path.with_name(f".{store_path.name}.restoring-{T0:%Y%m%d-%H%M%S}")
    with winfs.hold(staging / "store.json"), pytest.raises(FileHeldError):  # staging → store fails
        replace_with_backup(store_path, backup, now=T0)
    assert any("restoring" in p for p in winfs.refused)
    # Put back as it was; of the unpacked backup only the file still held remains (as on Windows).
    assert sorted(p.name for p in store_path.parent.iterdir()) == [staging.name, "store"]
    assert [p.name for p in staging.rglob("*")] == ["store.json"]
    with Store.open(store_path, "admin", PASSWORD) as store:
        assert households(store) == 3
    assert len(list_backups(store_path / "backups", store.store_id)) == 1


def test_restore_replace_with_a_held_backup_folder_says_so_and_changes_nothing(winfs, new_store, store_path,
                                                                               monkeypatch):
    backup = auto_backup(new_store, "manual", now=T0)
    add(new_store, 2)
    new_store.close()
    err = io.StringIO()
    with winfs.hold(backup), redirect_stderr(err):
        code = main(["restore", str(backup), "--replace", "--store", str(store_path)])
    assert code != 0 and HELD_MESSAGE in err.getvalue() and "内部错误" not in err.getvalue()
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["store"]
    with Store.open(store_path, "admin", PASSWORD) as store:
        assert households(store) == 2


def test_restore_replace_succeeds_once_a_short_scan_ends(winfs, new_store, store_path):
    backup = auto_backup(new_store, "manual", now=T0)
    add(new_store, 2)
    new_store.close()
    with winfs.hold(store_path / "fupin.db", attempts=2):
        safety = replace_with_backup(store_path, backup, now=T0)
    with Store.open(store_path, "admin", PASSWORD) as store:
        assert households(store) == 0
    with Store.open(safety, "admin", PASSWORD) as before:
        assert households(before) == 2


# ---- the log file ---------------------------------------------------------------------------------
def test_log_rotation_under_a_held_file_loses_no_line_and_prints_no_traceback(winfs, tmp_path, capsys):
    path = tmp_path / "fupin.log"
    handler = SharedRotatingFileHandler(path, maxBytes=2_000, backupCount=2, encoding="utf-8", delay=True)
    logger = logging.getLogger("winfs-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with winfs.hold(path):
            for n in range(200):
                logger.warning("line %05d", n)
        handler.RETRY_AFTER = 0.0
        handler._next_try = 0.0
        for n in range(200, 260):
            logger.warning("line %05d", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = "".join(p.read_text("utf-8") for p in tmp_path.glob("fupin.log*"))
    assert [f"line {n:05d}" for n in range(260)] == sorted(line for line in text.splitlines())
    assert "Logging error" not in capsys.readouterr().err
    assert len(list(tmp_path.glob("fupin.log*"))) >= 2  # rotated once the file was free
