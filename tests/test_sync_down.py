"""Sync both ways (issue 13) against a real PostgreSQL county: two laptops of one village and a township
clerk's laptop, all through the county, over HTTP and over USB folders; conflicts decided once."""

from __future__ import annotations


import pytest
from sqlalchemy import text

from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.services.households import unit_of_work, update_member
from fupin_desktop.sync import down
from fupin_desktop.sync.client import push
from fupin_desktop.sync.down import down_conflicts
from fupin_desktop.sync.pull import pull

from .county_net_support import CountyServer
from .down_support import (
    NEIGHBOUR,
    TOWNSHIP,
    VILLAGE,
    county_records,
    device_matches,
    household_ids,
    laptop,
    usb_round,
)
from .sync_support import add_household, edit, export, states


@pytest.fixture
def server(county, county_db_url, tmp_path):
    running = CountyServer(county_db_url, tmp_path).start()
    yield running
    running.stop()


def _phone(store, hh: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT phone FROM household WHERE id = :i"), {"i": hh}).scalar_one()


def _all_equal(engine, village_laptops, clerk) -> None:
    for store in village_laptops:
        assert device_matches(store, county_records(engine, VILLAGE)) == []
    assert device_matches(clerk, county_records(engine, TOWNSHIP)) == []


def test_an_edit_on_one_laptop_reaches_the_other_and_the_clerk_over_http(tmp_path, county, server):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a)
    push(a, server.url)
    neighbour = laptop(tmp_path, "邻村一号机", engine, keys, village=NEIGHBOUR)
    other = add_household(neighbour, head="王五", hh_no="5201020030050001")
    push(neighbour, server.url)
    # New laptops: the first pull introduces them to the county and brings the whole scope.
    b = laptop(tmp_path, "二号机", engine, keys)
    clerk = laptop(tmp_path, "乡镇干事", engine, keys, township=True)
    assert pull(b, server.url).applied and household_ids(b) == {hh}
    assert pull(clerk, server.url).applied and household_ids(clerk) == {hh, other}
    edit(a, hh, phone="13900000009", address="第二组9号")
    push(a, server.url)
    result = pull(b, server.url)
    assert result.households == {hh} and _phone(b, hh) == "13900000009"
    pull(clerk, server.url)
    pull(a, server.url)
    _all_equal(engine, [a, b], clerk)
    # What came down is the county's, confirmed, and never sent back up.
    assert "未发送" not in states(b) and push(b, server.url).sent == []
    with b.engine.connect() as conn:
        head = conn.execute(text("SELECT head_name, member_count FROM household WHERE id = :i"), {"i": hh}).one()
    assert head[0] and head[1] >= 1  # summaries refreshed for the touched household
    assert pull(b, server.url).applied == []  # nothing new: nothing applied


def test_an_edit_reaches_the_other_laptop_and_the_clerk_by_usb(tmp_path, county):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    b = laptop(tmp_path, "二号机", engine, keys)
    clerk = laptop(tmp_path, "乡镇干事", engine, keys, township=True)
    hh = add_household(a)
    usb_round(engine, keys, tmp_path, "r1", a, b, clerk)
    usb_round(engine, keys, tmp_path, "r2", a, b, clerk)  # the new laptops' hello went up in r1
    assert household_ids(b) == household_ids(clerk) == {hh}
    edit(b, hh, phone="13500000005")
    usb_round(engine, keys, tmp_path, "r3", a, b, clerk)
    usb_round(engine, keys, tmp_path, "r4", a, b, clerk)
    assert _phone(a, hh) == _phone(clerk, hh) == "13500000005"
    _all_equal(engine, [a, b], clerk)


def test_a_usb_export_with_nothing_new_still_tells_the_county_what_came_down(tmp_path, county):
    """Else the county writes every down package to the stick again at each export, a township's whole
    first download included."""
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    add_household(a)
    b = laptop(tmp_path, "二号机", engine, keys)
    usb_round(engine, keys, tmp_path, "r1", a, b)
    usb_round(engine, keys, tmp_path, "r2", a, b)  # b's first download
    assert down.down_number(b) >= 1 and "未发送" not in states(b)
    told = export(b, tmp_path / "r3" / "up")  # b changed nothing: an empty package says what it applied
    for path in told:
        import_file(engine, keys, path)
    with engine.connect() as conn:
        applied = conn.execute(text("SELECT down_applied FROM device WHERE id = :i"), {"i": b.device_id}).scalar_one()
    assert applied == down.down_number(b)
    assert not [p for p in export_down(engine, keys, tmp_path / "r3" / "down") if b.device_id[:8] in p.name]
    # nothing applied since: no further package
    assert [p.name for p in export(b, tmp_path / "r4" / "up")] == [p.name for p in told]


def test_the_same_field_edited_on_two_laptops_is_one_conflict_decided_once(tmp_path, county, server):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    b = laptop(tmp_path, "二号机", engine, keys)
    clerk = laptop(tmp_path, "乡镇干事", engine, keys, township=True)
    hh = add_household(a)
    for store in (a, b, clerk):
        push(store, server.url)
        pull(store, server.url)
    edit(a, hh, phone="13900000001")
    edit(b, hh, phone="13700000002")
    push(a, server.url)
    push(b, server.url)
    pulled = pull(b, server.url)
    assert pulled.conflicts == 1 and _phone(b, hh) == "13700000002"  # B keeps its own value, shown as a conflict
    [mine] = down_conflicts(b)
    assert mine["field"] == "phone" and mine["mine"] == "13700000002" and mine["county"] == "13900000001"
    [conflict] = list_conflicts(engine)
    resolve_conflict(engine, conflict["id"], keep="incoming", user="县扶贫办")
    for store in (a, b, clerk):
        push(store, server.url)
        pull(store, server.url)
    assert _phone(a, hh) == _phone(b, hh) == _phone(clerk, hh) == "13700000002"
    assert down_conflicts(b) == [] and len(list_conflicts(engine, status="all")) == 1
    assert "冲突" not in states(b)
    _all_equal(engine, [a, b], clerk)


class _CutError(Exception):
    pass


def test_a_new_laptop_starts_complete_from_the_county_even_after_a_cut(tmp_path, county, county_db_url, monkeypatch):
    engine, keys = county
    monkeypatch.setenv("FUPIN_DOWN_RECORDS", "10")  # many small packages, so a cut falls between two
    server = CountyServer(county_db_url, tmp_path).start()
    try:
        _new_laptop_after_a_cut(tmp_path, engine, keys, server.url)
    finally:
        server.stop()


def _new_laptop_after_a_cut(tmp_path, engine, keys, url: str) -> None:
    a = laptop(tmp_path, "一号机", engine, keys)
    made = {add_household(a, hh_no=f"52010200300400{i:02d}") for i in range(12)}
    push(a, url)
    for i, hh in enumerate(sorted(made)):  # households now come after their members in county order
        edit(a, hh, phone=f"139000000{i:02d}")
    push(a, url)
    b = laptop(tmp_path, "新电脑", engine, keys)

    def cut_after_two(count: int) -> None:
        if count == 2:
            raise _CutError  # the transfer breaks after the second package was applied

    with pytest.raises(_CutError):
        pull(b, url, progress=cut_after_two)
    partial = household_ids(b)
    assert partial and partial < made  # two packages landed, each whole
    again = pull(b, url)
    assert again.applied and household_ids(b) == made
    assert device_matches(b, county_records(engine, VILLAGE)) == []


def _list_facts(store) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT id, head_name, member_count, error_count, warning_count FROM household")))


def test_a_big_first_download_gets_list_facts_and_validation_marks_like_the_sender(tmp_path, county, monkeypatch):
    engine, keys = county
    monkeypatch.setattr(down, "BULK_RECORDS", 2)  # every package here takes the bulk path: marks at the end
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a)
    edit(a, hh, phone="123")  # an error the marks must show on the other laptop too
    add_household(a, head="王五", hh_no="5201020030040002")
    b = laptop(tmp_path, "二号机", engine, keys)
    usb_round(engine, keys, tmp_path, "r1", a, b)
    usb_round(engine, keys, tmp_path, "r2", a, b)
    facts = _list_facts(b)
    assert facts == _list_facts(a) and all(f[3] > 0 for f in facts)
    with b.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM meta WHERE key = :k"), {"k": down.MARKS_PENDING}).scalar() == 0


def _head(store, hh: str) -> tuple:
    with store.engine.connect() as conn:
        return conn.execute(text(
            "SELECT h.head_name, h.head_sort, m.id, m.name_pinyin, m.phone FROM household h "
            "JOIN member m ON m.household_id = h.id AND m.relation = '户主' WHERE h.id = :i"), {"i": hh}).one()


def test_a_routine_bulk_package_refreshes_summaries_only_where_they_change(tmp_path, county, monkeypatch):
    """After the first download, a big package re-summarises only the households whose head, members or
    year status it changes (a phone number leaves the summary as it is), and the marks follow all."""
    engine, keys = county
    monkeypatch.setattr(down, "BULK_RECORDS", 1)
    a = laptop(tmp_path, "一号机", engine, keys)
    renamed, rephoned = add_household(a), add_household(a, head="王五", hh_no="5201020030040002")
    b = laptop(tmp_path, "二号机", engine, keys)
    usb_round(engine, keys, tmp_path, "r1", a, b)
    usb_round(engine, keys, tmp_path, "r2", a, b)
    with unit_of_work(a) as uow:
        update_member(uow, _head(a, renamed)[2], {"name": "单雄信", "phone": "13800000001"})
        update_member(uow, _head(a, rephoned)[2], {"phone": "123"})  # 手机号码 wrong: an error mark
    summarised: list[str] = []
    real = down.refresh_summaries
    monkeypatch.setattr(down, "refresh_summaries",
                        lambda uow, households, year: (summarised.extend(h.id for h in households),
                                                       real(uow, households, year)))
    marks_before = _list_facts(b)
    usb_round(engine, keys, tmp_path, "r3", a, b)
    assert summarised == [renamed]
    assert _head(b, renamed) == _head(a, renamed) and _head(b, renamed)[0] == "单雄信"
    assert _head(b, renamed)[1].startswith("shan4") and _head(b, renamed)[3] == "shanxiongxin"
    assert _head(b, rephoned)[4] == "123"
    assert _list_facts(b) == _list_facts(a) != marks_before  # the wrong phone number is marked on both
