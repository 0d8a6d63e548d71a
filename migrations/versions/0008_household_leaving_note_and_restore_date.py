"""household leaving note and restore date

注销 with the reason 其他 needs words of its own (``left_note``); a household put back on the register
keeps the day it came back (``restored_on``) for the roster's change list.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 07:08:07
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('household', sa.Column('left_note', sa.Text(), nullable=True))
    op.add_column('household', sa.Column('restored_on', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('household', 'restored_on')
    op.drop_column('household', 'left_note')
