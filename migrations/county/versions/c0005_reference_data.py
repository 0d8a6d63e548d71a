"""reference data set at the county: thresholds and rule parameters, versioned, sent down

Revision ID: c0005
Revises: c0004
Create Date: 2026-12-07 07:20:00

``reference_value`` keeps every value the county set (a new row per change, numbered by ``version``);
``device.ref_version`` is how far each device's down packages carry them.
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0005'
down_revision = 'c0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_value',
                    sa.Column('version', sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column('kind', sa.String(length=12), nullable=False),
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('province', sa.String(length=2), nullable=False),
                    sa.Column('year_from', sa.Integer(), nullable=False),
                    sa.Column('year_to', sa.Integer(), nullable=True),
                    sa.Column('value', sa.Text(), nullable=False),
                    sa.Column('source', sa.Text(), nullable=False),
                    sa.Column('set_by', sa.String(length=64), nullable=False),
                    sa.Column('set_at', sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint('version', name=op.f('pk_reference_value')))
    op.create_index('ix_reference_value_key', 'reference_value', ['kind', 'name', 'province', 'year_from'])
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref_version', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_column('ref_version')
    op.drop_index('ix_reference_value_key', table_name='reference_value')
    op.drop_table('reference_value')
