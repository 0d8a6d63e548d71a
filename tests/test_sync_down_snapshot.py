"""A first download applied in bulk (sync/snapshot.py) leaves exactly what the ordinary path leaves: the same
records field by field (summaries and validation marks included), the same 收到的更新 view, and a history
that still says where each household's records came from — with one log entry per household and package
instead of one per record. Real PostgreSQL county, real SQLCipher stores."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fupin_desktop.county import down as county_down
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.demo import fill_store
from fupin_desktop.model import Base
from fupin_desktop.queries.history import household_history
from fupin_desktop.services import checks
from fupin_desktop.sync import down, snapshot
from fupin_desktop.sync.device import get_meta
from fupin_desktop.sync.received import apply_files, received_summary

from .down_support import VILLAGE, county_records, device_matches, laptop
from .sync_support import edit, export

pytestmark = pytest.mark.slow
_NOT_RECORDS = {"meta", "change_log", "sync_outbox", "app_user"}


def _tables(store, entities: set[str]) -> dict[str, list[tuple]]:
    """Every table the county sent records of, whole, but for the time of writing (each laptop wrote at
    its own second). Reference rows a new store ships with (its area, thresholds) have their own ids."""
    out = {}
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in _NOT_RECORDS or table.name not in entities:
                continue
            names = [c.name for c in table.c if c.name != "updated_at"]
            out[table.name] = sorted(tuple(map(repr, r)) for r in conn.execute(
                text(f'SELECT {", ".join(names)} FROM "{table.name}"')))
    return out


def _received(store) -> tuple:
    got = received_summary(store)
    return (got.down_packages, got.households_changed,
            [(h.household_id, h.head_name, h.group_name, h.hh_no, h.changes) for h in got.recent])


def _log_rows(store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM change_log")).scalar() or 0)


def _download(engine, keys, store, folder) -> None:
    for path in export(store, folder / "hello"):  # the new laptop introduces itself
        import_file(engine, keys, path)
    export_down(engine, keys, folder / "down", [store.device_id])
    list(apply_files(store, [folder / "down"]))


def test_a_first_download_in_bulk_equals_the_ordinary_path(tmp_path, county, monkeypatch):
    engine, keys = county
    monkeypatch.setattr(county_down, "DOWN_RECORDS", 400)  # several packages; parents sent again in later ones
    first = laptop(tmp_path, "一号机", engine, keys)
    fill_store(first, 40, seed=21)
    for path in export(first, tmp_path / "up"):
        assert import_file(engine, keys, path)[0].status == "imported"

    fast = laptop(tmp_path, "新机", engine, keys)
    _download(engine, keys, fast, tmp_path / "fast")
    with monkeypatch.context() as m:  # the same download the ordinary way: a log line per record
        m.setattr(snapshot, "in_run", lambda conn, number: False)
        slow = laptop(tmp_path, "对照机", engine, keys)
        _download(engine, keys, slow, tmp_path / "slow")

    records = county_records(engine, VILLAGE)
    assert device_matches(fast, records) == []
    entities = {entity for entity, _ in records}
    fast_tables, slow_tables = _tables(fast, entities), _tables(slow, entities)
    assert fast_tables["household"] and fast_tables["member"]
    assert fast_tables == slow_tables  # every record, every field, list summaries and marks
    assert _received(fast) == _received(slow) and _received(fast)[1] == 40
    assert _log_rows(fast) * 5 < _log_rows(slow)  # one entry per household and package, not per record

    with fast.engine.connect() as conn:
        sample = list(conn.execute(text("SELECT id FROM household ORDER BY id LIMIT 3")).scalars())
    for hh in sample:
        bulk, ordinary = household_history_of(fast, hh), household_history_of(slow, hh)
        inserted = {(e.table, e.entity_id) for e in ordinary if e.op == "新增"}
        assert bulk and all(e.op == "从县里下载" and "下发包" in e.field for e in bulk)
        assert sum(_records_in(e.new) for e in bulk) == len(inserted)
    with fast.engine.connect() as conn:
        assert get_meta(conn, snapshot.SNAPSHOT) is None  # the run is over: later records are logged one by one


def test_after_a_first_download_changes_are_logged_field_by_field(tmp_path, county):
    engine, keys = county
    first = laptop(tmp_path, "一号机", engine, keys)
    fill_store(first, 5, seed=22)
    for path in export(first, tmp_path / "up"):
        import_file(engine, keys, path)
    fast = laptop(tmp_path, "新机", engine, keys)
    _download(engine, keys, fast, tmp_path / "r1")
    with first.engine.connect() as conn:
        hh = conn.execute(text("SELECT id FROM household ORDER BY id LIMIT 1")).scalar()
    edit(first, hh, phone="13900000021")
    for path in export(first, tmp_path / "up2"):
        import_file(engine, keys, path)
    export_down(engine, keys, tmp_path / "r2", [fast.device_id])
    list(apply_files(fast, [tmp_path / "r2"]))
    history = household_history_of(fast, hh)
    assert history[0].op == "修改" and history[0].new == "13900000021"
    assert any(e.op == "从县里下载" for e in history)


def household_history_of(store, household_id: str) -> list:
    with store.engine.connect() as conn:
        return household_history(conn, household_id)


def _records_in(summary: str) -> int:
    """"户基本情况 1 条，家庭成员 4 条" → 5."""
    return sum(int(part.rsplit(" ", 2)[1]) for part in summary.split("，"))


def _triggers(store) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")))


def _marks(store) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text("SELECT id, error_count, warning_count FROM household")))


def test_a_first_download_keeps_the_recheck_triggers_and_notes_every_household(tmp_path, county, monkeypatch):
    """The bulk inserts run without the re-check's triggers (sync/snapshot.py): after each package every
    trigger is back as it was and the households it brought are noted for the re-check, so a check kept
    from before the download gives a full check's marks; edits after it are noted by the triggers again."""
    engine, keys = county
    monkeypatch.setattr(county_down, "DOWN_RECORDS", 150)  # several packages
    monkeypatch.setattr(down, "BULK_RECORDS", 2)  # each a big one: nothing refreshed per package
    first = laptop(tmp_path, "一号机", engine, keys)
    fill_store(first, 12, seed=5, flaws=0.3)
    for path in export(first, tmp_path / "up"):
        import_file(engine, keys, path)
    fresh = laptop(tmp_path, "新机", engine, keys)
    checks.check(fresh)  # a kept state: the check at the end of the download may be a re-check
    triggers = _triggers(fresh)
    assert len(triggers) > 10
    for path in export(fresh, tmp_path / "hello"):
        import_file(engine, keys, path)
    packages = export_down(engine, keys, tmp_path / "down", [fresh.device_id])
    assert len(packages) > 2
    for path in packages:
        down.apply_down(fresh, path)
        assert _triggers(fresh) == triggers
        with fresh.engine.connect() as conn:
            noted = set(conn.execute(text("SELECT household_id FROM check_dirty")).scalars())
            held = set(conn.execute(text("SELECT id FROM household")).scalars())
        assert held and held <= noted
    down.finish_run(fresh)
    after_download = _marks(fresh)
    assert any(e for _, e, _ in after_download)
    checks.check(fresh, full=True)
    assert _marks(fresh) == after_download

    with fresh.engine.connect() as conn:
        hh = conn.execute(text("SELECT household_id FROM member WHERE relation = '户主' LIMIT 1")).scalar_one()
    edit(fresh, hh, phone="123")  # through the services: the triggers note it
    run = checks.check(fresh)
    assert not run.full and run.rechecked == 1
