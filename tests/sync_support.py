"""Villages and a county for sync tests: enrolled device stores, packages through a USB folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from fupin_desktop.county.acks import write_acks
from fupin_desktop.county.devices import issue_enrollment
from fupin_desktop.county.importer import import_file
from fupin_desktop.services.households import register_household, update_household
from fupin_desktop.services.replay import apply_entries
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.sync.device import enroll, export_to_folder
from fupin_desktop.sync.receipts import apply_ack

from .conftest import PASSWORD
from .factories import household


def make_device(tmp: Path, name: str, engine, keys, *, village: str = "520102003004") -> Store:
    store, _ = Store.create(tmp / name, village_code=village, village_name="测试村", username="admin",
                            password=PASSWORD)
    issue_enrollment(engine, keys, village_code=village, label=name, out=tmp / f"{name}.fupinenroll")
    enroll(store, tmp / f"{name}.fupinenroll")
    return store


def add_household(store: Store, **kw) -> str:
    with unit_of_work(store) as uow:
        return register_household(uow, household(village=store.village_code, **kw))


def edit(store: Store, household_id: str, **changes) -> None:
    with unit_of_work(store) as uow:
        update_household(uow, household_id, changes)


def export(store: Store, folder: Path) -> list[Path]:
    return export_to_folder(store, folder)


def import_all(engine, keys, paths: list[Path]) -> list:
    reports = []
    for p in paths:
        reports.extend(import_file(engine, keys, p))
    return reports


def send_ack(engine, keys, store: Store, folder: Path):
    [path] = write_acks(engine, keys, {store.device_id}, folder)
    return apply_ack(store, path)


def copy_records(source: Store, target: Store) -> None:
    """Give ``target`` the records of ``source`` as they stand, without logging them as its own changes
    (a second laptop in the same village that was set up from the first one's data)."""
    with source.engine.connect() as conn:
        rows = conn.execute(text("SELECT entity, entity_id, op, fields FROM change_log ORDER BY seq")).mappings().all()
    with target.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        apply_entries(conn, rows)


@contextmanager
def second_device(tmp: Path, name: str, engine, keys, source: Store, *, village: str | None = None) -> Iterator[Store]:
    """Another enrolled laptop that starts from ``source``'s records (see ``copy_records``)."""
    store = make_device(tmp, name, engine, keys, village=village or source.village_code)
    try:
        copy_records(source, store)
        yield store
    finally:
        store.close()


def county_snapshot(engine) -> dict:
    """Everything in the county database, for "nothing was written" checks."""
    out = {}
    with engine.connect() as conn:
        for table in ("device", "package", "record", "conflict", "flag", "id_number", "enrollment", "correction",
                      "blob"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = sorted(json.dumps([str(v) for v in r], ensure_ascii=False) for r in rows)
    return out


def record(engine, entity: str, entity_id: str) -> dict:
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT data FROM record WHERE entity = :e AND entity_id = :i"),
                           {"e": entity, "i": entity_id}).scalar_one()
    return json.loads(raw)


def states(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT sync_state, count(*) FROM change_log WHERE device_id = :d "
                                      "GROUP BY sync_state"), {"d": store.device_id}).all())
