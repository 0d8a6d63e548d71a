"""County figures of a year by township and village: households, people, status, causes, monitoring, risks.

Computed from the merged records (JSON per entity), streamed, so memory stays flat at county scale.
"""

from __future__ import annotations

import json
from datetime import date
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from ..yearstatus import KEYS, UNSET, YEAR_STATUS, YearCounts, count_household, household_counts, present
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
        for _, household_id, _, data in _rows(conn, "member"):
            if household_id in households and present(json.loads(data), year):
                people[household_id] += 1
        years: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for _, household_id, _, data in _rows(conn, "household_year"):
            d = json.loads(data)
            y = d.get("year")
            if household_id in households and isinstance(y, int) and y <= year:
                years[household_id][y] = {k: d.get(k) for k in KEPT}
        villages: dict[str, YearCounts] = {}
        for household_id, (village, fields) in households.items():
            rows = years.get(household_id, {})
            if household_counts(fields, rows, year):
                counts = villages.setdefault(village, YearCounts(year))
                count_household(counts, fields, rows, people[household_id])
        devices = conn.execute(select(Device.status)).scalars().all()
        packages = conn.execute(select(Package.status)).scalars().all()
        open_conflicts = conn.execute(select(Conflict.id).where(Conflict.status == "open")).scalars().all()
    return _summarise(year, villages, devices, packages, len(open_conflicts))


KEPT = ("main_cause", *YEAR_STATUS)


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
