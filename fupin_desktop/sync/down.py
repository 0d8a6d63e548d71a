"""Applying the county's down packages on the device: the records of its scope as the county holds them.

Checks, each refusing before the next, with the store unchanged: a down package (not a change package
or an acknowledgment), from this device's county (its registered signing key), signature, for this
device. Then its number: an earlier one is a replay and changes nothing; a later one than the next is
kept sealed in ``held-down/`` (sync/held_down.py) and applied, in order, when the missing one arrives
(by HTTP or USB); so is one from a newer county program, until this program is upgraded. The next one
must continue the hash chain. Then one transaction per package: an older county program's records
are first written as this schema holds them (sync/schema_map.py: renamed, and split where a migration
moved fields to another record, which then merges into the row of its key), and every record is
checked against the schema (a field this program still cannot place refuses the whole package,
saying where, and that the county's program is the older one: nothing is trimmed), then applied
field by field. Applied changes enter the change log with the county as origin, already
confirmed, so they are never sent back. A field this device changed and the county has not yet
confirmed keeps the device's value and is recorded as a conflict, until the county's decision arrives
(a version stamped "county"), which settles it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select, text, update

from ..model import Base
from ..model.base import identity_columns
from ..queries.history import TABLE_LABELS
from ..queries.load import SUMMARY_PARTS, load_households
from ..queries.years import current_year
from ..reference import RefValue, apply_reference
from ..services.checks import mark_store
from ..services.households import SUMMARY_INPUTS, refresh_summaries, unit_of_work
from ..services.uow import UnitOfWork
from ..sync_state import OPEN_STATES, SyncState, sql_list
from ..values import from_json, to_json
from . import crypto
from . import held_down
from . import snapshot
from .device import DeviceKeys, device_keys, get_meta, known_revision, schema_revision, set_meta
from .package import Kind, PackageError, PackageReader
from .schema_map import MOVED_BY, forward_records, record_steps

if TYPE_CHECKING:
    from ..store.store import Store

_INTERNAL = ("meta", "change_log", "sync_outbox", "app_user")
_NEVER_DELETED = ("household", "member")  # they leave with a reason, never by a delete
# The states listed (not "NOT IN confirmed, rejected"), so that the state's index finds the few open
# entries: scanning a log that a first download grows was 7 % of applying it.
_PENDING = text("SELECT entity, entity_id, fields, sync_state FROM change_log WHERE device_id = :me "
                f"AND sync_state IN {sql_list(tuple(s for s in OPEN_STATES if s is not SyncState.REJECTED))} "
                "ORDER BY seq")
CONFLICT_PREFIX = "sync.down_conflict."
# A package past this many records (a first download) refreshes validation marks once at the end of the
# run instead of household by household: the marks' cross-household checks were 80 % of applying.
BULK_RECORDS = 1000
MARKS_PENDING = "sync.down_marks_pending"
SUMMARIES_PENDING = "sync.down_summaries_pending"  # households whose list summaries wait for the end of the run
SUMMARY_SLICE = 1000
# While a big package is applied, its commit included: thousands of rows go into a dozen tables'
# indexes, and SQLite's 2 MB page cache re-read and decrypted their pages again and again; each commit
# copied the log back into the database (past 1,000 pages), the same index pages package after
# package. With a 64 MB cache (the check's workers use as much) and the log copied back every 80 MB,
# a township's first download is about a fifth faster; every commit still reaches the disk.
BULK_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 20000}


@dataclass
class DownResult:
    number: int
    records: int = 0
    changed: int = 0
    conflicts: int = 0
    reference: int = 0  # thresholds and rule parameters taken over
    already: bool = False
    held: str = ""  # kept for later (a package missing before it, a newer county program): why, in Chinese
    released: list[int] = field(default_factory=list)  # held packages applied after this one
    own: bool = True  # False: only held packages released (no package of its own was given)
    households: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)


def _refuse(code: str, message: str, path: Path) -> PackageError:
    return PackageError(code, f"{message}：{path.name}{_UNCHANGED}")


def _open(store: Store, path: Path) -> tuple[PackageReader, DeviceKeys, dict[str, Any]]:
    reader = PackageReader(path)
    with store.engine.connect() as conn:
        keys = device_keys(conn)
    if reader.frame.kind != Kind.DOWN:
        raise _refuse("NOT_DOWN", "这不是县里的下发包", path)
    county_key = crypto.unb64(keys.county.sign_key)
    if reader.frame.sender_id != keys.county.county_id or reader.frame.sender_public != county_key:
        raise _refuse("WRONG_COUNTY", "这个下发包不是本机所属的县发出的，可能是伪造的", path)
    header = reader.verify(county_key)
    if header.get("kind") != "down" or header.get("device_id") != store.device_id \
            or header.get("county_id") != keys.county.county_id:
        raise _refuse("NOT_FOR_THIS_DEVICE", "这个下发包是发给另一台设备的", path)
    if type(header.get("number")) is not int or header["number"] < 1:
        raise _refuse("BAD_HEADER", "下发包头部的编号无效", path)
    return reader, keys, header


ALREADY, NEXT, GAP, NEWER = "already", "next", "gap", "newer"


def _order(conn: Connection, header: dict[str, Any], path: Path) -> str:
    """Where the package stands: applied before, the next one, after a missing one, or from a newer
    schema. Raises when it is the next number but does not continue the chain."""
    last = _last(conn)
    if header["number"] <= last:
        return ALREADY
    if header["number"] > last + 1:
        return GAP
    if header.get("prev_hash", "") != (get_meta(conn, "sync.down_hash", "") or ""):
        raise _refuse("DOWN_CHAIN", "这个下发包与本机上一个下发包接不上（可能被调换过）", path)
    return NEXT if known_revision(header.get("schema")) else NEWER


def _last(conn: Connection) -> int:
    return int(get_meta(conn, "sync.down_number", "0") or 0)


@cache
def _columns_of(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


def _table(record: Mapping[str, Any], path: Path, schema: Any) -> Table:
    entity = record.get("entity")
    table = Base.metadata.tables.get(entity) if isinstance(entity, str) and entity not in _INTERNAL else None
    data = record.get("data")
    if record.get("type") != "record" or table is None or not isinstance(data, dict) \
            or not isinstance(record.get("id"), str):
        raise _refuse("BAD_PAYLOAD", "下发包的内容无法理解，没有导入", path)
    unknown = data.keys() - _columns_of(table)
    if unknown:  # never trimmed: a field this program cannot keep refuses the package
        raise _refuse("UNKNOWN_FIELD", _cannot_place(record, table, sorted(unknown), schema), path)
    return table


def _cannot_place(record: Mapping[str, Any], table: Table, fields: list[str], schema: Any) -> str:
    """Which fields of which record, and whose program is behind. A package from a newer county program
    is held before it gets here, so this one is from an older county program (or from the same revision,
    which names a field it should not): the device's user must never be told to upgrade then."""
    moved = f"，按数据结构版本 {record[MOVED_BY]} 的升级规则移来" if record.get(MOVED_BY) else ""
    where = f"{TABLE_LABELS.get(table.name, table.name)}记录（{record.get('id')}{moved}）"
    mine = schema_revision()
    if schema == mine:
        return (f"下发包里{where}有本机程序没有的字段 {fields}，但县里和本机程序的数据结构版本相同（{mine}）。"
                "本机程序不需要升级，请联系县里核对县级程序")
    written = f"数据结构版本 {schema}" if schema else "未标明数据结构版本"
    return (f"下发包来自较旧的县级程序（{written}，本机为 {mine}）：{where}的字段 {fields} 本机程序已经没有，"
            "也没有升级规则能把它放到新的位置。本机程序不需要升级，请告诉县里：县级程序需要升级")


def _reference(record: Mapping[str, Any], path: Path) -> RefValue:
    ref = RefValue.from_record(record)
    if ref is None:
        raise _refuse("BAD_PAYLOAD", "下发包里的参考数据（标准、规则参数）无法理解，没有导入", path)
    return ref


@dataclass
class Mine:
    """A field this device changed and the county has not confirmed."""

    base: Any  # the value (as JSON) the device's first unconfirmed edit started from
    in_conflict: bool  # every unconfirmed edit of it is already a conflict at the county


Pending = dict[tuple[str, str], dict[str, Mine]]


def _pending(conn: Connection, me: str) -> Pending:
    out: Pending = {}
    for entity, entity_id, fields, state in conn.execute(_PENDING, {"me": me}):
        per_field = out.setdefault((entity, entity_id), {})
        for name, pair in json.loads(fields).items():
            if name not in per_field:
                per_field[name] = Mine(pair[0], True)
            per_field[name].in_conflict &= state == SyncState.CONFLICT
    return out


@dataclass
class Here:
    """What a package must respect on this device, read once per package: its unconfirmed edits, and
    the fields it keeps against the county's value (a settled field is deleted only when kept; a
    statement per field of every record was most of a routine exchange)."""

    pending: Pending
    kept: set[str]

    @classmethod
    def read(cls, conn: Connection, me: str) -> Here:
        kept = conn.execute(text("SELECT key FROM meta WHERE key LIKE :p"), {"p": CONFLICT_PREFIX + "%"}).scalars()
        return cls(_pending(conn, me), set(kept))


def _writer_of(version: Any) -> str:
    return version.split(".", 2)[2] if isinstance(version, str) and version.count(".") >= 2 else ""


_UNCHANGED = "（本机数据没有任何改动）"


def apply_down(store: Store, path: Path) -> DownResult:
    """Apply one down package, or raise PackageError saying why not; the store is then unchanged."""
    try:
        return _apply_down(store, Path(path))
    except PackageError as err:
        if err.message.endswith(_UNCHANGED):
            raise
        raise PackageError(err.code, f"下发包没有导入：{err.message}{_UNCHANGED}", hint=err.hint) from None


def _apply_down(store: Store, path: Path, *, release: bool = True) -> DownResult:
    reader, keys, header = _open(store, path)
    result = DownResult(number=header["number"])
    with store.engine.connect() as conn:
        order, last = _order(conn, header, path), _last(conn)
    if order == ALREADY:
        result.already = True
        return result
    if order in (GAP, NEWER):
        return _hold(store, path, header, order, last, result)
    if not _apply_next(store, reader, keys, header, path, result):
        result.already = True  # applied meanwhile by another window
        return result
    if release:
        _release_into(store, result)
    return result


def _hold(store: Store, path: Path, header: dict[str, Any], order: str, last: int, result: DownResult) -> DownResult:
    held_down.keep(store, path, header["number"])
    result.held = held_down.missing_message(last, header["number"]) if order == GAP else \
        held_down.schema_message(header.get("schema"), header["number"])
    result.messages.append(result.held)
    return result


def _apply_next(store: Store, reader: PackageReader, keys: DeviceKeys, header: dict[str, Any], path: Path,
                result: DownResult) -> bool:
    everything = list(reader.records(keys.box.private))  # bounded by the package limits
    refs = [_reference(r, path) for r in everything if r.get("type") == "reference"]
    received = len(everything) - len(refs)
    # an older county program's records in this program's fields: renamed, and moved where a migration
    # moved fields to another record (sync/schema_map.py)
    steps = record_steps(header.get("schema"))
    records = [r for r in everything if r.get("type") != "reference"]
    if steps:
        records = [forwarded for r in records for forwarded in forward_records(r, steps)]
    tables = [_table(r, path, header.get("schema")) for r in records]

    bulk = len(records) > BULK_RECORDS
    with unit_of_work(store, user="县级下发", origin=f"county-{keys.county.county_id[:8]}", check=not bulk,
                      pragmas=BULK_PRAGMAS if bulk else None) as uow:
        assert uow.conn is not None
        uow.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # a member may come before its household
        if _order(uow.conn, header, path) != NEXT:
            return False
        first = snapshot.in_run(uow.conn, header["number"])
        records, tables = _place_moved(uow.conn, records, tables)
        stale: set[str] = set()  # households whose list summary this package changes
        fresh = _apply_all(uow, records, tables, Here.read(uow.conn, store.device_id), result, stale)
        if first:  # a first download: new records in bulk, one log entry per household (sync/snapshot.py)
            counts = snapshot.insert(uow, fresh, datetime.now(UTC).isoformat(timespec="seconds"))
            snapshot.log(uow, counts, header["number"], (header.get("rev_from"), header.get("rev_to")))
        else:
            _insert_fresh(uow, fresh)
        result.changed += sum(len(rows) for _, rows in fresh.values())
        result.reference = sum(apply_reference(uow.conn, ref) for ref in refs)
        # list summaries and validation marks once for the whole run (finish_run): a household comes again
        # with its children in later packages, and summarising it per package was half of a first download;
        # new thresholds or parameters change every household's marks, so they are refreshed then too
        if bulk:
            _defer_summaries(uow.conn, stale)
        if bulk or result.reference:
            set_meta(uow.conn, MARKS_PENDING, "1")
        set_meta(uow.conn, "sync.down_number", str(header["number"]))
        set_meta(uow.conn, "sync.down_hash", reader.digest.hex())
        result.households = set(uow.changed_households)
    result.records = received
    return True


def release_held(store: Store) -> DownResult | None:
    """Apply the held packages whose turn has come (after an upgrade, or a missing package applied
    elsewhere); None when none could be."""
    result = DownResult(number=down_number(store), own=False)
    _release_into(store, result)
    return result if result.released or result.messages else None


def _release_into(store: Store, result: DownResult) -> None:
    """Held packages that follow on, one transaction each, their counts added to ``result``. One that is
    refused when its turn comes is set aside (kept, renamed) with the reason in ``result.messages``."""
    while True:
        last = down_number(store)
        held_down.forget_through(store, last)
        path = held_down.held_path(store, last + 1)
        if not path.is_file():
            return
        try:
            got = _apply_down(store, path, release=False)
        except PackageError as err:
            aside = held_down.set_aside(path)
            result.messages.append(f"暂存的第 {last + 1} 个下发包无法导入，已移到 {aside.name}：{err.message}")
            return
        if got.held or got.already:
            return
        held_down.done(path)
        _merge_counts(result, got)


def _merge_counts(result: DownResult, got: DownResult) -> None:
    result.released.append(got.number)
    result.records += got.records
    result.changed += got.changed
    result.conflicts += got.conflicts
    result.reference += got.reference
    result.households |= got.households
    result.messages.append(f"已按顺序导入暂存的第 {got.number} 个下发包。")


def _defer_summaries(conn: Connection, household_ids: set[str]) -> None:
    waiting = set(json.loads(get_meta(conn, SUMMARIES_PENDING) or "[]")) | household_ids
    set_meta(conn, SUMMARIES_PENDING, json.dumps(sorted(waiting)))


def finish_run(store: Store, *, complete: bool = True) -> bool:
    """After a run of down packages (or at the next run, if one was cut): refresh the list summaries and
    the validation marks that bulk packages left for the end. Returns whether it did. ``complete``: the
    county had nothing more (not cut, not cancelled), so a first download is over."""
    with store.engine.connect() as conn:
        summaries, marks = get_meta(conn, SUMMARIES_PENDING), get_meta(conn, MARKS_PENDING)
        running = get_meta(conn, snapshot.SNAPSHOT) is not None
    if complete and running:
        with store.engine.begin() as conn:
            snapshot.end_run(conn)
    if summaries is not None:
        _finish_summaries(store, json.loads(summaries))
    if marks is None:
        return summaries is not None

    mark_store(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": MARKS_PENDING})
    return True


def _finish_summaries(store: Store, household_ids: list[str]) -> None:
    """A unit of work per slice (only derived columns change: nothing is logged); the list of what is
    waiting goes with the last one, so a cut run does it again, whole, next time."""
    slices = [household_ids[i:i + SUMMARY_SLICE] for i in range(0, len(household_ids), SUMMARY_SLICE)] or [[]]
    for number, part in enumerate(slices, 1):
        with unit_of_work(store, user="县级下发", check=False) as uow:
            assert uow.conn is not None
            refresh_summaries(uow, load_households(uow.conn, part, SUMMARY_PARTS), current_year(uow.conn))
            if number == len(slices):
                uow.conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": SUMMARIES_PENDING})


def _values(table: Table, record: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: from_json(table.c[name], value) for name, value in record["data"].items()}
    if isinstance(record.get("blob"), str) and "data" in table.c:
        values["data"] = crypto.unb64(record["blob"])
    return values


def _existing(conn: Connection, records: list[dict[str, Any]], tables: list[Table]) -> dict[tuple[str, str], Any]:
    """The device's current rows for the package's records, read in a few queries rather than one each."""
    ids: dict[str, tuple[Table, list[str]]] = {}
    for record, table in zip(records, tables):
        ids.setdefault(table.name, (table, []))[1].append(record["id"])
    found: dict[tuple[str, str], Any] = {}
    for name, (table, wanted) in ids.items():
        for start in range(0, len(wanted), 500):
            for row in conn.execute(select(table).where(table.c.id.in_(wanted[start:start + 500]))).mappings():
                found[(name, row["id"])] = dict(row)
    return found


def _key(record: Mapping[str, Any], table: Table) -> tuple[Any, ...] | None:
    columns = identity_columns(table)
    key = tuple(record["data"].get(c) for c in columns) if columns else None
    return key if key is not None and None not in key else None


def _place_moved(conn: Connection, records: list[dict[str, Any]],
                 tables: list[Table]) -> tuple[list[dict[str, Any]], list[Table]]:
    """Where the records a migration's move made (schema_map.MOVED_BY) belong. Each carries the id the
    migration gives a new row; the row of its key is where its fields go, as the migration would have
    put them there: the package's own record of that row (the fields join it, a field's newer version
    winning), else the row this device holds (the move takes its id), else a new row with that id. They
    are then merged field by field like any other record; a second row of the same key is never made
    (the unique key would refuse the package) and a row this device holds is never renamed for them."""
    if not any(r.get(MOVED_BY) for r in records):
        return records, tables
    out: list[dict[str, Any]] = []
    out_tables: list[Table] = []
    carrying: dict[tuple[str, tuple[Any, ...]], int] = {}  # a row's key → the package record that carries it
    deleted: set[tuple[str, str]] = set()
    for record, table in zip(records, tables):
        if record.get(MOVED_BY):
            continue
        key = _key(record, table)
        if record.get("deleted"):
            deleted.add((table.name, record["id"]))
        elif key is not None:
            carrying[(table.name, key)] = len(out)
        out.append(record)
        out_tables.append(table)
    held = _held_keys(conn, [(r, t) for r, t in zip(records, tables) if r.get(MOVED_BY)])
    for record, table in zip(records, tables):
        if not record.get(MOVED_BY):
            continue
        key = _key(record, table)  # None: nothing to place it by, taken as it is
        at = carrying.get((table.name, key)) if key is not None else None
        if at is not None:
            out[at] = _joined(out[at], record)
            continue
        here = held.get((table.name, key)) if key is not None else None
        if here is not None and (table.name, here) not in deleted:
            record = {**record, "id": here}
        if key is not None:
            carrying[(table.name, key)] = len(out)
        out.append(record)
        out_tables.append(table)
    return out, out_tables


def _held_keys(conn: Connection, moved: list[tuple[dict[str, Any], Table]]) -> dict[tuple[str, tuple[Any, ...]], str]:
    """The ids of the rows this device holds for the moved records' keys."""
    wanted: dict[str, tuple[Table, tuple[str, ...], set[Any]]] = {}
    for record, table in moved:
        columns = identity_columns(table)
        if columns and _key(record, table) is not None:
            wanted.setdefault(table.name, (table, columns, set()))[2].add(record["data"][columns[0]])
    found: dict[tuple[str, tuple[Any, ...]], str] = {}
    for name, (table, columns, owners) in wanted.items():
        ordered = sorted(owners, key=str)
        for start in range(0, len(ordered), 500):
            query = select(table.c.id, *(table.c[c] for c in columns)).where(
                table.c[columns[0]].in_(ordered[start:start + 500]))
            for row in conn.execute(query).mappings():
                found[(name, tuple(row[c] for c in columns))] = row["id"]
    return found


def _joined(record: dict[str, Any], moved: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with the moved fields added; a field both carry keeps the value of the newer version."""
    data, raw = dict(record["data"]), record.get("versions")
    versions: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    sent = moved.get("versions")
    theirs: Mapping[str, Any] = sent if isinstance(sent, dict) else {}
    for name, value in moved["data"].items():
        stamp = theirs.get(name)
        if name not in data or (stamp is not None and str(stamp) > str(versions.get(name) or "")):
            data[name] = value
            if stamp is not None:
                versions[name] = stamp
    return {**record, "data": data, "versions": versions}


def _apply_all(uow: UnitOfWork, records: list[dict[str, Any]], tables: list[Table], here: Here,
               result: DownResult, stale: set[str]) -> dict[str, tuple[Table, snapshot.Fresh]]:
    """Apply the records the device has; return the new ones per table (in order, the last state of a
    record sent twice), for the caller to insert together. ``stale`` gets the households whose list
    summary changes (services.households.SUMMARY_INPUTS)."""
    assert uow.conn is not None
    existing = _existing(uow.conn, records, tables)
    _adopt_ids(uow.conn, records, tables, existing, here)
    fresh: dict[str, tuple[Table, dict[str, tuple[dict[str, Any], str | None]]]] = {}
    for record, table in zip(records, tables):
        hh = record.get("hh") if isinstance(record.get("hh"), str) else None
        local = existing.get((table.name, record["id"]))
        inputs = SUMMARY_INPUTS.get(table.name)
        if local is None and not record.get("deleted"):  # new here: inserted together, per table
            fresh.setdefault(table.name, (table, {}))[1][record["id"]] = (record, hh)
            if inputs and hh:
                stale.add(hh)
        elif local is not None:
            changed = _apply_record(uow, table, record, local, hh, here, result)
            if inputs and hh and not changed.isdisjoint(inputs):
                stale.add(hh)
    uow.flush_queued()
    # parents before children: a child row whose parent comes later in the transaction leaves a deferred
    # foreign-key violation open, and while one is open SQLite searches the child tables at every parent
    # row inserted (a township's first download went quadratic: 57 s of executemany for 76,000 records)
    order = {table.name: i for i, table in enumerate(Base.metadata.sorted_tables)}
    return {name: (table, list(rows.values()))
            for name, (table, rows) in sorted(fresh.items(), key=lambda item: order[item[0]])}


def _insert_fresh(uow: UnitOfWork, fresh: dict[str, tuple[Table, snapshot.Fresh]]) -> None:
    for table, rows in fresh.values():
        uow.insert_many(table, [{**_values(table, record), "id": record["id"]} for record, _ in rows],
                        household_ids=[h for _, h in rows], trusted=True)


def _adopt_ids(conn: Connection, records: list[dict[str, Any]], tables: list[Table],
               existing: dict[tuple[str, str], Any], here: Here) -> None:
    """A row this device holds under another id than the county's record of the same key (a household's
    row for a year made on two laptops before ids came from the key; the county kept one, county/merge.py)
    takes the county's id, with its income lines, history and kept conflicts, and the county's record
    then merges into it field by field like any other (the unique key would refuse a second row)."""
    wanted: dict[str, tuple[Table, tuple[str, ...], dict[tuple[Any, ...], str]]] = {}
    for record, table in zip(records, tables):
        columns = identity_columns(table)
        if columns and not record.get("deleted") and (table.name, record["id"]) not in existing:
            key = tuple(record["data"].get(c) for c in columns)
            if None not in key:
                wanted.setdefault(table.name, (table, columns, {}))[2][key] = record["id"]
    for name, (table, columns, ids) in wanted.items():
        owners = sorted({key[0] for key in ids})
        for start in range(0, len(owners), 500):
            query = select(table).where(table.c[columns[0]].in_(owners[start:start + 500]))
            for row in conn.execute(query).mappings().all():
                county_id = ids.get(tuple(row[c] for c in columns))
                if county_id is not None and county_id != row["id"]:
                    _rename(conn, table, row["id"], county_id, here)
                    existing[(name, county_id)] = {**row, "id": county_id}


def _rename(conn: Connection, table: Table, old: str, new: str, here: Here) -> None:
    conn.execute(update(table).where(table.c.id == old).values(id=new))
    for child in Base.metadata.tables.values():
        for fk in child.foreign_keys:
            if fk.column.table is table:
                column = child.c[fk.parent.name]
                conn.execute(update(child).where(column == old).values({column: new}))
    conn.execute(text("UPDATE change_log SET entity_id = :new WHERE entity = :e AND entity_id = :old"),
                 {"new": new, "e": table.name, "old": old})
    before, after = f"{CONFLICT_PREFIX}{table.name}.{old}.", f"{CONFLICT_PREFIX}{table.name}.{new}."
    conn.execute(text("UPDATE meta SET key = :after || substr(key, :n) WHERE key LIKE :like"),
                 {"after": after, "n": len(before) + 1, "like": before + "%"})
    if (table.name, old) in here.pending:
        here.pending[(table.name, new)] = here.pending.pop((table.name, old))
    for key in [k for k in here.kept if k.startswith(before)]:
        here.kept.discard(key)
        here.kept.add(after + key[len(before):])


def _apply_record(uow: UnitOfWork, table: Table, record: Mapping[str, Any], local: dict[str, Any], hh: str | None,
                  here: Here, result: DownResult) -> set[str]:
    """The names of the fields it changed (every one for a deleted record)."""
    if record.get("deleted"):
        if table.name not in _NEVER_DELETED:
            uow.delete(table, record["id"], household_id=hh)
            result.changed += 1
            return set(table.c.keys())
        return set()
    changes = _merge(uow, table, record, local, _values(table, record), here, result)
    if changes:
        uow.queue_update(table, record["id"], changes, household_id=hh, current=local)
        local.update(changes)  # the row as it now is, should the package name it again
        result.changed += 1
    return set(changes)


def _merge(uow: UnitOfWork, table: Table, record: Mapping[str, Any], local: dict[str, Any],
           values: dict[str, Any], here: Here, result: DownResult) -> dict[str, Any]:
    """The fields to take over; a field this device changed unconfirmed is kept and recorded as a conflict."""
    assert uow.conn is not None
    changes: dict[str, Any] = {}
    mine = here.pending.get((table.name, record["id"]), {})
    raw = record.get("versions")
    versions: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for name, value in values.items():
        key = f"{CONFLICT_PREFIX}{table.name}.{record['id']}.{name}"
        writer, edit = _writer_of(versions.get(name)), mine.get(name)
        if local.get(name) == value or edit is None or (writer == "county" and edit.in_conflict):
            if key in here.kept:  # equal, not ours to keep, or the county's decision: the conflict is over
                _settle(uow.conn, key)
                here.kept.discard(key)
            if local.get(name) != value:
                changes[name] = value
        elif writer != uow.store.device_id and record["data"][name] != edit.base:
            # Another device changed it since our edit's starting point (our own edit coming back, or
            # the value we started from, is no conflict): keep ours, show both, the county decides.
            hh = record.get("hh") if isinstance(record.get("hh"), str) else None
            _keep_mine(uow.conn, key, local.get(name), value, hh)
            here.kept.add(key)
            result.conflicts += 1
    return changes


def _settle(conn: Connection, key: str) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": key})


def _keep_mine(conn: Connection, key: str, mine: Any, county: Any, household_id: str | None) -> None:
    # The household rides along so that the list can show it 冲突 without a lookup per row.
    set_meta(conn, key, json.dumps({"mine": to_json(mine), "county": to_json(county), "hh": household_id,
                                    "at": datetime.now(UTC).isoformat(timespec="seconds")}, ensure_ascii=False))


def down_conflicts(store: Store) -> list[dict[str, Any]]:
    """Fields where this device kept its own value against the county's, side by side."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM meta WHERE key LIKE :p ORDER BY key"),
                            {"p": CONFLICT_PREFIX + "%"}).all()
    out = []
    for key, value in rows:
        entity, entity_id, name = key[len(CONFLICT_PREFIX):].split(".", 2)
        out.append({"entity": entity, "entity_id": entity_id, "field": name, **json.loads(value)})
    return out


def down_number(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(get_meta(conn, "sync.down_number", "0") or 0)
