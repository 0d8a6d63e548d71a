"""Out-of-order down packages are held on the laptop, sealed, and applied in order when the missing one
arrives, by USB or over HTTP (issue 13, item 2); forged, foreign and replayed ones are still refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fupin_desktop.county import down as county_down
from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.errors import InvalidInput
from fupin_desktop.sync import held_down
from fupin_desktop.sync.device import device_keys
from fupin_desktop.sync.down import apply_down, down_conflicts, down_number
from fupin_desktop.sync.package import Kind, PackageError, canonical, write_package
from fupin_desktop.sync.pull import pull
from fupin_desktop.sync.received import apply_files
from fupin_desktop.sync.status import sync_status

from .county_net_support import CountyServer
from .down_support import county_records, device_matches, laptop, store_dump, VILLAGE
from .sync_support import add_household, edit, export, record, send_ack


def _phone(store, hh: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT phone FROM household WHERE id = :i"), {"i": hh}).scalar_one()


@pytest.fixture
def many(tmp_path, county, monkeypatch):
    """Laptop A's five households reach the county; laptop B, new, gets them as five one-record packages
    (a small package size, so that a few records make a run of packages)."""
    engine, keys = county
    monkeypatch.setattr(county_down, "DOWN_RECORDS", 3)
    monkeypatch.setenv("FUPIN_DOWN_RECORDS", "3")  # the county server (another process) alike
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    homes = [add_household(a, head=f"户主{i}", hh_no=f"52010200300400{i:02d}") for i in range(5)]
    for path in export(a, tmp_path / "up") + export(b, tmp_path / "up-b"):
        import_file(engine, keys, path)
    paths = export_down(engine, keys, tmp_path / "down", [b.device_id])
    assert len(paths) >= 3
    yield engine, keys, a, b, homes, paths
    a.close()
    b.close()


def test_a_later_package_is_held_sealed_and_applied_in_order_when_the_missing_one_comes(many):
    engine, _, a, b, _, paths = many
    before = store_dump(b)
    later = apply_down(b, paths[2])
    assert later.held and "缺少第 1–2 个下发包" in later.held and "暂存" in later.held
    assert store_dump(b) == before and held_down.held_numbers(b) == [3]  # nothing applied, the package kept
    assert sync_status(b)["down"]["held"] == [3]  # `fupin sync status` names them
    held_file = held_down.held_path(b, 3)
    assert held_file.read_bytes() == paths[2].read_bytes()  # as received: still sealed to the laptop
    assert apply_down(b, paths[2]).held and held_down.held_numbers(b) == [3]  # the same again: still held once
    assert "缺少第 1 个下发包" in apply_down(b, paths[1]).held
    first = apply_down(b, paths[0])
    assert first.released == [2, 3] and down_number(b) == 3 and held_down.held_numbers(b) == []
    assert any("暂存的第 3 个" in m for m in first.messages)
    assert apply_down(b, paths[2]).already  # a replay of a released one changes nothing
    for path in paths[3:]:
        apply_down(b, path)
    assert device_matches(b, county_records(engine, VILLAGE)) == []


def test_a_usb_folder_missing_a_package_holds_the_rest_and_says_which_is_missing(many, tmp_path):
    engine, _, _, b, _, paths = many
    stick = tmp_path / "stick"
    stick.mkdir()
    for path in paths[1:]:  # package 1 was lost on the way
        (stick / path.name).write_bytes(path.read_bytes())
    results = [r for _, r in apply_files(b, [stick])]
    assert all(r.held for r in results) and "缺少第 1 个下发包" in results[0].held
    assert down_number(b) == 0 and held_down.held_numbers(b) == list(range(2, len(paths) + 1))
    [(_, done)] = list(apply_files(b, [paths[0]]))
    assert done.released == list(range(2, len(paths) + 1)) and down_number(b) == len(paths)
    assert device_matches(b, county_records(engine, VILLAGE)) == []


def test_held_packages_are_released_when_the_missing_one_comes_over_http(many, county_db_url, tmp_path):
    engine, keys, a, b, homes, paths = many
    server = CountyServer(county_db_url, tmp_path).start()
    try:
        for path in paths[1:3]:
            assert apply_down(b, path).held
        result = pull(b, server.url)  # asks for package 1, then the held ones follow, then the rest
        assert down_number(b) == len(paths) and held_down.held_numbers(b) == []
        assert sorted(n for r in result.applied for n in [r.number, *r.released]) == list(range(1, len(paths) + 1))
        assert device_matches(b, county_records(engine, VILLAGE)) == []
        edit(a, homes[0], phone="13900000001")
        for path in export(a, tmp_path / "up2"):
            import_file(engine, keys, path)
        pull(b, server.url)
        assert _phone(b, homes[0]) == "13900000001"
    finally:
        server.stop()


def test_forged_foreign_and_replayed_later_packages_are_refused_not_held(many, tmp_path):
    _, keys, a, b, _, paths = many
    apply_down(b, paths[0])
    before = store_dump(b)
    raw = bytearray(paths[2].read_bytes())
    raw[len(raw) // 2] ^= 1
    (tmp_path / "forged.fupindown").write_bytes(bytes(raw))
    with b.engine.connect() as conn:
        box = device_keys(conn).box.public
    stranger_path = tmp_path / "stranger.fupindown"
    from fupin_desktop.sync import crypto  # noqa: PLC0415

    stranger = crypto.new_signing_key()
    with open(stranger_path, "wb") as fh:  # a later number, signed by a key that is not the county's
        write_package(fh, kind=Kind.DOWN, sender_id=keys.county_id, signing_private=stranger.private,
                      signing_public=stranger.public, recipient_public=box,
                      header={"kind": "down", "county_id": keys.county_id, "device_id": b.device_id, "number": 7,
                              "prev_hash": ""}, records=[canonical({"type": "record"})])
    for bad, code in ((tmp_path / "forged.fupindown", "BAD_SIGNATURE"), (stranger_path, "WRONG_COUNTY")):
        with pytest.raises(PackageError) as caught:
            apply_down(b, bad)
        assert caught.value.code == code and "没有任何改动" in caught.value.message
    assert apply_down(b, paths[0]).already
    assert store_dump(b) == before and held_down.held_numbers(b) == []


def test_a_held_package_that_does_not_follow_on_is_set_aside_with_its_reason(many, tmp_path):
    """A package 3 signed by the county but sealed for another chain (swapped on the way): held while
    package 1 is missing; when its turn comes it is refused, kept aside, and the right package 3 applies."""
    _, keys, _, b, _, paths = many
    with b.engine.connect() as conn:
        box = device_keys(conn).box.public
    swapped = tmp_path / "swapped.fupindown"
    with open(swapped, "wb") as fh:
        write_package(fh, kind=Kind.DOWN, sender_id=keys.county_id, signing_private=keys.sign.private,
                      signing_public=keys.sign.public, recipient_public=box,
                      header={"kind": "down", "county_id": keys.county_id, "device_id": b.device_id, "number": 3,
                              "prev_hash": "0" * 64}, records=[])
    assert apply_down(b, swapped).held
    apply_down(b, paths[0])
    result = apply_down(b, paths[1])
    assert down_number(b) == 2 and held_down.held_numbers(b) == []
    assert any("暂存的第 3 个下发包无法导入" in m and "接不上" in m for m in result.messages)
    assert list(held_down.folder(b).glob("*.refused")) != []  # kept for a person, no longer tried
    assert not apply_down(b, paths[2]).held and down_number(b) == 3


def test_a_field_kept_here_is_over_when_the_countys_decision_comes_back_by_acknowledgment(tmp_path, county):
    """B keeps its phone against A's (the county's package came before B's acknowledgment); the county then
    decides for A's value: the correction in B's acknowledgment ends the kept field, with no package after it."""
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a)
    for store in (a, b, a, b):
        for path in export(store, tmp_path / f"up-{store.device_id[:4]}-{down_number(store)}"):
            import_file(engine, keys, path)
        list(apply_files(store, export_down(engine, keys, tmp_path / f"d-{store.device_id[:4]}", [store.device_id])))
    edit(a, hh, phone="13900000001")
    edit(b, hh, phone="13900000002")
    for store in (a, b):
        for path in export(store, tmp_path / f"up2-{store.device_id[:4]}"):
            import_file(engine, keys, path)
    [conflict] = list_conflicts(engine)
    resolve_conflict(engine, conflict["id"], keep="county", user="县扶贫办")
    list(apply_files(b, export_down(engine, keys, tmp_path / "d2", [b.device_id])))
    assert [c["mine"] for c in down_conflicts(b)] == ["13900000002"]  # not yet told: kept, shown side by side
    send_ack(engine, keys, b, tmp_path / "ack")
    assert _phone(b, hh) == "13900000001" and down_conflicts(b) == []
    a.close()
    b.close()


def test_a_field_kept_here_whose_conflict_was_superseded_takes_the_countys_value(tmp_path, county):
    """B keeps its phone against A's; A changes it again before the county decides, so the county can only
    close B's conflict as superseded (no correction): B's acknowledgment ends the kept field with the
    county's value, and B ends equal to the county."""
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a)

    def up(store, name):
        for path in export(store, tmp_path / name):
            import_file(engine, keys, path)

    def down(store, name):
        list(apply_files(store, export_down(engine, keys, tmp_path / name, [store.device_id])))

    for n, store in enumerate((a, b, a, b)):
        up(store, f"u{n}")
        down(store, f"d{n}")
    edit(b, hh, phone="13900000003")
    edit(a, hh, phone="13900000002")
    up(a, "ua")
    down(b, "db")  # B keeps its own value against A's
    up(b, "ub")  # the county: a conflict, A's value against B's
    edit(a, hh, phone="13900000001")
    up(a, "ua2")  # A changes it again: the conflict is superseded
    [conflict] = list_conflicts(engine)
    with pytest.raises(InvalidInput):
        resolve_conflict(engine, conflict["id"], keep="incoming", user="县扶贫办")
    down(b, "db2")  # A's latest value comes down before B hears of the conflict: still kept
    assert [c["county"] for c in down_conflicts(b)] == ["13900000001"]
    send_ack(engine, keys, b, tmp_path / "ack")  # no later package carries the record
    down(b, "db3")
    assert down_conflicts(b) == [] and _phone(b, hh) == "13900000001" == record(engine, "household", hh)["phone"]
    a.close()
    b.close()
