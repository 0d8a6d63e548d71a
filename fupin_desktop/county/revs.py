"""Record revisions: a county-wide number raised on every write of a record.

Down packages carry the records whose revision is above a device's cursor. Revisions are taken
only under the import lock (county/apply.py ``import_transaction``), so they are committed in
increasing order and a reader never sees a later revision before an earlier one.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from .model import Record


def next_rev(conn: Connection) -> int:
    """The first free revision; the caller holds the import lock until it commits."""
    return int(conn.execute(select(func.coalesce(func.max(Record.rev), 0))).scalar() or 0) + 1
