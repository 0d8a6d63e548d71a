"""Alembic environment. Runs only on a connection handed in by the app (the store is encrypted,
so there is no URL Alembic could open by itself): see fupin_desktop/store/migrate.py."""

from alembic import context

from fupin_desktop.model import Base
from fupin_desktop.revisions import columns_in_place

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("迁移只能由程序在已解锁的数据库上运行（见 fupin_desktop/store/migrate.py）。")

context.configure(
    connection=connection,
    # Tests and tools may compare against changed metadata (a copy with a column added).
    target_metadata=context.config.attributes.get("metadata", Base.metadata),
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
    process_revision_directives=columns_in_place,  # …except adding and dropping columns
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
