"""kill -9 of the county importer in the middle of a package, again and again, on a real PostgreSQL:
after every kill a package is either wholly in the database (its row and all its records) or not
at all, and a final import completes and equals a clean import."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, text

from fupin_desktop.county.importer import import_files
from fupin_desktop.county.model import Device, Package
from fupin_desktop.sync.device import pack_pending
from fupin_desktop.sync.package import PackageReader

from .sync_forge import fill_store, imported_packages, outbox_files, records_state, twin_county
from .sync_support import make_device

ROOT = Path(__file__).resolve().parent.parent


def _entry_keys(paths: list[Path], keys) -> dict[str, set[tuple[str, str]]]:
    """What each package carries, read with the county's key: {package id: {(entity, id)}}."""
    out = {}
    for path in paths:
        reader = PackageReader(path)
        header = reader.verify(reader.frame.sender_public)
        out[header["package_id"]] = {(e["entity"], e["id"]) for e in reader.records(keys.box.private)}
    return out


def _kill_during_import(url: str, paths: list[Path], delay: float) -> list[str]:
    child = subprocess.Popen([sys.executable, "-m", "tests.county_crash_importer", url, *map(str, paths)],
                             cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ})
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    return child.stdout.read().decode().split("\n")


def _wait_for_dead_backends(engine) -> None:
    """The killed client's server process rolls back once it notices the socket is gone."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            others = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar()
        if not others:
            return
        time.sleep(0.05)
    raise AssertionError("the killed importer's database session did not end")


def _assert_whole_packages(engine, carried: dict[str, set], order: list[str]) -> int:
    """Returns how many packages are in; fails on any partial package."""
    packages = imported_packages(engine)
    assert set(packages.values()) <= {"imported"}, packages
    done = [pid for pid in order if pid in packages]
    assert done == order[:len(done)], "packages landed out of order"
    expected = set().union(*(carried[pid] for pid in done)) if done else set()
    assert set(records_state(engine)) == expected, "records of a package that is not (wholly) in"
    with engine.connect() as conn:
        last = conn.execute(select(Device.last_number)).scalar()
        reports = conn.execute(select(Package.report).where(Package.status == "imported")).scalars().all()
    assert (last or 0) == len(done) and all(reports)
    return len(done)


def test_kill_9_mid_import_leaves_no_partial_package(tmp_path, county, county_db_url):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        fill_store(store, 2000)  # about 24,000 change-log entries
        pack_pending(store, max_entries=4000)
        paths = outbox_files(store, tmp_path / "usb")
    finally:
        store.close()
    assert len(paths) >= 5
    carried = _entry_keys(paths, keys)
    order = list(carried)
    rng = random.Random(11)
    progress, mid_package = [], 0
    for _ in range(8):
        lines = _kill_during_import(county_db_url, paths, rng.uniform(0.05, 0.35))
        _wait_for_dead_backends(engine)
        progress.append(_assert_whole_packages(engine, carried, order))
        started = [line for line in lines if line.startswith("start")]
        finished = [line for line in lines if line.startswith("done")]
        mid_package += len(started) > len(finished)
        if progress[-1] == len(paths):
            break
    assert mid_package >= 2, f"the kills did not land inside a package; the test proved nothing ({progress})"
    reports = import_files(engine, keys, paths)
    assert [r.status for r in reports].count("already_imported") == progress[-1]
    assert all(r.status in ("imported", "already_imported") for r in reports)
    assert _assert_whole_packages(engine, carried, order) == len(paths)
    with twin_county(engine) as clean:
        assert all(r.status == "imported" for r in import_files(clean, keys, paths))
        assert records_state(engine) == records_state(clean)
        assert imported_packages(engine) == imported_packages(clean)
