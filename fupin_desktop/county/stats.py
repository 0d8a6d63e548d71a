"""County figures of a year by township and village: households, people, status, causes, monitoring, risks.

Computed from the merged records (JSON per entity), streamed, so memory stays flat at county scale.
"""

from __future__ import annotations

import json
from datetime import date
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from ..income import totals
from ..reference import adds_claims, load_thresholds
from ..yearstatus import (
    INCOME_COLUMNS, KEYS, MEMBER_YEAR, REASSESS_FIELDS, UNSET, YEAR_STATUS, YearCounts, count_household,
    household_counts, income_label, present,
)
from .model import Conflict, Device, Package, Record


def _rows(conn: Any, entity: str) -> Any:
    query = select(Record.entity_id, Record.household_id, Record.village_code, Record.data).where(
        Record.entity == entity, Record.deleted.is_(False))
    return conn.execution_options(stream_results=True, yield_per=5000).execute(query)


def county_stats(engine: Engine, year: int | None = None) -> dict[str, Any]:
    """County figures of ``year`` (this year by default), by the rule the villages count with
    (``yearstatus.count_year``): what was true in that year."""
    year = year or date.today().year
    with engine.connect() as conn:
        households: dict[str, tuple[str, dict[str, Any]]] = {}
        for entity_id, _, village, data in _rows(conn, "household"):
            d = json.loads(data)
            households[entity_id] = (village, {k: d.get(k) for k in ("record_status", "left_on", "poverty_status")})
        people: Counter[str] = Counter()
        present_members: dict[str, str] = {}
        for member_id, household_id, _, data in _rows(conn, "member"):
            if household_id in households and present(json.loads(data), year):
                people[household_id] += 1
                present_members[member_id] = household_id
        members = _member_years(conn, year, present_members)
        years: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for _, household_id, _, data in _rows(conn, "household_year"):
            d = json.loads(data)
            y = d.get("year")
            if household_id in households and isinstance(y, int) and y <= year:
                years[household_id][y] = {k: d.get(k) for k in KEPT}
        incomes = _income_labels(conn, year, households, years, people)
        villages: dict[str, YearCounts] = {}
        for household_id, (village, fields) in households.items():
            rows = years.get(household_id, {})
            if household_counts(fields, rows, year):
                counts = villages.setdefault(village, YearCounts(year))
                count_household(counts, fields, rows, people[household_id],
                                incomes.get(household_id, income_label(None, None, True)),
                                members.get(household_id, []))
        devices = conn.execute(select(Device.status)).scalars().all()
        packages = conn.execute(select(Package.status)).scalars().all()
        open_conflicts = conn.execute(select(Conflict.id).where(Conflict.status == "open")).scalars().all()
    return _summarise(year, villages, devices, packages, len(open_conflicts))


KEPT = ("main_cause", "population", *YEAR_STATUS, *REASSESS_FIELDS)


def _member_years(conn: Any, year: int, present_members: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The member_year records of ``year`` of the members present in it, by household (as the village reads them)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, _, _, data in _rows(conn, "member_year"):
        d = json.loads(data)
        household_id = present_members.get(d.get("member_id"))
        if household_id is not None and d.get("year") == year:
            out[household_id].append({name: d.get(name) for name in MEMBER_YEAR})
    return out


def _income_labels(conn: Any, year: int, households: dict[str, tuple[str, dict[str, Any]]],
                   years: dict[str, dict[int, dict[str, Any]]], people: Counter[str]) -> dict[str, str]:
    """Each household's 收支核算 of the year (``yearstatus.income_label``). The totals are derived
    columns, which the villages do not send: they are worked out from the lines, as the village does."""
    heads: dict[str, tuple[str, dict[str, Any]]] = {}
    for entity_id, household_id, _, data in _rows(conn, "income_year"):
        d = json.loads(data)
        if household_id in households and d.get("year") == year:
            heads[entity_id] = (household_id, d)
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, _, _, data in _rows(conn, "income_line"):
        d = json.loads(data)
        if d.get("income_id") in heads:
            lines[d["income_id"]].append(d)
    reference, labels = _Lines(year), {}
    for income_id, (household_id, d) in heads.items():
        population = (d.get("population") or (years.get(household_id, {}).get(year) or {}).get("population")
                      or people[household_id])
        row = {k: d.get(k) for k in INCOME_COLUMNS} | totals(lines[income_id], population)
        row["population"] = population
        labels[household_id] = income_label(row, *reference.of(households[household_id][0]))
    return labels


class _Lines:
    """The 监测范围 of the year per province (the reference data the villages are seeded with) and
    whether 理赔收入 is added back after the 刚性支出 there."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.amounts = {p: Decimal(str(a)) for p, y, kind, a, _ in load_thresholds()["rows"]
                        if y == year and kind == "监测"}
        self.cache: dict[str, tuple[Decimal | None, bool]] = {}

    def of(self, village_code: str | None) -> tuple[Decimal | None, bool]:
        province = (village_code or "00")[:2]
        if province not in self.cache:
            line = self.amounts.get(province, self.amounts.get("00"))
            self.cache[province] = (line, adds_claims(self.year, province))
        return self.cache[province]


def _summarise(year: int, villages: dict[str, YearCounts], devices: Sequence[str], packages: Sequence[str],
               conflicts: int) -> dict[str, Any]:
    """Per village and township, then the county: households and people, and household counts by each key."""
    townships: dict[str, dict[str, Any]] = {}
    total = YearCounts(year)
    for code in sorted(villages):
        v = villages[code]
        t = townships.setdefault(code[:9], {"households": 0, "people": 0, "villages": {}})
        t["villages"][code] = {"households": v.households, "people": v.people,
                               **{key: dict(v.by.get(key, {}).get("households", Counter())) for key in KEYS}}
        t["villages"][code].get("by_monitoring", {}).pop(UNSET, None)
        t["households"] += v.households
        t["people"] += v.people
        total.households += v.households
        total.people += v.people
        for key, units in v.by.items():
            into = total.by.setdefault(key, {"households": Counter(), "people": Counter()})
            for unit, counter in units.items():
                into[unit].update(counter)
    figures = {key: dict(total.by.get(key, {}).get("households", Counter()).most_common()) for key in KEYS}
    # 监测对象 only: households outside monitoring are not a 监测对象类别 of their own here.
    figures["by_monitoring"].pop(UNSET, None)
    return {"year": year, "households": total.households, "people": total.people, **figures,
            "people_by": {key: dict(units["people"].most_common()) for key, units in total.by.items()},
            "townships": townships, "devices": dict(Counter(devices)), "packages": dict(Counter(packages)),
            "open_conflicts": conflicts}
