"""``fupin warnings``: a department's list imported from the command line with every unmatched row
reported, the open warnings listed with their deadline, and each disposition written as asked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fupin_desktop.cli import main
from fupin_desktop.model import DeptWarning, Procedure

from .conftest import PASSWORD
from .test_procedure_store import _households, _warning_file


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)


def warnings_of(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(DeptWarning).order_by(DeptWarning.warning))]


def test_import_list_and_dispose_from_the_command_line(new_store, env, tmp_path, capsys):
    _households(new_store, 10, monitored=2)  # 30 people, 6 in monitored households
    path = _warning_file(tmp_path, new_store, unmatched=3, monitored_rows=4, total=12)
    store = str(new_store.path)
    assert main(["warnings", "import", str(path), "--department", "医保", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "共 12 行；新增待核实预警 5 条；已是监测对象 4 条" in out and "未导入 3 行" in out
    unmatched = [ln for ln in out.splitlines() if "身份证号在本村档案中找不到" in ln]
    assert [re.match(r"\s*第 (\d+) 行 (外村\d)", ln).groups() for ln in unmatched] == [
        ("12", "外村0"), ("13", "外村1"), ("14", "外村2")]
    assert not re.search(r"\d{17}[\dX]", out)  # the unmatched IDs are masked

    assert main(["warnings", "list", "--store", store]) == 0
    listed = [ln for ln in capsys.readouterr().out.splitlines() if "医保" in ln]
    open_ = [w for w in warnings_of(new_store) if w["disposition"] is None]
    assert len(listed) == len(open_) == 5
    assert {ln.split()[0] for ln in listed} == {w["id"][:8] for w in open_}

    first, second = open_[0], open_[1]
    assert main(["warnings", "dispose", first["id"][:8], "核实后纳入", "--store", store]) == 0
    assert main(["warnings", "dispose", second["id"][:8], "核实不纳入", "--store", store]) == 2  # no reason
    assert "核实不纳入须写明理由" in capsys.readouterr().err
    assert main(["warnings", "dispose", second["id"][:8], "核实不纳入", "--reason", "医疗费已报销",
                 "--date", "2026-12-01", "--store", store]) == 0
    after = {w["id"]: w for w in warnings_of(new_store)}
    assert after[first["id"]]["disposition"] == "核实后纳入" and after[first["id"]]["procedure_id"]
    assert (after[second["id"]]["disposition"], after[second["id"]]["reason"], str(after[second["id"]]["disposed_on"])
            ) == ("核实不纳入", "医疗费已报销", "2026-12-01")
    with new_store.engine.connect() as conn:
        proc = conn.execute(select(Procedure).where(Procedure.id == after[first["id"]]["procedure_id"])).one()
    assert (proc.kind, proc.channel, proc.household_id) == ("识别纳入", "部门筛查预警", first["household_id"])
    # Disposed once: a second disposition is refused, the record unchanged.
    assert main(["warnings", "dispose", first["id"][:8], "核实不纳入", "--reason", "x", "--store", store]) == 2
    assert {w["id"]: w for w in warnings_of(new_store)} == after
    assert main(["warnings", "dispose", "zzzz", "核实不纳入", "--store", store]) == 2
