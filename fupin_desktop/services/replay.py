"""Applying change-log entries to a store: the log is enough to rebuild every record.

Used to prove contract 3 (a replay over an empty store gives the same records) and by sync to
apply another device's changes. Derived columns are not in the log; callers recompute them.
One exception: a first download from the county logs one ``snapshot`` entry per household and package,
not every record (sync/snapshot.py) — those records are rebuilt from the county, which holds them, and
such an entry is refused here with its op named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, update

from ..errors import InvalidInput
from ..model import Base
from ..values import from_json


def _values(table: Any, fields: Mapping[str, list[Any]], index: int) -> dict[str, Any]:
    unknown = set(fields) - set(table.c.keys())
    if unknown:
        raise InvalidInput(f"变更记录含有未知字段：{table.name} {sorted(unknown)}")
    return {name: from_json(table.c[name], pair[index]) for name, pair in fields.items()}


def apply_entry(conn: Connection, entry: Mapping[str, Any]) -> None:
    table = Base.metadata.tables.get(entry["entity"])
    if table is None:
        raise InvalidInput(f"变更记录含有未知的表：{entry['entity']}")
    fields = entry["fields"]
    if isinstance(fields, str):
        fields = json.loads(fields)
    row_id = entry["entity_id"]
    if entry["op"] == "insert":
        conn.execute(insert(table).values(id=row_id, **_values(table, fields, 1)))
    elif entry["op"] == "update":
        conn.execute(update(table).where(table.c.id == row_id).values(**_values(table, fields, 1)))
    elif entry["op"] == "delete":
        conn.execute(delete(table).where(table.c.id == row_id))
    else:
        raise InvalidInput(f"变更记录的操作类型无效：{entry['op']}")


def apply_entries(conn: Connection, entries: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    for entry in entries:
        apply_entry(conn, entry)
        count += 1
    return count
