"""how long a household's kept findings hold

check_result.until: the first day on which a household's own findings may differ with no change to
its rows (a birthday, a deadline; fupin_desktop/validation/horizon.py). The first check of a day
re-checks those households only, not the whole store. Empty here: the kept state of an older
program answers for one day only, so the next check is a full one and fills it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 03:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('check_result', sa.Column('until', sa.Date(), nullable=True))
    op.create_index('ix_check_result_until', 'check_result', ['until'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_check_result_until', table_name='check_result')
    op.drop_column('check_result', 'until')
