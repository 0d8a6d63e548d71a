"""农村低收入人口 categories and the yearly 评估 of former 建档立卡 households

社会救助类别 and 帮扶层级 per year on household_year (a status, carried on like those of 0011), the
member's 社会救助类别 on member_year, and the year's 评估 (结果, 日期, 记录人, 理由) on household_year.
Columns only: nothing is filled in, so no value appears that nobody typed and the county's records,
which keep whatever fields a device sends, need no change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:38:45
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('household_year', sa.Column('assistance_category', sa.String(length=16), nullable=True))
    op.add_column('household_year', sa.Column('support_layer', sa.String(length=8), nullable=True))
    op.add_column('household_year', sa.Column('reassess_result', sa.String(length=8), nullable=True))
    op.add_column('household_year', sa.Column('reassessed_on', sa.Date(), nullable=True))
    op.add_column('household_year', sa.Column('reassessed_by', sa.String(length=32), nullable=True))
    op.add_column('household_year', sa.Column('reassess_reason', sa.Text(), nullable=True))
    op.add_column('member_year', sa.Column('assistance_category', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('member_year', 'assistance_category')
    op.drop_column('household_year', 'reassess_reason')
    op.drop_column('household_year', 'reassessed_by')
    op.drop_column('household_year', 'reassessed_on')
    op.drop_column('household_year', 'reassess_result')
    op.drop_column('household_year', 'support_layer')
    op.drop_column('household_year', 'assistance_category')
