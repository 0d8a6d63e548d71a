"""Per-field merge of one device's change-log entries into the county's records.

A field takes the incoming value when the county has no version of it yet, when the county's
value is what the device started from (``old``), or when the county's version came from the same
device (its own later edit). Otherwise two devices changed the field since their common version:
the county keeps its value and records a conflict for a person to decide. Nothing is dropped.
Entries arrive in the device's log order, which its hybrid logical clock makes causal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import orjson
from sqlalchemy import Connection, String, Table, any_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from ..clock import parse as parse_hlc
from ..forms.masking import mask_id
from ..model import Base
from ..model.base import identity_columns
from .caps import CapExceededError, Caps
from .model import Blob, Conflict, Flag, IdNumber, Record, RecordAlias, RefusedEntry
from .revs import next_rev
from .scope import Scope, out_of_scope, unknown_household
from ..sync.schema_map import older_than_this

BATCH = 2000
MAX_ENTRY_MESSAGES = 1000  # per package; the count of skipped entries stays exact
BATCH_BLOB_CHARS = 16 * 1024 * 1024  # photos in a batch (base64): a package of photos is written a few at a time
_LOAD_PG = text("SELECT r.entity, r.entity_id, r.data, r.versions, r.household_id, r.deleted, r.village_code "
                "FROM record r "
                "JOIN unnest(CAST(:entities AS text[]), CAST(:ids AS text[])) AS k(entity, entity_id) "
                "ON r.entity = k.entity AND r.entity_id = k.entity_id")
_OPS = ("insert", "update", "delete")
MAX_SEQ = 2**40 - 1
Problem = tuple[str, str]  # (stable code, Chinese reason)
UNKNOWN_FIELD = "UNKNOWN_FIELD"  # a field this county's schema does not have: the entry is refused, never trimmed


@dataclass
class Counts:
    """Per change-log entry: it created a record, changed one, or changed nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    held: int = 0
    rejected: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _State:
    data: dict[str, Any]
    versions: dict[str, str]
    household_id: str | None
    deleted: bool
    new: bool
    dirty: bool = False
    village: str = ""


def _target_household(entry: dict[str, Any]) -> str | None:
    """The household a non-household record is put under by this entry, if it names one."""
    pair = entry["fields"].get("household_id") if entry["entity"] != "household" else None
    target = pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else None
    return target if isinstance(target, str) and target else None


def _refile(entry: dict[str, Any], state: _State, states: dict[tuple[str, str], _State]) -> None:
    """The record's filing columns follow what was applied: a household's village, a child's household
    (and so its village), so scope checks and down packages see where the record now belongs."""
    if entry["entity"] == "household":
        village = state.data.get("village_code")
        if isinstance(village, str) and village:
            state.village = village
        return
    hh = state.data.get("household_id")
    parent = states.get(("household", hh)) if isinstance(hh, str) else None
    if parent is not None:
        state.household_id, state.village = hh, parent.village


@dataclass
class Merger:
    conn: Connection
    package_id: str
    device_id: str
    scope: Scope
    now: str
    number: int = 0  # the package's number, kept with each refused entry
    schema: str | None = None  # the store schema revision the device's package was written with
    caps: Caps | None = None  # None: a person released the package past the caps
    counts: Counts = field(default_factory=Counts)
    messages: list[dict[str, Any]] = field(default_factory=list)
    _batch: list[dict[str, Any]] = field(default_factory=list)
    _blob_chars: int = 0
    _entries: int = 0
    _created_households: int = 0
    _village_households: dict[str, int] = field(default_factory=dict)  # at the county before, plus created
    _refused: list[dict[str, Any]] = field(default_factory=list)
    _aliases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def village_code(self) -> str:
        return self.scope.home

    def add(self, entry: dict[str, Any], *, part: bool = False) -> None:
        """``part``: a further record of the same device entry (split by a migration): not counted again."""
        self._entries += not part
        if self.caps is not None and self._entries > self.caps.entries_per_package:
            raise CapExceededError("entries_per_package", self.caps.entries_per_package)
        problem = _entry_problem(entry, self.schema)
        if problem is not None:
            self._reject(entry, problem[1], problem[0])
            return
        blob = entry.get("blob")
        if blob is not None:
            try:  # decoded now, so a bad one is this entry's problem and not the package's
                entry["blob"] = _blob(blob)
            except (ValueError, TypeError, AttributeError):
                self._reject(entry, "附件内容无法解码，已跳过。")
                return
            self._blob_chars += len(blob)
        self._batch.append(entry)
        if len(self._batch) >= BATCH or self._blob_chars >= BATCH_BLOB_CHARS:
            self.flush()

    def _reject(self, entry: dict[str, Any], problem: str, code: str = "BAD_ENTRY") -> None:
        self.counts.rejected += 1
        seq = entry.get("seq")
        seq = seq if type(seq) is int and 0 <= seq <= MAX_SEQ else None
        if self.counts.rejected <= MAX_ENTRY_MESSAGES:  # a package of millions of bad lines must not fill memory
            self.messages.append({"code": code, "message": problem, "seq": seq,
                                  "entity": entry.get("entity"), "entity_id": entry.get("id")})
        # Every refusal, past the message cap too, is kept for the device's acknowledgment (written per batch).
        self._refused.append({"device_id": self.device_id, "number": self.number, "seq": seq, "code": code,
                              "message": problem, "entity": str(entry.get("entity"))[:32],
                              "entity_id": str(entry.get("id"))[:32], "created_at": self.now})

    def flush(self) -> None:
        if self._batch:
            self._flush_batch()
        if self._refused:
            self.conn.execute(insert(RefusedEntry), self._refused)
            self._refused = []

    def _flush_batch(self) -> None:
        self._one_per_key()
        keys = ({(e["entity"], e["id"]) for e in self._batch}
                | {("household", e["hh"]) for e in self._batch if e.get("hh")}
                | {("household", hh) for e in self._batch if (hh := _target_household(e))})
        states = self._load(keys)
        conflicts: list[dict[str, Any]] = []
        blobs: list[dict[str, Any]] = []
        id_numbers: list[tuple[str, str]] = []
        for entry in self._batch:
            state = self._in_scope(entry, states)
            if state is None:
                continue
            self._merge(entry, state, conflicts)
            _refile(entry, state, states)
            id_no = state.data.get("id_no")
            id_changed = entry["entity"] == "member" and "id_no" in entry["fields"]
            if id_changed and isinstance(id_no, str) and 0 < len(id_no) <= 24:
                id_numbers.append((state.data["id_no"], entry["id"]))
            if entry.get("blob") and entry["entity"] == "attachment":
                blobs.append({"entity_id": entry["id"], "data": entry["blob"]})
        self._write(states, conflicts, blobs)
        if self._aliases:
            self.conn.execute(insert(RecordAlias), self._aliases)
            self._aliases = []
        self._check_id_numbers(id_numbers)
        self._batch, self._blob_chars = [], 0

    # ---- records that exist once per key ----------------------------------------------------
    def _one_per_key(self) -> None:
        """Entries name records as their device does. A record that exists once per key (a household's
        row for a year) that a device made under another id than the county's — two laptops, before ids
        were made from the key, or a laptop's own row beside the one a migration made — is the county's
        record: the entry goes to it, and the device's id is kept as its alias for later entries (and for
        the income lines that name it). The device renames its row when the county's arrives."""
        refs = _references()
        wanted: dict[str, set[str]] = {}
        households: set[str] = set()
        for e in self._batch:
            if _key_columns(e["entity"]):
                wanted.setdefault(e["entity"], set()).add(e["id"])
                if e.get("hh"):
                    households.add(e["hh"])
            for name, target in refs.get(e["entity"], {}).items():
                pair = e["fields"].get(name)
                if pair is not None:
                    wanted.setdefault(target, set()).update(v for v in pair if isinstance(v, str))
        if not wanted:
            return
        aliases = self._known_aliases(wanted)
        keyed = self._keyed(set(wanted), households)
        for e in self._batch:
            columns = _key_columns(e["entity"])
            if columns:
                e["id"] = aliases.get((e["entity"], e["id"]), e["id"])
                key = _key_of(e["fields"], columns)
                known = keyed.setdefault((e["entity"], key), e["id"]) if key is not None else e["id"]
                if known != e["id"]:
                    aliases[(e["entity"], e["id"])] = known
                    self._aliases.append({"entity": e["entity"], "alias_id": e["id"], "entity_id": known,
                                          "created_at": self.now})
                    e["id"] = known
            for name, target in refs.get(e["entity"], {}).items():
                pair = e["fields"].get(name)
                if pair is not None:
                    e["fields"][name] = [aliases.get((target, v), v) if isinstance(v, str) else v for v in pair]

    def _known_aliases(self, wanted: dict[str, set[str]]) -> dict[tuple[str, str], str]:
        t = _table(RecordAlias)
        ids = sorted(set().union(*wanted.values()))
        rows = self.conn.execute(select(t.c.entity, t.c.alias_id, t.c.entity_id).where(_among(self.conn, t.c.alias_id)),
                                 {"ids": ids})
        return {(entity, alias): target for entity, alias, target in rows if alias in wanted.get(entity, ())}

    def _keyed(self, entities: set[str], households: set[str]) -> dict[tuple[str, tuple[Any, ...]], str]:
        """The county's records of these entities under these households, by key."""
        if not households:
            return {}
        t = _table(Record)
        rows = self.conn.execute(select(t.c.entity, t.c.entity_id, t.c.data).where(
            t.c.entity.in_(sorted(entities)), _among(self.conn, t.c.household_id), t.c.deleted.is_(False)),
            {"ids": sorted(households)})
        out: dict[tuple[str, tuple[Any, ...]], str] = {}
        for entity, entity_id, data in rows:
            d = orjson.loads(data)
            key = tuple(d.get(c) for c in _key_columns(entity) or ())
            if None not in key:
                out.setdefault((entity, key), entity_id)
        return out

    # ---- scope: which village an entry's record belongs to ----------------------------------
    def _in_scope(self, entry: dict[str, Any], states: dict[tuple[str, str], _State]) -> _State | None:
        """The record's state when the entry may touch it; otherwise the entry is refused (None)."""
        key = (entry["entity"], entry["id"])
        state = states.get(key)
        problem: Problem | None
        if state is not None:
            problem = None if self.scope.covers(state.village) else out_of_scope(state.village, self.scope)
        else:
            village, problem = self._village_of_new(entry, states)
            state = _State({}, {}, entry.get("hh"), False, new=True, village=village)
        moved = entry["fields"].get("village_code") if entry["entity"] == "household" else None
        if problem is None and moved is not None and not self.scope.covers(moved[1]):
            problem = out_of_scope(str(moved[1]), self.scope)  # a household may not be moved out of the scope
        if problem is None:
            problem = self._target_problem(entry, states)
        if problem is not None:
            self._reject(entry, problem[1], problem[0])
            return None
        states.setdefault(key, state)
        return state

    def _target_problem(self, entry: dict[str, Any], states: dict[tuple[str, str], _State]) -> Problem | None:
        """A record put under a household (created there, or moved): that household must be in the scope too."""
        target = _target_household(entry)
        if target is None:
            return None
        parent = states.get(("household", target))
        if parent is None:
            return unknown_household(target)
        return None if self.scope.covers(parent.village) else out_of_scope(parent.village, self.scope)

    def _village_of_new(self, entry: dict[str, Any], states: dict[tuple[str, str], _State]
                        ) -> tuple[str, Problem | None]:
        if entry["entity"] == "household":
            pair = entry["fields"].get("village_code")
            village = pair[1] if pair is not None else self.scope.home
            return str(village), None if self.scope.covers(village) else out_of_scope(str(village), self.scope)
        hh = entry.get("hh")
        if hh is None:  # village-level records (helpers, work teams) are filed under the device's village
            return self.scope.home, None
        parent = states.get(("household", hh))
        if parent is None:
            return "", unknown_household(hh)
        return parent.village, None if self.scope.covers(parent.village) else out_of_scope(parent.village, self.scope)

    def _count_household(self, village: str) -> None:
        self._created_households += 1
        if self.caps is None:
            return
        if self._created_households > self.caps.new_households_per_package:
            raise CapExceededError("new_households_per_package", self.caps.new_households_per_package)
        if village not in self._village_households:  # the village's households at the county, read once
            self._village_households[village] = self._households_in(village)
        self._village_households[village] += 1
        if self._village_households[village] > self.caps.new_households_per_village:
            raise CapExceededError("new_households_per_village", self.caps.new_households_per_village)

    def _households_in(self, village: str) -> int:
        t = _table(Record)
        return int(self.conn.execute(select(func.count()).select_from(t).where(
            t.c.entity == "household", t.c.village_code == village, t.c.deleted.is_(False))).scalar() or 0)

    # ---- merging one entry ------------------------------------------------------------------
    def _merge(self, entry: dict[str, Any], state: _State, conflicts: list[dict[str, Any]]) -> None:
        if entry["op"] == "delete":
            if state.deleted:
                self.counts.unchanged += 1
            else:
                state.deleted = state.dirty = True
                self.counts.updated += 1
            return
        if not state.versions:  # nothing known of this record yet (most of a first import): every field lands
            fields, hlc = entry["fields"], entry["hlc"]
            state.data.update({name: pair[1] for name, pair in fields.items()})
            state.versions.update(dict.fromkeys(fields, hlc))
            self._count(bool(fields), state, entry)
            return
        applied = 0
        for name, pair in entry["fields"].items():
            old, new = pair[0], pair[1]
            current = state.data.get(name)
            version = state.versions.get(name)
            if version is not None and current == new:
                continue
            if version is None or current == old or _device_of(version) == self.device_id:
                state.data[name] = new
                state.versions[name] = entry["hlc"]
                applied += 1
            else:
                conflicts.append({
                    "entity": entry["entity"], "entity_id": entry["id"], "household_id": state.household_id,
                    "village_code": state.village, "field": name, "base_value": _j(old),
                    "county_value": _j(current), "county_hlc": version, "incoming_value": _j(new),
                    "incoming_hlc": entry["hlc"], "incoming_device": self.device_id, "incoming_seq": entry["seq"],
                    "package_id": self.package_id, "status": "open", "created_at": self.now})
        self._count(applied > 0, state, entry)

    def _count(self, applied: bool, state: _State, entry: dict[str, Any]) -> None:
        if applied:
            if state.deleted and entry["op"] == "insert":
                state.deleted = False
            if state.new and not state.dirty:
                self.counts.created += 1
                if entry["entity"] == "household":
                    self._count_household(state.village)
            else:
                self.counts.updated += 1
            state.dirty = True
        else:
            self.counts.unchanged += 1

    # ---- reading and writing the batch ------------------------------------------------------
    def _load(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], _State]:
        if self.conn.dialect.name == "postgresql":  # one round trip for the whole batch, whatever its tables
            pairs = list(keys)
            rows = self.conn.execute(_LOAD_PG, {"entities": [k[0] for k in pairs], "ids": [k[1] for k in pairs]})
            return {(r[0], r[1]): _State(orjson.loads(r[2]), orjson.loads(r[3]), r[4], bool(r[5]), False, village=r[6])
                    for r in rows}
        by_entity: dict[str, list[str]] = {}
        for entity, entity_id in keys:
            by_entity.setdefault(entity, []).append(entity_id)
        states: dict[tuple[str, str], _State] = {}
        t = _table(Record)
        for entity, ids in by_entity.items():
            query = select(t.c.entity_id, t.c.data, t.c.versions, t.c.household_id, t.c.deleted,
                           t.c.village_code).where(
                t.c.entity == entity, _among(self.conn, t.c.entity_id))
            for row in self.conn.execute(query, {"ids": ids}):
                states[(entity, row[0])] = _State(orjson.loads(row[1]), orjson.loads(row[2]), row[3], bool(row[4]),
                                                  False, village=row[5])
        return states

    def _write(self, states: dict[tuple[str, str], _State], conflicts: list[dict[str, Any]],
               blobs: list[dict[str, Any]]) -> None:
        t = _table(Record)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        rev = next_rev(self.conn)
        for (entity, entity_id), s in states.items():
            if not s.dirty:
                continue
            row = {"entity": entity, "entity_id": entity_id, "household_id": s.household_id,
                   "village_code": s.village, "data": _j(s.data), "versions": _j(s.versions),
                   "deleted": s.deleted, "updated_at": self.now, "rev": rev}
            rev += 1
            (new if s.new else changed).append(row)
        if new:
            bulk_insert(self.conn, t, new)
        if changed:
            self.conn.execute(update(t).where(t.c.entity == bindparam("k_entity"), t.c.entity_id == bindparam("k_id"))
                              .values(data=bindparam("data"), versions=bindparam("versions"), rev=bindparam("rev"),
                                      deleted=bindparam("deleted"), updated_at=bindparam("updated_at"),
                                      household_id=bindparam("household_id"),
                                      village_code=bindparam("village_code")),
                              [{**r, "k_entity": r["entity"], "k_id": r["entity_id"]} for r in changed])
        if conflicts:
            self.conn.execute(insert(Conflict), conflicts)
            self.counts.conflicts += len(conflicts)
            for c in conflicts:
                self.messages.append({"code": "CONFLICT", "message": f"字段“{_label(c['entity'], c['field'])}”"
                                      "在两台设备上都被修改，已记为冲突，等待人工处理。", "seq": c["incoming_seq"],
                                      "entity": c["entity"], "entity_id": c["entity_id"], "field": c["field"]})
        if blobs:
            existing = set(self.conn.execute(select(Blob.entity_id).where(
                Blob.entity_id.in_([b["entity_id"] for b in blobs]))).scalars())
            fresh = [b for b in blobs if b["entity_id"] not in existing]
            if fresh:
                self.conn.execute(insert(Blob), fresh)

    def _check_id_numbers(self, pairs: Iterable[tuple[str, str]]) -> None:
        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return
        t = _table(IdNumber)
        holders: dict[str, list[tuple[str, str]]] = {}
        query = select(t.c.id_no, t.c.entity_id, t.c.village_code).where(_among(self.conn, t.c.id_no))
        for id_no, entity_id, village in self.conn.execute(query, {"ids": list({p[0] for p in pairs})}):
            holders.setdefault(id_no, []).append((entity_id, village))
        fresh, flags = [], []
        for id_no, entity_id in pairs:
            others = [(e, v) for e, v in holders.get(id_no, []) if e != entity_id]
            if all(e != entity_id for e, _ in holders.get(id_no, [])):
                fresh.append({"id_no": id_no, "entity_id": entity_id, "village_code": self.village_code})
                holders.setdefault(id_no, []).append((entity_id, self.village_code))
            for _, village in others:
                where = "另一个村（" + village + "）" if village != self.village_code else "本村另一户"
                message = f"证件号码 {mask_id(id_no)} 已登记在{where}，同一人不能重复登记。"
                flags.append({"code": "DUPLICATE_ID_NUMBER", "entity": "member", "entity_id": entity_id,
                              "village_code": self.village_code, "message": message, "package_id": self.package_id,
                              "created_at": self.now})
                self.messages.append({"code": "DUPLICATE_ID_NUMBER", "message": message, "entity": "member",
                                      "entity_id": entity_id, "field": "id_no"})
        if fresh:
            bulk_insert(self.conn, t, fresh)
        if flags:
            self.conn.execute(insert(Flag), flags)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _among(conn: Connection, column: Any) -> Any:
    """``column`` in the list bound as ``ids``: one array parameter on PostgreSQL (a list of thousands of
    placeholders costs more to compile and plan than the query takes to run)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(String)))
    return column.in_(bindparam("ids", expanding=True))


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in the current transaction: COPY on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()


@lru_cache(maxsize=None)
def _key_columns(entity: str) -> tuple[str, ...] | None:
    table = Base.metadata.tables.get(entity)
    return identity_columns(table) if table is not None else None


@lru_cache(maxsize=1)
def _references() -> dict[str, dict[str, str]]:
    """entity -> {field: the once-per-key entity it names} (an income line's income year)."""
    out: dict[str, dict[str, str]] = {}
    for name, table in Base.metadata.tables.items():
        for fk in table.foreign_keys:
            if _key_columns(fk.column.table.name):
                out.setdefault(name, {})[fk.parent.name] = fk.column.table.name
    return out


def _key_of(fields: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...] | None:
    values = tuple(pair[1] if isinstance(pair, list) and len(pair) == 2 else None
                   for pair in (fields.get(c) for c in columns))
    return None if None in values else values


@lru_cache(maxsize=None)
def _columns(entity: str) -> frozenset[str] | None:
    table = Base.metadata.tables.get(entity)
    if table is None or table.name in ("meta", "change_log", "sync_outbox", "app_user"):
        return None
    return frozenset(table.c.keys())


def _entry_problem(entry: dict[str, Any], schema: str | None = None) -> Problem | None:
    columns = _columns(entry.get("entity") or "") if isinstance(entry.get("entity"), str) else None
    if columns is None:
        return "BAD_ENTRY", f"未知的记录类型“{entry.get('entity')}”，已跳过。"
    if entry.get("op") not in _OPS or not _is_id(entry.get("id")) or not isinstance(entry.get("hlc"), str) \
            or not (entry.get("hh") is None or _is_id(entry["hh"])) or type(entry.get("seq")) is not int \
            or not 0 <= entry["seq"] <= MAX_SEQ:
        return "BAD_ENTRY", "变更记录格式错误，已跳过。"
    fields = entry.get("fields")
    if not isinstance(fields, dict):
        return "BAD_ENTRY", "变更记录的字段格式错误，已跳过。"
    for pair in fields.values():
        if type(pair) is not list or len(pair) != 2:
            return "BAD_ENTRY", "变更记录的字段格式错误，已跳过。"
    unknown = fields.keys() - columns
    if unknown:
        # A newer device's package was held before it got here: past the forward mapping of an older
        # device's fields, a field left over is one that no longer exists, and the device is the one behind.
        whose = (f"设备程序较旧（数据结构版本 {schema or '未标明'}），这些字段在新版本中已经不再使用：请升级设备程序，"
                 "核对这条记录后重新保存" if older_than_this(schema) else "县级程序可能需要升级")
        return UNKNOWN_FIELD, f"变更记录含有县里没有的字段 {sorted(unknown)}，整条变更没有应用（{whose}）。"
    try:
        parse_hlc(entry["hlc"])
    except ValueError:
        return "BAD_ENTRY", "变更记录的逻辑时钟无效，已跳过。"
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 32


def _device_of(hlc: str) -> str:
    return hlc.split(".", 2)[2] if hlc.count(".") >= 2 else ""


def _label(entity: str, name: str) -> str:
    from ..model.base import column_label  # noqa: PLC0415

    return column_label(entity, name)


def _blob(text: str) -> bytes:
    from ..sync.crypto import unb64  # noqa: PLC0415

    return unb64(text)


def _j(value: Any) -> str:
    # The same compact UTF-8 JSON as json.dumps(ensure_ascii=False, separators=(",", ":")), several times faster.
    return orjson.dumps(value).decode("utf-8")
