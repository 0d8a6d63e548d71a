"""one record per household (or member) and year: duplicates merged, their other ids kept as aliases

Revision ID: c0009
Revises: c0008
Create Date: 2026-12-07 18:20:00

Before ids of year rows were made from their key (``model.base.one_per``), two laptops that each gave a
household a row for the same year sent two records; so did a laptop's own row beside the one c0008 made.
Every device's unique key refuses the second, and the down package carrying it could not be applied.
Here each such group becomes one record, the one the county had first:
- a field only another record has is taken over with its version;
- a field both have with different values keeps the newer edit and opens a conflict for a person,
  with the other value (nothing is dropped);
- the other records are deleted, and their ids kept in ``record_alias`` so that the devices' later
  changes to them reach the record (county/merge.py); income lines move to the kept income year.
All of them get new revisions, so every device receives the result; a device that holds a row by
another id renames it to the county's (sync/down.py).
"""
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'c0009'
down_revision = 'c0008'
branch_labels = None
depends_on = None

# As of this revision (the model's one_per tables and the references to them).
KEYS = {"household_year": ("household_id", "year"), "member_year": ("member_id", "year"),
        "income_year": ("household_id", "year")}
CHILDREN = {"income_year": ("income_line", "income_id")}


def upgrade() -> None:
    op.create_table(
        'record_alias',
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('alias_id', sa.String(length=32), nullable=False),
        sa.Column('entity_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('entity', 'alias_id', name=op.f('pk_record_alias')),
    )
    conn = op.get_bind()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rev = int(conn.execute(sa.text("SELECT COALESCE(MAX(rev), 0) FROM record")).scalar() or 0)
    for entity, key in KEYS.items():
        rev = _merge_duplicates(conn, entity, key, rev, now)


def _groups(conn: sa.Connection, entity: str, key: tuple[str, ...]) -> dict[str, list[str]]:
    """The kept id -> the other ids of the same key, the kept one being the first the county had."""
    if conn.dialect.name == "postgresql":  # grouped by the server: a county holds millions of year records
        keys = [f"(data::json ->> '{c}')" for c in key]
        rows = conn.execute(sa.text(
            f"SELECT array_agg(entity_id ORDER BY rev, entity_id) FROM record WHERE entity = :e AND NOT deleted "
            f"AND {' AND '.join(f'{k} IS NOT NULL' for k in keys)} GROUP BY {', '.join(keys)} HAVING count(*) > 1"),
            {"e": entity})
        return {ids[0]: list(ids[1:]) for (ids,) in rows}
    first: dict[tuple[Any, ...], str] = {}
    groups: dict[str, list[str]] = {}
    for entity_id, data in conn.execute(sa.text(
            "SELECT entity_id, data FROM record WHERE entity = :e AND NOT deleted ORDER BY rev, entity_id"),
            {"e": entity}):
        d = json.loads(data)
        k = tuple(d.get(c) for c in key)
        if None in k:
            continue
        kept = first.setdefault(k, entity_id)
        if kept != entity_id:
            groups.setdefault(kept, []).append(entity_id)
    return groups


def _merge_duplicates(conn: sa.Connection, entity: str, key: tuple[str, ...], rev: int, now: str) -> int:
    for kept, others in _groups(conn, entity, key).items():
        rows = {r.entity_id: r for r in conn.execute(sa.text(
            "SELECT entity_id, household_id, village_code, data, versions FROM record "
            "WHERE entity = :e AND entity_id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"e": entity, "ids": [kept, *others]})}
        base = rows[kept]
        data, versions = json.loads(base.data), json.loads(base.versions)
        for other in others:
            o = rows[other]
            for conflict in _take(data, versions, json.loads(o.data), json.loads(o.versions)):
                conn.execute(sa.text(
                    "INSERT INTO conflict (entity, entity_id, household_id, village_code, field, base_value, "
                    "county_value, county_hlc, incoming_value, incoming_hlc, incoming_device, incoming_seq, "
                    "package_id, status, created_at) VALUES (:e, :id, :hh, :village, :field, 'null', :cv, :ch, "
                    ":iv, :ih, :device, 0, 'c0009', 'open', :now)"),
                    {"e": entity, "id": kept, "hh": base.household_id, "village": base.village_code, "now": now,
                     **conflict})
            rev += 1
            conn.execute(sa.text("UPDATE record SET deleted = true, rev = :rev, updated_at = :now "
                                 "WHERE entity = :e AND entity_id = :id"), {"rev": rev, "now": now, "e": entity,
                                                                            "id": other})
            conn.execute(sa.text("INSERT INTO record_alias (entity, alias_id, entity_id, created_at) "
                                 "VALUES (:e, :alias, :id, :now)"), {"e": entity, "alias": other, "id": kept,
                                                                     "now": now})
        rev += 1
        conn.execute(sa.text("UPDATE record SET data = :data, versions = :versions, rev = :rev, updated_at = :now "
                             "WHERE entity = :e AND entity_id = :id"),
                     {"data": json.dumps(data, ensure_ascii=False), "versions": json.dumps(versions), "rev": rev,
                      "now": now, "e": entity, "id": kept})
        if entity in CHILDREN:
            rev = _repoint(conn, *CHILDREN[entity], base.household_id, set(others), kept, rev, now)
    return rev


def _take(data: dict[str, Any], versions: dict[str, str], other: dict[str, Any],
          other_versions: dict[str, str]) -> list[dict[str, Any]]:
    """Another record's fields into the kept one; the conflicts where both have a different value."""
    conflicts = []
    for name, value in other.items():
        if name == "updated_at":
            continue
        mine, theirs = versions.get(name), other_versions.get(name, "")
        if mine is None:
            data[name], versions[name] = value, theirs
        elif data.get(name) != value:
            newer = theirs > mine
            kept_value, kept_v, lost_value, lost_v = (value, theirs, data.get(name), mine) if newer else \
                (data.get(name), mine, value, theirs)
            data[name], versions[name] = kept_value, kept_v
            conflicts.append({"field": name, "cv": json.dumps(kept_value, ensure_ascii=False), "ch": kept_v,
                              "iv": json.dumps(lost_value, ensure_ascii=False), "ih": lost_v,
                              "device": (lost_v.split(".", 2)[2] if lost_v.count(".") >= 2 else "")[:32]})
    return conflicts


def _repoint(conn: sa.Connection, child: str, column: str, household_id: str | None, old: set[str], new: str,
             rev: int, now: str) -> int:
    for entity_id, data in conn.execute(sa.text(
            "SELECT entity_id, data FROM record WHERE entity = :c AND household_id = :hh"),
            {"c": child, "hh": household_id}).all():
        d = json.loads(data)
        if d.get(column) in old:
            d[column] = new
            rev += 1
            conn.execute(sa.text("UPDATE record SET data = :data, rev = :rev, updated_at = :now "
                                 "WHERE entity = :c AND entity_id = :id"),
                         {"data": json.dumps(d, ensure_ascii=False), "rev": rev, "now": now, "c": child,
                          "id": entity_id})
    return rev


def downgrade() -> None:
    op.drop_table('record_alias')  # the merged records stay merged
