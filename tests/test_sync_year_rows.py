"""Two laptops of one village each give the same household (or member) a row for the same year, both
offline. The row's id is made from its key (``one_per``), so both laptops made the same record: the
county merges it field by field and no laptop is sent a second row that its unique key refuses (before,
applying the down package failed on both laptops, and every later package waited behind it)."""

from __future__ import annotations

import json

from sqlalchemy import text

from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.model import Base, record_id
from fupin_desktop.model.base import identity_columns
from fupin_desktop.services.households import save_household_year, save_income, save_member_year, unit_of_work
from fupin_desktop.sync.down import apply_down

from .down_support import VILLAGE, county_records, device_matches, laptop
from .sync_support import add_household, export


def _county_rows(engine, entity: str, hh: str) -> list[dict]:
    with engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(text(
            "SELECT data FROM record WHERE entity = :e AND household_id = :h AND NOT deleted"),
            {"e": entity, "h": hh}).scalars()]


def _member_of(store, hh: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM member WHERE household_id = :h"), {"h": hh}).scalars().first()


def test_the_same_year_row_made_on_two_laptops_is_one_row_at_the_county(tmp_path, county):
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a)
    for path in export(a, tmp_path / "u1") + export(b, tmp_path / "u1b"):
        import_file(engine, keys, path)
    for package in export_down(engine, keys, tmp_path / "d1", [b.device_id]):
        apply_down(b, package)
    member = _member_of(a, hh)
    with unit_of_work(a) as uow:
        save_household_year(uow, hh, 2027, {"population": 4})
        save_member_year(uow, member, 2027, {"health": "健康"})
        save_income(uow, hh, 2027, [], population=4)
    with unit_of_work(b) as uow:
        save_household_year(uow, hh, 2027, {"population_end": 5})
        save_member_year(uow, member, 2027, {"education": "初中"})
        save_income(uow, hh, 2027, [], note="两台机器都建了2027年")
    for path in export(a, tmp_path / "u2") + export(b, tmp_path / "u2b"):
        import_file(engine, keys, path)
    for store, name in ((a, "da"), (b, "db")):
        for package in export_down(engine, keys, tmp_path / name, [store.device_id]):
            apply_down(store, package)
    [year] = [r for r in _county_rows(engine, "household_year", hh) if r["year"] == 2027]
    assert (year["population"], year["population_end"]) == (4, 5)  # both laptops' fields, one record
    [member_year] = [r for r in _county_rows(engine, "member_year", hh) if r["year"] == 2027]
    assert (member_year["health"], member_year["education"]) == ("健康", "初中")
    assert len([r for r in _county_rows(engine, "income_year", hh) if r["year"] == 2027]) == 1
    for store in (a, b):
        assert device_matches(store, county_records(engine, VILLAGE)) == []


def test_only_rows_that_exist_once_per_key_get_their_id_from_it():
    keyed = {name: identity_columns(t) for name, t in Base.metadata.tables.items() if identity_columns(t)}
    assert keyed == {"household_year": ("household_id", "year"), "member_year": ("member_id", "year"),
                     "income_year": ("household_id", "year")}
    table = Base.metadata.tables["household_year"]
    made = record_id(table, {"household_id": "a" * 32, "year": 2027})
    assert made == record_id(table, {"household_id": "a" * 32, "year": 2027}) and len(made) == 32
    assert made != record_id(table, {"household_id": "a" * 32, "year": 2026})
    assert made != record_id(Base.metadata.tables["income_year"], {"household_id": "a" * 32, "year": 2027})
    assert record_id(table, {"household_id": "a" * 32}) != record_id(table, {"household_id": "a" * 32})  # no key
