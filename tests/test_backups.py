"""Automatic backups: kinds, pruning, daily on open, the warning, and restoring (contract 2)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from fupin_desktop.cli import main
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import Household, Member
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.settings import Settings, save_settings
from fupin_desktop.store.backups import (
    auto_backup, backup_warning, daily_backup_if_due, list_backups, replace_with_backup,
)
from fupin_desktop.store.archive import restore_backup
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household

T0 = datetime(2026, 3, 1, 9, 0, 0)


def records(store: Store) -> tuple[list, list]:
    with store.engine.connect() as conn:
        households = conn.execute(select(Household.id, Household.national_hh_no, Household.head_name,
                                         Household.phone, Household.bank_account).order_by(Household.id)).all()
        members = conn.execute(select(Member.id, Member.name, Member.id_no).order_by(Member.id)).all()
    return households, members


def add(store: Store, n: int, start: int = 0) -> None:
    with unit_of_work(store) as uow:
        create_households(uow, [household(f"户主{start + i}", hh_no=f"52010200300{start + i:05d}") for i in range(n)])


def test_restored_backup_has_the_same_records_and_opens_with_password_and_recovery_code(new_store, tmp_path):
    add(new_store, 3)
    before = records(new_store)
    out = auto_backup(new_store, "import", settings=Settings(backup_dir=str(tmp_path / "usb")))
    assert out.parent == tmp_path / "usb" and "-import-" in out.name
    assert b"SQLite format 3" not in out.read_bytes()  # the tar holds the SQLCipher file: nothing in clear
    add(new_store, 2, start=10)  # typed after the backup: not in it
    with Store.open(restore_backup(out, tmp_path / "a"), "admin", PASSWORD) as copy:
        assert records(copy) == before
    with Store.open_with_recovery_code(restore_backup(out, tmp_path / "b"), new_store.recovery_code) as copy:
        assert records(copy) == before


def test_each_kind_keeps_its_last_n(new_store, tmp_path):
    settings = Settings(backup_dir=str(tmp_path / "bk"), backup_keep=2)
    made = [auto_backup(new_store, "import", settings=settings, now=T0 + timedelta(minutes=i)) for i in range(4)]
    daily = auto_backup(new_store, "daily", settings=settings, now=T0)
    left = list_backups(tmp_path / "bk", new_store.store_id)
    assert [b.path for b in left] == [made[3], made[2], daily]  # newest first; the daily one untouched
    assert not made[0].exists() and not made[1].exists()
    with pytest.raises(ValueError):
        auto_backup(new_store, "whenever", settings=settings)


def test_another_stores_backups_in_the_same_folder_are_left_alone(new_store, tmp_path):
    settings = Settings(backup_dir=str(tmp_path / "shared"), backup_keep=1)
    foreign = tmp_path / "shared" / "0badc0de-import-20250101-000000.fupinbak"
    foreign.parent.mkdir()
    foreign.write_bytes(b"someone else's")
    for i in range(3):
        auto_backup(new_store, "import", settings=settings, now=T0 + timedelta(seconds=i))
    assert foreign.exists() and len(list_backups(tmp_path / "shared", new_store.store_id)) == 1


def test_daily_backup_only_when_the_last_is_a_day_old(new_store, tmp_path):
    settings = Settings(backup_dir=str(tmp_path / "bk"))
    assert daily_backup_if_due(new_store, settings=settings, now=T0) is not None  # none yet
    assert daily_backup_if_due(new_store, settings=settings, now=T0 + timedelta(hours=23)) is None
    assert daily_backup_if_due(new_store, settings=settings, now=T0 + timedelta(hours=25)) is not None


def test_warning_when_the_newest_backup_is_old(new_store, tmp_path):
    settings = Settings(backup_dir=str(tmp_path / "bk"), backup_warn_days=7)
    assert "还没有备份" in backup_warning(new_store, settings=settings, now=T0)
    auto_backup(new_store, "daily", settings=settings, now=T0)
    assert backup_warning(new_store, settings=settings, now=T0 + timedelta(days=6)) is None
    assert "8 天前" in backup_warning(new_store, settings=settings, now=T0 + timedelta(days=8))


def test_an_unusable_backup_folder_is_said_in_chinese(new_store, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidInput, match="无法写入备份文件夹"):
        auto_backup(new_store, "import", settings=Settings(backup_dir=str(blocker / "sub")))


def test_cli_opens_make_the_daily_backup_in_the_configured_folder(new_store, tmp_path, monkeypatch, capsys):
    save_settings(Settings(backup_dir=str(tmp_path / "usb")), new_store.store_id, "admin")
    path = str(new_store.path)
    new_store.close()
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    assert main(["stats", "--store", path]) == 0
    assert main(["stats", "--store", path]) == 0
    assert len(list((tmp_path / "usb").glob("*-daily-*.fupinbak"))) == 1  # once a day, not per command
    assert main(["backups", "--store", path, "--now"]) == 0
    out = capsys.readouterr().out
    assert "每日自动" in out and "手动" in out and "共 2 份" in out


def test_replace_with_backup_keeps_the_current_store_beside_it(new_store, tmp_path):
    add(new_store, 2)
    before = records(new_store)
    out = auto_backup(new_store, "manual", now=T0)  # default folder: <store>/backups
    add(new_store, 1, start=20)
    path = new_store.path
    new_store.close()
    safety = replace_with_backup(path, out, now=T0)
    with Store.open(path, "admin", PASSWORD) as restored:
        assert records(restored) == before
    with Store.open(safety, "admin", PASSWORD) as old:
        assert len(records(old)[0]) == 3  # everything typed after the backup is still there
    assert out.exists() and out.parent == path / "backups"  # the backups folder stays with the store


def test_replace_with_a_damaged_file_changes_nothing(new_store, tmp_path):
    add(new_store, 1)
    path = new_store.path
    new_store.close()
    bad = tmp_path / "bad.fupinbak"
    bad.write_bytes(b"not a tar")
    with pytest.raises(InvalidInput):
        replace_with_backup(path, bad)
    assert sorted(p.name for p in path.parent.iterdir()) == ["bad.fupinbak", "store"]
    Store.open(path, "admin", PASSWORD).close()


def test_cli_restore_replace(new_store, tmp_path, monkeypatch, capsys):
    add(new_store, 2)
    out = auto_backup(new_store, "manual")
    add(new_store, 1, start=5)
    path = new_store.path
    new_store.close()
    assert main(["restore", str(out), "--store", str(tmp_path / "nowhere"), "--replace"]) == 3
    assert main(["restore", str(out), "--store", str(path), "--replace"]) == 0
    assert "恢复前" in capsys.readouterr().out
    with Store.open(path, "admin", PASSWORD) as restored:
        assert len(records(restored)[0]) == 2
