"""A first download applied in bulk: the records a new laptop (or a clerk's) receives when it holds no
household yet. Every record is new there, so nothing can conflict and nothing needs merging; what cost
the time was per field and per record: turning each JSON value back into a column value through the
generic parser, SQLAlchemy's per-row processing, and one change-log line per record carrying every
field (770,000 of them for a township, most of the log's size).

Here each column's conversion (JSON → Python value → the database's own type) is decided once per
table, the rows go in as tuples with one plain executemany per table, and the log gets one entry per
household and package (``op`` ``snapshot``: which records came, from which county package), plus one
for the package as a whole. The history (queries/history.py) shows that entry as where the household's
records came from; 收到的更新 (sync/received.py) counts its records as the per-record lines would.

The run lasts from the first package applied into a store without households until the county has
nothing more (``finish_run(complete=True)``); a run cut half way goes on in bulk when it resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Dialect, Table, text

from ..derive import member_keys
from ..services.uow import UnitOfWork
from ..model.base import Area, Money
from ..values import _CENT, _ISO_DATE, _PLAIN_NUMBER, column_kind, json_reader
from . import crypto
from .device import get_meta, set_meta

if TYPE_CHECKING:
    from sqlalchemy.sql.schema import ScalarElementColumnDefault

SNAPSHOT = "sync.down_snapshot"  # meta, while a first download runs: the first package number of the run
SNAPSHOT_OP = "snapshot"
PACKAGE_ENTITY = "down_package"  # the package-wide entry's entity (no table of that name)

Fresh = list[tuple[dict[str, Any], str | None]]  # (record as sent, its household) of one table


def in_run(conn: Connection, number: int) -> bool:
    """Whether package ``number`` belongs to a first download: one is running, or this store has no
    household and has applied no down package yet (then the run starts here)."""
    if get_meta(conn, SNAPSHOT) is not None:
        return True
    if int(get_meta(conn, "sync.down_number", "0") or 0):
        return False
    if conn.execute(text("SELECT 1 FROM household LIMIT 1")).first() is not None:
        return False
    set_meta(conn, SNAPSHOT, str(number))
    return True


def end_run(conn: Connection) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": SNAPSHOT})


Convert = Callable[[Any], Any]


@cache
def _converter(table: Table, name: str, dialect: Dialect) -> Convert:
    """JSON value → the value the driver stores, for one column: ``from_json`` then the type's bind step.
    The county's canonical forms go straight to the stored form (an ISO date is stored as itself, an
    amount as whole fen, a flag as 0/1); the rest takes the long way, with the same result."""
    column = table.c[name]
    read = json_reader(column)
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)
    if bind is None:
        return read
    bound = cast(Convert, bind)

    def slow(value: Any) -> Any:
        return bound(read(value))

    kind = column_kind(column)
    if kind == "date" and dialect.name == "sqlite":
        return lambda value: value if type(value) is str and _iso_day(value) else slow(value)
    if kind == "decimal" and isinstance(column.type, (Money, Area)):
        return lambda value: int(Decimal(value).quantize(_CENT).scaleb(2)) \
            if type(value) is str and _PLAIN_NUMBER.fullmatch(value) else slow(value)
    if kind == "flag":
        return lambda value: int(value) if type(value) is bool else slow(value)
    return slow


def _iso_day(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:  # 2019-02-30: the parser's message, by the long way
        return False
    return True


def _columns(table: Table, rows: Fresh) -> list[str]:
    """The columns the ordinary insert would write: every field sent, plus those with a default."""
    names = {"id"}.union(*(record["data"].keys() for record, _ in rows))
    if any(isinstance(record.get("blob"), str) for record, _ in rows) and "data" in table.c:
        names.add("data")
    names |= {c.name for c in table.c if c.default is not None and c.default.is_scalar}
    if "updated_at" in table.c:
        names.add("updated_at")
    return [c.name for c in table.c if c.name in names]


@dataclass
class Counts:
    records: dict[str, dict[str, int]]  # household → table → records
    last: dict[str, int]  # household → position of its last record, in the order they were written

    def add(self, table: str, household: str, position: int) -> None:
        per_table = self.records.setdefault(household, {})
        per_table[table] = per_table.get(table, 0) + 1
        self.last[household] = position


def insert(uow: UnitOfWork, fresh: dict[str, tuple[Table, Fresh]], now: str) -> Counts:
    """Write every new record, table by table (in the order of the package), without a log line each.

    The re-check's triggers (``check_dirty``, validation/incremental.py) are dropped for the inserts and
    made again before the transaction ends, the households noted once each instead: run for every row,
    they were about 40 % of the raw inserts. Dropped and made inside the package's transaction, they
    are back whatever happens (a failure rolls the drop back with everything else)."""
    assert uow.conn is not None
    triggers = uow.conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '{_DIRTY_TRIGGERS}%'").all()
    for name, _ in triggers:
        uow.conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    counts = _insert(uow, fresh, now)
    for _, sql in triggers:
        uow.conn.exec_driver_sql(sql)
    noted = [(h,) for h in counts.records if h]
    if noted:
        uow.conn.exec_driver_sql("INSERT OR IGNORE INTO check_dirty (household_id) VALUES (?)", noted)
    return counts


_DIRTY_TRIGGERS = "check_dirty_"  # migrations 0007 and 0009


def _insert(uow: UnitOfWork, fresh: dict[str, tuple[Table, Fresh]], now: str) -> Counts:
    assert uow.conn is not None
    dialect, counts, position = uow.conn.dialect, Counts({}, {}), 0
    for table, rows in fresh.values():
        columns = _columns(table, rows)
        derive = _DERIVED.get(table.name)
        if derive is not None:
            columns += [name for name in derive[2] if name not in columns]
        at = {name: i for i, name in enumerate(columns)}
        convert = {name: _converter(table, name, dialect) for name in columns if name not in _SPECIAL}
        defaults = _defaults(table)
        # a row starts as the columns' defaults, then only the fields sent are converted: a record
        # carries a dozen of its table's 20–70 columns
        template = [None if defaults.get(name) is None or name in _SPECIAL else convert[name](defaults[name])
                    for name in columns]
        special = [(at[name], name) for name in columns if name in _SPECIAL]
        tuples = []
        for record, household in rows:
            data = record["data"]
            values = template.copy()
            for name, value in data.items():
                if name not in _SPECIAL:
                    values[at[name]] = None if value is None else convert[name](value)
            for index, name in special:
                values[index] = _special(record, data, name, now)
            if derive is not None:
                for name, value in derive[1](values[at[derive[0]]] if derive[0] in at else None).items():
                    values[at[name]] = value
            tuples.append(tuple(values))
            position += 1
            counts.add(table.name, household or "", position)
        uow.insert_rows(table, columns, tuples, [h for _, h in rows])
    return counts


# Derived columns made from the record itself, written with it rather than by an update of every row
# afterwards (the list summaries at the end of the run see them already right).
# (the column they are made of, as stored; how; the derived columns)
_DERIVED: dict[str, tuple[str, Callable[[Any], dict[str, Any]], tuple[str, ...]]] = {
    "member": ("name", member_keys, ("name_initials", "name_pinyin")),
}


@cache
def _defaults(table: Table) -> dict[str, Any]:
    return {c.name: cast("ScalarElementColumnDefault", c.default).arg  # is_scalar: this kind
            for c in table.c if c.default is not None and c.default.is_scalar}


_SPECIAL = frozenset({"id", "updated_at", "data"})  # the record's id, the time of writing, an attachment's bytes


def _special(record: dict[str, Any], data: dict[str, Any], name: str, now: str) -> Any:
    if name == "id":
        return record["id"]
    if name == "updated_at":
        return now
    if isinstance(record.get("blob"), str):
        return crypto.unb64(record["blob"])
    return data.get("data")


def log(uow: UnitOfWork, counts: Counts, number: int, rev: tuple[Any, Any]) -> None:
    """One entry per household (ordered by its last record, as the per-record lines would be) and one for
    the package: what came, from which county package."""
    for household in sorted(counts.last, key=counts.last.__getitem__):
        fields = {"package": number, "rev": list(rev), "records": counts.records[household]}
        if household:
            uow.log_summary("household", household, SNAPSHOT_OP, fields, household)
    totals: dict[str, int] = {}
    for per_table in counts.records.values():
        for name, n in per_table.items():
            totals[name] = totals.get(name, 0) + n
    uow.log_summary(PACKAGE_ENTITY, str(number), SNAPSHOT_OP,
                    {"package": number, "rev": list(rev), "records": totals,
                     "households": sum(1 for h in counts.records if h)}, None)


def records_of(fields: dict[str, Any]) -> int:
    return sum(int(n) for n in fields.get("records", {}).values())
