"""The unit of work: one user action, one transaction, its change-log entries inside it.

Every write in the program goes through ``insert``/``insert_many``/``update``/``delete`` here, so
there is exactly one place where change capture happens (contract 3). Services compose these
calls; they never commit. The log entry for a row holds every logged column for an insert and
only the changed ones (old and new) for an update, stamped with the hybrid logical clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from ..clock import HybridClock
from ..errors import FupinError, InvalidInput, NotFound, corrupt_error, is_corruption
from ..logs import exception_summary
from ..model import Meta, new_id, record_id
from ..sync_state import SyncState
from ..opchanges import OpChanges
from ..queries.history import TABLE_LABELS
from ..store.engine import WRITE
from ..values import coerce, to_json

if TYPE_CHECKING:
    from sqlalchemy.sql.schema import ScalarElementColumnDefault

    from ..store.store import Store

TableLike = Any  # a mapped class or a Table


log = logging.getLogger(__name__)

# Runs inside the transaction just before the commit, with the households touched (sorted).
BeforeCommit = Callable[["UnitOfWork", Sequence[str]], None]


def table_of(target: TableLike) -> Table:
    return target if isinstance(target, Table) else target.__table__


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_LOG_COLUMNS = ("tx_id", "entity", "entity_id", "op", "fields", "hlc", "device_id", "user", "at", "household_id",
                "sync_state")
_LOG_INSERT = f"INSERT INTO change_log ({', '.join(_LOG_COLUMNS)}) VALUES ({', '.join('?' * len(_LOG_COLUMNS))})"


@lru_cache(maxsize=None)
def _logged_columns(table: Table) -> frozenset[str]:
    """Columns whose values go into the log: all but the id (the entry names it) and derived ones."""
    return frozenset(c.name for c in table.c if c.name != "id" and not c.info.get("derived"))


def _database_message(err: DatabaseError) -> FupinError:
    """What a database error means for the person who was saving; nothing was saved in any case. Only
    what SQLite says of a damaged file is called damage: telling someone to restore a backup because
    of a full disk or a fault in this program would cost them the work since that backup."""
    said = str(err.orig).lower()
    if isinstance(err, IntegrityError):
        return InvalidInput("保存失败：数据之间有冲突（重复，或引用了不存在的记录）。没有保存任何内容。",
                            hint=str(err.orig))
    if isinstance(err, OperationalError) and "locked" in said:
        return FupinError("数据库正被另一个程序使用，这次没有保存。", hint="请稍后再保存一次；内容仍在窗口中。")
    if "disk is full" in said:
        return FupinError("磁盘空间不足，这次没有保存。",
                          hint="请清理磁盘后再保存一次；内容仍在窗口中，数据库没有被改动。")
    if is_corruption(err):
        return corrupt_error(err)
    log.error("database error while saving: %s", exception_summary(err))  # type and place only: no data
    return FupinError("保存失败：程序内部出错，这次没有保存任何内容。",
                      hint="内容仍在窗口中，数据库没有被改动。如果反复出现，请用“工具 → 导出诊断信息”"
                           "导出文件，交给县扶贫办技术人员。")


def _household_of(table: Table, row: Mapping[str, Any]) -> str | None:
    if table.name == "household":
        return row.get("id")
    return row.get("household_id")


class UnitOfWork:
    def __init__(self, store: "Store", user: str | None = None, *, check: bool = True,
                 origin: str | None = None, before_commit: BeforeCommit | None = None,
                 pragmas: Mapping[str, int] | None = None) -> None:
        """``before_commit``: given by the services (``services.households.unit_of_work``) to
        refresh the summaries and validation marks of every household touched; ``check=False``
        skips it (bulk writers check the whole store afterwards).
        ``origin``: the device a change came from when it is not this one (a county correction
        applied here); such entries are logged as already confirmed and are never sent back.
        ``pragmas``: SQLite settings of the connection for this unit of work (its commit included),
        set back afterwards. After a commit, ``changes`` says what was written."""
        self.store = store
        self.pragmas = dict(pragmas or {})
        self._restore: dict[str, int] = {}
        self.check = check
        self.before_commit = before_commit
        self.origin = origin
        self.user = user or store.username
        self.tx_id = new_id()
        self.conn: Connection | None = None
        self._log: list[tuple[Any, ...]] = []
        self._clock: HybridClock | None = None
        self.changed_households: set[str] = set()
        self.changed_tables: set[str] = set()
        self.changes = OpChanges()
        self._queued: dict[tuple[str, str], tuple[Table, dict[str, Any]]] = {}  # see queue_update

    # ---- transaction ---------------------------------------------------------------------
    def __enter__(self) -> "UnitOfWork":
        self.conn = self.store.engine.connect().execution_options(**{WRITE: True})
        self._restore = self._set_pragmas(self.pragmas)
        try:
            self.conn.begin()  # waits up to the busy timeout while another program writes
            state = self.conn.execute(select(Meta.value).where(Meta.key == "hlc")).scalar_one_or_none()
        except DatabaseError as err:
            self._set_pragmas(self._restore)
            self.conn.close()
            self.conn = None
            raise _database_message(err) from None
        self._clock = HybridClock.restore(self.store.device_id, state)
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> None:
        assert self.conn is not None
        try:
            if exc_type is None:
                self.flush_queued()
                if self.check and self.changed_households:
                    self._refresh()
                self.flush_queued()
                self._flush_log()
                self.conn.commit()
                self.changes = OpChanges(frozenset(self.changed_households), frozenset(self.changed_tables),
                                         sync_states=bool(self.changed_tables))
            else:
                self.conn.rollback()
                if isinstance(exc, DatabaseError):
                    raise _database_message(exc) from None
        except DatabaseError as err:
            self.conn.rollback()
            raise _database_message(err) from None
        finally:
            self._set_pragmas(self._restore)  # the connection goes back to the pool as it came
            self.conn.close()
            self.conn = None

    def _set_pragmas(self, pragmas: Mapping[str, int]) -> dict[str, int]:
        """Set these; returns what they were. On the driver's connection, outside any transaction
        (SQLAlchemy would begin one)."""
        assert self.conn is not None
        before = {}
        if pragmas:
            cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for name, value in pragmas.items():
                before[name] = int(cursor.execute(f"PRAGMA {name}").fetchone()[0])
                cursor.execute(f"PRAGMA {name} = {int(value)}")
            cursor.close()
        return before

    def _refresh(self) -> None:
        # Households written without their summaries and marks refreshed would leave the list and the
        # findings stale without a word: a programming error, caught here before any user meets it.
        if self.before_commit is None:
            raise FupinError("程序错误：修改了户的数据却没有刷新汇总和核查结果"
                             "（请用 services.households.unit_of_work）。")
        self.before_commit(self, sorted(self.changed_households))

    def _flush_log(self) -> None:
        assert self.conn is not None and self._clock is not None
        self._write_log()
        self.conn.execute(
            Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": "hlc", "value": self._clock.state()}
        )

    def _write_log(self) -> None:
        # Every change_log column is plain text or integer: the driver's own executemany needs no
        # type processing, which matters in bulk writes (two log rows per data row would otherwise
        # double SQLAlchemy's per-row cost).
        if self._log:
            assert self.conn is not None
            self.conn.exec_driver_sql(_LOG_INSERT, self._log)
            self._log = []

    def _record(self, table: Table, op: str, row_id: str, fields: dict[str, Any], household_id: str | None,
                at: str | None = None) -> None:
        assert self._clock is not None
        self._log.append((
            self.tx_id, table.name, row_id, op, json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            self._clock.tick(), self.origin or self.store.device_id, self.user, at or _now(), household_id,
            SyncState.CONFIRMED if self.origin else SyncState.UNSENT,
        ))
        self.changed_tables.add(table.name)
        if household_id:
            self.changed_households.add(household_id)
        if len(self._log) >= 5000:  # keep memory flat during bulk writes
            self._write_log()

    # ---- reads -------------------------------------------------------------------------------
    def get(self, target: TableLike, row_id: str) -> dict[str, Any]:
        table = table_of(target)
        assert self.conn is not None
        self.flush_queued()
        row = self.conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        if row is None:
            raise NotFound(f"找不到记录（{table.name} {row_id}）。")
        return dict(row)

    # ---- writes ------------------------------------------------------------------------------
    def _clean(self, table: Table, values: Mapping[str, Any], *, new: bool = False) -> dict[str, Any]:
        unknown = set(values) - set(table.c.keys())
        if unknown:
            raise FupinError(f"程序错误：{table.name} 没有字段 {sorted(unknown)}")
        clean = {k: coerce(table.c[k], v) for k, v in values.items()}
        for column in table.c:  # a required field left empty is the user's to fill, not a crash
            required = not column.nullable and column.default is None and not column.primary_key
            if required and (new or column.name in clean) and clean.get(column.name) is None:
                label = column.info.get("label", column.name)
                record = TABLE_LABELS.get(table.name, table.name)
                raise InvalidInput(f"{record}：{label}不能为空。", field=label)
        return clean

    def insert(self, target: TableLike, values: Mapping[str, Any], *, household_id: str | None = None) -> str:
        return self.insert_many(target, [values], household_ids=[household_id])[0]

    def insert_many(
        self,
        target: TableLike,
        rows: Iterable[Mapping[str, Any]],
        *,
        household_ids: Iterable[str | None] | None = None,
        trusted: bool = False,
    ) -> list[str]:
        """Insert rows (one executemany) and log each. ``trusted`` skips coercion for rows the
        core built itself with proper Python types (bulk generators, replay)."""
        table = table_of(target)
        assert self.conn is not None
        self.flush_queued()
        now = _now()
        prepared: list[dict[str, Any]] = []
        for row in rows:
            clean = dict(row) if trusted else self._clean(table, row, new=True)
            if "id" not in clean:
                clean["id"] = record_id(table, clean)
            if "updated_at" in table.c:
                clean["updated_at"] = now
            prepared.append(clean)
        if not prepared:
            return []
        self._fill_defaults(table, prepared)
        self.conn.execute(insert(table), prepared)
        logged = _logged_columns(table)
        hh_ids = list(household_ids) if household_ids is not None else [None] * len(prepared)
        for row, hh in zip(prepared, hh_ids):
            fields = {k: [None, to_json(v)] for k, v in row.items() if v is not None and k in logged}
            self._record(table, "insert", row["id"], fields, hh or _household_of(table, row), now)
        return [r["id"] for r in prepared]

    def insert_rows(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]],
                    household_ids: Iterable[str | None]) -> None:
        """Rows already in the database's own types, one plain executemany and no change-log line each.
        Only for a first download (sync/snapshot.py), which logs one entry per household and package
        saying what came (``log_summary``) instead of every field of 770,000 records."""
        assert self.conn is not None
        self.flush_queued()
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        self.conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})',
                                  rows)
        self.changed_tables.add(table.name)
        self.changed_households.update(h for h in household_ids if h)

    def log_summary(self, entity: str, entity_id: str, op: str, fields: Mapping[str, Any],
                    household_id: str | None) -> None:
        """A log entry that describes records written by ``insert_rows`` (``fields`` is not
        ``{column: [old, new]}`` then: readers tell it by its ``op``). Only for what came from elsewhere:
        such an entry is never sent up, the county holding the records it describes."""
        assert self._clock is not None
        if self.origin is None:
            raise FupinError("程序错误：汇总的变更记录只能记录从县里收到的内容。")
        self._log.append((
            self.tx_id, entity, entity_id, op, json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            self._clock.tick(), self.origin, self.user, _now(), household_id, SyncState.CONFIRMED,
        ))
        if household_id:
            self.changed_households.add(household_id)
        if len(self._log) >= 5000:
            self._write_log()

    @staticmethod
    def _fill_defaults(table: Table, rows: list[dict[str, Any]]) -> None:
        # executemany needs the same keys in every row; column defaults fill the gaps.
        keys = set().union(*rows)
        for col in table.c:
            if col.name not in keys and col.default is not None and col.default.is_scalar:
                keys.add(col.name)
        for row in rows:
            for key in keys:
                if key not in row:
                    default = table.c[key].default
                    row[key] = (cast("ScalarElementColumnDefault", default).arg  # is_scalar: this kind
                                if default is not None and default.is_scalar else None)

    def update(
        self, target: TableLike, row_id: str, values: Mapping[str, Any], *, household_id: str | None = None,
        current: Mapping[str, Any] | None = None,
    ) -> dict[str, tuple[Any, Any]]:
        """Write only what differs; returns ``{column: (old, new)}`` (empty when nothing changed).
        ``current``: the whole row as the caller read it in this unit of work (saves reading it again)."""
        table = table_of(target)
        self.flush_queued()
        current = self.get(table, row_id) if current is None else current
        changes, new_values = self._changed(table, row_id, values, current, household_id)
        if new_values:
            assert self.conn is not None
            self.conn.execute(update(table).where(table.c.id == row_id).values(**new_values))
        return changes

    def queue_update(self, target: TableLike, row_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any],
                     household_id: str | None = None) -> dict[str, tuple[Any, Any]]:
        """``update``, logged at once but written with the others at ``flush_queued`` (at the latest
        before the commit): one statement per set of columns instead of one per row, for packages of
        thousands of records. The unit of work's own reads and writes flush first; a statement on ``conn``
        directly does not see a queued row's new values until then."""
        table = table_of(target)
        changes, new_values = self._changed(table, row_id, values, current, household_id)
        if new_values:  # the same row again: its later values win, as they would written one by one
            self._queued.setdefault((table.name, row_id), (table, {}))[1].update(new_values)
        return changes

    def flush_queued(self) -> None:
        by_table: dict[str, tuple[Table, list[tuple[str, Mapping[str, Any]]]]] = {}
        for (name, row_id), (table, values) in self._queued.items():
            by_table.setdefault(name, (table, []))[1].append((row_id, values))
        self._queued = {}
        for table, rows in by_table.values():
            self._write_grouped(table, rows)

    def _changed(self, table: Table, row_id: str, values: Mapping[str, Any], current: Mapping[str, Any],
                 household_id: str | None) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
        """What differs from ``current`` (logged here), and the values to write (none when nothing does)."""
        clean = self._clean(table, values)
        changes = {k: (current[k], v) for k, v in clean.items() if current[k] != v and k != "id"}
        if not changes:
            return {}, {}
        new_values = {k: new for k, (_, new) in changes.items()}
        if "updated_at" in table.c:
            new_values["updated_at"] = _now()
        logged = {
            k: [to_json(old), to_json(new)] for k, (old, new) in changes.items() if not table.c[k].info.get("derived")
        }
        if logged:
            self._record(table, "update", row_id, logged, household_id or _household_of(table, current))
        return changes, new_values

    def _write_grouped(self, table: Table, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Rows' new values, one executemany per set of columns."""
        assert self.conn is not None
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row_id, values in rows:  # bind names apart from the columns' (SQLAlchemy reserves those)
            groups.setdefault(tuple(sorted(values)), []).append(
                {"_id": row_id, **{f"v_{name}": value for name, value in values.items()}})
        for names, batch in groups.items():
            statement = update(table).where(table.c.id == bindparam("_id")).values(
                {name: bindparam(f"v_{name}") for name in names})
            self.conn.execute(statement, batch)

    def update_derived(self, target: TableLike,
                       rows: Sequence[tuple[str, Mapping[str, Any], Mapping[str, Any]]]) -> int:
        """Derived columns of many rows at once, each given as ``(id, values, current row)``: the rows whose
        values differ are written with one statement per set of columns. Derived columns are never logged,
        so nothing goes into the change log; returns how many rows changed."""
        table = table_of(target)
        if any(not table.c[name].info.get("derived") for _, values, _ in rows for name in values):
            raise FupinError(f"程序错误：{table.name} 只有派生字段可以批量改写。")
        now, changed = _now(), []
        for row_id, values, current in rows:
            if all(current.get(name) == value for name, value in values.items()):
                continue  # as stored already (a stored value is clean): most rows, after a first download
            clean = self._clean(table, values)
            if any(current.get(name) != value for name, value in clean.items()):
                if "updated_at" in table.c:
                    clean["updated_at"] = now
                changed.append((row_id, clean))
        self._write_grouped(table, changed)
        return len(changed)

    def delete(self, target: TableLike, row_id: str, *, household_id: str | None = None) -> None:
        """Only for parts of a record (an income line, a helper assignment made by mistake).

        Households and members are never deleted; they leave with a reason (see services).
        """
        table = table_of(target)
        if table.name in ("household", "member"):
            raise FupinError("程序错误：户和成员不能删除，只能注销。")
        current = self.get(table, row_id)
        assert self.conn is not None
        self.conn.execute(delete(table).where(table.c.id == row_id))
        fields = {
            c.name: [to_json(current[c.name]), None]
            for c in table.c
            if not c.info.get("derived") and c.name != "id" and current[c.name] is not None
        }
        self._record(table, "delete", row_id, fields, household_id or _household_of(table, current))
