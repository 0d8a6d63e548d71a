"""County migration c0009: records that exist once per key (a household's row for a year) that two
devices sent under their own ids become one, with nothing dropped: a field only one has is taken, a
field both have differently keeps the newer edit and opens a conflict, the other ids become aliases
and the income lines follow their income year."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from fupin_desktop.county.db import open_county_db
from tests.conftest import COUNTY_PASSPHRASE, county_at_revision

VILLAGE = "520102003004"
A, B = "0000000001000.00000000.dev1", "0000000009000.00000000.dev2"  # B's edits are the later ones


def _row(entity: str, entity_id: str, data: dict, version: str, rev: int) -> dict:
    return {"entity": entity, "id": entity_id, "hid": "h1", "village": VILLAGE, "rev": rev, "data": data,
            "versions": dict.fromkeys(data, version)}


def _county_at_c0008(url: str) -> None:
    county_at_revision(url, "c0008", [
        _row("household_year", "ya", {"household_id": "h1", "year": 2026, "population": 4}, A, 1),
        _row("household_year", "yb", {"household_id": "h1", "year": 2026, "population": 5, "population_start": 3},
             B, 2),
        _row("household_year", "y25", {"household_id": "h1", "year": 2025, "population": 4}, A, 3),
        _row("income_year", "ia", {"household_id": "h1", "year": 2026, "note": "一号机"}, A, 4),
        _row("income_year", "ib", {"household_id": "h1", "year": 2026}, B, 5),
        _row("income_line", "lb", {"income_id": "ib", "item": "务工收入", "amount": "12000.00"}, B, 6),
    ])


def _records(engine, entity: str) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT entity_id, data, versions, deleted, rev FROM record WHERE entity = :e"),
                            {"e": entity}).all()
    return {r[0]: {**json.loads(r[1]), "_v": json.loads(r[2]), "_deleted": r[3], "_rev": r[4]} for r in rows}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_duplicate_year_records_become_one_and_nothing_is_dropped(tmp_path, county_db_url, backend):
    url = county_db_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'county.db'}"
    _county_at_c0008(url)
    engine = open_county_db(url, COUNTY_PASSPHRASE)
    try:
        years = _records(engine, "household_year")
        kept = years["ya"]  # the one the county had first
        assert not kept["_deleted"] and years["yb"]["_deleted"]
        assert kept["population"] == 5 and kept["_v"]["population"] == B  # the newer edit, until decided
        assert kept["population_start"] == 3 and kept["_v"]["population_start"] == B  # only B had it
        assert not years["y25"]["_deleted"] and years["y25"]["_rev"] == 3  # no duplicate: untouched
        assert min(kept["_rev"], years["yb"]["_rev"]) > 6  # every device receives the result
        incomes = _records(engine, "income_year")
        assert incomes["ia"]["note"] == "一号机" and incomes["ib"]["_deleted"]
        assert _records(engine, "income_line")["lb"]["income_id"] == "ia"
        with engine.connect() as conn:
            conflicts = conn.execute(text("SELECT entity_id, field, county_value, incoming_value, incoming_device, "
                                          "status FROM conflict")).all()
            aliases = set(conn.execute(text("SELECT entity, alias_id, entity_id FROM record_alias")).all())
        assert [tuple(c) for c in conflicts] == [("ya", "population", "5", "4", "dev1", "open")]
        assert aliases == {("household_year", "yb", "ya"), ("income_year", "ib", "ia")}
    finally:
        engine.dispose()
