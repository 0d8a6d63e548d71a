"""Per-record sync states on the device as acknowledgments come back (SQLite county: quick)."""

from __future__ import annotations

import pytest

from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.sync.status import household_states, open_counts

from .conftest import COUNTY_PASSPHRASE
from .sync_support import add_household, edit, export, make_device, send_ack, states


@pytest.fixture
def sqlite_county(tmp_path):
    engine = open_county_db(f"sqlite:///{tmp_path / 'county.db'}", COUNTY_PASSPHRASE)
    yield engine, init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    engine.dispose()


def test_held_package_marks_its_changes_delivered_and_counts_follow(tmp_path, sqlite_county):
    engine, keys = sqlite_county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        hh = add_household(store)
        [p1] = export(store, tmp_path / "a")
        edit(store, hh, phone="13900000001")
        export(store, tmp_path / "b")  # package 2 never reaches the county
        edit(store, hh, address="第二组8号")
        p3 = export(store, tmp_path / "c")[-1]
        import_file(engine, keys, p1)
        assert import_file(engine, keys, p3)[0].status == "held"
        send_ack(engine, keys, store, tmp_path / "ack")
        counts = states(store)
        assert counts["已送达"] == 1 and counts["已打包"] == 1 and counts["已确认"] > 1
        with store.engine.connect() as conn:
            assert open_counts(conn) == {"未发送": 0, "已打包": 1, "已送达": 1, "冲突": 0, "被拒": 0}
            assert household_states(conn, [hh], store.device_id) == {hh: "已打包"}  # the least advanced
    finally:
        store.close()
