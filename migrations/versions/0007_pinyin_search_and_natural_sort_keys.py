"""pinyin search and natural sort keys

Full pinyin finds a person ("guo" → 郭); the household list sorts the head's name by pinyin and
村民小组 by the number they stand for (fupin_desktop/derive.py). The keys are derived columns, filled
here for the rows already in the store (the initials too: polyphonic surnames now read as surnames).

The whole-store check keeps its findings and the cross-household keys between runs (check_result,
check_key), and triggers note every household written since (check_dirty), whatever wrote it, so a
re-check reads only those (fupin_desktop/validation/incremental.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 07:12:41
"""
from alembic import op
import sqlalchemy as sa

from fupin_desktop.derive import household_keys, member_keys


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('household', sa.Column('head_sort', sa.String(length=255), nullable=True))
    op.add_column('household', sa.Column('group_sort', sa.String(length=255), nullable=True))
    op.drop_index('ix_household_listing', table_name='household')
    op.create_index('ix_household_listing', 'household', ['record_status', 'group_sort', 'national_hh_no', 'id'],
                    unique=False)
    op.create_index('ix_household_by_head', 'household', ['record_status', 'head_sort', 'id'], unique=False)
    op.add_column('member', sa.Column('name_pinyin', sa.String(length=255), nullable=True))
    op.create_index('ix_member_pinyin_household', 'member', ['name_pinyin', 'household_id'], unique=False)
    _fill()
    _check_tables()


# Every table the validation rules read (queries/load.py VALIDATION_PARTS), with the SQL that finds
# the household of a row (ROW. stands for NEW. or OLD.).
DIRTY_SOURCES = {
    "household": "ROW.id",
    "household_year": "ROW.household_id",
    "member": "ROW.household_id",
    "member_year": "(SELECT household_id FROM member WHERE id = ROW.member_id)",
    "work_record": "(SELECT household_id FROM member WHERE id = ROW.member_id)",
    "income_year": "ROW.household_id",
    "income_line": "(SELECT household_id FROM income_year WHERE id = ROW.income_id)",
    "measure": "ROW.household_id",
    "assessment": "ROW.household_id",
}


def _check_tables() -> None:
    op.create_table('check_dirty', sa.Column('household_id', sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint('household_id'))
    op.create_table('check_result', sa.Column('household_id', sa.String(length=32), nullable=False),
                    sa.Column('own', sa.Text(), nullable=False), sa.Column('cross', sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint('household_id'))
    op.create_table('check_key', sa.Column('key', sa.String(length=64), nullable=False),
                    sa.Column('household_id', sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint('key', 'household_id'), sqlite_with_rowid=False)
    op.create_index('ix_check_key_household', 'check_key', ['household_id'], unique=False)
    for table, source in DIRTY_SOURCES.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            body = " ".join(f"INSERT OR IGNORE INTO check_dirty (household_id) "
                            f"SELECT h FROM (SELECT {source.replace('ROW.', row + '.')} AS h) WHERE h IS NOT NULL;"
                            for row in rows)
            op.execute(f"CREATE TRIGGER check_dirty_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"BEGIN {body} END")


def _fill() -> None:
    conn = op.get_bind()
    members = [{"i": i, **member_keys(name)} for i, name in conn.execute(sa.text("SELECT id, name FROM member"))]
    if members:
        conn.execute(sa.text("UPDATE member SET name_initials = :name_initials, name_pinyin = :name_pinyin "
                             "WHERE id = :i"), members)
    households = [{"i": i, **household_keys(head, group)}
                  for i, head, group in conn.execute(sa.text("SELECT id, head_name, group_name FROM household"))]
    if households:
        conn.execute(sa.text("UPDATE household SET head_sort = :head_sort, group_sort = :group_sort WHERE id = :i"),
                     households)


def downgrade() -> None:
    for table in DIRTY_SOURCES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER check_dirty_{table}_{event}")
    op.drop_index('ix_check_key_household', table_name='check_key')
    op.drop_table('check_key')
    op.drop_table('check_result')
    op.drop_table('check_dirty')
    op.drop_index('ix_member_pinyin_household', table_name='member')
    op.drop_column('member', 'name_pinyin')
    op.drop_index('ix_household_by_head', table_name='household')
    op.drop_index('ix_household_listing', table_name='household')
    op.create_index('ix_household_listing', 'household', ['record_status', 'group_name', 'national_hh_no', 'id'],
                    unique=False)
    op.drop_column('household', 'group_sort')
    op.drop_column('household', 'head_sort')
