"""Issue 15 item 4: every field of the national 登记表 the store holds is printed on the 登记表, in its
section; the blank form has boxes to tick, eight member rows and the national form's hints; the income
form judges income by the same formula as ``check`` (合规自付支出 taken off against the 监测范围)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fupin_desktop.bundle import HouseholdData
from fupin_desktop.forms import Scope, fmt, render
from fupin_desktop.forms.registration import MEMBER_GRIDS
from fupin_desktop.model import Base
from fupin_desktop.model.fields import REG_COVER, REG_HEALTH, REG_PEOPLE, REG_WORK, Printed
from fupin_desktop.model.layouts import placement, printed_grid
from fupin_desktop.store.store import Store
from fupin_desktop.validation.engine import Context, check_household
from tests.factories import household
from tests.test_forms import YEAR, page_texts, sections, stored, write

NUMBER = "5201020030049501"
HEADS = ["一、户基本情况", "二、家庭成员情况", "三、生产生活条件", "四、易地扶贫搬迁与两不愁三保障", "五、收入情况",
         "六、帮扶责任人", "七、帮扶措施"]


def national_fields() -> HouseholdData:
    """A household holding the fields issue 15 found missing from the printed 登记表."""
    hh = household("吴全表", hh_no=NUMBER, extra_members=2)
    hh.fields.update(pre_exit_this_year=True, filled_on=date(2024, 3, 5))
    head, wife, son = hh.members
    head.fields.update(member_no="52010200300495010001", relocated_person=True)
    head.years[YEAR].update(medical_assistance=True, employee_pension=True, accident_insurance=True,
                            disability_category="肢体", disability_grade="三级", disability_cert_year=2019)
    son.years[YEAR].update(employment_channel="帮扶车间", public_post="护林员", public_post_months=11,
                           public_post_start=date(2023, 2, 1), public_post_end=date(2024, 1, 31),
                           work_abroad=False, industry="制造业")
    helper = {"id": "h" * 32, "name": "郑帮扶", "unit_name": "县农业农村局", "unit_address": "县城人民路18号"}
    hh.helpers = {helper["id"]: helper}
    hh.assignments = [{"helper_id": helper["id"], "start_on": date(2022, 1, 1)}]
    return hh


@pytest.fixture
def printed_text(new_store: Store, tmp_path: Path) -> dict[str, str]:
    write(new_store, [national_fields()])
    out = tmp_path / "reg.pdf"
    report = render("registration", new_store, scope=Scope.households([NUMBER]), out=out, year=YEAR)
    assert not report.problems
    return sections("".join(page_texts(out)), HEADS)


def test_the_fields_issue_15_listed_are_printed_in_their_sections(printed_text: dict[str, str]):
    basics, members, income, helpers = (printed_text[h] for h in (HEADS[0], HEADS[1], HEADS[4], HEADS[5]))
    assert "是否当年预脱贫是" in basics and "填表时间2024-03-05" in basics
    for value in ("52010200300495010001", "帮扶车间", "护林员", "2023-02-01", "2024-01-31", "制造业", "2019", "三级"):
        assert value in members, value
    for head in ("人口编号", "医疗救助", "职工养老保险", "人身意外保险补贴", "易地搬迁人口", "残疾证办证年度",
                 "就业渠道", "聘用开始时间", "聘用结束时间"):
        assert head in members, head
    assert "县城人民路18号" in helpers and "单位地址" in helpers
    # The income sub-lines, each under its category, and where the whole accounting is.
    assert "工资性收入明细务工收入24000.00" in income and "转移性收入明细养老保险金1200.50" in income
    assert "见《家庭收入核算表》" in income


def test_every_member_column_is_placed_on_a_grid_or_says_why_not():
    placed = {(c.table, c.column) for _title, grid in MEMBER_GRIDS for c in grid}
    for table in ("member", "member_year"):
        for column in Base.metadata.tables[table].c:
            where = placement(column, "printed")
            assert where is not None, f"{table}.{column.name}"
            if isinstance(where, Printed):
                assert (table, column.name) in placed
    assert {p for p in (REG_PEOPLE, REG_HEALTH, REG_WORK, REG_COVER) if printed_grid(p)} == {
        REG_PEOPLE, REG_HEALTH, REG_WORK, REG_COVER}


def test_the_member_values_follow_their_headers(new_store: Store, tmp_path: Path):
    """A member row prints its values in the order of the grid's columns (the first row of 医疗与保障)."""
    write(new_store, [national_fields()])
    out = tmp_path / "reg.pdf"
    render("registration", new_store, scope=Scope.households([NUMBER]), out=out, year=YEAR)
    hh = stored(new_store, NUMBER)
    head = hh.members[0]
    cover = next(grid for title, grid in MEMBER_GRIDS if "社会保障" in title)
    rows = {"member": head.fields, "member_year": head.years[YEAR]}
    expected = "1吴全表" + "".join(fmt.text(rows[c.table].get(c.column)) for c in cover)
    assert expected in "".join(page_texts(out))


def test_the_blank_registration_form_has_member_boxes_eight_rows_and_hints(tmp_path: Path):
    out = tmp_path / "blank.pdf"
    render("registration", None, out=out, blank=True, year=YEAR)
    text = "".join(page_texts(out))
    part = sections(text, HEADS)
    people = part[HEADS[1]]
    assert people.count("□男□女") == 8  # a gender to tick in each of the eight member rows
    assert "8□男□女" in people and "9□男□女" not in people
    assert people.count("□是□否") >= 8 * 12  # yes/no cells of the health, work and cover grids
    # Answers too many for a cell are listed under the table, as the national form's notes do.
    assert "填写说明：文化程度：□文盲或半文盲□小学" in people
    assert "填表说明" in part[HEADS[0]] or "填表说明" in text[:text.index(HEADS[0])]
    assert "公民身份号码" in text and "（最多选两项）" in text and "（选一项）" in text
    assert "致贫/返贫风险□因病" in part[HEADS[0]]
    assert "转移性收入明细计划生育金______元" in part[HEADS[4]]


def judged_household(oop: Decimal) -> HouseholdData:
    """Four people, 30,000 a year net: 7,500 a head, just above 2024's 监测范围 of 7,300 — until
    2,000 of 合规自付支出 is taken off (7,000 a head)."""
    hh = household("钱核算", hh_no=NUMBER, extra_members=3)
    hh.incomes[YEAR].lines = [{"category": "工资性收入", "item": "务工收入", "amount": Decimal(30000)}]
    hh.incomes[YEAR].fields.update(population=4, compliant_oop_expense=oop)
    hh.fields.update(household_type="一般农户", attribute=None, poverty_status=None)
    return hh


@pytest.mark.parametrize(("oop", "verdict", "flagged"), [
    (Decimal(0), "人均纯收入高于防止返贫监测范围", False),
    (Decimal(2000), "人均纯收入高于防止返贫监测范围；扣除刚性支出后人均收入7000.00元，未高于防止返贫监测范围", True),
])
def test_the_income_conclusion_and_check_weigh_the_same_income(new_store: Store, tmp_path: Path, oop: Decimal,
                                                               verdict: str, flagged: bool):
    write(new_store, [judged_household(oop)])
    out = tmp_path / "income.pdf"
    render("income", new_store, scope=Scope.households([NUMBER]), out=out, year=YEAR)
    text = "".join(page_texts(out))
    assert "家庭年人均纯收入7500.00" in text and f"结论{verdict}" in text
    with new_store.engine.connect() as conn:
        ctx = Context.for_store(conn, YEAR)
    found = {f.rule for f in check_household(stored(new_store, NUMBER), ctx)}
    # Plain income is above the line (no INC-05); pushed under by the 刚性支出 is EXP-01, as the form says.
    assert "INC-05" not in found and ("EXP-01" in found) is flagged
