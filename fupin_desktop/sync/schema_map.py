"""Field names of an older schema mapped forward to this program's, through the migrations.

A package names the store schema revision it was written with. A migration that renames a column
says so in a module constant, ``FIELD_RENAMES = {"table": {"old": "new"}}`` (beside its
``op.alter_column(..., new_column_name=...)``); a package from before that migration has its fields
renamed on arrival, composed over every migration after its revision, in order. A field that was
dropped is not renamed: it stays unknown, and the entry carrying it is refused with its reason
(UNKNOWN_FIELD), never trimmed. A package from a newer schema is never mapped: it is held.

A migration that moves fields to another table says where they now belong with module functions:
``forward_entry(entry) -> list[entry]`` for a device's change entries (the county runs it on an older
device's packages) and ``forward_record(record) -> list[record]`` for the county's record states (a
device runs it on an older county's down packages); 0011 puts the household's status on the year's
row. Entries and records pass through the renames and moves of every migration after their revision,
one migration at a time, in order. A record a move made carries ``moved_by`` (the revision): its id is
the one the migration gives a new row, and the device places it on the row it already has for the
same key (sync/down.py), as the migration would have.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

RENAMES = "FIELD_RENAMES"
ENTRY_MOVES = "forward_entry"
RECORD_MOVES = "forward_record"
MOVED_BY = "moved_by"  # on a record a move made: the revision whose move made it
Renames = dict[str, dict[str, str]]  # table -> old name -> name now
Entry = dict[str, Any]
Move = Callable[[Entry], list[Entry]]
Record = dict[str, Any]
RecordMove = Callable[[Record], list[Record]]


@dataclass(frozen=True)
class Step:
    """What one migration changes in how a package is written."""

    revision: str
    renames: Mapping[str, Mapping[str, str]]
    entry_move: Move | None
    record_move: RecordMove | None


def compose(steps: list[Mapping[str, Mapping[str, str]]]) -> Renames:
    """The renames of several migrations applied one after another, as one mapping (a → b then b → c
    is a → c; each step's own new names are included)."""
    out: Renames = {}
    for step in steps:
        for table, names in step.items():
            current = out.setdefault(table, {})
            for old_now, new in list(current.items()):
                if new in names:
                    current[old_now] = names[new]
            for old, new in names.items():
                current.setdefault(old, new)
    return {table: names for table, names in out.items() if names}


def _revisions() -> list[Step]:
    """Every migration from the first to the head."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from ..store.migrate import alembic_config  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(alembic_config())
    return [Step(s.revision, getattr(s.module, RENAMES, {}) or {}, getattr(s.module, ENTRY_MOVES, None),
                 getattr(s.module, RECORD_MOVES, None))
            for s in reversed(list(scripts.walk_revisions()))]


def _after(revision: str | None) -> list[Step]:
    chain = _revisions()
    names = [step.revision for step in chain]
    if revision is not None and revision not in names:
        return []
    return chain[0 if revision is None else names.index(revision) + 1:]


def older_than_this(revision: str | None) -> bool:
    """Whether a package written at ``revision`` comes from an older program than this one (None: from
    before revisions were named). A revision this program does not know is not older: it is newer."""
    names = [step.revision for step in _revisions()]
    return revision is None or (revision in names and names.index(revision) < len(names) - 1)


@lru_cache(maxsize=64)
def renames_after(revision: str | None) -> Renames:
    """What a package written at ``revision`` needs renamed (None: from before revisions were named, so
    every rename). A revision this program does not know gets nothing: such packages are held."""
    return compose([step.renames for step in _after(revision)])


@lru_cache(maxsize=64)
def entry_steps(revision: str | None) -> tuple[tuple[Renames, Move | None], ...]:
    """The migrations after ``revision`` that change how a change entry is written, in order (empty:
    entries of that revision are taken as they are)."""
    return tuple((_copy(step.renames), step.entry_move) for step in _after(revision)
                 if step.renames or step.entry_move)


@lru_cache(maxsize=64)
def record_steps(revision: str | None) -> tuple[tuple[str, Renames, RecordMove | None], ...]:
    """The migrations after ``revision`` that change how the county's records are written, each as
    (revision, renames, record move), in order (empty: records of that revision are taken as they are)."""
    return tuple((step.revision, _copy(step.renames), step.record_move) for step in _after(revision)
                 if step.renames or step.record_move)


def _copy(renames: Mapping[str, Mapping[str, str]]) -> Renames:
    return {table: dict(names) for table, names in renames.items()}


def _renamed(fields: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(name, name): value for name, value in fields.items()}


def forward_records(record: Record, steps: tuple[tuple[str, Renames, RecordMove | None], ...]) -> list[Record]:
    """A down package's record (``data`` and ``versions`` by field) as this program's schema holds it:
    renamed, and split where a migration moved fields to another record (those carry ``MOVED_BY``)."""
    records = [record]
    for revision, renames, move in steps:
        out: list[Record] = []
        for r in records:
            names = renames.get(str(r.get("entity")))
            if names:
                r = {**r, **{key: _renamed(r[key], names) for key in ("data", "versions")
                             if isinstance(r.get(key), dict)}}
            if move is None:
                out.append(r)
                continue
            same = (r.get("entity"), r.get("id"))
            out.extend(m if (m.get("entity"), m.get("id")) == same else {**m, MOVED_BY: revision} for m in move(r))
        records = out
    return records


def forward_entries(entry: Entry, steps: tuple[tuple[Renames, Move | None], ...]) -> list[Entry]:
    """A device's change-log entry (``fields`` by name) as this program's schema holds it: renamed,
    and split where a migration moved fields to another record (each part keeps the entry's seq, so a
    refusal of any part is reported against the entry the device wrote)."""
    entries = [entry]
    for renames, move in steps:
        out: list[Entry] = []
        for e in entries:
            names = renames.get(str(e.get("entity")))
            if names and isinstance(e.get("fields"), dict):
                e = {**e, "fields": _renamed(e["fields"], names)}
            out.extend(move(e) if move is not None else [e])
        entries = out
    return entries
