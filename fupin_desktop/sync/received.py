"""What the county sends back, however it arrives (a USB folder, files picked in the app): acknowledgments
and down packages, each recognised by its frame, down packages applied in their numbered order. And what
the device has received, for the 同步 menu: households the county's packages changed, and the fields where
this device kept its own value against the county's (shown side by side until the county decides)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from ..errors import InvalidInput
from ..model import column_label
from ..sync_state import SyncState
from .device import get_meta
from .down import CONFLICT_PREFIX, DownResult, apply_down, finish_run, release_held
from .package import Kind, PackageReader
from .receipts import AckResult, apply_ack
from .snapshot import SNAPSHOT_OP, records_of

if TYPE_CHECKING:
    from ..store.store import Store

SUFFIXES = (".fupinack", ".fupindown")


def _in_folder(folder: Path, device_id: str) -> list[Path]:
    """A folder's acknowledgments and down packages, in name order (which is number order). The county
    writes one stick for many devices, each in files named for it: a device takes its own ones."""
    found = sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and not p.name.startswith("."))
    mine = [p for p in found if device_id[:8] in p.relative_to(folder).as_posix()]
    return mine or found


def expand(paths: list[Path], device_id: str) -> list[Path]:
    """Files as given; a folder gives this device's acknowledgments and down packages."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_in_folder(path, device_id))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"找不到文件或文件夹：{path}")
    return files


def apply_files(store: Store, paths: list[Path]) -> Iterator[tuple[str, AckResult | DownResult]]:
    """Apply each file; yields (name, AckResult or DownResult). A refused file raises (nothing of it applied);
    a down package that cannot be applied yet is held (its result says why) and applied when its turn comes."""
    complete = False
    try:
        released = release_held(store)  # held packages whose turn has come (this program was upgraded)
        if released is not None:
            yield "暂存的下发包", released
        for path in expand(paths, store.device_id):
            kind = PackageReader(path).frame.kind
            yield path.name, apply_down(store, path) if kind == Kind.DOWN else apply_ack(store, path)
        complete = True  # a county folder holds every package it had for this device
    finally:  # also after a refused file: what was applied before it gets its validation marks
        finish_run(store, complete=complete)


RECENT_HOUSEHOLDS = 300  # the list shows the newest; the counts cover everything
_FROM_COUNTY = "device_id LIKE 'county-%'"  # entries applied from the county's packages and corrections


@dataclass(frozen=True)
class ChangedHousehold:
    household_id: str
    head_name: str
    group_name: str
    hh_no: str
    changes: int
    at: str


@dataclass(frozen=True)
class HeldField:
    """A field this device changed and kept against the county's value: mine and the county's."""

    entity: str
    entity_id: str
    name: str  # the column
    household_id: str | None
    head_name: str
    record: str  # the record's kind in Chinese (户, 成员, 收入…)
    field: str  # the field's label
    mine: Any
    county: Any
    at: str


@dataclass
class ReceivedSummary:
    enrolled: bool
    down_packages: int  # down packages applied so far
    households_changed: int  # households the county's packages changed, ever
    recent: list[ChangedHousehold] = field(default_factory=list)
    held: list[HeldField] = field(default_factory=list)  # kept against the county's value
    waiting: int = 0  # this device's changes the county holds as conflicts, not already in ``held``


_RECORD_NAMES = {"household": "户", "household_year": "户年度情况", "member": "成员", "member_year": "成员年度情况",
                 "income_year": "收入", "income_line": "收入明细", "measure": "帮扶措施", "visit": "走访记录"}


def received_summary(store: Store) -> ReceivedSummary:
    with store.engine.connect() as conn:
        enrolled = get_meta(conn, "sync.county") is not None
        total, recent = _recent(conn)
        held = _held(conn)
        return ReceivedSummary(enrolled, int(get_meta(conn, "sync.down_number", "0") or 0), total, recent, held,
                               _waiting(conn, held))


def conflicts_waiting(store: Store) -> int:
    """For the menu, cheap on a township's store: fields kept here plus the county's conflicts on this
    device's changes, one conflict counted once even when both sides see it."""
    with store.engine.connect() as conn:
        held = _held(conn)
        return len(held) + _waiting(conn, held)


def _waiting(conn: Connection, held: list[HeldField]) -> int:
    """This device's change entries the county holds as conflicts, except those already shown as a field
    kept here (the same conflict seen from the device's side: the county's value came down)."""
    kept = {(f.entity, f.entity_id, f.name) for f in held}
    rows = conn.execute(text("SELECT entity, entity_id, fields FROM change_log WHERE sync_state = :s"),
                        {"s": SyncState.CONFLICT.value}).all()
    return sum(1 for entity, entity_id, fields in rows
               if not any((entity, entity_id, name) in kept for name in json.loads(fields)))


def _recent(conn: Connection) -> tuple[int, list[ChangedHousehold]]:
    """(households changed by the county ever, the newest of them). One pass over the household index
    alone (household, hlc, state, device: no table reads, in household order, so no sort for the grouping;
    a township's 770,000 entries), then the few rows shown are looked up."""
    groups = conn.execute(text(
        f"SELECT household_id, count(*), max(hlc), count(*) OVER () FROM change_log "
        f"WHERE household_id IS NOT NULL AND {_FROM_COUNTY} "
        f"GROUP BY household_id ORDER BY max(hlc) DESC, household_id LIMIT {RECENT_HOUSEHOLDS}")).all()
    out = []
    for household_id, changes, hlc, _total in groups:
        at = conn.execute(text("SELECT at FROM change_log WHERE household_id = :h AND hlc = :c LIMIT 1"),
                          {"h": household_id, "c": hlc}).scalar()
        head = conn.execute(text("SELECT head_name, group_name, national_hh_no FROM household WHERE id = :h"),
                            {"h": household_id}).first()
        head_name, group_name, hh_no = head if head is not None else (None, None, None)
        out.append(ChangedHousehold(household_id, head_name or "（无户主）", group_name or "", hh_no or "",
                                    changes + _snapshot_records(conn, household_id), at or ""))
    return (int(groups[0][3]) if groups else 0), out


def _snapshot_records(conn: Connection, household_id: str) -> int:
    """A first download logs one entry per household and package for all the records it brought
    (sync/snapshot.py): counted here as those records, as if each had its own entry."""
    rows = conn.execute(text(f"SELECT fields FROM change_log WHERE household_id = :h AND op = '{SNAPSHOT_OP}'"),
                        {"h": household_id}).scalars()
    return sum(records_of(json.loads(fields)) - 1 for fields in rows)


def _household_of(conn: Connection, entity: str, entity_id: str) -> str | None:
    if entity == "household":
        return entity_id
    found = conn.execute(text("SELECT household_id FROM change_log WHERE entity = :e AND entity_id = :i "
                              "AND household_id IS NOT NULL LIMIT 1"), {"e": entity, "i": entity_id}).scalar()
    return str(found) if found else None


def _held(conn: Connection) -> list[HeldField]:
    out: list[HeldField] = []
    for key, value in conn.execute(text("SELECT key, value FROM meta WHERE key LIKE :p ORDER BY key"),
                                   {"p": CONFLICT_PREFIX + "%"}):
        entity, entity_id, name = key[len(CONFLICT_PREFIX):].split(".", 2)
        both = json.loads(value)
        hh = both.get("hh") or _household_of(conn, entity, entity_id)
        head = conn.execute(text("SELECT head_name FROM household WHERE id = :i"), {"i": hh}).scalar() if hh else None
        out.append(HeldField(entity, entity_id, name, hh, head or "（未知户）", _RECORD_NAMES.get(entity, entity),
                             column_label(entity, name), both.get("mine"), both.get("county"), both.get("at", "")))
    return out
