"""农村低收入人口 and the yearly 评估 of former 建档立卡 households, household by household: the list's
filters and the ``assessments`` listing. Each household's year is judged by the rules the figures
count with (``yearstatus``: the status true in the year, the layer set or decided by labour, the
year's own 评估), so a filtered list and the figures agree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ..model import Household, HouseholdYear, Member, MemberYear
from ..yearstatus import (
    REASSESS_FIELDS, YEAR_STATUS, categories_of, former_poor, household_counts, layer_of, present, reassessment_of,
    status_of,
)


@dataclass(frozen=True)
class YearStanding:
    """One household in one year, as the figures see it."""

    household_id: str
    categories: tuple[str, ...]
    layer: str | None  # only for households that carry a category
    former_poor: bool
    reassessment: dict[str, Any]  # the year's own 评估 fields (empty when none recorded)

    @property
    def assessed(self) -> bool:
        return bool(self.reassessment.get("reassess_result"))


def standings(conn: Connection, year: int, household_ids: set[str] | None = None) -> dict[str, YearStanding]:
    """Every household on the books in ``year`` (or those of ``household_ids``) with its categories,
    layer and 评估 of the year."""
    query = select(Household.id, Household.record_status, Household.left_on)
    if household_ids is not None:
        query = query.where(Household.id.in_(sorted(household_ids)))
    fields = {hid: {"record_status": s, "left_on": left} for hid, s, left in conn.execute(query)}
    years: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    columns = [HouseholdYear.household_id, HouseholdYear.year,
               *(HouseholdYear.__table__.c[n] for n in (*YEAR_STATUS, *REASSESS_FIELDS))]
    for row in conn.execute(select(*columns).where(HouseholdYear.year <= year)).mappings():
        if row["household_id"] in fields:
            years[row["household_id"]][row["year"]] = dict(row)
    labours = _labours(conn, year)
    out: dict[str, YearStanding] = {}
    for hid, f in fields.items():
        rows = years.get(hid, {})
        if not household_counts(f, rows, year):
            continue
        status = status_of(rows, year)
        categories = tuple(categories_of(status))
        own = rows.get(year) or {}
        out[hid] = YearStanding(hid, categories, layer_of(status, labours.get(hid, [])) if categories else None,
                                former_poor(status),
                                {n: own.get(n) for n in REASSESS_FIELDS} if reassessment_of(rows, year) else {})
    return out


def _labours(conn: Connection, year: int) -> dict[str, list[Any]]:
    query = (select(Member.household_id, Member.record_status, Member.left_on, MemberYear.labour_skill)
             .join(MemberYear, MemberYear.member_id == Member.id).where(MemberYear.year == year))
    out: dict[str, list[Any]] = defaultdict(list)
    for hid, status, left, labour in conn.execute(query):
        if present({"record_status": status, "left_on": left}, year):
            out[hid].append(labour)
    return out


def households_matching(conn: Connection, year: int, *, category: str | None = None, layer: str | None = None,
                        pending: bool = False) -> set[str]:
    """Households of ``year`` carrying ``category``, in ``layer``, and (``pending``) former 建档立卡
    households not yet assessed that year."""
    return {hid for hid, s in standings(conn, year).items()
            if (category is None or category in s.categories) and (layer is None or s.layer == layer)
            and (not pending or (s.former_poor and not s.assessed))}


def reassessment_rows(conn: Connection, year: int) -> list[dict[str, Any]]:
    """The former 建档立卡 households of ``year`` in the list's order (group, 户编号), each with its
    户编号, group, head and the year's 评估 (blank fields when not assessed)."""
    former = {hid: s for hid, s in standings(conn, year).items() if s.former_poor}
    query = (select(Household.id, Household.national_hh_no, Household.group_name, Household.head_name)
             .where(Household.id.in_(sorted(former)))
             .order_by(Household.group_sort, Household.national_hh_no, Household.id))
    return [{**dict(row), **{n: former[row["id"]].reassessment.get(n) for n in REASSESS_FIELDS}}
            for row in conn.execute(query).mappings()]
