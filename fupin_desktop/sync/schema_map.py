"""Field names of an older schema mapped forward to this program's, through the migrations.

A package names the store schema revision it was written with. A migration that renames a column
says so in a module constant, ``FIELD_RENAMES = {"table": {"old": "new"}}`` (beside its
``op.alter_column(..., new_column_name=...)``); a package from before that migration has its fields
renamed on arrival, composed over every migration after its revision, in order. A field that was
dropped is not renamed: it stays unknown, and the entry carrying it is refused with its reason
(UNKNOWN_FIELD), never trimmed. A package from a newer schema is never mapped: it is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

RENAMES = "FIELD_RENAMES"
Renames = dict[str, dict[str, str]]  # table -> old name -> name now


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


def _revisions() -> list[tuple[str, Mapping[str, Mapping[str, str]]]]:
    """(revision, its renames) from the first migration to the head."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from ..store.migrate import alembic_config  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(alembic_config())
    return [(s.revision, getattr(s.module, RENAMES, {}) or {}) for s in reversed(list(scripts.walk_revisions()))]


@lru_cache(maxsize=64)
def renames_after(revision: str | None) -> Renames:
    """What a package written at ``revision`` needs renamed (None: from before revisions were named, so
    every rename). A revision this program does not know gets nothing: such packages are held."""
    chain = _revisions()
    names = [r for r, _ in chain]
    if revision is not None and revision not in names:
        return {}
    start = 0 if revision is None else names.index(revision) + 1
    return compose([step for _, step in chain[start:]])


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


def forward_entry(entry: dict[str, Any], revision: str | None, renames: Renames | None = None) -> dict[str, Any]:
    """A device's change-log entry (``fields`` by name) in this program's field names."""
    names = (renames_after(revision) if renames is None else renames).get(str(entry.get("entity")))
    if not names or not isinstance(entry.get("fields"), dict):
        return entry
    return {**entry, "fields": _renamed(entry["fields"], names)}
