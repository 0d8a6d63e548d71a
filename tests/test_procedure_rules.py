"""The procedure's rules (SPEC §6): 公示 too short, a late decision, a removal without assessment, steps out
of order, an overdue open step — and a complete procedure that raises nothing. Limits are the rule
parameters' national defaults (公示 ≥ 5 days, decision within 15 days, visit within 5 working days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fupin_desktop.bundle import HouseholdData
from fupin_desktop.procedure import Limits, add_working_days, procedure_state
from fupin_desktop.reference import ParamRow, rule_param, shipped_params
from fupin_desktop.validation.engine import Context, check_household

DISCOVERED = date(2026, 3, 2)  # a Monday
TODAY = date(2026, 6, 1)


def _procedure(kind: str = "识别纳入", steps: dict[str, int] | None = None, *, publicity_days: int = 5,
               **proc: object) -> HouseholdData:
    """A household with one procedure; ``steps`` gives each step's day after discovery."""
    days = {"申请": 0, "承诺授权": 0, "入户核实": 2, "民主评议": 4, "村内公示": 5, "乡镇审核": 11, "县级审定": 13}
    if kind != "识别纳入":
        days = {k: v for k, v in days.items() if k not in ("申请", "承诺授权")}
    rows = []
    for step, day in (steps if steps is not None else days).items():
        row = {"id": f"S-{step}", "procedure_id": "P1", "household_id": "H1", "step": step,
               "done_on": DISCOVERED + timedelta(days=day), "recorded_by": "admin"}
        if step == "村内公示":
            row["end_on"] = row["done_on"] + timedelta(days=publicity_days - 1)
        rows.append(row)
    fields = {"id": "P1", "household_id": "H1", "year": 2026, "kind": kind, "channel": "干部排查",
              "discovered_on": DISCOVERED, "status": "办理中", **proc}
    return HouseholdData(fields={"id": "H1", "record_status": "在册"}, procedures=[fields], procedure_steps=rows)


def _rules(hh: HouseholdData, ctx: Context | None = None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in check_household(hh, ctx or Context(year=2026, today=TODAY)):
        if f.rule.startswith(("PROC", "DW")):
            found.setdefault(f.rule, []).append(f.message)
    return found


def test_defaults_come_from_the_rule_parameters():
    limits = Limits.of("52", 2026)
    assert limits.publicity_days == rule_param("publicity_min_days", year=2026, province="52") == 5
    assert limits.decision_days == rule_param("decision_max_days", year=2026) == 15
    with pytest.raises(KeyError, match="no_such_param"):
        rule_param("no_such_param", year=2026)


@pytest.mark.parametrize("kind", ["识别纳入", "风险消除", "退出"])
def test_a_complete_procedure_raises_nothing(kind):
    assert _rules(_procedure(kind)) == {}


def test_a_county_value_of_the_parameter_is_the_one_judged_by():
    """The county sets 7 days of 公示 for province 52: a 5-day 公示 there is now too short."""
    seven = ParamRow("publicity_min_days", "52", 2026, None, 7, "县里的决定", "county", 3)
    ctx = Context(year=2026, today=TODAY, province_code="52", params=(*shipped_params(), seven))
    found = _rules(_procedure(publicity_days=5), ctx)
    assert list(found) == ["PROC-02"] and "不少于 7 天" in found["PROC-02"][0]
    assert _rules(_procedure(publicity_days=7), ctx) == {}


def test_publicity_of_three_days():
    found = _rules(_procedure(publicity_days=3))
    assert list(found) == ["PROC-02"]
    assert "只有 3 天" in found["PROC-02"][0] and "不少于 5 天" in found["PROC-02"][0]
    assert _rules(_procedure(publicity_days=5)) == {}  # both ends count: the 5th day is enough


def test_decision_on_day_thirty():
    steps = {"申请": 0, "承诺授权": 0, "入户核实": 2, "民主评议": 10, "村内公示": 12, "乡镇审核": 25, "县级审定": 30}
    found = _rules(_procedure(steps=steps))
    assert list(found) == ["PROC-03"]
    assert "第 30 天" in found["PROC-03"][0] and "15 天" in found["PROC-03"][0]


def test_removal_without_assessment():
    steps = {"民主评议": 4, "村内公示": 5, "乡镇审核": 11, "县级审定": 13}
    found = _rules(_procedure("风险消除", steps))
    assert list(found) == ["PROC-04"]
    assert "未经入户核实" in found["PROC-04"][0]


def test_steps_out_of_order():
    steps = {"申请": 0, "承诺授权": 0, "入户核实": 2, "民主评议": 8, "村内公示": 4, "乡镇审核": 11, "县级审定": 13}
    found = _rules(_procedure(steps=steps))
    assert list(found) == ["PROC-01"]
    assert any("顺序颠倒" in m and "村内公示" in m and "民主评议" in m for m in found["PROC-01"])


def test_a_missing_step_before_a_later_one():
    steps = {"申请": 0, "承诺授权": 0, "入户核实": 2, "乡镇审核": 11, "县级审定": 13}
    found = _rules(_procedure(steps=steps))
    assert set(found) == {"PROC-01"}
    assert {m for m in found["PROC-01"] if "缺少" in m} == {
        "识别纳入：已记录“县级审定”，但缺少前一环节“民主评议”", "识别纳入：已记录“县级审定”，但缺少前一环节“村内公示”"}


def test_a_late_visit_is_a_warning():
    steps = {"申请": 0, "承诺授权": 0, "入户核实": 9, "民主评议": 9, "村内公示": 9, "乡镇审核": 14, "县级审定": 15}
    assert list(_rules(_procedure(steps=steps))) == ["PROC-06"]


def test_an_open_procedure_past_its_deadline_is_overdue():
    hh = _procedure(steps={"申请": 0, "承诺授权": 0, "入户核实": 2})
    found = _rules(hh)
    assert list(found) == ["PROC-05"] and "民主评议" in found["PROC-05"][0]
    state = procedure_state(hh.procedures[0], hh.procedure_steps, Limits.of("00", 2026), TODAY)
    assert (state.state, state.next_step, state.due) == ("超期", "民主评议", DISCOVERED + timedelta(days=15))
    fresh = procedure_state(hh.procedures[0], hh.procedure_steps, Limits.of("00", 2026), DISCOVERED + timedelta(3))
    assert fresh.state == "待办"


def test_visit_deadline_counts_working_days():
    assert add_working_days(date(2026, 3, 6), 2) == date(2026, 3, 10)  # Friday + 2 working days: Tuesday
    hh = _procedure(steps={})
    assert procedure_state(hh.procedures[0], [], Limits.of("00", 2026), date(2026, 3, 9)).state == "待办"
    assert procedure_state(hh.procedures[0], [], Limits.of("00", 2026), date(2026, 3, 10)).state == "超期"


def test_an_undisposed_warning_past_its_deadline():
    hh = _procedure()
    hh.warnings = [{"id": "W1", "household_id": "H1", "department": "医保", "warning": "大额医疗支出",
                    "warned_on": date(2026, 4, 1), "received_on": date(2026, 4, 2), "disposition": None}]
    assert list(_rules(hh)) == ["DW-01"]
    hh.warnings[0]["disposition"] = "已是监测对象"
    assert _rules(hh) == {}
