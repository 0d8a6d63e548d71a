"""Each field is declared once (issue 11): every column has its place decided, a declared field
shows up in every list derived from it, and a new field's migration goes back down on a real store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    MetaData,
    String,
    func,
    inspect,
    select,
    text,
)

from fupin_desktop.county import db as county_db
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.model import CountyBase
from fupin_desktop.forms.job import render
from fupin_desktop.model import Base, Household, column_label
from fupin_desktop.model.base import flag
from fupin_desktop.model.fields import (
    BASIC,
    HH_BASICS,
    REG_BASICS,
    REG_CONDITIONS,
    REG_GUARANTEES,
    REG_RELOCATION,
    ROSTER,
    Omitted,
)
from fupin_desktop.model.layouts import (
    editor_sections,
    kept_as_text,
    placement,
    printed,
    roster_columns,
    undecided,
)
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store import migrate
from fupin_desktop.store.store import Store

from .conftest import COUNTY_PASSPHRASE
from fupin_desktop.tabular.layout import roster_layout

from .factories import household
from .test_forms import page_texts


def with_columns(metadata: MetaData, table: str, *columns: Column[Any]) -> MetaData:
    """A copy of ``metadata`` with ``columns`` appended to ``table`` (the original is untouched)."""
    copy = MetaData(naming_convention=metadata.naming_convention)
    for t in metadata.sorted_tables:
        t.to_metadata(copy)
    for column in columns:
        copy.tables[table].append_column(column)
    return copy


def model_copy(*columns: Column[Any]) -> MetaData:
    return with_columns(Base.metadata, "household", *columns)


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


def new_revision(config: Config, engine: Engine, metadata: MetaData, scripts: Path) -> str:
    """Autogenerate revision 9999 against ``metadata`` in a copy of the migrations; its downgrade text."""
    shutil.copytree(config.get_main_option("script_location") or "", scripts)
    config.set_main_option("script_location", str(scripts))
    config.attributes["metadata"] = metadata
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message="pilot", autogenerate=True, rev_id="9999")
    written = next((scripts / "versions").glob("9999_*.py")).read_text("utf-8")
    return written[written.index("def downgrade"):]


def move_to(config: Config, engine: Engine, target: str, *, up: bool) -> None:
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def test_the_registration_form_prints_every_column_placed_on_it(new_store: Store, tmp_path: Path) -> None:
    with unit_of_work(new_store) as uow:
        create_households(uow, [household(hh_no="F1")])
    render("registration", new_store, out=tmp_path / "reg.pdf")
    printed_text = "".join(page_texts(tmp_path / "reg.pdf"))
    parts = (REG_BASICS, REG_CONDITIONS, REG_RELOCATION, REG_GUARANTEES)
    labels = [column_label(t, c) for part in parts for t, c in printed(part)]
    assert len(labels) > 50 and [label for label in labels if label not in printed_text] == []


def test_a_new_fields_migration_is_plain_and_goes_down_with_foreign_keys_on(new_store: Store, tmp_path: Path) -> None:
    with unit_of_work(new_store) as uow:
        create_households(uow, [household(hh_no="F1")])
    config, engine, previous = migrate.alembic_config(), new_store.engine, migrate.head_revision() or ""
    pilot = Column("pilot_code", String(16), info={"label": "试点编码"})
    downgrade = new_revision(config, engine, model_copy(pilot), tmp_path / "m")
    assert "op.drop_column('household', 'pilot_code')" in downgrade and "batch_alter_table" not in downgrade

    for target, present in (("9999", True), (previous, False)):
        move_to(config, engine, target, up=present)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert ("pilot_code" in {c["name"] for c in inspect(conn).get_columns("household")}) is present
            assert conn.execute(select(func.count()).select_from(Household)).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def test_the_countys_migrations_add_and_drop_columns_in_place_too(tmp_path: Path) -> None:
    engine = open_county_db(f"sqlite:///{tmp_path / 'county.db'}", COUNTY_PASSPHRASE)
    config = county_db._config()
    previous = ScriptDirectory.from_config(config).get_current_head() or ""
    pilot = Column("pilot_note", String(16))
    downgrade = new_revision(config, engine, with_columns(CountyBase.metadata, "device", pilot), tmp_path / "m")
    assert "op.drop_column('device', 'pilot_note')" in downgrade and "batch_alter_table" not in downgrade
    for target, present in (("9999", True), (previous, False)):
        move_to(config, engine, target, up=present)
        with engine.connect() as conn:
            assert ("pilot_note" in {c["name"] for c in inspect(conn).get_columns("device")}) is present
    engine.dispose()
