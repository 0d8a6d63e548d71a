"""down packages: a revision per record, device scopes, the down sequence per device

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-07 05:20:00

Every record gets ``rev``, a county-wide number raised on every write (under the import lock), so
the changes a device has not yet received are "rev above its cursor". Existing records are numbered
once, in their order of last update. Enrollments and devices get a scope (a code prefix: a village
or a township); existing ones keep their village. ``down_package`` keeps each sealed package sent
down until the device has applied a later one, so a retry gets the same bytes.
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0003'
down_revision = 'c0002'
branch_labels = None
depends_on = None

_NUMBER = """
UPDATE record SET rev = n.rn FROM (
  SELECT entity AS e, entity_id AS i, row_number() OVER (ORDER BY updated_at, entity, entity_id) AS rn FROM record
) AS n WHERE record.entity = n.e AND record.entity_id = n.i
"""


def upgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rev', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_index('ix_record_rev', ['rev'])
    op.execute(_NUMBER)
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=12), nullable=True))
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('down_number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('down_rev', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('down_applied', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE enrollment SET scope = village_code")
    op.execute("UPDATE device SET scope = village_code")
    op.create_table('down_package',
                    sa.Column('device_id', sa.String(length=32), nullable=False),
                    sa.Column('number', sa.Integer(), nullable=False),
                    sa.Column('rev_from', sa.BigInteger(), nullable=False),
                    sa.Column('rev_to', sa.BigInteger(), nullable=False),
                    sa.Column('records', sa.Integer(), nullable=False),
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.String(length=32), nullable=False),
                    sa.Column('data', sa.LargeBinary(), nullable=True),
                    sa.PrimaryKeyConstraint('device_id', 'number', name=op.f('pk_down_package')))


def downgrade() -> None:
    op.drop_table('down_package')
    with op.batch_alter_table('device', schema=None) as batch_op:
        for name in ('down_applied', 'down_rev', 'down_number', 'scope'):
            batch_op.drop_column(name)
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index('ix_record_rev')
        batch_op.drop_column('rev')
