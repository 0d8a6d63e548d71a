"""Drafts: an editor's unsaved state, kept inside the encrypted store so that a crash or a power cut
loses a few seconds at most and nothing typed reaches disk in clear (``meta`` table, key
``draft:<household id>`` or ``draft:new-<uuid>``). Drafts are not records: not change-logged, not
synced."""

from __future__ import annotations

import json

from sqlalchemy import Connection, Engine, delete, select

from .model import Meta

DRAFT_PREFIX = "draft:"
NEW_DRAFT_PREFIX = "draft:new-"


def write_draft(engine: Engine, key: str, text: str) -> None:
    with engine.begin() as conn:
        conn.execute(Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": key, "value": text})


def delete_draft(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Meta).where(Meta.key == key))


def read_draft(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()


def all_drafts(conn: Connection) -> list[tuple[str, str]]:
    """Every draft (key, text): of saved households and of new ones."""
    return [(k, v) for k, v in conn.execute(select(Meta.key, Meta.value).where(Meta.key.like(DRAFT_PREFIX + "%")))]


def new_draft_keys(conn: Connection) -> list[str]:
    """Drafts of households never saved, oldest first (the values carry the time)."""
    rows = conn.execute(select(Meta.key, Meta.value).where(Meta.key.like(NEW_DRAFT_PREFIX + "%"))).all()
    return [key for key, _value in sorted(rows, key=lambda r: _saved_at(r[1]))]


def _saved_at(value: str) -> str:
    try:
        return str(json.loads(value).get("saved_at", ""))
    except (ValueError, AttributeError):
        return ""
