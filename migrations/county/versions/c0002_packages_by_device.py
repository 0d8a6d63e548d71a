"""packages keyed by (device, number); held reason; refused entries; 64-bit sequences

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-07 04:50:00

A package id was global and chosen by the sender, so one device could name (and overwrite) another's
held package. The key becomes (device_id, number). Rows that would collide under the new key (the
same device and number twice, which only a hijack or a re-held package could make) keep the
imported one, else the latest received. Held packages of revoked devices are discarded, as
revocation now does.
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0002'
down_revision = 'c0001'
branch_labels = None
depends_on = None

_DEDUPE = """
DELETE FROM package WHERE package_id IN (
  SELECT p.package_id FROM package p JOIN package q
    ON p.device_id = q.device_id AND p.number = q.number AND p.package_id <> q.package_id
  WHERE (q.status = 'imported' AND p.status <> 'imported')
     OR (q.status = p.status AND (q.received_at > p.received_at
         OR (q.received_at = p.received_at AND q.package_id > p.package_id))))
"""
_DISCARD_REVOKED = """
UPDATE package SET status = 'discarded', data = NULL, hold_code = 'REVOKED_DEVICE',
       hold_reason = '设备已被注销，暂存的包已作废。'
WHERE status = 'held' AND device_id IN (SELECT id FROM device WHERE status = 'revoked')
"""


def upgrade() -> None:
    op.execute(_DEDUPE)
    with op.batch_alter_table('package', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_package_device_id'))
        batch_op.drop_constraint('pk_package', type_='primary')
        batch_op.create_primary_key('pk_package', ['device_id', 'number'])
        batch_op.alter_column('seq_from', type_=sa.BigInteger(), existing_nullable=False)
        batch_op.alter_column('seq_to', type_=sa.BigInteger(), existing_nullable=False)
    op.execute("UPDATE package SET hold_code = 'HELD_GAP' WHERE status = 'held'")
    op.execute(_DISCARD_REVOKED)
    with op.batch_alter_table('conflict', schema=None) as batch_op:
        batch_op.alter_column('incoming_seq', type_=sa.BigInteger(), existing_nullable=False)
    op.create_table('refused_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('first_ack', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refused_entry'))
    )
    with op.batch_alter_table('refused_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refused_entry_device_id'), ['device_id'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("县级数据库不支持降级；请从备份恢复。")
