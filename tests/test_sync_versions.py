"""Packages across program versions (issue 13, item 5), both ways, with a real PostgreSQL county.

A program knows the schema revisions of the migrations it ships. "One revision ahead" is a package
whose header names a revision this program's migrations do not have (and, going up, a field the county
does not have); "the upgrade" is the same program given a migrations folder with one more revision
file (``upgraded`` below): exactly what a newer release brings. Old field names are mapped forward by
a revision that declares ``FIELD_RENAMES``."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from fupin_desktop.county.down import export_down
from fupin_desktop.county.held import held_packages, release_upgraded
from fupin_desktop.county.importer import import_file
from fupin_desktop.store import migrate
from fupin_desktop.sync import device as device_module
from fupin_desktop.sync import held_down, schema_map
from fupin_desktop.sync.device import device_keys, schema_revision
from fupin_desktop.sync.down import apply_down, down_number, release_held
from fupin_desktop.sync.package import Kind, canonical, write_package
from fupin_desktop.sync.receipts import refusal_reason

from .down_support import laptop, opened, reseal_down, store_dump, two_laptops
from .sync_support import add_household, edit, export, record, send_ack

NEXT = "9990_next"


def _migration(revision: str, down: str, renames: dict | None = None) -> str:
    return (f'"""the next release\'s revision (test)"""\nrevision = {revision!r}\ndown_revision = {down!r}\n'
            f"branch_labels = None\ndepends_on = None\nFIELD_RENAMES = {renames or {}!r}\n\n\n"
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n")


@pytest.fixture
def upgraded(tmp_path, monkeypatch):
    """Call with (revision, renames) to give this program one more migration, as an upgrade does."""
    current = schema_revision()

    def upgrade(revision: str = NEXT, renames: dict | None = None) -> None:
        folder = tmp_path / "migrations-upgraded"
        shutil.copytree(migrate.migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "county"))
        (folder / "versions" / f"{revision}.py").write_text(_migration(revision, str(current), renames),
                                                            encoding="utf-8")
        monkeypatch.setattr(migrate, "migrations_dir", lambda: folder)
        _forget()

    def _forget() -> None:
        device_module._known_revisions.cache_clear()
        schema_map.renames_after.cache_clear()
        schema_map.entry_steps.cache_clear()
        schema_map.record_steps.cache_clear()

    yield upgrade
    monkeypatch.undo()
    _forget()


def _reseal_up(store, keys, package: Path, out: Path, schema: str, change) -> Path:
    """The laptop's package as another program version writes it: ``change`` edits each entry."""
    header, entries = opened(package, keys.box.private)
    header["schema"] = schema
    with store.engine.connect() as conn:
        own = device_keys(conn)
    with open(out, "wb") as fh:
        write_package(fh, kind=Kind.CHANGES, sender_id=store.device_id, signing_private=own.sign.private,
                      signing_public=own.sign.public, recipient_public=keys.box.public, header=header,
                      records=[canonical(change(e)) for e in entries])
    return out


def _reseal_down(store, keys, package: Path, out: Path, schema: str, change) -> Path:
    """The county's down package as another county program version writes it."""
    return reseal_down(store, keys, package, out, {"schema": schema}, lambda r: [change(r)])


def _state_of(store, fragment: str) -> tuple[str, str | None]:
    with store.engine.connect() as conn:
        seq = conn.execute(text("SELECT seq FROM change_log WHERE op = 'update' AND fields LIKE :f"),
                           {"f": f"%{fragment}%"}).scalar_one()
        state = conn.execute(text("SELECT sync_state FROM change_log WHERE seq = :s"), {"s": seq}).scalar_one()
        return state, refusal_reason(conn, seq)


@pytest.fixture
def known(tmp_path, county):
    """Laptop A, whose household the county has: (engine, keys, A, the household)."""
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a)
    for path in export(a, tmp_path / "u1"):
        import_file(engine, keys, path)
    yield engine, keys, a, hh
    a.close()


def test_a_laptop_one_revision_ahead_is_held_then_imported_after_the_county_upgrades(tmp_path, known, upgraded):
    engine, keys, a, hh = known
    edit(a, hh, phone="13900000009")
    edit(a, hh, address="第二组9号")
    package = export(a, tmp_path / "u2")[-1]

    def newer(entry: dict) -> dict:  # the newer program's address entry carries its new field too
        if entry["op"] == "update" and "address" in entry["fields"]:
            entry["fields"]["wechat"] = [None, "zs01"]
        return entry

    ahead = _reseal_up(a, keys, package, tmp_path / "ahead.fupinpkg", NEXT, newer)
    [report] = import_file(engine, keys, ahead)
    assert report.status == "held" and "县级程序版本较旧，请升级" in report.messages[0]["message"]
    assert record(engine, "household", hh)["phone"] != "13900000009"  # nothing applied, nothing trimmed
    send_ack(engine, keys, a, tmp_path / "ack1")
    assert _state_of(a, "13900000009")[0] == "已送达"  # held at the county: delivered, never 已确认

    upgraded(NEXT)  # the county program now knows the revision (but, here, still not the new field)
    [released] = release_upgraded(engine, keys)
    assert released.status == "imported" and released.counts.rejected == 1
    with engine.connect() as conn:
        assert held_packages(conn) == []
    assert record(engine, "household", hh)["phone"] == "13900000009"
    assert record(engine, "household", hh).get("address") != "第二组9号"  # its entry had a field it cannot keep
    send_ack(engine, keys, a, tmp_path / "ack2")
    assert _state_of(a, "13900000009") == ("已确认", None)
    state, reason = _state_of(a, "第二组9号")
    assert state == "被拒" and "UNKNOWN_FIELD" in reason and "wechat" in reason and "升级" in reason


def test_an_older_laptops_field_names_are_mapped_forward_at_the_county(tmp_path, known, upgraded):
    """The county is a release ahead, whose migration renamed household.tel to phone: the laptop, a
    release behind, still writes ``tel``; the county takes it as ``phone``."""
    engine, keys, a, hh = known
    old = schema_revision()
    edit(a, hh, phone="13900000009")
    package = export(a, tmp_path / "u2")[-1]

    def older(entry: dict) -> dict:
        if entry["entity"] == "household" and "phone" in entry["fields"]:
            entry["fields"]["tel"] = entry["fields"].pop("phone")
        return entry

    behind = _reseal_up(a, keys, package, tmp_path / "behind.fupinpkg", str(old), older)
    upgraded(NEXT, {"household": {"tel": "phone"}})
    [report] = import_file(engine, keys, behind)
    assert report.status == "imported" and report.counts.rejected == 0
    assert record(engine, "household", hh)["phone"] == "13900000009"
    send_ack(engine, keys, a, tmp_path / "ack")
    assert _state_of(a, "13900000009") == ("已确认", None)


def test_a_field_an_older_laptop_writes_that_no_migration_maps_is_refused_saying_the_laptop_is_behind(
        tmp_path, known):
    """Past the forward mapping, a field an older program still writes no longer exists: the entry is
    refused whole (nothing trimmed), and the reason says the laptop's program is the one to upgrade."""
    engine, keys, a, hh = known
    edit(a, hh, phone="13900000009")
    package = export(a, tmp_path / "u2")[-1]

    def older(entry: dict) -> dict:
        if entry["entity"] == "household" and "phone" in entry["fields"]:
            entry["fields"]["fax"] = [None, "0851-1234567"]
        return entry

    [report] = import_file(engine, keys, _reseal_up(a, keys, package, tmp_path / "old.fupinpkg", "0010", older))
    assert report.status == "imported" and report.counts.rejected == 1
    assert record(engine, "household", hh)["phone"] != "13900000009"
    send_ack(engine, keys, a, tmp_path / "ack")
    state, reason = _state_of(a, "13900000009")
    assert state == "被拒" and "UNKNOWN_FIELD" in reason and "fax" in reason
    assert "设备程序较旧" in reason and "县级程序" not in reason


def _year_record(engine, hh: str, year: int) -> dict | None:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM record WHERE entity = 'household_year' AND household_id = :h "
                                 "AND NOT deleted"), {"h": hh}).scalars().all()
    return next((d for d in map(json.loads, rows) if d.get("year") == year), None)


def _import_as_before_0011(engine, keys, store, package: Path, tmp: Path, change) -> int:
    """The laptop's package as a program from before store migration 0011 wrote it (``change`` rewrites
    one entry, saying so), imported at the county with nothing refused; the year that entry was made in."""
    changed: list[dict] = []

    def older(entry: dict) -> dict:
        if change(entry):
            changed.append(entry)
        return entry

    [report] = import_file(engine, keys, _reseal_up(store, keys, package, tmp / "old.fupinpkg", "0010", older))
    assert report.status == "imported" and report.counts.rejected == 0, report.messages
    [entry] = changed
    return datetime.fromtimestamp(int(entry["hlc"][:13]) / 1000, timezone(timedelta(hours=8))).year


def test_a_laptop_from_before_0011_has_its_household_status_put_on_the_year(tmp_path, known):
    """A laptop that has not run store migration 0011 still keeps 监测对象类别 and 风险消除 on the household
    (three of those fields no longer exist there). The county puts each change on the year it was made
    in, as 0011 does on the laptop, and refuses nothing: no field is dropped, the entry is 已确认."""
    engine, keys, a, hh = known
    edit(a, hh, phone="13900000009")
    package = export(a, tmp_path / "u2")[-1]

    def before_0011(entry: dict) -> bool:  # the old program's 风险消除, written as it wrote it
        if entry["entity"] != "household" or "phone" not in entry["fields"]:
            return False
        entry["fields"].update(monitoring_category=[None, "突发严重困难户"], no_labour_fallback=[None, False],
                               risk_removed=[None, True], risk_removal_method=[None, "帮扶消除"],
                               risk_removed_at=[None, "202611"])
        return True

    year = _import_as_before_0011(engine, keys, a, package, tmp_path, before_0011)
    assert {k: v for k, v in _year_record(engine, hh, year).items() if k.startswith(("monitoring", "risk", "no_"))} \
        == {"monitoring_category": "突发严重困难户", "no_labour_fallback": False, "risk_removed": True,
            "risk_removal_method": "帮扶消除", "risk_removed_at": "202611"}
    household = record(engine, "household", hh)
    assert household["phone"] == "13900000009" and household["monitoring_category"] == "突发严重困难户"
    assert "risk_removed_at" not in household  # not a household field any more: only on the year
    send_ack(engine, keys, a, tmp_path / "ack")
    assert _state_of(a, "13900000009") == ("已确认", None)


def test_a_new_household_from_before_0011_gets_the_years_0011_would_give_it(tmp_path, county):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a)
    [package] = export(a, tmp_path / "u1")

    def before_0011(entry: dict) -> bool:
        if entry["entity"] != "household" or entry["op"] != "insert":
            return False
        entry["fields"].update(monitoring_category=[None, "边缘易致贫户"], monitoring_since=[None, "202403"],
                               no_labour_fallback=[None, True])
        return True

    this_year = _import_as_before_0011(engine, keys, a, package, tmp_path, before_0011)
    for year in (2024, this_year):  # from 识别监测时间 on, and the year the household was sent in
        assert _year_record(engine, hh, year)["monitoring_category"] == "边缘易致贫户"
        assert _year_record(engine, hh, year)["no_labour_fallback"] is True
    assert "no_labour_fallback" not in record(engine, "household", hh)
    a.close()


def test_entries_of_the_current_schema_are_not_moved():
    assert schema_map.entry_steps(schema_revision()) == ()
    assert [m for _, m in schema_map.entry_steps("0010") if m is not None]  # 0011 moves the status


@pytest.fixture
def down_two(tmp_path, county):
    """Laptop B has applied its first down package; the second one (A's phone edit) waits to be sealed."""
    engine, keys = county
    a, b, hh = two_laptops(tmp_path, engine, keys)
    edit(a, hh, phone="13900000009")
    for path in export(a, tmp_path / "u2"):
        import_file(engine, keys, path)
    second = export_down(engine, keys, tmp_path / "d2", [b.device_id])[-1]  # 1 is written again: not yet reported
    yield engine, keys, b, hh, second
    a.close()
    b.close()


def _phone(store, hh: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT phone FROM household WHERE id = :i"), {"i": hh}).scalar_one()


def test_a_down_package_from_a_newer_county_is_held_on_the_laptop_until_it_upgrades(tmp_path, county, down_two,
                                                                                   upgraded):
    engine, keys, b, hh, second = down_two
    newer = _reseal_down(b, keys, second, tmp_path / "newer.fupindown", NEXT, lambda r: r)
    before = store_dump(b)
    held = apply_down(b, newer)
    assert "本机程序版本较旧，请升级" in held.held and store_dump(b) == before
    assert release_held(b) is None and held_down.held_numbers(b) == [2]  # still not known: still waiting
    upgraded(NEXT)
    released = release_held(b)  # what the next 同步 or USB folder does first
    assert released is not None and released.released == [2] and down_number(b) == 2
    assert _phone(b, hh) == "13900000009" and held_down.held_numbers(b) == []


def test_a_down_package_from_an_older_county_is_mapped_forward_on_a_newer_laptop(tmp_path, county, down_two,
                                                                                upgraded):
    engine, keys, b, hh, second = down_two
    old = schema_revision()

    def older(r: dict) -> dict:
        if r.get("entity") == "household":
            for part in ("data", "versions"):
                r[part]["tel"] = r[part].pop("phone")
        return r

    behind = _reseal_down(b, keys, second, tmp_path / "older.fupindown", str(old), older)
    upgraded(NEXT, {"household": {"tel": "phone"}})
    result = apply_down(b, behind)
    assert not result.held and result.changed >= 1 and _phone(b, hh) == "13900000009"


def test_a_down_record_with_a_field_the_laptop_does_not_have_is_refused_whole(tmp_path, county, down_two):
    """Same revision named, a field this program does not know: nothing is trimmed, nothing applied."""
    engine, keys, b, hh, second = down_two
    odd = _reseal_down(b, keys, second, tmp_path / "odd.fupindown", str(schema_revision()),
                       lambda r: {**r, "data": {**r["data"], "wechat": "zs01"}} if r.get("entity") == "household"
                       else r)
    before = store_dump(b)
    with pytest.raises(Exception) as caught:
        apply_down(b, odd)
    assert getattr(caught.value, "code", "") == "UNKNOWN_FIELD" and "wechat" in str(caught.value.message)
    assert "本机程序不需要升级" in caught.value.message and "请升级程序" not in caught.value.message  # nobody is older
    assert store_dump(b) == before and _phone(b, hh) != "13900000009"


def test_field_renames_compose_across_migrations():
    assert schema_map.compose([{"household": {"a": "b"}}, {"household": {"b": "c"}, "member": {"x": "y"}}]) == {
        "household": {"a": "c", "b": "c"}, "member": {"x": "y"}}
    assert schema_map.renames_after(schema_revision()) == {}  # nothing after the head
    assert schema_map.renames_after("no-such-revision") == {}  # unknown: such packages are held, not mapped
