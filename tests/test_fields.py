"""Each field is declared once (issue 11): every column has its place decided, a declared field
shows up in every list derived from it, and a new field's migration goes back down on a real store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Boolean, Column, MetaData, String, func, inspect, select, text

from fupin_desktop.model import Base, Household
from fupin_desktop.model.base import NAMING, flag
from fupin_desktop.model.fields import BASIC, HH_BASICS, REG_BASICS, ROSTER, Omitted
from fupin_desktop.model.layouts import (
    editor_sections,
    kept_as_text,
    placement,
    printed,
    roster_columns,
    undecided,
)
from fupin_desktop.services.households import create_households
from fupin_desktop.services.uow import UnitOfWork
from fupin_desktop.store import migrate
from fupin_desktop.store.store import Store
from fupin_desktop.tabular.layout import roster_layout

from .factories import household


def model_copy(*columns: Column[Any]) -> MetaData:
    """The model's tables in a new MetaData, with ``columns`` appended to ``household``."""
    copy = MetaData(naming_convention=NAMING)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    for column in columns:
        copy.tables["household"].append_column(column)
    return copy


def household_column(name: str, declared: Any) -> Column[Any]:
    """A household column as the model's helpers declare it (``declared`` is e.g. ``flag(...)``)."""
    column: Column[Any] = declared.column
    return Column(name, column.type, info=dict(column.info))


def between(items: list[Any], before: Any, item: Any, after: Any) -> bool:
    return items.index(before) < items.index(item) < items.index(after)


def test_every_column_has_its_place_decided() -> None:
    assert undecided() == []


def test_every_omission_states_a_reason() -> None:
    omitted = [placement(c, where) for t in ("household", "household_year", "member")
               for c in Base.metadata.tables[t].c for where in ("editor", "roster", "printed")]
    assert all(o.reason.strip() for o in omitted if isinstance(o, Omitted))


def test_a_column_placed_nowhere_fails_the_check() -> None:
    bare = Column("pilot_flag", Boolean, info={"label": "试点户"})
    half = household_column("pilot_note", flag("试点说明", editor=HH_BASICS.at(5)))
    problems = undecided(model_copy(bare, half))
    assert problems == ["editor: household.pilot_flag", "roster: household.pilot_flag",
                        "roster: household.pilot_note", "printed: household.pilot_flag",
                        "printed: household.pilot_note"]


def test_a_column_may_say_why_it_is_shown_nowhere() -> None:
    why = Omitted("只在县级汇总中使用")
    column = household_column("pilot_flag", flag("试点户", editor=why, roster=why, printed=why))
    assert undecided(model_copy(column)) == []


def test_a_placed_yes_no_field_appears_in_the_editor_the_roster_and_the_registration_form() -> None:
    pilot = household_column("pilot_flag", flag("是否试点户", editor=HH_BASICS.at(185), roster=ROSTER,
                                                 printed=REG_BASICS.at(115)))
    digits = household_column("pilot_code", flag("试点编码", keep_text="digits", editor=HH_BASICS.at(999),
                                                 roster=ROSTER, printed=REG_BASICS.at(999)))
    copy = model_copy(pilot, digits)

    title, fields = editor_sections(BASIC, copy)[0]
    assert title == HH_BASICS.title
    assert between(fields, ("household", "only_child"), ("household", "pilot_flag"), ("household", "two_daughters"))

    roster = [(f.key, f.label) for f in roster_layout(copy)]
    assert ("household.pilot_flag", "是否试点户") in roster
    assert roster.index(("household.pilot_flag", "是否试点户")) < [k for k, _ in roster].index("group.head_name")
    assert [c.key for c in roster_columns("household", copy)][-2:] == ["household.pilot_flag", "household.pilot_code"]

    basics = printed(REG_BASICS, copy)
    assert between(basics, ("household", "only_child"), ("household", "pilot_flag"), ("household", "two_daughters"))
    assert kept_as_text(copy)["household.pilot_code"] == "digits"
    # The model itself is untouched by all this.
    assert "pilot_flag" not in Base.metadata.tables["household"].c


def test_a_new_fields_migration_is_plain_and_goes_down_with_foreign_keys_on(new_store: Store, tmp_path: Path) -> None:
    with UnitOfWork(new_store) as uow:
        create_households(uow, [household(hh_no="F1")])
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.alembic_config().get_main_option("script_location") or "", scripts)
    config = migrate.alembic_config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["metadata"] = model_copy(Column("pilot_code", String(16), info={"label": "试点编码"}))
    with new_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message="pilot code", autogenerate=True, rev_id="9999")
    written = next((scripts / "versions").glob("9999_*.py")).read_text("utf-8")
    downgrade = written[written.index("def downgrade"):]
    assert "op.drop_column('household', 'pilot_code')" in downgrade and "batch_alter_table" not in downgrade

    previous = migrate.head_revision()
    for target, present in (("9999", True), (previous, False)):
        with new_store.engine.begin() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            config.attributes["connection"] = conn
            (command.upgrade if present else command.downgrade)(config, target or "")
        with new_store.engine.connect() as conn:
            assert ("pilot_code" in {c["name"] for c in inspect(conn).get_columns("household")}) is present
            assert conn.execute(select(func.count()).select_from(Household)).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
