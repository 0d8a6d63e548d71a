"""Saving the editor: every edit of every tab in one unit of work (runs on the worker thread, no Qt).

The values go to the services as typed; the unit of work parses them and refuses bad input with a
Chinese message naming the field, and then nothing at all is written.
"""

from __future__ import annotations

from typing import Any

from fupin_desktop.bundle import HouseholdData, IncomeData, MeasureData, MemberData
from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.households import (
    add_helper, add_measure, add_member, add_visit, assign_helper, member_leaves, register_household,
    save_household_year,
    save_income, save_member_year, update_household, update_measure, update_member,
)
from fupin_desktop.services.uow import UnitOfWork

from .state import INCOME_FIELDS, changed, nonblank

Photos = dict[str, list[tuple[str, bytes, str]]]  # pending visit key → (filename, data, mime)


def save_edits(store: Any, household_id: str | None, year: int, base: dict[str, Any], state: dict[str, Any],
               photos: Photos) -> str:
    """Write the differences between ``base`` (as loaded) and ``state`` (as typed); returns the id."""
    _check_members(state["members"])
    with UnitOfWork(store) as uow:
        if household_id is None:
            household_id = register_household(uow, _new_bundle(state, year, store.village_code))
        else:
            _update(uow, household_id, year, base, state)
        _measures(uow, household_id, base, state)
        _assignment(uow, household_id, state.get("assign"))
        for visit in state["visits"]:
            add_visit(uow, household_id, nonblank(visit["fields"]), photos.get(visit["key"], []))
    return household_id


def _check_members(members: list[dict[str, Any]]) -> None:
    for n, ms in enumerate(members, start=1):
        if ms["new"] and _typed(ms) and not ms["m"].get("name", "").strip():
            raise InvalidInput(f"第{n}位成员的姓名没有填写。", field="姓名", hint="请填写姓名，或删除这一行。")


def _typed(ms: dict[str, Any]) -> bool:
    return bool(nonblank({k: v for k, v in ms["m"].items() if k != "relation"}) or nonblank(ms["y"]))


def _new_bundle(state: dict[str, Any], year: int, village_code: str) -> HouseholdData:
    members = []
    for seq, ms in enumerate((m for m in state["members"] if _typed(m)), start=1):
        fields = {"id": ms["key"], "seq": seq, **nonblank(ms["m"])}
        members.append(MemberData(fields=fields, years={year: nonblank(ms["y"])} if nonblank(ms["y"]) else {}))
    incomes = {int(y): IncomeData(nonblank(inc["fields"]), _lines(inc)) for y, inc in state["incomes"].items()
               if inc["lines"] or nonblank(inc["fields"])}
    return HouseholdData(
        fields={"village_code": village_code, **nonblank(state["household"])},
        years={year: nonblank(state["year"])} if nonblank(state["year"]) else {},
        members=members, incomes=incomes,
    )


def _lines(inc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": ln["id"], "category": ln["category"], "item": ln["item"], "amount": ln["amount"],
             "note": ln["note"], "counts_toward_income": ln["counts"] or "是"} for ln in inc["lines"]]


def _update(uow: UnitOfWork, hh_id: str, year: int, base: dict[str, Any], state: dict[str, Any]) -> None:
    if changes := changed(base["household"], state["household"]):
        update_household(uow, hh_id, changes)
    if changes := changed(base["year"], state["year"]):
        save_household_year(uow, hh_id, year, changes)
    before = {m["key"]: m for m in base["members"]}
    seq = len(before)
    for ms in state["members"]:
        old = before.get(ms["key"])
        if old is None:
            if _typed(ms):
                seq += 1
                add_member(uow, hh_id, {"id": ms["key"], "seq": seq, **nonblank(ms["m"])},
                           {year: nonblank(ms["y"])} if nonblank(ms["y"]) else None)
            continue
        if changes := changed(old["m"], ms["m"]):
            update_member(uow, ms["key"], changes)
        if changes := changed(old["y"], ms["y"]):
            save_member_year(uow, ms["key"], year, changes)
        if ms.get("leave"):
            member_leaves(uow, ms["key"], ms["leave"]["reason"], ms["leave"]["on"])
    for y_text, inc in state["incomes"].items():
        old_inc = base["incomes"].get(y_text)
        if inc == old_inc or (old_inc is None and not inc["lines"] and not nonblank(inc["fields"])):
            continue
        fields = changed(old_inc["fields"], inc["fields"]) if old_inc else nonblank(inc["fields"])
        save_income(uow, hh_id, int(y_text), _lines(inc), **{k: v for k, v in fields.items() if k in INCOME_FIELDS})


def _measures(uow: UnitOfWork, hh_id: str, base: dict[str, Any], state: dict[str, Any]) -> None:
    before = {m["key"]: m for m in base["measures"]}
    for ms in state["measures"]:
        old = before.get(ms["key"])
        if old is None:
            detail = nonblank(ms["d"]) if ms.get("kind") else {}
            add_measure(uow, hh_id, MeasureData({"id": ms["key"], **nonblank(ms["m"])}, ms.get("kind"), detail))
        elif ms != old:
            update_measure(uow, ms["key"], changed(old["m"], ms["m"]), changed(old["d"], ms["d"]) or None)


def _assignment(uow: UnitOfWork, hh_id: str, assign: dict[str, Any] | None) -> None:
    if not assign:
        return
    helper_id = assign.get("helper_id")
    if not helper_id:
        helper_id = add_helper(uow, nonblank(assign["helper"]))
    assign_helper(uow, hh_id, helper_id, assign["start_on"] or None)
