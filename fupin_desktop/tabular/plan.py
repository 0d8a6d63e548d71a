"""What an import would do, worked out before anything is written: each household of the file
matched to the store (by household number, else by a member's ID number), and for a match only
the fields whose values differ. A blank cell never clears a stored value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ..model import Household, HouseholdYear, Member, MemberYear
from ..values import clean_text
from .cleaning import match_key
from .grouping import Group
from .rows import RowRecord

CHUNK = 500


@dataclass(slots=True)
class MemberChange:
    row: int
    member_id: str | None  # None: a new member
    changes: dict[str, Any]
    year_changes: dict[str, Any] = field(default_factory=dict)  # the member's facts of the import year


@dataclass
class Planned:
    group: Group
    household_id: str | None = None  # None: a new household
    year: int = 0  # of year_changes: the file's 年度 column, else the import's default year
    household_changes: dict[str, Any] = field(default_factory=dict)
    year_changes: dict[str, Any] = field(default_factory=dict)  # the import year's household facts
    members: list[MemberChange] = field(default_factory=list)
    created: bool = False  # written as new in the import's current round (household_id is then its id)
    shared: bool = False  # another household of the file matches the same household of the store

    @property
    def action(self) -> str:
        if self.household_id is None or self.created:
            return "create"
        if self.household_changes or self.year_changes or any(
                m.changes or m.year_changes or m.member_id is None for m in self.members):
            return "update"
        return "unchanged"


class StoreIndex:
    """The natural keys already in the store: household numbers and members' ID numbers."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.by_number = dict(conn.execute(
            select(Household.national_hh_no, Household.id).where(Household.national_hh_no.is_not(None))).all())
        self.by_id_no: dict[str, tuple[str, str]] = {}
        for member_id, household_id, id_no in conn.execute(
                select(Member.id, Member.household_id, Member.id_no).where(Member.id_no.is_not(None))):
            key = match_key(id_no)
            if key:
                self.by_id_no[key] = (member_id, household_id)

    def household_of(self, group: Group) -> str | None:
        number = group.household().get("national_hh_no")
        if number and number in self.by_number:
            return self.by_number[number]
        for row in group.members():
            key = match_key(row.get("member.id_no"))
            if key in self.by_id_no:
                return self.by_id_no[key][1]
        return None


def plan(conn: Connection, groups: list[Group], village_code: str, year: int) -> list[Planned]:
    index = StoreIndex(conn)
    planned = [Planned(g, index.household_of(g), g.household("household_year").get("year") or year)
               for g in groups]
    _claim(planned)
    matched = [p for p in planned if p.household_id]
    for start in range(0, len(matched), CHUNK):
        _diff_chunk(conn, index, matched[start:start + CHUNK])
    for p in planned:
        if p.household_id is None:
            # A new household's records are its rows': made from them when written (new_records),
            # not copied and held beside them for the whole import.
            p.household_changes = {"village_code": village_code}
    return planned


def new_records(p: Planned) -> tuple[dict[str, Any], dict[str, Any], list[MemberChange]]:
    """A new household's fields, its year's facts and its members, as its rows give them."""
    return ({**p.household_changes, **p.group.household()}, _year_facts(p),
            [MemberChange(r.number, None, r.table("member"), r.table("member_year")) for r in p.group.members()])


def _claim(planned: list[Planned]) -> None:
    """Two households of the file matching one household of the store: the second is refused."""
    owner: dict[str, int] = {}
    for p in planned:
        if p.household_id is None:
            continue
        if p.household_id in owner:
            p.shared = True
            p.group.problems.append(p.group.at_first("户编号", f"与第{owner[p.household_id]}行那一户对应库里的同一户"))
        else:
            owner[p.household_id] = p.group.first_row


def _year_facts(p: Planned) -> dict[str, Any]:
    facts = p.group.household("household_year")
    facts.pop("year", None)
    return facts


def _diff_chunk(conn: Connection, index: StoreIndex, chunk: list[Planned]) -> None:
    ids = [p.household_id for p in chunk]
    households = {r["id"]: dict(r) for r in conn.execute(select(Household).where(Household.id.in_(ids))).mappings()}
    years = {(r["household_id"], r["year"]): dict(r) for r in conn.execute(
        select(HouseholdYear).where(HouseholdYear.household_id.in_(ids))).mappings()}
    members: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(select(Member).where(Member.household_id.in_(ids))).mappings():
        members.setdefault(r["household_id"], []).append(dict(r))
    member_years = {(r["member_id"], r["year"]): dict(r) for r in conn.execute(
        select(MemberYear).join(Member, Member.id == MemberYear.member_id).where(Member.household_id.in_(ids)))
        .mappings()}
    for p in chunk:
        assert p.household_id is not None
        p.household_changes = _differs(households[p.household_id], p.group.household())
        p.year_changes = _differs(years.get((p.household_id, p.year), {}), _year_facts(p))
        stored = members.get(p.household_id, [])
        for row in p.group.members():
            change = _member_change(index, p, row, stored)
            stored_year = member_years.get((change.member_id, p.year), {}) if change.member_id else {}
            change.year_changes = _differs(stored_year, row.table("member_year"))
            p.members.append(change)


def _differs(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in given.items() if not _same(current.get(k), v)}


def _same(stored: Any, given: Any) -> bool:
    # Read values pass through clean_text (full-width to half-width); stored text may predate that.
    return stored == given or isinstance(stored, str) and clean_text(stored) == given


def _member_change(index: StoreIndex, p: Planned, row: RowRecord, stored: Iterable[dict[str, Any]]) -> MemberChange:
    given = row.table("member")
    key = match_key(given.get("id_no"))
    found = None
    if key and key in index.by_id_no:
        member_id, household_id = index.by_id_no[key]
        if household_id != p.household_id:
            p.group.problems.append(row.problem("证件号码", "此人在库里属于另一户，请先在程序中办理迁移"))
            return MemberChange(row.number, member_id, {})
        found = next((m for m in stored if m["id"] == member_id), None)
    if found is None:  # no ID in the file or in the store: the same name in the same household
        found = next((m for m in stored if m["name"] == given.get("name")
                      and (not key or not m["id_no"])), None)
    if found is None:
        return MemberChange(row.number, None, given)
    changes = _differs(found, given)
    if "id_no" in changes and match_key(found["id_no"]) == key:
        del changes["id_no"]  # a 15-digit old number for a person stored with the 18-digit one
    return MemberChange(row.number, found["id"], changes)
