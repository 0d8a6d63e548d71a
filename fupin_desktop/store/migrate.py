"""Alembic at run time: upgrade on open only when the store is not at head, on the store's own
keyed connection, after an encrypted backup of the database."""

from __future__ import annotations

import logging
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from ..paths import migrations_dir

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str | None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if not heads:
        return None  # only while writing the very first revision
    if len(heads) != 1:  # guarded by a test; a branched history must never ship
        raise RuntimeError(f"migration history has {len(heads)} heads")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head", before: Callable[[str | None], None] | None = None) -> bool:
    """Bring the schema to ``target``; returns whether anything ran. ``before`` runs first (the backup)."""
    with engine.connect() as connection:
        current = current_revision(connection)
        connection.rollback()
    wanted = head_revision() if target == "head" else target
    if current == wanted:
        return False
    if before is not None:
        before(current)
    log.info("upgrading the schema from %s to %s", current, wanted)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return True
