"""Alembic environment for the county database (PostgreSQL or SQLite): see fupin_desktop/county/db.py."""

from alembic import context

from fupin_desktop.county.model import CountyBase
from fupin_desktop.revisions import columns_in_place

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("县级数据库的迁移由程序运行：fupin county init --db-url …")

context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("metadata", CountyBase.metadata),
    render_as_batch=connection.dialect.name == "sqlite",
    process_revision_directives=columns_in_place,  # a column is added and dropped in place, never by a copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
