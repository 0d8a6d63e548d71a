"""The one-machine county on SQLite: the same import path, including a held package copied out of the
database in slices when its predecessor arrives."""

from __future__ import annotations

from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county

from .conftest import COUNTY_PASSPHRASE
from .sync_support import add_household, edit, export, make_device, record
from fupin_desktop.county import held


def test_held_package_is_released_on_sqlite(tmp_path, monkeypatch):
    engine = open_county_db(f"sqlite:///{tmp_path / 'county.db'}", COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    try:
        _held_in_slices(tmp_path, monkeypatch, engine, keys)
    finally:
        engine.dispose()


def test_held_package_is_copied_out_in_slices_on_postgresql(tmp_path, monkeypatch, county):
    _held_in_slices(tmp_path, monkeypatch, *county)


def _held_in_slices(tmp_path, monkeypatch, engine, keys) -> None:
    monkeypatch.setattr(held, "_SLICE", 300)  # several slices even for a small package
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        hh = add_household(store)
        export(store, tmp_path / "a")
        edit(store, hh, phone="13900000001")
        export(store, tmp_path / "b")
        edit(store, hh, address="第二组8号")
        p1, p2, p3 = export(store, tmp_path / "c")
        assert p3.stat().st_size > 3 * 300
        assert import_file(engine, keys, p1)[0].status == "imported"
        assert import_file(engine, keys, p3)[0].status == "held"
        assert [r.status for r in import_file(engine, keys, p2)] == ["imported", "imported"]
        data = record(engine, "household", hh)
        assert data["phone"] == "13900000001" and data["address"] == "第二组8号"
    finally:
        store.close()
