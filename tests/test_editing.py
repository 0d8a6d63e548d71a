"""The editing service without Qt: what is typed is saved, read back exactly, and bad input writes nothing."""

from __future__ import annotations

import copy
from datetime import date
import json

import pytest
from sqlalchemy import func, select

from fupin_desktop.archive import Archive, decode_draft, encode_draft
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import ChangeLog
from fupin_desktop.services.edit_state import (
    Assignment, EditState, IncomeLineEdit, Leave, VisitEdit, initial_state, new_measure, new_member,
)
from fupin_desktop.services.editing import check_state, save_edits
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.validation.idnumber import make_id

from . import factories

YEAR = 2024


@pytest.fixture
def archive(new_store):
    return Archive(new_store)


def stored(archive: Archive) -> str:
    household = factories.household()
    with unit_of_work(archive.store) as uow:
        create_households(uow, [household])
    return household.id


def reload(archive: Archive, household_id: str) -> tuple[EditState, object]:
    snap = archive.editor_snapshot(household_id, YEAR, frozenset())
    return initial_state(snap.household, YEAR), snap.household


def log_entries(archive: Archive) -> int:
    with archive.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one()


def test_a_whole_household_edited_saved_and_read_back_field_by_field(archive):
    hh_id = stored(archive)
    base, _ = reload(archive, hh_id)
    typed = copy.deepcopy(base)
    typed.household.update(address="第二组8号", phone="13900001111", military_family="是")
    typed.year.update(population="4", main_cause="因学", arable_mu="4.25", drinking_safe="否")
    head = typed.members[0]
    head.fields["phone"] = "13700002222"
    head.year.update(health="健康", work_status="务工", work_months="10")
    child = new_member("之女")
    child.fields.update(name="张小花", gender="女", birth_date="2010-03-04", id_type="身份证",
                        id_no=make_id("520102", date(2010, 3, 4), 22))
    child.year["education"] = "小学"
    typed.members.append(child)
    income = typed.incomes[YEAR]
    income.lines[0].amount = "26000.00"
    income.lines.append(IncomeLineEdit("a" * 32, "财产性收入", "土地流转收入", "800.00", "流转3亩", "是"))
    measure = new_measure(YEAR)
    measure.kind = "education"
    measure.fields.update(category="教育帮扶", name="雨露计划", amount="3000.00", start_on="2024-03-01")
    measure.detail.update(school="县职校", aid_amount="3000.00")
    typed.measures.append(measure)
    typed.visits.append(VisitEdit("b" * 32, {"visited_on": "2024-06-01", "content": "了解务工情况"}))
    typed.assign = Assignment(None, {"name": "王帮扶", "phone": "13600003333"}, "2024-01-01")

    saved = save_edits(archive.store, hh_id, YEAR, base, typed, {})

    assert saved.household_id == hh_id
    assert hh_id in saved.changes.households and {"household", "member", "measure"} <= saved.changes.tables
    again, household = reload(archive, hh_id)
    assert again.household == typed.household
    assert again.year == typed.year
    assert [(m.key, m.fields, m.year) for m in again.members] == [(m.key, m.fields, m.year) for m in typed.members]
    assert again.incomes[YEAR].fields == typed.incomes[YEAR].fields
    assert sorted((ln.category, ln.item, ln.amount, ln.note, ln.counts) for ln in again.incomes[YEAR].lines) == sorted(
        (ln.category, ln.item, ln.amount, ln.note, ln.counts) for ln in typed.incomes[YEAR].lines)
    (measure_back,) = again.measures
    assert (measure_back.key, measure_back.kind) == (measure.key, "education")
    assert {k: measure_back.fields[k] for k in measure.fields} == measure.fields
    assert {k: measure_back.detail[k] for k in measure.detail} == measure.detail
    assert [v["content"] for v in household.visits] == ["了解务工情况"]
    assert [household.helpers[a["helper_id"]]["name"] for a in household.assignments] == ["王帮扶"]


def test_a_new_household_gets_its_id_and_its_members(archive):
    state = initial_state(None, YEAR)
    state.household.update(group_name="第三组", national_hh_no="5201020030040777", attribute="一般脱贫户")
    state.year["population"] = "1"
    head = new_member("户主")
    head.fields.update(name="赵一", gender="男", birth_date="1960-01-01")
    state.members.append(head)
    state.members.append(new_member())  # an empty row left by a stray Ctrl+M is not a member

    saved = save_edits(archive.store, None, YEAR, initial_state(None, YEAR), state, {})

    back, household = reload(archive, saved.household_id)
    assert back.household["national_hh_no"] == "5201020030040777"
    assert [m.fields["name"] for m in back.members] == ["赵一"]
    assert household.fields["head_name"] == "赵一"  # the unit of work's refresh hook ran


def test_a_member_leaving_keeps_the_record_and_says_why(archive):
    hh_id = stored(archive)
    base, _ = reload(archive, hh_id)
    typed = copy.deepcopy(base)
    typed.members[-1].leave = Leave("迁出", "2024-05-01")

    save_edits(archive.store, hh_id, YEAR, base, typed, {})

    _, household = reload(archive, hh_id)
    left = household.members[-1].fields
    assert (left["record_status"], left["left_reason"], str(left["left_on"])) == ("注销", "迁出", "2024-05-01")
    assert household.fields["member_count"] == len(base.members) - 1


@pytest.mark.parametrize("spoil", [
    lambda s: s.year.update(arable_mu="三亩"),
    lambda s: s.members[0].fields.update(birth_date="1970-13-45"),
    lambda s: s.members.append(new_member("之子")) or s.members[-1].fields.update(gender="男"),  # no name
    lambda s: s.incomes[YEAR].lines.append(IncomeLineEdit("c" * 32, "工资性收入", "务工收入", "很多")),
])
def test_bad_input_is_refused_and_nothing_is_written(archive, spoil):
    hh_id = stored(archive)
    base, _ = reload(archive, hh_id)
    typed = copy.deepcopy(base)
    typed.household["address"] = "改过的地址"  # a good edit in the same save is not written either
    spoil(typed)
    before = log_entries(archive)

    with pytest.raises(InvalidInput):
        save_edits(archive.store, hh_id, YEAR, base, typed, {})

    assert log_entries(archive) == before
    assert reload(archive, hh_id)[0] == base


def test_check_state_reports_what_cannot_be_read_without_writing(archive):
    hh_id = stored(archive)
    base, household = reload(archive, hh_id)
    typed = copy.deepcopy(base)
    typed.year["arable_mu"] = "三亩"
    checked, unreadable = check_state(typed, household, YEAR, archive.village_code, hh_id)
    assert [f.field for f in unreadable] == ["arable_mu"]
    assert checked.years[YEAR]["arable_mu"] is None
    assert household.years[YEAR]["arable_mu"] is not None  # the loaded household is not touched


def test_a_draft_round_trips_and_an_old_draft_is_converted(archive):
    hh_id = stored(archive)
    state, _ = reload(archive, hh_id)
    state.members[0].leave = Leave("死亡", "2024-02-02")
    assert decode_draft(encode_draft(state))[0] == state

    old = json.loads(encode_draft(state))
    old["version"] = 1
    old["state"]["members"] = [{"key": m["key"], "new": m["new"], "m": m["fields"], "y": m["year"],
                                "y_id": m["year_id"], "leave": m["leave"]} for m in old["state"]["members"]]
    old["state"]["measures"] = []
    converted, saved_at = decode_draft(json.dumps(old))
    assert converted == state and saved_at
    assert decode_draft("not json") == (None, "")
