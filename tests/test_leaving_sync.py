"""Issue 14 item 3 through sync, with the county on a real PostgreSQL: 注销 on one laptop reaches the
county and the other laptop, 恢复 on the other comes back, both print on the county's roster change
list; an edited visit and a deleted measure travel as ordinary change-log entries."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import text

from fupin_desktop.bundle import MeasureData
from fupin_desktop.county.bundles import render_roster
from fupin_desktop.queries.load import load_households
from fupin_desktop.services import leaving
from fupin_desktop.services.edit_state import initial_state, visit_texts
from fupin_desktop.services.editing import save_edits
from fupin_desktop.services.households import add_measure, add_visit, unit_of_work

from .down_support import VILLAGE, county_records, device_matches, laptop, usb_round
from .sync_support import add_household, record

TODAY = date.today()


def status(store, hh: str) -> tuple:
    with store.engine.connect() as conn:
        return tuple(conn.execute(text("SELECT record_status, left_reason, left_on FROM household WHERE id = :i"),
                                  {"i": hh}).one())


def county_roster(engine, tmp: Path, name: str) -> str:
    out = tmp / f"{name}.pdf"
    render_roster(engine, VILLAGE, out, year=TODAY.year)
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)


def test_leave_and_restore_round_trip_through_the_county(tmp_path, county):
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    try:
        kept = add_household(a, head="王五", hh_no="5201020030040002")
        hh = add_household(a)
        for n in (1, 2):  # the second laptop's hello goes up in the first round
            usb_round(engine, keys, tmp_path, f"r{n}", a, b)
        assert status(b, hh) == ("在册", None, None)

        leaving.leave_household(a, hh, "整户死亡", TODAY)
        usb_round(engine, keys, tmp_path, "r3", a, b)
        at_county = record(engine, "household", hh)
        assert (at_county["record_status"], at_county["left_reason"], at_county["left_on"]) == (
            "注销", "整户死亡", TODAY.isoformat())
        assert status(b, hh) == ("注销", "整户死亡", TODAY.isoformat())
        roster = county_roster(engine, tmp_path, "left")
        assert "注销 1 户" in roster and "整户死亡" in roster and "张三" in roster

        leaving.restore_household(b, hh)
        usb_round(engine, keys, tmp_path, "r4", a, b)
        usb_round(engine, keys, tmp_path, "r5", a, b)
        assert record(engine, "household", hh)["record_status"] == "在册"
        assert record(engine, "household", hh)["restored_on"] == TODAY.isoformat()
        assert status(a, hh) == ("在册", None, None)
        assert "恢复 1 户" in county_roster(engine, tmp_path, "back")
        for store in (a, b):
            assert device_matches(store, county_records(engine, VILLAGE)) == []
        assert record(engine, "household", kept)["record_status"] == "在册"
    finally:
        a.close()
        b.close()


def test_an_edited_visit_and_a_deleted_measure_reach_the_county_and_the_other_laptop(tmp_path, county):
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    try:
        hh = add_household(a)
        with unit_of_work(a) as uow:
            visit = add_visit(uow, hh, {"visited_on": date(2024, 4, 1), "content": "送春联"})
            measure = add_measure(uow, hh, MeasureData({"year": 2024, "category": "产业帮扶", "name": "鸡苗"}))
        for n in (1, 2):
            usb_round(engine, keys, tmp_path, f"r{n}", a, b)
        with b.engine.connect() as conn:
            loaded = load_households(conn, [hh])[0]
        base, state = initial_state(loaded, 2024), initial_state(loaded, 2024)
        state.measures = []
        state.visit_changes[visit] = {**visit_texts(loaded.visits[0]), "content": "送春联和米面油"}
        save_edits(b, hh, 2024, base, state, {})  # on the second laptop
        usb_round(engine, keys, tmp_path, "r3", a, b)
        usb_round(engine, keys, tmp_path, "r4", a, b)
        assert record(engine, "visit", visit)["content"] == "送春联和米面油"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT deleted FROM record WHERE entity = 'measure' AND entity_id = :i"),
                                {"i": measure}).scalar_one() is True
        with a.engine.connect() as conn:
            assert conn.execute(text("SELECT content FROM visit WHERE id = :i"), {"i": visit}).scalar_one() == \
                "送春联和米面油"
            assert conn.execute(text("SELECT count(*) FROM measure WHERE id = :i"), {"i": measure}).scalar_one() == 0
    finally:
        a.close()
        b.close()
