"""The sync and county commands as county IT and a first secretary's script would run them
(PostgreSQL county database, as in production)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from fupin_desktop.cli import main
from fupin_desktop.store.store import Store

from .conftest import COUNTY_PASSPHRASE, PASSWORD, VILLAGE
from .sync_support import add_household, edit


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("FUPIN_COUNTY_PASSWORD", COUNTY_PASSPHRASE)


def _json(capsys, *argv: str):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_village_to_county_and_back_by_cli(tmp_path, county_db_url, env, capsys):
    db = ["--db-url", county_db_url]
    assert main(["county", "init", "--name", "测试县", *db]) == 0
    assert main(["county", "enroll", "--village-code", VILLAGE, "--label", "一号机", "-o",
                 str(tmp_path / "e.fupinenroll"), *db]) == 0
    store, _ = Store.create(tmp_path / "v", village_code=VILLAGE, village_name="测试村", username="admin",
                            password=PASSWORD)
    hh = add_household(store)
    store.close()
    s = ["--store", str(tmp_path / "v")]
    assert main(["enroll", *s, str(tmp_path / "e.fupinenroll")]) == 0
    assert main(["sync", "export", *s, "--out", str(tmp_path / "usb")]) == 0
    assert "个变更包。拔出U盘前请先在文件管理器里“弹出”" in capsys.readouterr().out
    [report] = _json(capsys, "county", "import", str(tmp_path / "usb"), "--json", "--ack-dir", str(tmp_path / "acks"),
                     *db)
    assert report["status"] == "imported" and report["counts"]["created"] > 0
    acks = sorted((tmp_path / "acks").glob("*.fupinack"))
    assert len(acks) == 1
    assert main(["sync", "apply", *s, str(acks[0])]) == 0
    status = _json(capsys, "sync", "status", *s, "--json")
    assert status["registered"] and status["changes"]["已确认"] > 0 and status["changes"]["未发送"] == 0
    # Replaying the same acknowledgment is harmless.
    assert main(["sync", "apply", *s, str(acks[0])]) == 0
    assert "已经处理过" in capsys.readouterr().out
    stats = _json(capsys, "county", "stats", "--json", *db)
    assert stats["households"] == 1 and stats["townships"][VILLAGE[:9]]["villages"][VILLAGE]["people"] == 3
    devices = _json(capsys, "county", "devices", "--json", *db)
    assert devices[0]["label"] == "一号机" and devices[0]["last_number"] == 1
    # An edit travels as the next package; the repeated first one is reported as already imported.
    with Store.open(tmp_path / "v", "admin", PASSWORD) as store:
        edit(store, hh, phone="13900000001")
    assert main(["sync", "export", *s, "--out", str(tmp_path / "usb")]) == 0
    reports = _json(capsys, "county", "import", str(tmp_path / "usb"), "--json", *db)
    assert sorted(r["status"] for r in reports) == ["already_imported", "imported"]
    assert _json(capsys, "county", "conflicts", "--json", *db) == []


def test_wrong_county_passphrase_is_refused_in_chinese(tmp_path, county_db_url, monkeypatch, capsys):
    monkeypatch.setenv("FUPIN_COUNTY_PASSWORD", COUNTY_PASSPHRASE)
    assert main(["county", "init", "--name", "测试县", "--db-url", county_db_url]) == 0
    monkeypatch.setenv("FUPIN_COUNTY_PASSWORD", "not-the-passphrase")
    code = main(["county", "enroll", "--village-code", VILLAGE, "--label", "x", "-o", str(tmp_path / "e"),
                 "--db-url", county_db_url])
    assert code == 4 and "口令不正确" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_device_commands_say_what_is_missing(tmp_path, env, capsys):
    store, _ = Store.create(tmp_path / "v", village_code=VILLAGE, village_name="测试村", username="admin",
                            password=PASSWORD)
    store.close()
    assert main(["sync", "export", "--store", str(tmp_path / "v"), "--out", str(tmp_path / "usb")]) == 9
    assert "没有加入县里的同步" in capsys.readouterr().err
    (tmp_path / "bad.fupinenroll").write_text("{}", "utf-8")
    assert main(["enroll", "--store", str(tmp_path / "v"), str(tmp_path / "bad.fupinenroll")]) == 2
    err = capsys.readouterr().err
    assert "不是有效的入网文件" in err and "Traceback" not in err


def test_county_commands_on_an_uninitialised_database_say_so(county_db_url, capsys):
    assert main(["county", "stats", "--db-url", county_db_url]) == 10
    assert "还没有初始化" in capsys.readouterr().err


def test_a_township_clerk_gets_the_township_by_usb_through_the_commands(tmp_path, county_db_url, env, capsys):
    db = ["--db-url", county_db_url]
    assert main(["county", "init", "--name", "测试县", *db]) == 0
    for name, township in (("village", False), ("clerk", True)):
        assert main(["county", "enroll", "--village-code", VILLAGE, "--label", name, "-o",
                     str(tmp_path / f"{name}.fupinenroll"), *db] + (["--township"] if township else [])) == 0
        Store.create(tmp_path / name, village_code=VILLAGE, village_name="测试村", username="admin",
                     password=PASSWORD)[0].close()
        assert main(["enroll", "--store", str(tmp_path / name), str(tmp_path / f"{name}.fupinenroll")]) == 0
    with Store.open(tmp_path / "village", "admin", PASSWORD) as store:
        hh = add_household(store)
    for name in ("village", "clerk"):  # the clerk has nothing to send: its empty package introduces it
        assert main(["sync", "export", "--store", str(tmp_path / name), "--out", str(tmp_path / "up")]) == 0
    assert main(["county", "import", str(tmp_path / "up"), *db]) == 0
    capsys.readouterr()
    assert main(["county", "export-down", "--out", str(tmp_path / "down"), *db]) == 0
    out = capsys.readouterr().out
    assert "已写出" in out and "拔出U盘前请先" in out
    clerk = ["--store", str(tmp_path / "clerk")]
    assert main(["sync", "apply", *clerk, str(tmp_path / "down")]) == 0
    assert "已导入下发包 1" in capsys.readouterr().out
    status = _json(capsys, "sync", "status", *clerk, "--json")
    assert status["county"]["scope"] == VILLAGE[:9] and status["down"]["applied"] == 1
    assert status["changes"]["未发送"] == 0  # what came down is not sent back
    with Store.open(tmp_path / "clerk", "admin", PASSWORD) as store, store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM household WHERE id = :i"), {"i": hh}).scalar() == 1
    assert main(["sync", "apply", *clerk, str(tmp_path / "down")]) == 0  # again: nothing changes
    assert "以前已经导入过" in capsys.readouterr().out
