"""reference data: where each threshold came from, and rule parameters as rows

Thresholds get ``origin`` ("shipped": from the program's resources/, refreshed by an upgrade;
"county": set at the county and sent down, never overwritten by a shipped value) and ``version``
(the county's number, the newest wins). Rule parameters (resources/rule_params.json) get a table of
the same shape; the store fills both from resources/ when it opens (reference.merge_shipped).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 07:06:21
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_param',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('province_code', sa.String(length=2), nullable=False),
                    sa.Column('year_from', sa.Integer(), nullable=False),
                    sa.Column('year_to', sa.Integer(), nullable=True),
                    sa.Column('value', sa.Text(), nullable=False),
                    sa.Column('source', sa.Text(), nullable=True),
                    sa.Column('origin', sa.String(length=8), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('updated_at', sa.String(length=32), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_param')),
                    sa.UniqueConstraint('name', 'province_code', 'year_from', name=op.f('uq_rule_param_name')))
    op.add_column('threshold', sa.Column('origin', sa.String(length=8), nullable=False, server_default='shipped'))
    op.add_column('threshold', sa.Column('version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('threshold', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('origin')
    op.drop_table('rule_param')
