"""The headless commands, as a script or a person would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fupin_desktop.cli import main
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store

from .conftest import PASSWORD, VILLAGE
from .factories import household

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("FUPIN_NEW_PASSWORD", "brand-new-pass-1")


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_init_prints_recovery_code_once_and_refuses_a_second_time(tmp_path):
    store = tmp_path / "s"
    first = run("init", "--store", str(store), "--village-code", VILLAGE, "--village-name", "测试村",
                FUPIN_PASSWORD=PASSWORD)
    assert first.returncode == 0, first.stderr
    assert "恢复码" in first.stdout
    second = run("init", "--store", str(store), "--village-code", VILLAGE, "--village-name", "测试村",
                 FUPIN_PASSWORD=PASSWORD)
    assert second.returncode == 3
    assert "已经有数据库" in second.stderr and "Traceback" not in second.stderr


def test_user_mistakes_give_chinese_errors_and_exit_codes(new_store):
    path = str(new_store.path)
    new_store.close()
    wrong = run("stats", "--store", path, FUPIN_PASSWORD="not-it-at-all")
    assert wrong.returncode == 4 and "密码不正确" in wrong.stderr and "Traceback" not in wrong.stderr
    missing = run("check", "--store", path + "-nope", FUPIN_PASSWORD=PASSWORD)
    assert missing.returncode == 3 and "没有数据库" in missing.stderr
    no_tty = subprocess.run([sys.executable, "main.py", "stats", "--store", path], cwd=ROOT, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items() if k != "FUPIN_PASSWORD"})
    assert no_tty.returncode == 2 and "FUPIN_PASSWORD" in no_tty.stderr


def test_check_json_lists_findings_with_required_keys(new_store, env, capsys):
    bad = household("错号人")
    bad.members[0].fields["id_no"] = bad.members[0].fields["id_no"][:-1] + (
        "0" if bad.members[0].fields["id_no"][-1] != "0" else "1")
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, [bad, household("好人", hh_no="X2")])
    path = str(new_store.path)
    new_store.close()
    assert main(["check", "--store", path, "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert findings, "a wrong check digit must be found"
    for f in findings:
        assert {"rule", "severity", "household", "field", "message"} <= set(f)
    wrong_id = [f for f in findings if f["field"] == "id_no" and "校验位" in f["message"]]
    assert wrong_id and wrong_id[0]["severity"] == "error" and "错号人" in wrong_id[0]["message"]
    assert main(["check", "--store", path]) == 0
    printed = capsys.readouterr()
    assert "校验位错误" in printed.out
    assert "未设置监测范围" not in printed.err  # 2024 has its line
    assert main(["check", "--store", path, "--year", "2031"]) == 0
    assert "2031年未设置监测范围" in capsys.readouterr().err  # no line set yet: said, not skipped silently


def test_check_after_an_edit_equals_check_full(new_store, env, capsys):
    """The second check re-checks only what changed since the first (one person put into a second
    household); its report is word for word the full check's."""
    first, second = household("甲户"), household("乙户", hh_no="X2")
    with unit_of_work(new_store) as uow:
        ids = svc.create_households(uow, [first, second])
    path = str(new_store.path)
    new_store.close()
    assert main(["check", "--store", path, "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    with Store.open(Path(path), "admin", PASSWORD) as store, unit_of_work(store) as uow:
        svc.add_member(uow, ids[1], {"name": "借名", "relation": "其他", "id_no": first.members[0].fields["id_no"]})
    assert main(["check", "--store", path]) == 0
    quick = capsys.readouterr().out
    assert main(["check", "--store", path, "--full"]) == 0
    assert capsys.readouterr().out == quick
    assert "一人多户" in quick and not any("一人多户" in f["message"] for f in before)


def test_stats_and_search(new_store, env, capsys):
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, [household("张三"), household("李四", hh_no="X2")])
    path = str(new_store.path)
    new_store.close()
    assert main(["stats", "--store", path, "--json", "--year", "2024"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["households"] == 2 and stats["by_main_cause"]["households"] == {"因病": 2}
    assert main(["stats", "--store", path]) == 0
    assert "按主要致贫原因" in capsys.readouterr().out
    assert main(["search", "--store", path, "zs"]) == 0
    out = capsys.readouterr().out
    assert "张三" in out and "李四" not in out


def test_user_passwd_recover_backup_restore_verify(new_store, env, capsys, tmp_path, monkeypatch):
    path = str(new_store.path)
    code = new_store.recovery_code
    new_store.close()
    assert main(["user", "add", "--store", path, "--name", "wangwu"]) == 0
    Store.open(path, "wangwu", "brand-new-pass-1").close()
    assert main(["user", "passwd", "--store", path]) == 0  # admin's password → brand-new-pass-1
    monkeypatch.setenv("FUPIN_PASSWORD", "brand-new-pass-1")
    monkeypatch.setenv("FUPIN_RECOVERY_CODE", code)
    monkeypatch.setenv("FUPIN_NEW_PASSWORD", "recovered-pass-2")
    assert main(["recover", "--store", path]) == 0
    out = capsys.readouterr().out
    assert "旧恢复码已作废" in out
    monkeypatch.setenv("FUPIN_PASSWORD", "recovered-pass-2")
    assert main(["verify", "--store", path]) == 0
    assert main(["backup", "--store", path, "-o", str(tmp_path / "bk")]) == 0
    assert main(["restore", str(tmp_path / "bk.fupinbak"), "--store", str(tmp_path / "copy")]) == 0
    Store.open(tmp_path / "copy", "admin", "recovered-pass-2").close()
    assert main(["recover", "--store", path]) == 4  # the old code was retired
    assert "恢复码不正确" in capsys.readouterr().err


def test_bad_arguments_are_refused_in_chinese(tmp_path):
    bad_code = run("init", "--store", str(tmp_path / "s"), "--village-code", "abc", "--village-name", "村",
                   FUPIN_PASSWORD=PASSWORD)
    assert bad_code.returncode == 2 and "12位数字" in bad_code.stderr and not (tmp_path / "s" / "store.json").exists()
    negative = run("demo", "--store", str(tmp_path / "d"), "--households", "-5", FUPIN_PASSWORD=PASSWORD)
    assert negative.returncode == 2 and "正整数" in negative.stderr and not (tmp_path / "d").exists()


def test_usage_errors_of_every_command_are_in_chinese(tmp_path):
    """argparse's own messages (unknown command, bad choice, missing operand) as a clerk reads them."""
    for args, said in ((["nonsense"], "参数 命令 不能是 'nonsense'"),
                       (["export-xlsx", "--what", "bad", "-o", str(tmp_path / "x.xlsx")], "参数 --what 不能是 'bad'"),
                       (["sync"], "缺少必须给出的参数：操作"),
                       (["stats", "--year", "二〇二四"], "参数 --year 应为整数")):
        result = run(*args)
        assert result.returncode == 2, args
        assert said in result.stderr and "用法：" in result.stderr, result.stderr
        assert "usage:" not in result.stderr and "error:" not in result.stderr, result.stderr
    assert "显示本帮助并退出" in run("county", "--help").stdout
