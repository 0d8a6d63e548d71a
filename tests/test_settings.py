"""Settings: sane defaults, per store and user, nothing personal in the file, bad values refused or
ignored (a hand-edited file never stops the program)."""

from __future__ import annotations

import json

from fupin_desktop.settings import Settings, load_settings, save_settings, settings_path


def test_defaults_without_a_file_or_a_store():
    assert load_settings() == Settings()
    assert load_settings("a" * 32, "admin") == Settings()
    assert Settings().autolock_minutes == 5 and Settings().mask_public_forms and not Settings().mask_internal_forms


def test_round_trip_per_store_and_user():
    mine = Settings(autolock_minutes=12, backup_dir="/media/usb", backup_keep=3, county_server_url="https://x.cn")
    path = save_settings(mine, "b" * 32, "张老师")
    assert load_settings("b" * 32, "张老师") == mine
    assert load_settings("b" * 32, "admin") == Settings()  # another user
    assert load_settings("c" * 32, "张老师") == Settings()  # another store
    assert "张老师" not in path.name and "b" * 8 not in path.name  # the file name is a hash


def test_wrong_types_fall_back_and_unknown_keys_survive():
    path = settings_path("d" * 32, "admin")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"autolock_minutes": "ten", "backup_keep": 4, "mask_public_forms": 1,
                                "from_a_newer_version": [1, 2]}), "utf-8")
    loaded = load_settings("d" * 32, "admin")
    assert loaded.autolock_minutes == 5 and loaded.backup_keep == 4 and loaded.mask_public_forms is True
    save_settings(loaded, "d" * 32, "admin")
    assert json.loads(path.read_text("utf-8"))["from_a_newer_version"] == [1, 2]
    path.write_text("{broken", "utf-8")
    assert load_settings("d" * 32, "admin") == Settings()


def test_validation_messages_in_chinese(tmp_path):
    bad = Settings(autolock_minutes=0, backup_keep=0, font_path=str(tmp_path / "none.ttf"), county_server_url="ftp://x")
    problems = bad.validate()
    assert len(problems) == 4 and any("自动锁定" in p for p in problems) and any("http" in p for p in problems)
    assert Settings().validate() == []
