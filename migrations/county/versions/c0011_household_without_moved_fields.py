"""the household records without the fields store migration 0011 took off the household

Revision ID: c0011
Revises: c0010
Create Date: 2026-12-08 04:00:00

c0008 put 兜底保障, 风险消除方式 and 风险消除时间 (with the rest of the status) on the year records, and
left the household records' own copies. The stores keep copies of the rest of the status for their
lists, but not of these three (0011 ``DROPPED``): a down package carrying them on a household was
refused whole by every device ("a field this program does not have"), so a laptop enrolled after the
upgrade could not finish its first download. They leave the household record here, value and
version, where c0008 placed them on a year record (they had a version) or they hold nothing; a value
c0008 could not place stays, and a device that meets it says so (sync/down.py), never silently.
No new revision: no device holds these fields, so nothing has to travel.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = 'c0011'
down_revision = 'c0010'
branch_labels = None
depends_on = None

DROPPED = ("no_labour_fallback", "risk_removal_method", "risk_removed_at")  # as in store migration 0011


def upgrade() -> None:
    conn = op.get_bind()
    mentions = sa.or_(*(sa.column("data").like(f'%"{name}"%') for name in DROPPED))
    changed = []
    for entity_id, data, versions in conn.execute(
            sa.select(sa.column("entity_id"), sa.column("data"), sa.column("versions")).select_from(sa.table("record"))
            .where(sa.column("entity") == "household", mentions)):
        d, v = json.loads(data), json.loads(versions)
        gone = [k for k in DROPPED if k in d and (v.get(k) or d[k] in (None, ""))]
        if gone:
            changed.append({"id": entity_id,
                            "data": json.dumps({k: x for k, x in d.items() if k not in gone}, ensure_ascii=False),
                            "versions": json.dumps({k: x for k, x in v.items() if k not in gone})})
    if changed:
        conn.execute(sa.text("UPDATE record SET data = :data, versions = :versions "
                             "WHERE entity = 'household' AND entity_id = :id"), changed)


def downgrade() -> None:
    pass  # the values are on the year records (c0008)
