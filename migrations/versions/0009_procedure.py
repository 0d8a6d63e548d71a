"""procedure records and department warnings

The monitoring procedure (识别纳入 / 风险消除 / 退出) with its steps, and department warning lists with
their dispositions: three new synced tables, nothing existing changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:06:14.570467
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('procedure',
    sa.Column('household_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('discovered_on', sa.Date(), nullable=False),
    sa.Column('warning_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_procedure_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure'))
    )
    op.create_index(op.f('ix_procedure_household_id'), 'procedure', ['household_id'], unique=False)
    op.create_table('dept_warning',
    sa.Column('household_id', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=True),
    sa.Column('department', sa.String(length=16), nullable=False),
    sa.Column('warning', sa.Text(), nullable=False),
    sa.Column('warned_on', sa.Date(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('disposition', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('disposed_on', sa.Date(), nullable=True),
    sa.Column('disposed_by', sa.String(length=64), nullable=True),
    sa.Column('procedure_id', sa.String(length=32), nullable=True),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_dept_warning_household_id_household')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_dept_warning_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dept_warning'))
    )
    op.create_index(op.f('ix_dept_warning_household_id'), 'dept_warning', ['household_id'], unique=False)
    op.create_table('procedure_step',
    sa.Column('procedure_id', sa.String(length=32), nullable=False),
    sa.Column('household_id', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=8), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('result', sa.String(length=32), nullable=True),
    sa.Column('objections', sa.Text(), nullable=True),
    sa.Column('income_per_capita', sa.BigInteger(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_procedure_step_household_id_household')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_procedure_step_procedure_id_procedure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_step'))
    )
    op.create_index(op.f('ix_procedure_step_household_id'), 'procedure_step', ['household_id'], unique=False)
    op.create_index(op.f('ix_procedure_step_procedure_id'), 'procedure_step', ['procedure_id'], unique=False)
    _dirty_triggers()


# The procedure rules read these (queries/load.py): a write notes its household for the re-check,
# as 0007's triggers do for the other tables the rules read.
DIRTY_SOURCES = ("procedure", "procedure_step", "dept_warning")


def _dirty_triggers() -> None:
    for table in DIRTY_SOURCES:
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            body = " ".join(f"INSERT OR IGNORE INTO check_dirty (household_id) VALUES ({row}.household_id);"
                            for row in rows)
            op.execute(f"CREATE TRIGGER check_dirty_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"BEGIN {body} END")


def downgrade() -> None:
    for table in DIRTY_SOURCES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER check_dirty_{table}_{event}")
    op.drop_index(op.f('ix_procedure_step_procedure_id'), table_name='procedure_step')
    op.drop_index(op.f('ix_procedure_step_household_id'), table_name='procedure_step')
    op.drop_table('procedure_step')
    op.drop_index(op.f('ix_dept_warning_household_id'), table_name='dept_warning')
    op.drop_table('dept_warning')
    op.drop_index(op.f('ix_procedure_household_id'), table_name='procedure')
    op.drop_table('procedure')
