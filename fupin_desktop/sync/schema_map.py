"""Field names of an older schema mapped forward to this program's, through the migrations.

A package names the store schema revision it was written with. A migration that renames a column
says so in a module constant, ``FIELD_RENAMES = {"table": {"old": "new"}}`` (beside its
``op.alter_column(..., new_column_name=...)``); a package from before that migration has its fields
renamed on arrival, composed over every migration after its revision, in order. A field that was
dropped is not renamed: it stays unknown, and the entry carrying it is refused with its reason
(UNKNOWN_FIELD), never trimmed. A package from a newer schema is never mapped: it is held.

A migration that moves fields to another table says where a change to them now belongs with a module
function ``forward_entry(entry) -> list[entry]`` (0011: the household's status goes to the year's
row). A device's change entries pass through the renames and moves of every migration after their
revision, one migration at a time, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

RENAMES = "FIELD_RENAMES"
MOVES = "forward_entry"
Renames = dict[str, dict[str, str]]  # table -> old name -> name now
Entry = dict[str, Any]
Move = Callable[[Entry], list[Entry]]


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


def _revisions() -> list[tuple[str, Mapping[str, Mapping[str, str]], Move | None]]:
    """(revision, its renames, its move) from the first migration to the head."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from ..store.migrate import alembic_config  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(alembic_config())
    return [(s.revision, getattr(s.module, RENAMES, {}) or {}, getattr(s.module, MOVES, None))
            for s in reversed(list(scripts.walk_revisions()))]


def _after(revision: str | None) -> list[tuple[str, Mapping[str, Mapping[str, str]], Move | None]]:
    chain = _revisions()
    names = [r for r, _, _ in chain]
    if revision is not None and revision not in names:
        return []
    return chain[0 if revision is None else names.index(revision) + 1:]


@lru_cache(maxsize=64)
def renames_after(revision: str | None) -> Renames:
    """What a package written at ``revision`` needs renamed (None: from before revisions were named, so
    every rename). A revision this program does not know gets nothing: such packages are held."""
    return compose([step for _, step, _ in _after(revision)])


@lru_cache(maxsize=64)
def entry_steps(revision: str | None) -> tuple[tuple[Renames, Move | None], ...]:
    """The migrations after ``revision`` that change how a change entry is written, in order (empty:
    entries of that revision are taken as they are)."""
    return tuple(({t: dict(n) for t, n in step.items()}, move) for _, step, move in _after(revision) if step or move)


def _renamed(fields: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(name, name): value for name, value in fields.items()}


def forward(record: dict[str, Any], revision: str | None, renames: Renames | None = None) -> dict[str, Any]:
    """A down package's record (``data`` and ``versions`` by field) in this program's field names."""
    names = (renames_after(revision) if renames is None else renames).get(str(record.get("entity")))
    if not names:
        return record
    out = dict(record)
    for key in ("data", "versions"):
        if isinstance(record.get(key), dict):
            out[key] = _renamed(record[key], names)
    return out


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
