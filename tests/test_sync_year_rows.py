"""Two laptops of one village each give the same household (or member) a row for the same year, both
offline. The row's id is made from its key (``one_per``), so both laptops made the same record: the
county merges it field by field and no laptop is sent a second row that its unique key refuses (before,
applying the down package failed on both laptops, and every later package waited behind it)."""

from __future__ import annotations

import json

from sqlalchemy import text

from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.model import Base, HouseholdYear, new_id, record_id
from fupin_desktop.model.base import identity_columns
from fupin_desktop.services.households import save_household_year, save_income, save_member_year, unit_of_work
from fupin_desktop.sync.down import apply_down

from .down_support import VILLAGE, county_records, device_matches, two_laptops
from .sync_support import export, send_ack, states


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
    a, b, hh = two_laptops(tmp_path, engine, keys)
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


def _old_program_year_row(store, hh: str, year: int, **values) -> str:
    """A year row as a program from before ``one_per`` made it: under a random id."""
    with unit_of_work(store) as uow:
        return uow.insert(HouseholdYear, {"id": new_id(), "household_id": hh, "year": year, **values},
                          household_id=hh)


def _local_year_ids(store, hh: str, year: int) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM household_year WHERE household_id = :h AND year = :y"),
                                 {"h": hh, "y": year}).scalars())


def test_year_rows_two_laptops_made_under_their_own_ids_become_one_record(tmp_path, county):
    """Rows made before ids came from the key (or by an older program): the county keeps the first and
    puts the second laptop's changes on it (its id kept as an alias, for its later edits too); the second
    laptop renames its row to the county's id when it arrives, so its unique key never sees two."""
    engine, keys = county
    a, b, hh = two_laptops(tmp_path, engine, keys)
    kept = _old_program_year_row(a, hh, 2027, population=4)
    other = _old_program_year_row(b, hh, 2027, population=4, population_start=3)
    for path in export(a, tmp_path / "u2")[-1:] + export(b, tmp_path / "u2b")[-1:]:
        [report] = import_file(engine, keys, path)
        assert report.status == "imported" and report.counts.rejected == report.counts.conflicts == 0
    with unit_of_work(b) as uow:  # laptop B goes on editing its own row before hearing from the county
        save_household_year(uow, hh, 2027, {"population_end": 5})
    [report] = import_file(engine, keys, export(b, tmp_path / "u3b")[-1])
    assert report.counts.updated == 1 and report.counts.rejected == 0  # by the alias, onto A's record
    [year] = [r for r in _county_rows(engine, "household_year", hh) if r["year"] == 2027]
    assert (year["population"], year["population_start"], year["population_end"]) == (4, 3, 5)
    for store, name in ((a, "da"), (b, "db")):
        for package in export_down(engine, keys, tmp_path / name, [store.device_id]):
            apply_down(store, package)
        assert _local_year_ids(store, hh, 2027) == [kept]
        assert device_matches(store, county_records(engine, VILLAGE)) == []
    with b.engine.connect() as conn:  # B's history of the row stays with it
        assert conn.execute(text("SELECT count(*) FROM change_log WHERE entity_id = :o"), {"o": other}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM change_log WHERE entity = 'household_year' AND "
                                 "entity_id = :k AND device_id = :d"), {"k": kept, "d": b.device_id}).scalar() >= 2
    send_ack(engine, keys, b, tmp_path / "ack")
    assert "被拒" not in states(b)
