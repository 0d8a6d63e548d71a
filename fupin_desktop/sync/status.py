"""Where this device's changes are on their way to the county, per record and per package."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, text

from ..model import SyncOutbox
from ..sync_state import ALL_STATES, HOUSEHOLD_PRIORITY, OPEN_STATES, SyncState, sql_list
from .device import get_meta
from .down import CONFLICT_PREFIX
from .held_down import held_numbers

if TYPE_CHECKING:
    from ..store.store import Store

def sync_status(store: "Store") -> dict[str, Any]:
    with store.engine.connect() as conn:
        county = get_meta(conn, "sync.county")
        # No device filter: the state index alone answers (a filter on the device reads every row,
        # seconds on a township log). Entries from elsewhere, county corrections, count as 已确认.
        by_state = text("SELECT sync_state, count(*) FROM change_log GROUP BY sync_state")
        counts: dict[str, int] = {state: n for state, n in conn.execute(by_state)}
        outbox = conn.execute(select(SyncOutbox.number, SyncOutbox.package_id, SyncOutbox.entries,
                                     SyncOutbox.state, SyncOutbox.created).order_by(SyncOutbox.number)).all()
        enrolled = json.loads(county) if county else None
        return {
            "device_id": store.device_id, "village_code": store.village_code,
            "enrolled": enrolled is not None,
            "county": {"name": enrolled["county_name"], "server_url": enrolled["server_url"],
                       "label": enrolled["label"], "scope": enrolled.get("scope") or enrolled["village_code"]}
            if enrolled else None,
            "registered": get_meta(conn, "sync.registered") == "1",
            "revoked": get_meta(conn, "sync.self_revoked") == "1",
            "last_ack": int(get_meta(conn, "sync.ack_number", "0") or 0),
            "changes": {state: counts.get(state, 0) for state in ALL_STATES},
            "packages": [dict(r._mapping) for r in outbox],
            "down": {"applied": int(get_meta(conn, "sync.down_number", "0") or 0),
                     "conflicts": _down_conflicts(conn), "held": held_numbers(store)},
        }


def _down_conflicts(conn: Connection) -> int:
    """Fields where this device kept its own value against the county's (sync/down.py)."""
    from .down import CONFLICT_PREFIX  # noqa: PLC0415

    return int(conn.execute(text("SELECT count(*) FROM meta WHERE key LIKE :p"), {"p": CONFLICT_PREFIX + "%"}).scalar()
               or 0)


def household_states(conn: Connection, household_ids: list[str], device_id: str) -> dict[str, str]:
    """The sync state each household shows in the list (households with no own changes: absent)."""
    if not household_ids:
        return {}
    rows = conn.execute(text("SELECT household_id, sync_state FROM change_log WHERE device_id = :d AND "
                             "household_id IN (SELECT value FROM json_each(:ids)) GROUP BY household_id, sync_state"),
                        {"d": device_id, "ids": json.dumps(household_ids)}).all()
    states: dict[str, str] = {}
    for hh, state in rows:
        if hh not in states or HOUSEHOLD_PRIORITY.index(state) < HOUSEHOLD_PRIORITY.index(states[hh]):
            states[hh] = state
    # A field kept here against the county's value (sync/down.py) is a conflict whatever the state of
    # this device's own entry (not yet sent, say, when the county's folder came by USB first).
    wanted = set(household_ids)
    for (value,) in conn.execute(text("SELECT value FROM meta WHERE key LIKE :p"), {"p": CONFLICT_PREFIX + "%"}):
        hh = json.loads(value).get("hh")
        if hh in wanted:
            states[hh] = SyncState.CONFLICT.value
    return states


def open_counts(conn: Connection) -> dict[str, int]:
    """Changes not yet confirmed, per state, for the status bar after every save. Confirmed ones,
    the bulk of an old log, are not counted, so this reads only the state index. No device filter
    is needed: entries from elsewhere (county corrections) are logged as confirmed."""
    rows = conn.execute(text(f"SELECT sync_state, count(*) FROM change_log WHERE sync_state IN "
                             f"{sql_list(OPEN_STATES)} GROUP BY sync_state")).all()
    counts: dict[str, int] = dict.fromkeys(OPEN_STATES, 0)
    counts.update(dict(rows))
    return counts
