"""The county applies an entry only inside the sending device's scope (issue 12, item 1), and past
its caps holds a package for a person (real PostgreSQL, real stores, real sealed packages)."""

from __future__ import annotations

import json
import time
import tracemalloc
import uuid

from sqlalchemy import text

from fupin_desktop.clock import format_hlc
from fupin_desktop.county.caps import set_cap
from fupin_desktop.county.held import held_packages, release_by_person, release_held
from fupin_desktop.county.importer import import_file
from fupin_desktop.services.households import add_member, save_household_year
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.sync.package import canonical
from fupin_desktop.sync.receipts import refusal_reason

from .sync_forge import entries, forge_from
from .sync_support import (
    add_household,
    county_snapshot,
    export,
    import_all,
    make_device,
    second_device,
    send_ack,
)
from fupin_desktop.cli import main
from .conftest import COUNTY_PASSPHRASE

OTHER = "520102003005"


def _records(engine, entity: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM record WHERE entity = :e"), {"e": entity}).scalar_one()


def _log_states(store) -> list[tuple[int, str, str]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT seq, entity, sync_state FROM change_log WHERE device_id = :d ORDER BY seq"),
            {"d": store.device_id})]


def test_a_cross_village_insert_is_refused_per_entry_and_the_device_marks_it(tmp_path, county):
    """The issue's case: device B (village 005) inserts two members and a 2099 household_year into a
    household of village 004. Every entry is refused with OUT_OF_SCOPE; the acknowledgment lists them and
    B marks each one 被拒 with the reason; village 004's household is unchanged."""
    engine, keys = county
    a = make_device(tmp_path, "四组机", engine, keys)
    try:
        hh = add_household(a)
        import_all(engine, keys, export(a, tmp_path / "a"))
        people, years = _records(engine, "member"), _records(engine, "household_year")
        with second_device(tmp_path, "邻村机", engine, keys, a, village=OTHER) as b:
            with unit_of_work(b) as uow:
                add_member(uow, hh, {"name": "王五", "relation": "之子", "gender": "男"})
                add_member(uow, hh, {"name": "王六", "relation": "之女", "gender": "女"})
                save_household_year(uow, hh, 2099, {"main_cause": "因病"})
            [report] = import_all(engine, keys, export(b, tmp_path / "b"))
            sent = _log_states(b)
            assert report.status == "imported" and report.counts.created == report.counts.updated == 0
            assert report.counts.rejected == len(sent) >= 3
            assert {m["code"] for m in report.messages if m.get("seq")} == {"OUT_OF_SCOPE"}
            assert _records(engine, "member") == people and _records(engine, "household_year") == years
            result = send_ack(engine, keys, b, tmp_path / "acks")
            assert result.refused == len(sent)
            assert {state for _, _, state in _log_states(b)} == {"被拒"}
            with b.engine.connect() as conn:
                reason = refusal_reason(conn, sent[0][0])
            assert reason and reason.startswith("[OUT_OF_SCOPE]") and "520102003004" in reason
            # A second acknowledgment carries them again until the device has said it applied one.
            assert send_ack(engine, keys, b, tmp_path / "acks2").refused in (0, len(sent))
    finally:
        a.close()


def test_a_new_household_in_another_village_and_a_move_out_are_refused(tmp_path, county):
    engine, keys = county
    b = make_device(tmp_path, "邻村机", engine, keys, village=OTHER)
    try:
        own = list(entries(b.device_id, 2, village=OTHER))
        foreign = list(entries(b.device_id, 1, start=3, village="520102003004"))
        [report] = import_file(engine, keys, forge_from(b, tmp_path / "p1.fupinpkg", records=own + foreign))
        assert report.counts.created == 2 and report.counts.rejected == 1
        assert [m["seq"] for m in report.messages if m["code"] == "OUT_OF_SCOPE"] == [3]
        hh = canonical_id(own[0])
        move = _entry(b.device_id, 4, "household", hh, hh, {"village_code": [OTHER, "520102003004"]}, op="update")
        orphan = _entry(b.device_id, 5, "member", uuid.uuid4().hex, uuid.uuid4().hex, {"name": [None, "无户"]})
        [report] = import_file(engine, keys, forge_from(b, tmp_path / "p2.fupinpkg", number=2, records=[move, orphan]))
        assert [m["code"] for m in report.messages if m.get("seq")] == ["OUT_OF_SCOPE", "UNKNOWN_HOUSEHOLD"]
        with engine.connect() as conn:
            villages = set(conn.execute(text("SELECT village_code FROM record")).scalars())
        assert villages == {OTHER}
    finally:
        b.close()


def test_a_record_cannot_be_put_under_another_villages_household(tmp_path, county):
    """A member moved (or created) under a household of another village is refused: the target household's
    village decides, not the record's own filing nor the entry's household hint."""
    engine, keys = county
    a = make_device(tmp_path, "四组机", engine, keys)
    b = make_device(tmp_path, "邻村机", engine, keys, village=OTHER)
    try:
        theirs = list(entries(a.device_id, 1, village="520102003004"))
        import_file(engine, keys, forge_from(a, tmp_path / "a1.fupinpkg", records=theirs))
        own = list(entries(b.device_id, 1, village=OTHER))
        mine, target = canonical_id(own[0]), canonical_id(theirs[0])
        member = uuid.uuid4().hex
        join = _entry(b.device_id, 2, "member", member, mine, {"name": [None, "李四"], "household_id": [None, mine]})
        [report] = import_file(engine, keys, forge_from(b, tmp_path / "b1.fupinpkg", records=own + [join]))
        assert report.counts.created == 2 and report.counts.rejected == 0
        move = _entry(b.device_id, 3, "member", member, mine, {"household_id": [mine, target]}, op="update")
        sneak = _entry(b.device_id, 4, "member", uuid.uuid4().hex, mine,
                       {"name": [None, "王五"], "household_id": [None, target]})
        [report] = import_file(engine, keys, forge_from(b, tmp_path / "b2.fupinpkg", number=2, records=[move, sneak]))
        assert [m["code"] for m in report.messages if m.get("seq")] == ["OUT_OF_SCOPE", "OUT_OF_SCOPE"]
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT household_id, village_code FROM record WHERE entity = 'member'")).all()
        assert [tuple(r) for r in rows] == [(mine, OTHER)]
    finally:
        a.close()
        b.close()


def test_a_record_moved_between_households_of_the_scope_is_filed_under_its_new_household(tmp_path, county):
    engine, keys = county
    b = make_device(tmp_path, "邻村机", engine, keys, village=OTHER)
    try:
        own = list(entries(b.device_id, 2, village=OTHER))
        first, second = canonical_id(own[0]), canonical_id(own[1])
        member = uuid.uuid4().hex
        join = _entry(b.device_id, 3, "member", member, first, {"name": [None, "李四"], "household_id": [None, first]})
        move = _entry(b.device_id, 4, "member", member, first, {"household_id": [first, second]}, op="update")
        [report] = import_file(engine, keys, forge_from(b, tmp_path / "b1.fupinpkg", records=[*own, join, move]))
        assert report.counts.rejected == 0
        with engine.connect() as conn:
            filed = conn.execute(text("SELECT household_id FROM record WHERE entity_id = :m"), {"m": member}).scalar()
        assert filed == second
    finally:
        b.close()


def canonical_id(line: bytes) -> str:
    return json.loads(line)["id"]


def _entry(device_id: str, seq: int, entity: str, entity_id: str, hh: str, fields: dict, op: str = "insert") -> bytes:
    return canonical({"seq": seq, "tx": f"t{seq}", "entity": entity, "id": entity_id, "op": op,
                      "hlc": format_hlc(int(time.time() * 1000), seq, device_id), "user": "admin",
                      "at": "2026-01-01T00:00:00+00:00", "hh": hh, "fields": fields})


def _held_reason(engine) -> str:
    with engine.connect() as conn:
        [row] = held_packages(conn)
    assert row.hold_code == "HELD_CAP"
    return row.hold_reason


def test_past_the_entries_cap_the_package_is_held_with_the_reason_and_released_by_a_person(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        with engine.begin() as conn:
            set_cap(conn, "entries_per_package", 100)
        # The header says 1 entry; the county counts them itself.
        package = forge_from(store, tmp_path / "big.fupinpkg", records=entries(store.device_id, 150),
                             counts={"entries": 1})
        [report] = import_file(engine, keys, package)
        assert report.status == "held" and report.messages[-1]["code"] == "HELD_CAP"
        assert "每个包的变更条数不超过 100" in _held_reason(engine)
        assert _records(engine, "household") == 0
        released = release_held(engine, keys, store.device_id, 1)
        assert released.status == "imported" and released.counts.created == 150
    finally:
        store.close()


def test_past_the_village_household_cap_the_package_is_held(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        with engine.begin() as conn:
            set_cap(conn, "new_households_per_village", 10)
        first = forge_from(store, tmp_path / "p1.fupinpkg", records=entries(store.device_id, 8))
        assert import_file(engine, keys, first)[0].status == "imported"
        second = forge_from(store, tmp_path / "p2.fupinpkg", number=2, records=entries(store.device_id, 5, start=9))
        assert import_file(engine, keys, second)[0].status == "held"
        assert "每个村的户数不超过 10" in _held_reason(engine) and _records(engine, "household") == 8
        # The device's next package waits behind the held one (for its gap), and follows it once released.
        third = forge_from(store, tmp_path / "p3.fupinpkg", number=3, records=entries(store.device_id, 1, start=20))
        assert import_file(engine, keys, third)[0].status == "held"
        [released, following] = release_by_person(engine, keys, store.device_id, 2)
        assert released.status == "imported" and _records(engine, "household") == 13
        # The next one is released by itself, and meets the cap in its turn: held again, now for a person.
        assert following.status == "held" and following.messages[-1]["code"] == "HELD_CAP"
        assert "每个村的户数不超过 10" in _held_reason(engine)
    finally:
        store.close()


def _import_traced(engine, keys, package):
    """The import's report and the peak of Python memory it allocated."""
    tracemalloc.start()
    try:
        [report] = import_file(engine, keys, package)
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_million_entries_end_held_with_bounded_memory(tmp_path, county):
    """The issue's package of 10^6 valid household inserts: held at the default cap, nothing created."""
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        package = forge_from(store, tmp_path / "million.fupinpkg", records=entries(store.device_id, 1_000_000))
        before = county_snapshot(engine)["record"]
        report, peak = _import_traced(engine, keys, package)
        # The header claims no entries: the county's own count (households or entries) stops it.
        assert report.status == "held" and "超过县里设定的上限" in _held_reason(engine)
        assert county_snapshot(engine)["record"] == before
        assert peak < 200 * 1024 * 1024, peak
    finally:
        store.close()


def test_records_past_the_byte_cap_end_held_with_bounded_memory(tmp_path, county):
    """Ten 45 MiB records (the issue's 1 GB importer): the first one past the cap stops the reading."""
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        def huge():
            for i in range(10):
                hh = uuid.uuid4().hex
                yield _entry(store.device_id, i + 1, "household", hh, hh, {"address": [None, "0" * (45 * 1024 * 1024)]})

        package = forge_from(store, tmp_path / "huge.fupinpkg", records=huge())
        report, peak = _import_traced(engine, keys, package)
        assert report.status == "held" and "单条记录的字节数" in _held_reason(engine)
        assert _records(engine, "household") == 0
        assert peak < 200 * 1024 * 1024, peak
    finally:
        store.close()


def test_county_held_shows_the_reason(tmp_path, county, county_db_url, monkeypatch, capsys):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        monkeypatch.setenv("FUPIN_COUNTY_PASSWORD", COUNTY_PASSPHRASE)
        assert main(["county", "caps", "--set", "new_households_per_package=3", "--db-url", county_db_url]) == 0
        assert "new_households_per_package" in capsys.readouterr().out
        import_file(engine, keys, forge_from(store, tmp_path / "p.fupinpkg", records=entries(store.device_id, 5)))
        assert main(["county", "held", "--db-url", county_db_url]) == 0
        out = capsys.readouterr().out
        assert "HELD_CAP" in out and "每个包新建的户数不超过 3" in out and f"{store.device_id[:8]}:1" in out
        assert main(["county", "release", f"{store.device_id[:8]}:1", "--db-url", county_db_url]) == 0
        assert "已导入" in capsys.readouterr().out and _records(engine, "household") == 5
    finally:
        store.close()
