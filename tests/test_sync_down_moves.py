"""Down packages from a county program older than store migration 0011 (issue 13, item 5): that program
kept 户类型, 属性, 监测对象类别, 兜底保障 and 风险消除 on the household; this one keeps them on the year's row.
A newer laptop puts each field on the years its version was stamped in (0011's ``forward_record``)
and merges it there like any other record. Before, it refused the whole package, telling its own user
to upgrade (and a package carrying only the four fields the household still has as copies applied,
and the list's refresh then overwrote them from the year rows: the county's values were lost).

The older county is the real PostgreSQL county's package, resealed as a 0010 program writes it (the
household record with its status, the year records without): ``as_0010``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from fupin_desktop.clock import format_hlc
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.services.households import save_household_year, unit_of_work
from fupin_desktop.store.migrate import alembic_config
from fupin_desktop.sync import schema_map
from fupin_desktop.sync.device import get_meta, schema_revision
from fupin_desktop.sync.down import apply_down, down_conflicts, down_number, finish_run
from fupin_desktop.sync.package import PackageError
from fupin_desktop.yearstatus import STATUS_FIELDS

from .down_support import VILLAGE, county_records, device_matches, laptop, reseal_down, store_dump, two_laptops
from .sync_support import add_household, edit, export

CHINA = timezone(timedelta(hours=8))
OLD = "0010"


def _m0011() -> Any:
    return ScriptDirectory.from_config(alembic_config()).get_revision("0011").module


def _year_of(stamp: str) -> int:
    return datetime.fromtimestamp(int(stamp[:13]) / 1000, CHINA).year


def _stamp(moment: datetime, device: str = "dev1") -> str:
    return format_hlc(int(moment.timestamp() * 1000), 0, device)


def _county_state(engine, entity: str, entity_id: str) -> tuple[dict, dict]:
    with engine.connect() as conn:
        data, versions = conn.execute(text("SELECT data, versions FROM record WHERE entity = :e AND entity_id = :i"),
                                      {"e": entity, "i": entity_id}).one()
    return json.loads(data), json.loads(versions)


def as_0010(status: dict[str, tuple[Any, str]], *, unsent: frozenset[str] = frozenset()):
    """What a county program at store revision 0010 writes for a package's records: the household carries
    its status, {field: (value, version)}; a year record has no status fields, and one whose only change
    was its status (ids in ``unsent``) is not in the package at all (there, only the household changed)."""
    def change(r: dict) -> list[dict]:
        if r["entity"] == "household":
            r["data"].update({k: value for k, (value, _) in status.items()})
            r["versions"].update({k: version for k, (_, version) in status.items()})
        elif r["entity"] == "household_year":
            if r["id"] in unsent:
                return []
            for part in ("data", "versions"):
                for name in STATUS_FIELDS:
                    r[part].pop(name, None)
        return [r]
    return change


def _upload(engine, keys, store, folder: Path) -> None:
    for path in export(store, folder):
        import_file(engine, keys, path)


def _year_rows(store, hh: str) -> dict[int, dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM household_year WHERE household_id = :h"), {"h": hh}).mappings()
        return {r["year"]: dict(r) for r in rows}


def _log_since(store, seq: int) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT entity, entity_id, op, fields, device_id, sync_state FROM change_log "
                                 "WHERE seq > :s ORDER BY seq"), {"s": seq}).mappings()
        return [{**r, "fields": json.loads(r["fields"])} for r in rows]


def _last_seq(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM change_log")).scalar_one()


def _county_years(engine, hh: str) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT entity_id, data FROM record WHERE entity = 'household_year' "
                                 "AND household_id = :h AND NOT deleted"), {"h": hh}).all()
    return {json.loads(data)["year"]: entity_id for entity_id, data in rows}


@pytest.fixture
def village(tmp_path, county):
    """Laptops A and B of the village, B past its first download: (engine, keys, A, B, household)."""
    engine, keys = county
    a, b, hh = two_laptops(tmp_path, engine, keys)
    finish_run(b)
    yield engine, keys, a, b, hh
    a.close()
    b.close()


def _status_of_0010(engine, year_id: str, *, registered: str | None = None) -> dict[str, tuple[Any, str]]:
    """The household's status as a 0010 county holds it: the county's year record's values and versions
    (``registered``: the version of 户类型 and 属性, set when the household was registered)."""
    data, versions = _county_state(engine, "household_year", year_id)
    status = {k: (data[k], versions[k]) for k in STATUS_FIELDS if k in data}
    for name in ("household_type", "attribute"):
        if registered is not None and name in status:
            status[name] = (status[name][0], registered)
    return status


def test_a_county_at_0010_sends_household_status_and_the_laptop_puts_it_on_the_years(tmp_path, village):
    engine, keys, a, b, hh = village
    this_year = datetime.now(CHINA).year
    with unit_of_work(a) as uow:
        year_id = save_household_year(uow, hh, this_year, {
            "monitoring_category": "突发严重困难户", "no_labour_fallback": False, "risk_removed": True,
            "risk_removal_method": "帮扶消除", "risk_removed_at": f"{this_year}01"})
    edit(a, hh, phone="13900000009")
    _upload(engine, keys, a, tmp_path / "u2")
    package = export_down(engine, keys, tmp_path / "d2", [b.device_id])[-1]
    # 户类型 and 属性 were set in 2024, when the household was registered; the rest this year
    status = _status_of_0010(engine, year_id, registered=_stamp(datetime(2024, 6, 1, tzinfo=CHINA), a.device_id))
    assert {"no_labour_fallback", "risk_removal_method", "risk_removed_at"} <= status.keys()  # not household fields now
    old = reseal_down(b, keys, package, tmp_path / "old.fupindown", {"schema": OLD}, as_0010(status))
    seq = _last_seq(b)

    result = apply_down(b, old)

    assert not result.held and result.conflicts == 0 and result.changed >= 2
    # every field of every record as the county holds it, in this schema: the status on the year rows
    assert device_matches(b, county_records(engine, VILLAGE)) == []
    rows = _year_rows(b, hh)
    assert {y: r["id"] for y, r in rows.items()} == _county_years(engine, hh)  # no second row of a year
    assert {k: rows[this_year][k] for k, _ in status.items()} == {k: value for k, (value, _) in status.items()}
    assert (rows[2024]["household_type"], rows[2024]["attribute"]) == (status["household_type"][0],
                                                                       status["attribute"][0])
    with b.engine.connect() as conn:  # the list's copies, from the year rows
        copies = conn.execute(text("SELECT monitoring_category, risk_removed, phone FROM household WHERE id = :h"),
                              {"h": hh}).one()
    assert tuple(copies) == ("突发严重困难户", True, "13900000009")
    # the change log: the county's changes, confirmed, each on the record that holds it now
    log = _log_since(b, seq)
    assert {e["device_id"] for e in log} == {f"county-{keys.county_id[:8]}"}
    assert {e["sync_state"] for e in log} == {"已确认"}
    [household] = [e for e in log if e["entity"] == "household"]
    assert household["fields"] == {"phone": ["13812345678", "13900000009"]}
    [year] = [e for e in log if e["entity"] == "household_year"]
    assert year["entity_id"] == year_id and year["op"] == "insert"
    assert {k: year["fields"][k][1] for k in ("monitoring_category", "risk_removed_at")} == {
        "monitoring_category": "突发严重困难户", "risk_removed_at": f"{this_year}01"}


def test_a_moved_field_the_laptop_changed_unconfirmed_is_kept_as_a_conflict(tmp_path, village):
    """B changed this year's 监测对象类别 and the county (older: B's packages wait there) has not confirmed
    it; A's change of the same field reaches B on the household record, as a 0010 county sends it. B
    keeps its value and shows the conflict, takes A's other field, makes no second row of the year; the
    same records again change nothing."""
    engine, keys, a, b, hh = village
    this_year = datetime.now(CHINA).year
    with unit_of_work(a) as uow:
        year_id = save_household_year(uow, hh, this_year, {"monitoring_category": "边缘易致贫户"})
    _upload(engine, keys, a, tmp_path / "u2")
    for package in export_down(engine, keys, tmp_path / "d2", [b.device_id]):
        apply_down(b, package)
    with unit_of_work(b) as uow:
        save_household_year(uow, hh, this_year, {"monitoring_category": "脱贫不稳定户"})
    with unit_of_work(a) as uow:
        save_household_year(uow, hh, this_year, {"monitoring_category": "突发严重困难户", "no_labour_fallback": True})
    edit(a, hh, phone="13900000009")
    _upload(engine, keys, a, tmp_path / "u3")
    package = export_down(engine, keys, tmp_path / "d3", [b.device_id])[-1]
    status = _status_of_0010(engine, year_id)
    old = reseal_down(b, keys, package, tmp_path / "old.fupindown", {"schema": OLD},
                      as_0010(status, unsent=frozenset({year_id})))
    ids_before, seq = {y: r["id"] for y, r in _year_rows(b, hh).items()}, _last_seq(b)

    result = apply_down(b, old)

    assert result.conflicts == 1
    [conflict] = down_conflicts(b)
    assert (conflict["entity"], conflict["entity_id"], conflict["field"], conflict["mine"], conflict["county"]) == (
        "household_year", year_id, "monitoring_category", "脱贫不稳定户", "突发严重困难户")
    rows = _year_rows(b, hh)
    assert {y: r["id"] for y, r in rows.items()} == ids_before  # the row B holds, under its id
    assert (rows[this_year]["monitoring_category"], rows[this_year]["no_labour_fallback"]) == ("脱贫不稳定户", True)
    log = _log_since(b, seq)
    [year] = [e for e in log if e["entity"] == "household_year"]
    assert year["entity_id"] == year_id and year["fields"] == {"no_labour_fallback": [None, True]}
    [household] = [e for e in log if e["entity"] == "household"]
    assert set(household["fields"]) == {"phone"}
    with b.engine.connect() as conn:  # B's own change still waits for the county
        mine = conn.execute(text("SELECT sync_state FROM change_log WHERE device_id = :d AND entity = "
                                 "'household_year' AND fields LIKE '%脱贫不稳定户%'"), {"d": b.device_id}).scalar_one()
    assert mine == "未发送"

    # applied again: already applied, nothing changes; the same records in the county's next package: the same
    before = store_dump(b)
    assert apply_down(b, old).already and store_dump(b) == before
    with b.engine.connect() as conn:
        chain = {"number": down_number(b) + 1, "prev_hash": get_meta(conn, "sync.down_hash")}
    again = reseal_down(b, keys, package, tmp_path / "again.fupindown", {"schema": OLD, **chain},
                        as_0010(status, unsent=frozenset({year_id})))
    seq = _last_seq(b)
    repeated = apply_down(b, again)
    assert repeated.changed == 0 and _log_since(b, seq) == [] and _year_rows(b, hh) == rows
    assert [(c["entity_id"], c["field"], c["mine"], c["county"]) for c in down_conflicts(b)] == [
        (year_id, "monitoring_category", "脱贫不稳定户", "突发严重困难户")]


def test_a_new_laptops_first_download_from_a_county_at_0010(tmp_path, county):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    this_year = datetime.now(CHINA).year
    hh = add_household(a)
    with unit_of_work(a) as uow:
        year_id = save_household_year(uow, hh, this_year, {"monitoring_category": "脱贫不稳定户",
                                                             "risk_removed": False})
    _upload(engine, keys, a, tmp_path / "u1")
    c = laptop(tmp_path, "三号机", engine, keys)
    _upload(engine, keys, c, tmp_path / "uc")  # its first (empty) package introduces it to the county
    status = _status_of_0010(engine, year_id, registered=_stamp(datetime(2024, 6, 1, tzinfo=CHINA), a.device_id))
    for n, package in enumerate(export_down(engine, keys, tmp_path / "dc", [c.device_id])):
        apply_down(c, reseal_down(c, keys, package, tmp_path / f"old{n}.fupindown", {"schema": OLD},
                                  as_0010(status)))
    finish_run(c)
    assert device_matches(c, county_records(engine, VILLAGE)) == []
    assert {y: r["id"] for y, r in _year_rows(c, hh).items()} == _county_years(engine, hh)
    a.close()
    c.close()


def test_a_field_an_older_county_sends_that_nothing_places_is_refused_saying_the_county_is_older(tmp_path,
                                                                                               village):
    engine, keys, a, b, hh = village
    edit(a, hh, phone="13900000009")
    _upload(engine, keys, a, tmp_path / "u2")
    package = export_down(engine, keys, tmp_path / "d2", [b.device_id])[-1]
    now = _stamp(datetime.now(UTC), a.device_id)
    status = {"monitoring_category": ("突发严重困难户", now), "wechat": ("zs01", now)}  # wechat: dropped long ago
    old = reseal_down(b, keys, package, tmp_path / "old.fupindown", {"schema": OLD}, as_0010(status))
    before = store_dump(b)
    with pytest.raises(PackageError) as caught:
        apply_down(b, old)
    message = caught.value.message
    assert caught.value.code == "UNKNOWN_FIELD" and "wechat" in message and "户基本情况" in message
    assert "较旧的县级程序" in message and OLD in message and "本机程序不需要升级" in message
    assert "请升级程序" not in message
    assert store_dump(b) == before


# ---- the record move itself -----------------------------------------------------------------------
def _household(data: dict, versions: dict) -> dict:
    return {"type": "record", "entity": "household", "id": "h1", "hh": "h1", "village": VILLAGE, "rev": 7,
            "deleted": False, "data": data, "versions": versions}


def test_the_record_move_puts_each_status_field_on_the_years_from_its_stamp():
    s2024 = _stamp(datetime(2024, 3, 1, tzinfo=CHINA))
    s2025 = _stamp(datetime(2025, 7, 1, tzinfo=CHINA))
    new_year = _stamp(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))  # 2026-01-01 00:30 in China
    record = _household(
        {"phone": "13900000009", "household_type": "脱贫户", "attribute": "一般脱贫户", "no_labour_fallback": None,
         "monitoring_category": "突发严重困难户", "risk_removed": False},
        {"phone": s2025, "household_type": s2024, "attribute": s2024, "no_labour_fallback": s2025,
         "monitoring_category": new_year, "risk_removed": new_year})
    steps = schema_map.record_steps(OLD)
    kept, *moved = schema_map.forward_records(record, steps)

    assert kept == {**record, "data": {"phone": "13900000009"}, "versions": {"phone": s2025}}
    m = _m0011()
    assert [(r["entity"], r["id"], r["hh"], r["deleted"], r[schema_map.MOVED_BY]) for r in moved] == [
        ("household_year", m.year_row_id("h1", y), "h1", False, "0011") for y in (2024, 2025, 2026)]
    key = {"household_id": s2024, "year": s2024}  # as old as the household's oldest field
    assert [(r["data"], r["versions"]) for r in moved] == [
        ({"household_id": "h1", "year": 2024, "household_type": "脱贫户", "attribute": "一般脱贫户"},
         {**key, "household_type": s2024, "attribute": s2024}),
        # a value lasts until changed: a later year's row carries the fields stamped before it too
        ({"household_id": "h1", "year": 2025, "household_type": "脱贫户", "attribute": "一般脱贫户",
          "no_labour_fallback": None},
         {**key, "household_type": s2024, "attribute": s2024, "no_labour_fallback": s2025}),
        ({"household_id": "h1", "year": 2026, "household_type": "脱贫户", "attribute": "一般脱贫户",
          "no_labour_fallback": None, "monitoring_category": "突发严重困难户", "risk_removed": False},
         {**key, "household_type": s2024, "attribute": s2024, "no_labour_fallback": s2025,
          "monitoring_category": new_year, "risk_removed": new_year}),
    ]
    assert all(_year_of(r["versions"]["monitoring_category"]) == 2026 for r in moved[2:])


def test_the_record_move_dates_an_unstamped_field_with_the_records_newest_stamp_and_leaves_others_alone():
    s2025 = _stamp(datetime(2025, 7, 1, tzinfo=CHINA))
    steps = schema_map.record_steps(OLD)
    record = _household({"phone": "1", "risk_removed_at": "202505"}, {"phone": s2025})
    kept, moved = schema_map.forward_records(record, steps)
    assert kept["data"] == {"phone": "1"} and moved["data"] == {"household_id": "h1", "year": 2025,
                                                                "risk_removed_at": "202505"}
    assert moved["versions"] == {"household_id": s2025, "year": s2025}  # no version of its own to carry
    plain = _household({"phone": "1"}, {"phone": s2025})
    member = {**plain, "entity": "member", "data": {"name": "张三", "attribute": "x"}}
    gone = {**_household({"attribute": "一般脱贫户"}, {"attribute": s2025}), "deleted": True}
    for record in (plain, member, gone):  # no status, not a household, a household's deletion
        assert schema_map.forward_records(record, steps) == [record]


def test_records_of_this_schema_pass_as_they_are():
    assert schema_map.record_steps(schema_revision()) == ()
    assert schema_map.record_steps("no-such-revision") == ()  # unknown: such packages are held, not mapped
    assert [move for _, _, move in schema_map.record_steps(OLD) if move is not None]  # 0011 moves the status
