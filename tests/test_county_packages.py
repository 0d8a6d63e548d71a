"""Packages bound to their device (issue 12, item 2): keyed by (device, number), revocation discards
held packages, every header field typed and bounded, the held-release race settled by the database.
Real PostgreSQL, real stores and sealed packages; the CLI in a subprocess, the server in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fupin_desktop.county.devices import revoke_device
from fupin_desktop.county.held import held_packages, release_held
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.model import Device, Package
from fupin_desktop.county.server import create_app
from fupin_desktop.sync.package import PackageReader

from .conftest import COUNTY_PASSPHRASE
from .sync_forge import entries, forge_from
from .sync_support import (
    add_household,
    county_snapshot,
    edit,
    export,
    make_device,
    record,
    send_ack,
    states,
)
from alembic import command
from sqlalchemy import text
from fupin_desktop.county import db
from fupin_desktop.county.db import open_county_db

ROOT = Path(__file__).resolve().parent.parent


def _package_id(path: Path) -> str:
    return json.loads(PackageReader(path).frame.header_bytes)["package_id"]


def _four_packages(store, tmp_path: Path) -> tuple[str, list[Path]]:
    hh = add_household(store)
    export(store, tmp_path / "c1")
    for n, phone in enumerate(("13900000002", "13900000003", "13900000004"), start=2):
        edit(store, hh, phone=phone)
        export(store, tmp_path / f"c{n}")
    return hh, sorted((tmp_path / "c4").glob("*.fupinpkg"))


def test_another_device_cannot_hijack_a_held_package_id(tmp_path, county):
    """The issue's hijack: B reuses the id of C's held package #3. C's held data stays, #3 and #4 are applied."""
    engine, keys = county
    c, b = make_device(tmp_path, "C机", engine, keys), make_device(tmp_path, "B机", engine, keys)
    try:
        hh, (p1, p2, p3, p4) = _four_packages(c, tmp_path)
        assert import_file(engine, keys, p1)[0].status == "imported"
        assert [import_file(engine, keys, p)[0].status for p in (p3, p4)] == ["held", "held"]
        stolen = _package_id(p3)
        for number in (1, 3):  # B's own first package, and one numbered like C's held one
            forged = forge_from(b, tmp_path / f"b{number}.fupinpkg", number=number, package_id=stolen,
                                records=entries(b.device_id, 1, start=number))
            assert import_file(engine, keys, forged)[0].status in ("imported", "held")
        with engine.connect() as conn:
            assert [(r.device_id, r.number) for r in held_packages(conn)] == sorted(
                [(c.device_id, 3), (c.device_id, 4), (b.device_id, 3)])
        reports = import_file(engine, keys, p2)
        assert [r.status for r in reports] == ["imported", "imported", "imported"]
        assert record(engine, "household", hh)["phone"] == "13900000004"
        send_ack(engine, keys, c, tmp_path / "acks")
        assert set(states(c)) == {"已确认"}
    finally:
        c.close()
        b.close()


def test_revocation_discards_held_packages_and_release_refuses_them(tmp_path, county, county_db_url):
    engine, keys = county
    c = make_device(tmp_path, "C机", engine, keys)
    try:
        _, (p1, _, p3, _) = _four_packages(c, tmp_path)
        import_file(engine, keys, p1)
        assert import_file(engine, keys, p3)[0].status == "held"
        revoke_device(engine, c.device_id[:8])
        with engine.connect() as conn:
            assert held_packages(conn) == []
            row = conn.execute(select(Package.status, Package.data).where(Package.number == 3)).one()
        assert row.status == "discarded" and row.data is None
        before = county_snapshot(engine)
        report = release_held(engine, keys, c.device_id, 3)
        assert report.status == "rejected" and report.messages[-1]["code"] == "REVOKED_DEVICE"
        assert county_snapshot(engine) == before
        done = _cli(["county", "release", f"{c.device_id[:8]}:3", "--db-url", county_db_url])
        assert done.returncode != 0 and "已被注销" in done.stdout + done.stderr, done
        assert "Traceback" not in done.stderr
    finally:
        c.close()


MALFORMED = {
    "number_2_31": {"number": 2**31},
    "seq_2_40": {"seq_from": 2**40, "seq_to": 2**40},
    "long_package_id": {"package_id": "a" * 33},
    "package_id_newline": {"package_id": "a" * 32 + "\n"},
    "counts_list": {"counts": [1, 2]},
    "number_text": {"number": "2"},
    "number_bool": {"number": True},
    "negative_ack": {"acked_through": -1},
    "village_number": {"village_code": 520102003004},
    "seq_backwards": {"seq_from": 5, "seq_to": 2},
    "box_key_object": {"device_box_key": {"x": 1}},
}
MISSING = ("number", "county_id", "device_id", "village_code")


def _malformed(store, folder: Path) -> dict[str, Path]:
    folder.mkdir()
    paths = {name: forge_from(store, folder / f"{name}.fupinpkg", **{"number": 2, **extra})
             for name, extra in MALFORMED.items()}
    for key in MISSING:
        paths[f"missing_{key}"] = forge_from(store, folder / f"missing_{key}.fupinpkg", number=2, drop=(key,))
    return paths


@pytest.fixture
def registered(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    import_file(engine, keys, forge_from(store, tmp_path / "first.fupinpkg", records=entries(store.device_id, 1)))
    yield store
    store.close()


def test_malformed_headers_are_clean_refusals_over_http(tmp_path, county, registered):
    engine, keys = county
    before = county_snapshot(engine)
    client = TestClient(create_app(engine, keys), raise_server_exceptions=False)
    for name, path in _malformed(registered, tmp_path / "bad").items():
        answer = client.post("/api/v1/packages", content=path.read_bytes(),
                             headers={"Content-Type": "application/octet-stream"})
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["code"] == "BAD_HEADER" and "头部" in answer.json()["message"], name
    assert county_snapshot(engine) == before


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUPIN_COUNTY_PASSWORD": COUNTY_PASSPHRASE}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_malformed_headers_are_clean_refusals_on_the_cli(tmp_path, county, county_db_url, registered):
    engine, _ = county
    before = county_snapshot(engine)
    paths = _malformed(registered, tmp_path / "bad")
    done = _cli(["county", "import", str(tmp_path / "bad"), "--json", "--db-url", county_db_url])
    assert done.returncode == 8 and "Traceback" not in done.stderr, done.stderr
    reports = json.loads(done.stdout)
    assert len(reports) == len(paths)
    for report in reports:
        assert report["status"] == "rejected" and report["messages"][0]["code"] == "BAD_HEADER", report
        assert "变更包头部" in report["messages"][0]["message"]
    assert county_snapshot(engine) == before


def test_two_uploads_racing_to_release_a_held_package_never_reject(tmp_path, county):
    """100 rounds: package 2k+1 is held, then package 2k arrives twice at once (a device retrying while
    its first upload is still running). Both uploads release 2k+1; neither may come back rejected."""
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        import_file(engine, keys, forge_from(store, tmp_path / "p1.fupinpkg", records=entries(store.device_id, 1)))
        for k in range(1, 101):
            even, odd = (forge_from(store, tmp_path / f"p{n}.fupinpkg", number=n,
                                    records=entries(store.device_id, 1, start=n))
                         for n in (2 * k, 2 * k + 1))
            assert import_file(engine, keys, odd)[0].status == "held"
            results: list[list] = []

            def upload(path: Path = even, out: list[list] = results) -> None:
                out.append(import_file(engine, keys, path))

            threads = [threading.Thread(target=upload) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses = [r.status for batch in results for r in batch]
            assert "rejected" not in statuses, [r.as_dict() for batch in results for r in batch]
            assert sorted(batch[0].status for batch in results) == ["already_imported", "imported"]
        with engine.connect() as conn:
            assert conn.execute(select(Device.last_number)).scalar_one() == 201
            assert held_packages(conn) == []
    finally:
        store.close()


def _old_county(url: str) -> None:
    """A county database as the previous release left it (schema c0001): global package ids, a hijacked
    (device, number) twice, a revoked device's held package."""


    engine = db.make_county_engine(url, COUNTY_PASSPHRASE)
    config = db._config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "c0001")
        device = "INSERT INTO device (id, village_code, label, sign_key, box_key, status, enrolled_at, last_number, " \
                 "last_hash, ack_number, acked_through) VALUES (:id, '520102003004', :id, '', '', :s, '', 1, '', 0, 0)"
        conn.execute(text(device), [{"id": "c" * 32, "s": "active"}, {"id": "r" * 32, "s": "revoked"}])
        package = "INSERT INTO package (package_id, device_id, number, seq_from, seq_to, sha256, status, entries, " \
                  "received_at, data) VALUES (:p, :d, :n, 1, 1, '', :s, 1, :at, :data)"
        conn.execute(text(package), [
            {"p": "p1", "d": "c" * 32, "n": 1, "s": "imported", "at": "2026-01-01", "data": None},
            {"p": "p3-old", "d": "c" * 32, "n": 3, "s": "held", "at": "2026-01-02", "data": b"old"},
            {"p": "p3-new", "d": "c" * 32, "n": 3, "s": "held", "at": "2026-01-03", "data": b"new"},
            {"p": "r2", "d": "r" * 32, "n": 2, "s": "held", "at": "2026-01-02", "data": b"r"}])
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_an_existing_county_database_is_upgraded(tmp_path, county_db_url, backend):
    url = county_db_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'county.db'}"
    _old_county(url)
    engine = open_county_db(url, COUNTY_PASSPHRASE)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Package.device_id, Package.number, Package.package_id, Package.status,
                                       Package.hold_code).order_by(Package.device_id, Package.number)).all()
        assert [tuple(r) for r in rows] == [("c" * 32, 1, "p1", "imported", None),
                                            ("c" * 32, 3, "p3-new", "held", "HELD_GAP"),
                                            ("r" * 32, 2, "r2", "discarded", "REVOKED_DEVICE")]
    finally:
        engine.dispose()
