"""County figures by township and village: households, people, status, main causes, monitoring.

Computed from the merged records (JSON per entity), streamed, so memory stays flat at county scale.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from ..queries.stats import UNSET
from .model import Conflict, Device, Package, Record


def _rows(conn: Any, entity: str) -> Any:
    query = select(Record.entity_id, Record.household_id, Record.village_code, Record.data).where(
        Record.entity == entity, Record.deleted.is_(False))
    return conn.execution_options(stream_results=True, yield_per=5000).execute(query)


def county_stats(engine: Engine) -> dict[str, Any]:
    villages: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "households": 0, "people": 0, "by_status": Counter(), "by_monitoring": Counter(), "by_main_cause": Counter()})
    with engine.connect() as conn:
        active: dict[str, str] = {}
        for entity_id, _, village, data in _rows(conn, "household"):
            d = json.loads(data)
            if d.get("record_status", "在册") != "在册":
                continue
            active[entity_id] = village
            v = villages[village]
            v["households"] += 1
            v["by_status"][d.get("poverty_status") or UNSET] += 1
            if d.get("monitoring_category"):
                v["by_monitoring"][d["monitoring_category"]] += 1
        for _, household_id, _, data in _rows(conn, "member"):
            if household_id in active and json.loads(data).get("record_status", "在册") == "在册":
                villages[active[household_id]]["people"] += 1
        latest: dict[str, tuple[int, str]] = {}
        for _, household_id, _, data in _rows(conn, "household_year"):
            d = json.loads(data)
            newer = d.get("year", 0) >= latest.get(household_id, (0, ""))[0]
            if household_id in active and d.get("main_cause") and newer:
                latest[household_id] = (d.get("year", 0), d["main_cause"])
        for household_id, (_, cause) in latest.items():
            villages[active[household_id]]["by_main_cause"][cause] += 1
        devices = conn.execute(select(Device.status)).scalars().all()
        packages = conn.execute(select(Package.status)).scalars().all()
        open_conflicts = conn.execute(select(Conflict.id).where(Conflict.status == "open")).scalars().all()
    return _summarise(villages, devices, packages, len(open_conflicts))


def _summarise(villages: dict[str, dict[str, Any]], devices: Sequence[str], packages: Sequence[str],
               conflicts: int) -> dict[str, Any]:
    townships: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = {"households": 0, "people": 0, "by_status": Counter(), "by_monitoring": Counter(),
             "by_main_cause": Counter()}
    for code in sorted(villages):
        v = villages[code]
        t = townships.setdefault(code[:9], {"households": 0, "people": 0, "villages": {}})
        t["villages"][code] = {k: dict(val) if isinstance(val, Counter) else val for k, val in v.items()}
        for key in ("households", "people"):
            t[key] += v[key]
            total[key] += v[key]
        for key in ("by_status", "by_monitoring", "by_main_cause"):
            total[key].update(v[key])
    return {"households": total["households"], "people": total["people"],
            "by_status": dict(total["by_status"].most_common()),
            "by_monitoring": dict(total["by_monitoring"].most_common()),
            "by_main_cause": dict(total["by_main_cause"].most_common()), "townships": townships,
            "devices": dict(Counter(devices)), "packages": dict(Counter(packages)), "open_conflicts": conflicts}
