"""Every bad package is refused with its own stable code and a Chinese message, and the county
database is left exactly as it was (a real PostgreSQL; see conftest.county)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text, update

from fupin_desktop.county.acks import write_acks
from fupin_desktop.county.caps import set_cap
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.devices import revoke_device
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.county.model import Enrollment
from fupin_desktop.sync import crypto
from fupin_desktop.sync.package import Limits, PackageReader

from .conftest import COUNTY_PASSPHRASE
from .sync_forge import entries, forge, forge_from
from .sync_support import add_household, county_snapshot, export, import_all, make_device

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
_FRAME = 66  # magic, format, suite, kind, pad, sender id, sender key, header length


@pytest.fixture
def village(tmp_path: Path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    yield store
    store.close()


def rejected(engine, keys, path: Path, limits: Limits | None = None) -> str:
    """Import ``path``; it must be refused, alone, with a Chinese message and nothing written."""
    before = county_snapshot(engine)
    reports = import_file(engine, keys, path, limits)
    assert len(reports) == 1
    [report] = reports
    assert report.status == "rejected", report.as_dict()
    assert report.counts.rejected == 1 and report.counts.created == report.counts.updated == 0
    [message] = report.messages
    assert CHINESE.search(message["message"]), message
    assert county_snapshot(engine) == before, f"{message['code']}: the county database was written"
    return message["code"]


def first_package(village, tmp_path: Path) -> Path:
    add_household(village)
    [package] = export(village, tmp_path / "usb")
    return package


def _flipped(package: Path, offset: int, out: Path) -> Path:
    data = bytearray(package.read_bytes())
    data[offset] ^= 0x5A
    out.write_bytes(bytes(data))
    return out


def _header_length(package: Path) -> int:
    return int.from_bytes(package.read_bytes()[_FRAME - 4:_FRAME], "big")


@pytest.mark.parametrize("registered", [False, True], ids=["first-package", "registered-device"])
def test_flipped_byte_in_header_payload_or_signature(tmp_path, county, village, registered):
    engine, keys = county
    package = first_package(village, tmp_path)
    if registered:  # the device is known: its second package, checked against its registered key
        import_all(engine, keys, [package])
        add_household(village, hh_no="5201020030040002")
        package = export(village, tmp_path / "usb2")[-1]
    size, header = package.stat().st_size, _header_length(package)
    places = {"header": _FRAME + header // 2, "payload": _FRAME + header + 5 + (size - _FRAME - header - 64) // 2,
              "signature": size - 30}
    for where, offset in places.items():
        code = rejected(engine, keys, _flipped(package, offset, tmp_path / f"bad-{where}.fupinpkg"))
        assert code == "BAD_SIGNATURE", where
    # The untouched package still imports: the rejections did not poison anything.
    assert import_file(engine, keys, package)[0].status == "imported"


def test_flipped_byte_anywhere_is_refused(tmp_path, county, village):
    engine, keys = county
    package = first_package(village, tmp_path)
    size = package.stat().st_size
    rng = random.Random(5)
    offsets = sorted({*range(0, _FRAME, 3), *rng.sample(range(_FRAME, size), 25)})
    codes = {}
    for offset in offsets:
        codes[offset] = rejected(engine, keys, _flipped(package, offset, tmp_path / f"flip-{offset}.fupinpkg"))
    assert codes[0] == "NOT_A_PACKAGE" and codes[9] == "UNSUPPORTED_VERSION"
    assert set(codes.values()) <= {"NOT_A_PACKAGE", "UNSUPPORTED_VERSION", "UNSUPPORTED_SUITE", "NOT_CHANGES",
                                   "TOO_LARGE", "TRUNCATED", "BAD_SIGNATURE"}
    assert import_file(engine, keys, package)[0].status == "imported"


def test_truncated_file_at_several_cut_points(tmp_path, county, village):
    engine, keys = county
    # Two chunks of sealed payload, so that one cut falls exactly on a chunk boundary.
    package = forge_from(village, tmp_path / "big.fupinpkg", records=entries(village.device_id, 300, pad=1500))
    data = package.read_bytes()
    header = _header_length(package)
    first_chunk_end = _FRAME + header + 5 + int.from_bytes(data[_FRAME + header + 1:_FRAME + header + 5], "big")
    assert first_chunk_end < len(data) - 64 - 5, "the forged package has a single chunk"
    cuts = [3, 40, _FRAME, _FRAME + header // 2, _FRAME + header + 2, first_chunk_end, first_chunk_end + 1000,
            len(data) - 64, len(data) - 1]
    for cut in cuts:
        (tmp_path / "cut.fupinpkg").write_bytes(data[:cut])
        assert rejected(engine, keys, tmp_path / "cut.fupinpkg") == "TRUNCATED", cut
    assert import_file(engine, keys, package)[0].counts.created == 300


def test_package_for_another_county(tmp_path, county):
    engine, keys = county
    other_engine = open_county_db(f"sqlite:///{tmp_path / 'other.db'}", COUNTY_PASSPHRASE)
    other = init_county(other_engine, name="邻县", passphrase=COUNTY_PASSPHRASE)
    stranger = make_device(tmp_path, "邻县机", other_engine, other)
    try:
        add_household(stranger)
        [package] = export(stranger, tmp_path / "usb")
        assert rejected(engine, keys, package) == "WRONG_COUNTY"
        assert import_file(other_engine, other, package)[0].status == "imported"  # it is fine where it belongs
    finally:
        stranger.close()
        other_engine.dispose()


def test_unknown_device_without_a_valid_enrollment(tmp_path, county, village):
    engine, keys = county
    stranger = crypto.new_signing_key()
    base = {"county_id": keys.county_id, "county_box": keys.box.public, "sign": stranger,
            "records": list(entries("f" * 32, 3))}
    no_token = forge(tmp_path / "a.fupinpkg", device_id="f" * 32, **base)
    made_up = forge(tmp_path / "b.fupinpkg", device_id="e" * 32, token="not-a-real-token", **base)
    assert rejected(engine, keys, no_token) == "UNKNOWN_DEVICE"
    assert rejected(engine, keys, made_up) == "UNKNOWN_DEVICE"
    # A token that was already used by the village's device cannot enroll a second one.
    import_all(engine, keys, [first_package(village, tmp_path)])
    reused = forge(tmp_path / "c.fupinpkg", device_id="d" * 32, token=json.loads(
        (tmp_path / "一号机.fupinenroll").read_text("utf-8"))["token"], **base)
    assert rejected(engine, keys, reused) == "UNKNOWN_DEVICE"
    # A stranger who copies a registered device's id is caught by its key.
    copied = forge(tmp_path / "d.fupinpkg", device_id=village.device_id, number=2, **base)
    assert rejected(engine, keys, copied) == "UNKNOWN_KEY"


def test_revoked_device(tmp_path, county, village):
    engine, keys = county
    import_all(engine, keys, [first_package(village, tmp_path)])
    revoke_device(engine, village.device_id)
    add_household(village, hh_no="5201020030040002")
    package = export(village, tmp_path / "usb2")[-1]
    assert rejected(engine, keys, package) == "REVOKED_DEVICE"


def test_expired_enrollment(tmp_path, county, village):
    engine, keys = county
    with engine.begin() as conn:
        conn.execute(update(Enrollment).values(
            expires=(datetime.now(timezone.utc) - timedelta(days=1)).isoformat(timespec="seconds")))
    assert rejected(engine, keys, first_package(village, tmp_path)) == "ENROLLMENT_EXPIRED"


def test_oversized_file(tmp_path, county, village):
    engine, keys = county
    package = first_package(village, tmp_path)
    assert rejected(engine, keys, package, Limits(package_bytes=package.stat().st_size - 1)) == "TOO_LARGE"
    assert import_file(engine, keys, package, Limits(package_bytes=package.stat().st_size))[0].status == "imported"


def test_decompression_bomb(tmp_path, county, village):
    engine, keys = county
    # 40 MB of zeros in one properly signed and sealed package of a few tens of kilobytes.
    line = b'{"pad":"' + b"0" * (40 * 1024 * 1024) + b'"}'
    bomb = forge_from(village, tmp_path / "bomb.fupinpkg", records=[line])
    assert bomb.stat().st_size < len(line) // 500
    assert rejected(engine, keys, bomb, Limits(payload_bytes=8 * 1024 * 1024)) == "PAYLOAD_TOO_LARGE"
    # One line over the per-record limit, even inside the payload limit, is refused too.
    assert rejected(engine, keys, bomb, Limits(record_bytes=4 * 1024 * 1024)) == "RECORD_TOO_LARGE"


def test_not_a_package_at_all(tmp_path, county):
    engine, keys = county
    samples = {"empty.fupinpkg": b"", "text.fupinpkg": "这是一份说明文字\n".encode() * 50,
               "zip.fupinpkg": b"PK\x03\x04" + bytes(200), "noise.fupinpkg": random.Random(1).randbytes(5000)}
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
        assert rejected(engine, keys, tmp_path / name) == "NOT_A_PACKAGE", name
    assert rejected(engine, keys, tmp_path / "missing.fupinpkg") == "UNREADABLE"


def test_acknowledgment_given_to_the_importer(tmp_path, county, village):
    engine, keys = county
    import_all(engine, keys, [first_package(village, tmp_path)])
    [ack] = write_acks(engine, keys, {village.device_id}, tmp_path / "acks")
    assert rejected(engine, keys, ack) == "NOT_CHANGES"


def test_cli_import_of_bad_files_reports_codes_as_json(tmp_path, county, county_db_url, village):
    engine, keys = county
    good = first_package(village, tmp_path)
    bad = _flipped(good, good.stat().st_size - 10, tmp_path / "bad.fupinpkg")
    (tmp_path / "junk.fupinpkg").write_bytes(b"hello")
    before = county_snapshot(engine)
    result = subprocess.run(
        [sys.executable, "main.py", "county", "import", str(bad), str(tmp_path / "junk.fupinpkg"), "--json",
         "--db-url", county_db_url], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "FUPIN_COUNTY_PASSWORD": COUNTY_PASSPHRASE})
    assert result.returncode == 8, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    reports = json.loads(result.stdout)
    assert [(r["status"], r["messages"][0]["code"]) for r in reports] == [
        ("rejected", "BAD_SIGNATURE"), ("rejected", "NOT_A_PACKAGE")]
    assert all(CHINESE.search(r["messages"][0]["message"]) for r in reports)
    assert county_snapshot(engine) == before
    # The plain-text report names each file and its code.
    plain = subprocess.run(
        [sys.executable, "main.py", "county", "import", str(bad), "--db-url", county_db_url], cwd=ROOT,
        capture_output=True, text=True, timeout=120, env={**os.environ, "FUPIN_COUNTY_PASSWORD": COUNTY_PASSPHRASE})
    assert plain.returncode == 8 and "bad.fupinpkg：被拒绝" in plain.stdout and "[BAD_SIGNATURE]" in plain.stdout
    assert "Traceback" not in plain.stderr


def test_snapshot_sees_writes(tmp_path, county, village):
    """The "nothing written" checks above can fail: an accepted package does change the snapshot."""
    engine, keys = county
    before = county_snapshot(engine)
    assert import_file(engine, keys, first_package(village, tmp_path))[0].status == "imported"
    assert county_snapshot(engine) != before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM record")).scalar() > 0


def test_a_flood_of_bad_entries_is_counted_not_kept(tmp_path, county, village):
    """One bad record must not block the rest, and a million of them must not fill the importer's memory."""
    engine, keys = county
    with engine.begin() as conn:  # past the default cap the package would be held (tests/test_county_scope.py)
        set_cap(conn, "entries_per_package", 100_000)
    good = list(entries(village.device_id, 5))
    flood = forge_from(village, tmp_path / "flood.fupinpkg", records=[b"{}"] * 60_000 + good)
    [report] = import_file(engine, keys, flood)
    assert report.status == "imported" and report.counts.created == 5 and report.counts.rejected == 60_000
    bad = [m for m in report.messages if m["code"] == "BAD_ENTRY"]
    assert len(bad) == 1_000 and len(report.messages) <= 1_001  # and "新设备已登记"


def test_a_forged_chain_of_tiny_chunks_is_refused_before_the_signature(tmp_path, county, village):
    """The chunk walk before the signature check is bounded: short non-final chunks are refused at once."""
    engine, keys = county
    package = first_package(village, tmp_path)
    data = package.read_bytes()
    start = _FRAME + _header_length(package)
    tiny = b"".join(b"\x00\x00\x00\x00\x00" for _ in range(200_000))  # 200,000 empty chunks, none the last
    (tmp_path / "tiny.fupinpkg").write_bytes(data[:start] + tiny + data[start:])
    assert rejected(engine, keys, tmp_path / "tiny.fupinpkg") == "TRUNCATED"


def test_a_copied_usb_stick_cannot_enroll_someone_elses_key(tmp_path, county):
    """The first package carries a proof bound to the device's keys, never the token itself."""
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        token = json.loads((tmp_path / "一号机.fupinenroll").read_text("utf-8"))["token"]
        add_household(store)
        [package] = export(store, tmp_path / "usb")
        assert token.encode() not in package.read_bytes()
        stolen = PackageReader(package).frame.header_bytes
        header = json.loads(stolen)
        thief = crypto.new_signing_key()
        forged = forge(tmp_path / "thief.fupinpkg", county_id=keys.county_id, county_box=keys.box.public,
                       sign=thief, device_id="c" * 32, box_public=crypto.unb64(header["device_box_key"]),
                       enrollment_ref=header["enrollment_ref"], enrollment_proof=header["enrollment_proof"])
        assert rejected(engine, keys, forged) == "UNKNOWN_DEVICE"
        assert import_file(engine, keys, package)[0].status == "imported"  # the real laptop still enrolls
    finally:
        store.close()
