"""Sync end to end against a real PostgreSQL county database: villages → USB → county → acks."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict
from fupin_desktop.county.devices import revoke_device
from fupin_desktop.county.importer import import_file
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import Attachment
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import update_member
from fupin_desktop.sync import device
from fupin_desktop.sync.client import ServerRefused, push
from fupin_desktop.sync.status import sync_status

from .sync_support import (
    add_household,
    county_snapshot,
    edit,
    export,
    import_all,
    make_device,
    record,
    second_device,
    send_ack,
    states,
)
from fupin_desktop.services.households import unit_of_work


@pytest.fixture
def village(tmp_path: Path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    yield store
    store.close()


def test_round_trip_usb_to_county_and_back(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    [package] = export(village, tmp_path / "usb")
    assert states(village) == {"已打包": states(village)["已打包"]}
    [report] = import_file(engine, keys, package)
    assert report.status == "imported" and report.counts.created > 0 and report.counts.conflicts == 0
    assert record(engine, "household", hh)["phone"] == "13812345678"
    ack = send_ack(engine, keys, village, tmp_path / "acks")
    assert ack.confirmed == report.counts.created
    assert set(states(village)) == {"已确认"}
    status = sync_status(village)
    assert status["registered"] and status["packages"][0]["state"] == "已确认"
    # A second export has nothing left to carry.
    assert export(village, tmp_path / "usb2") == []


def test_replay_changes_nothing(tmp_path, county, village):
    engine, keys = county
    add_household(village)
    [package] = export(village, tmp_path / "usb")
    import_file(engine, keys, package)
    before = county_snapshot(engine)
    [again] = import_file(engine, keys, package)
    assert again.status == "already_imported"
    assert again.messages[0]["code"] == "ALREADY_IMPORTED"
    after = county_snapshot(engine)
    assert {k: v for k, v in after.items() if k != "device"} == {k: v for k, v in before.items() if k != "device"}


def test_out_of_order_packages_are_held_until_the_gap_fills(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    export(village, tmp_path / "a")
    edit(village, hh, phone="13900000001")
    export(village, tmp_path / "b")
    edit(village, hh, address="第二组8号")
    paths = sorted((tmp_path / "c").glob("*")) if False else export(village, tmp_path / "c")
    p1, p2, p3 = paths
    assert import_file(engine, keys, p1)[0].status == "imported"
    [held] = import_file(engine, keys, p3)
    assert held.status == "held" and held.counts.held == 1 and held.messages[0]["code"] == "HELD_GAP"
    assert record(engine, "household", hh)["address"] != "第二组8号"
    reports = import_file(engine, keys, p2)
    assert [r.status for r in reports] == ["imported", "imported"]
    data = record(engine, "household", hh)
    assert data["phone"] == "13900000001" and data["address"] == "第二组8号"


def test_same_field_on_two_devices_is_a_conflict_other_fields_merge(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    import_all(engine, keys, export(village, tmp_path / "a"))
    with second_device(tmp_path, "二号机", engine, keys, village) as second:
        edit(village, hh, phone="13900000001", group_name="第三组")
        edit(second, hh, phone="13700000002", address="新址5号")
        first_reports = import_all(engine, keys, export(village, tmp_path / "b"))
        second_reports = import_all(engine, keys, export(second, tmp_path / "c"))
        assert first_reports[-1].counts.conflicts == 0
        assert second_reports[-1].counts.conflicts == 1
        data = record(engine, "household", hh)
        assert data["group_name"] == "第三组" and data["address"] == "新址5号"  # merged
        assert data["phone"] == "13900000001"  # kept until a person decides
        [conflict] = list_conflicts(engine)
        assert conflict["field"] == "phone" and conflict["county_value"] == "13900000001"
        assert conflict["incoming_value"] == "13700000002" and conflict["incoming_device"] == "二号机"
        ack = send_ack(engine, keys, second, tmp_path / "acks")
        assert ack.conflicts == 1 and states(second).get("冲突") == 1
        resolve_conflict(engine, conflict["id"], keep="county", user="县扶贫办")
        assert record(engine, "household", hh)["phone"] == "13900000001"
        ack = send_ack(engine, keys, second, tmp_path / "acks2")
        assert ack.corrections == 1 and "冲突" not in states(second)
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT phone FROM household WHERE id = :i"), {"i": hh}).scalar() == "13900000001"
        # The correction is not sent back as the device's own change.
        assert export(second, tmp_path / "d") == []


def test_same_id_number_in_two_villages_is_flagged(tmp_path, county, village):
    engine, keys = county
    add_household(village)
    import_all(engine, keys, export(village, tmp_path / "a"))
    # the same people, typed again in another village
    with second_device(tmp_path, "邻村", engine, keys, village, village="520102003005") as other:
        with village.engine.connect() as conn:
            member_id, id_no = conn.execute(text("SELECT id, id_no FROM member LIMIT 1")).one()
        hh2 = add_household(other, hh_no="5201020030050001")
        with other.engine.connect() as conn:
            target = conn.execute(text("SELECT id FROM member WHERE household_id = :h LIMIT 1"), {"h": hh2}).scalar()

        with unit_of_work(other) as uow:
            update_member(uow, target, {"id_no": id_no})
        reports = import_all(engine, keys, export(other, tmp_path / "b"))
        codes = [m["code"] for r in reports for m in r.messages]
        assert "DUPLICATE_ID_NUMBER" in codes
        assert id_no not in str([m["message"] for r in reports for m in r.messages])  # masked in the report


def test_revoked_device_is_refused_and_others_learn_it(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    import_all(engine, keys, export(village, tmp_path / "a"))
    revoke_device(engine, village.device_id[:8])
    edit(village, hh, phone="13900000009")
    before = county_snapshot(engine)
    [report] = import_all(engine, keys, export(village, tmp_path / "b"))[-1:]
    assert report.status == "rejected" and report.messages[0]["code"] == "REVOKED_DEVICE"
    assert {k: v for k, v in county_snapshot(engine).items() if k != "device"} == \
        {k: v for k, v in before.items() if k != "device"}
    ack = send_ack(engine, keys, village, tmp_path / "acks")
    assert ack.revoked


def test_attachments_travel_inside_the_package(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    photo = bytes(range(256)) * 40
    with unit_of_work(village) as uow:
        attachment = uow.insert(Attachment, {"owner_table": "household", "owner_id": hh, "kind": "照片",
                                             "filename": "门牌.jpg", "mime": "image/jpeg", "size": len(photo),
                                             "data": photo}, household_id=hh)
    [package] = export(village, tmp_path / "usb")
    assert photo not in package.read_bytes()  # sealed, not in clear
    import_file(engine, keys, package)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT data FROM blob WHERE entity_id = :i"), {"i": attachment}).scalar() == photo
    assert record(engine, "attachment", attachment)["filename"] == "门牌.jpg"


def test_a_wrong_server_address_keeps_packages_to_send_again(tmp_path, county, village):
    class NotOurServer(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>404 Not Found</html>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotOurServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        add_household(village)
        with pytest.raises(ServerRefused, match="HTTP 404"):
            push(village, f"http://127.0.0.1:{server.server_address[1]}", attempts=1)
    finally:
        server.shutdown()
    assert set(states(village)) == {"已打包"}  # not 被拒: the same package goes out again later
    engine, keys = county
    [package] = export(village, tmp_path / "usb")
    assert import_file(engine, keys, package)[0].status == "imported"


def test_packages_are_cut_by_size_so_photos_never_exceed_the_county_limit(tmp_path, county, village, monkeypatch):
    engine, keys = county
    hh = add_household(village)
    monkeypatch.setattr(device, "MAX_PAYLOAD_BYTES", 300_000)
    with unit_of_work(village) as uow:
        svc.add_visit(uow, hh, {"visited_on": "2024-05-01", "content": "走访"},
                      photos=[(f"{i}.jpg", os.urandom(150_000), "image/jpeg") for i in range(4)])
    packages = export(village, tmp_path / "usb")
    assert len(packages) >= 3 and all(p.stat().st_size < 600_000 for p in packages)
    reports = import_all(engine, keys, packages)
    assert all(r.status == "imported" for r in reports)
    monkeypatch.setattr(svc, "MAX_PHOTO_BYTES", 100_000)
    with pytest.raises(InvalidInput, match="太大"), unit_of_work(village) as uow:
        svc.add_visit(uow, hh, {"visited_on": "2024-05-02"}, photos=[("big.jpg", os.urandom(150_000), "image/jpeg")])


def test_a_conflict_overtaken_by_a_newer_edit_cannot_write_back_the_old_value(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    import_all(engine, keys, export(village, tmp_path / "a"))
    with second_device(tmp_path, "二号机", engine, keys, village) as second:
        edit(village, hh, phone="13900000001")
        edit(second, hh, phone="13700000002")
        import_all(engine, keys, export(village, tmp_path / "b"))
        import_all(engine, keys, export(second, tmp_path / "c"))
        [conflict] = list_conflicts(engine)
        edit(village, hh, phone="13600000003")  # the first laptop changes it again before anyone decides
        import_all(engine, keys, export(village, tmp_path / "d"))
        with pytest.raises(InvalidInput, match="作废"):
            resolve_conflict(engine, conflict["id"], keep="incoming", user="县扶贫办")
        assert record(engine, "household", hh)["phone"] == "13600000003"
        assert list_conflicts(engine) == []


def test_a_device_cannot_change_another_villages_records(tmp_path, county, village):
    engine, keys = county
    hh = add_household(village)
    import_all(engine, keys, export(village, tmp_path / "a"))
    with second_device(tmp_path, "邻村", engine, keys, village, village="520102003005") as other:
        edit(other, hh, phone="13000000000")
        [report] = import_all(engine, keys, export(other, tmp_path / "b"))
        assert report.status == "imported" and report.counts.rejected == 1
        assert any("另一个村" in m["message"] for m in report.messages)
        assert record(engine, "household", hh)["phone"] == "13812345678"
