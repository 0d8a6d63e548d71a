"""Migrations: a linear history, models that match it, and an upgrade of a populated store."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from fupin_desktop.county import db
from fupin_desktop.county.model import CountyBase
from fupin_desktop.model import Base, Household, Member
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store import migrate
from fupin_desktop.store.engine import make_engine
from fupin_desktop.store.archive import restore_backup
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household


def test_history_is_linear():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    for rev in revisions:
        assert not rev.is_merge_point
        assert len(script.get_revisions(rev.revision)[0].nextrev) <= 1


def test_models_match_migrations(new_store):
    with new_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrade_from_first_revision_keeps_data_and_backs_up_first(new_store):
    with unit_of_work(new_store) as uow:
        create_households(uow, [household(hh_no=f"M{i}") for i in range(5)])
    config = migrate.alembic_config()
    with new_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with new_store.engine.connect() as conn:
        assert migrate.current_revision(conn) == "0001"
    path = new_store.path
    new_store.close()

    with Store.open(path, "admin", PASSWORD) as store:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            assert conn.execute(select(func.count()).select_from(Household)).scalar_one() == 5
            assert conn.execute(select(func.count()).select_from(Member)).scalar_one() == 15
    backups = list((path / "backups").glob("*-migration-*.fupinbak"))
    assert len(backups) == 1
    # The backup is the store as it was before the upgrade, and opens with the same password.
    old = restore_backup(backups[0], path.parent / "before-upgrade")
    engine = make_engine(old / "fupin.db", Store.keyring_for(old).unlock_password("admin", PASSWORD))
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == "0001"
    engine.dispose()

    with Store.open(path, "admin", PASSWORD):
        pass
    assert len(list((path / "backups").glob("*-migration-*"))) == 1  # at head: no migration, no new backup


def test_county_history_is_linear_and_matches_its_models_on_postgresql(county):
    script = ScriptDirectory.from_config(db._config())
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
    engine, _ = county
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), CountyBase.metadata) == []
