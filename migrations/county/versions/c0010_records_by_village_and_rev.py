"""records by village and revision

Revision ID: c0010
Revises: c0009
Create Date: 2026-12-07 21:45:00

A village laptop's next down package reads the records of its village after its cursor
(``village_code = … AND rev > …``, county/down.py). With only an index on each column, PostgreSQL
walked every record changed since the cursor, or the whole table when its statistics predated a
morning's imports: building 300 laptops' packages took 17–167 s depending on the plan. On (village,
rev) it reads the village's new records alone, in order, whatever the statistics. It replaces the
index on village alone (its first column serves the same lookups).
"""
from alembic import op

revision = 'c0010'
down_revision = 'c0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_record_village_rev', 'record', ['village_code', 'rev'], unique=False)
    op.drop_index('ix_record_village_code', table_name='record')


def downgrade() -> None:
    op.create_index('ix_record_village_code', 'record', ['village_code'], unique=False)
    op.drop_index('ix_record_village_rev', table_name='record')
