"""The order findings are shown in (validation/order.py): real mistakes before blanks, blanks
collapsed per section, no blank that contradicts another finding, no "None" in any message."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin_desktop.bundle import HouseholdData
from fupin_desktop.services.edit_state import EditState
from fupin_desktop.services.editing import check_state
from fupin_desktop.validation.engine import Context, check_household
from fupin_desktop.validation.order import BLANKS, ERRORS, HINTS, IDENTITY, ordered, summary

from .test_validation_rules import (
    THRESHOLDS, TODAY, YEAR, _targets, good_household, member_year, monitored_household,
)

ctx = Context(year=YEAR, today=TODAY, thresholds=dict(THRESHOLDS))


def spoiled() -> HouseholdData:
    """The sound household with two identity mistakes, an income line gone wrong and many blanks."""
    hh = good_household()
    hh.members[1].fields["gender"] = "男"  # 李秀英, the wife
    hh.members[2].fields["id_no"] = hh.members[2].fields["id_no"][:17] + "0"
    if hh.members[2].fields["id_no"] == good_household().members[2].fields["id_no"]:
        hh.members[2].fields["id_no"] = hh.members[2].fields["id_no"][:17] + "1"
    for column in ("arable_mu", "forest_mu", "housing_area_m2", "drinking_safe"):
        hh.years[YEAR][column] = None
    for column in ("health", "labour_skill", "resident_pension"):
        member_year(hh, 0)[column] = None
    hh.fields["phone"] = None
    return hh


def test_identity_errors_come_first_then_errors_blanks_hints():
    rows = ordered(check_household(spoiled(), ctx))
    groups = [row.group for row in rows]
    assert groups == sorted(groups, key=[IDENTITY, ERRORS, BLANKS, HINTS].index)
    identity = [row.text for row in rows if row.group == IDENTITY]
    assert any("校验位" in t for t in identity) and any("性别“男”" in t for t in identity)
    assert rows[0].group == IDENTITY


def test_blanks_are_collapsed_per_tab_and_per_person():
    found = check_household(spoiled(), ctx)
    rows = [row for row in ordered(found) if row.group == BLANKS]
    conditions = next(row for row in rows if row.text.startswith("生产生活条件："))
    assert conditions.text.startswith("生产生活条件：4 项未填写（")
    assert {f.field for f in conditions.findings} == {"arable_mu", "forest_mu", "housing_area_m2", "drinking_safe"}
    person = next(row for row in rows if row.text.startswith("家庭成员 张三："))
    assert {"health", "labour_skill", "resident_pension"} <= {f.field for f in person.findings}
    assert "健康状况" in person.text
    # Every blank the rules gave is in one of the lines; a line leads to its first field.
    assert sum(len(row.findings) for row in rows) == sum(f.blank for f in found)
    assert conditions.target is conditions.findings[0]
    single = next(row for row in rows if row.target.field == "phone")
    assert single.text == "联系电话未填写" and len(single.findings) == 1


def test_summary_counts_errors_blanks_and_hints():
    rows = ordered(check_household(spoiled(), ctx))
    errors = sum(len(r.findings) for r in rows if r.group in (IDENTITY, ERRORS))
    blanks = sum(len(r.findings) for r in rows if r.group == BLANKS)
    assert summary(rows).startswith(f"{errors} 个错误，{blanks} 项未填写")
    assert summary(ordered(check_household(good_household(), ctx))) == "没有发现问题"


def test_an_unreadable_value_is_not_also_reported_blank():
    """识别监测时间 typed as "2024年3月" cannot be kept (6 characters at most): the editor's parser
    reports that, and the value reaches the rules blank. The person is told once, not "未填写" too."""
    hh = monitored_household()
    state = EditState(household={"monitoring_since": "2024年3月份起"}, year={})
    typed, unreadable = check_state(state, hh, YEAR, "520102003004", "K")
    found = check_household(typed, ctx) + unreadable
    on_field = [f for f in found if f.field == "monitoring_since"]
    assert any("内容过长" in f.message for f in on_field) and any(f.blank for f in on_field)  # both raised…
    shown = [row.text for row in ordered(found) if any(f.field == "monitoring_since" for f in row.findings)]
    assert len(shown) == 1 and "内容过长" in shown[0]  # …one shown


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.lists(st.tuples(st.sampled_from(["household", "household_year", "member", "member_year",
                                                          "child_year", "income_year", "work_record"]),
                                         st.integers(0, 10_000), st.sampled_from([None, "", " "])),
                               min_size=1, max_size=12))
def test_no_message_prints_none_or_a_column_name(monitored, blanked):
    hh = monitored_household() if monitored else good_household()
    targets = _targets(hh)
    for target, pick, value in blanked:
        row, keys = targets[target]
        row[keys[pick % len(keys)]] = value
    for row in ordered(check_household(hh, ctx)):
        assert "None" not in row.text, row.text
        assert "_" not in row.text, row.text  # a column name such as arable_mu
