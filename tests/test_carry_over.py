"""从上年复制: last year's income lines, conditions and unfinished measures start the new year."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fupin_desktop.bundle import MeasureData
from fupin_desktop.queries.load import load_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.carry_over import SECTION_COLUMNS, available, carry_over
from fupin_desktop.services.edit_state import initial_state
from fupin_desktop.services.editing import save_edits
from fupin_desktop.services.households import unit_of_work

from .factories import household

LAST, THIS = 2024, 2025


def loaded(store, hh_id):
    with store.engine.connect() as conn:
        return load_households(conn, [hh_id])[0]


@pytest.fixture
def hh_id(new_store):
    hh = household()
    hh.years[LAST].update({"safe_water_solved": True, "food_secure": True})
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [hh])[0]
        svc.add_measure(uow, hh_id, MeasureData(fields={"year": LAST, "category": "产业帮扶", "name": "养牛",
                                                        "status": "实施中", "amount": Decimal("3000")}))
        svc.add_measure(uow, hh_id, MeasureData(fields={"year": LAST, "category": "就业帮扶", "name": "培训",
                                                        "status": "完成"}))
        svc.save_household_year(uow, hh_id, THIS, {"arable_mu": Decimal("4")})  # typed already this year
    return hh_id


def test_carry_over_copies_lines_conditions_and_unfinished_measures_and_keeps_what_is_typed(new_store, hh_id):
    hh = loaded(new_store, hh_id)
    base = initial_state(hh, THIS)
    offer = available(hh, base, THIS)
    assert offer.source_year == LAST
    assert offer.there["income"] == 4 and offer.here["income"] == 0
    assert offer.there["measures"] == 1  # the finished one stays in its year
    assert offer.there["conditions"] >= 1 and offer.here["conditions"] == 1

    state = carry_over(hh, base, THIS, {"income", "conditions", "guarantees", "measures"})
    assert state.year["arable_mu"] == "4.00"  # this year's value kept: nothing overwritten without asking
    assert carry_over(hh, base, THIS, {"conditions"}, overwrite=True).year["arable_mu"] == "3.50"
    assert state.year["food_secure"] == "是" and "food_secure" in SECTION_COLUMNS["guarantees"]
    assert base.year["arable_mu"] == "4.00" and THIS not in base.incomes  # the input state is untouched
    save_edits(new_store, hh_id, THIS, base, state, {})

    after = loaded(new_store, hh_id)
    lines = {(ln["item"], ln["amount"]) for ln in after.incomes[THIS].lines}
    assert lines == {(ln["item"], ln["amount"]) for ln in after.incomes[LAST].lines}
    assert {ln["id"] for ln in after.incomes[THIS].lines}.isdisjoint(ln["id"] for ln in after.incomes[LAST].lines)
    assert after.incomes[THIS].fields["total_income"] == after.incomes[LAST].fields["total_income"]
    assert after.years[THIS]["arable_mu"] == Decimal("4")
    carried = [m for m in after.measures if m.fields["year"] == THIS]
    assert [(m.fields["name"], m.fields["amount"]) for m in carried] == [("养牛", Decimal("3000"))]
    assert len([m for m in after.measures if m.fields["year"] == LAST]) == 2  # last year's stay as they were

    # Asked again, nothing is doubled: the measure is already there and the lines are counted as this year's.
    again = available(after, initial_state(after, THIS), THIS)
    assert again.there["measures"] == 0 and again.here["income"] == 4


def test_nothing_to_copy_without_an_earlier_year(new_store, hh_id):
    hh = loaded(new_store, hh_id)
    assert available(hh, initial_state(hh, LAST), LAST).source_year is None
    state = initial_state(hh, LAST)
    assert carry_over(hh, state, LAST, {"income", "measures"}) == state
