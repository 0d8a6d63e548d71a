"""records by entity and village

Revision ID: c0004
Revises: c0003
Create Date: 2026-12-07 07:20:00

The procedure figures (待办/超期 per village, department warnings by disposition) read every record of
three small entities (procedure, procedure_step, dept_warning) village by village; an index on
(entity, village_code) lets them skip the millions of member and measure records.
"""
from alembic import op

revision = 'c0004'
down_revision = 'c0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_record_entity_village', 'record', ['entity', 'village_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_record_entity_village', table_name='record')
