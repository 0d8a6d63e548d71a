"""Down packages that must not be applied (forged, foreign, for another device, replayed, truncated, out of
order, from a newer schema) leave the laptop's store unchanged with a Chinese message (the last two are
kept for later, sync/held_down.py); and packages going
up from a newer program are held at the county, never trimmed (issue 13, item 5)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from fupin_desktop.county.down import export_down
from fupin_desktop.county.held import held_packages
from fupin_desktop.county.importer import import_file
from fupin_desktop.sync import crypto, held_down
from fupin_desktop.sync.device import device_keys, get_meta, schema_revision
from fupin_desktop.sync.down import apply_down
from fupin_desktop.sync.package import (
    Kind,
    PackageError,
    PackageReader,
    canonical,
    write_package,
)
from fupin_desktop.sync.receipts import refusal_reason

from .down_support import laptop, store_dump
from .sync_support import add_household, edit, export, record, send_ack, states


def _round(engine, keys, tmp: Path, *stores) -> dict[str, list[Path]]:
    for store in stores:
        for path in export(store, tmp / "up"):
            import_file(engine, keys, path)
    paths = export_down(engine, keys, tmp / "down")
    return {s.device_id: [p for p in paths if s.device_id[:8] in p.parent.name] for s in stores}


@pytest.fixture
def two(tmp_path, county):
    engine, keys = county
    a, b = laptop(tmp_path, "一号机", engine, keys), laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a)
    _round(engine, keys, tmp_path / "r1", a, b)
    edit(a, hh, phone="13900000009")
    down = _round(engine, keys, tmp_path / "r2", a, b)
    yield a, b, down
    a.close()
    b.close()


def _refused(store, path: Path, code: str) -> PackageError:
    before = store_dump(store)
    with pytest.raises(PackageError) as caught:
        apply_down(store, path)
    assert caught.value.code == code and "没有" in caught.value.message  # says nothing was changed
    assert store_dump(store) == before
    return caught.value


def _sealed(tmp: Path, name: str, *, sender: str, sign: crypto.KeyPair, box_public: bytes, header: dict,
            records: list[dict]) -> Path:
    path = tmp / name
    with open(path, "wb") as fh:
        write_package(fh, kind=Kind.DOWN, sender_id=sender, signing_private=sign.private, signing_public=sign.public,
                      recipient_public=box_public, header=header, records=[canonical(r) for r in records])
    return path


def test_bad_down_packages_change_nothing_and_say_why(tmp_path, county, two):
    _, keys = county
    a, b, down = two
    first, second = down[b.device_id]
    before = store_dump(b)
    assert "缺少第 1 个下发包" in apply_down(b, second).held  # out of order: kept for later, nothing applied
    assert store_dump(b) == before
    raw = bytearray(first.read_bytes())
    raw[len(raw) // 2] ^= 1
    (tmp_path / "forged.fupindown").write_bytes(bytes(raw))
    _refused(b, tmp_path / "forged.fupindown", "BAD_SIGNATURE")
    (tmp_path / "cut.fupindown").write_bytes(first.read_bytes()[: first.stat().st_size // 2])
    _refused(b, tmp_path / "cut.fupindown", "TRUNCATED")
    _refused(b, down[a.device_id][0], "NOT_FOR_THIS_DEVICE")
    with b.engine.connect() as conn:
        box = device_keys(conn).box.public
    header = {"kind": "down", "county_id": keys.county_id, "device_id": b.device_id, "number": 1, "prev_hash": ""}
    stranger = crypto.new_signing_key()
    _refused(b, _sealed(tmp_path, "imposter.fupindown", sender=keys.county_id, sign=stranger, box_public=box,
                        header=header, records=[]), "WRONG_COUNTY")
    other = uuid.uuid4().hex
    _refused(b, _sealed(tmp_path, "foreign.fupindown", sender=other, sign=stranger, box_public=box,
                        header={**header, "county_id": other}, records=[]), "WRONG_COUNTY")
    assert apply_down(b, first).released == [2]  # the held one follows at once
    applied = store_dump(b)
    assert apply_down(b, first).already and store_dump(b) == applied  # a replay changes nothing
    assert apply_down(b, second).already and store_dump(b) == applied


def test_a_down_package_from_a_newer_county_program_waits_for_an_upgrade(tmp_path, county, two):
    _, keys = county
    _, b, down = two
    apply_down(b, down[b.device_id][0])
    with b.engine.connect() as conn:
        box, prev = device_keys(conn).box.public, get_meta(conn, "sync.down_hash")
    header = {"kind": "down", "county_id": keys.county_id, "device_id": b.device_id, "number": 2,
              "prev_hash": prev, "schema": "9999_newer"}
    path = _sealed(tmp_path, "newer.fupindown", sender=keys.county_id, sign=keys.sign, box_public=box,
                   header=header, records=[{"type": "record", "entity": "household", "id": "x" * 32,
                                            "data": {"wechat": "zs01"}}])
    before = store_dump(b)
    held = apply_down(b, path)  # held, not refused and not trimmed: the unknown field is never read
    assert "本机程序版本较旧，请升级" in held.held and "第 2 个下发包" in held.held
    assert store_dump(b) == before and held_down.held_numbers(b) == [2]


def _resealed(store, keys, package: Path, out: Path, *, schema: str | None, extra: dict) -> Path:
    """The device's own package as a newer program would write it: a field more in its update entries."""
    reader = PackageReader(package)
    header = dict(reader.verify(reader.frame.sender_public))
    entries = list(reader.records(keys.box.private))
    for entry in entries:
        if entry["op"] == "update":
            entry["fields"].update({k: [None, v] for k, v in extra.items()})
    for key in ("format", "ephemeral_key", "nonce_prefix", "payload"):
        header.pop(key)
    header["schema"] = schema
    with store.engine.connect() as conn:
        device = device_keys(conn)
    with open(out, "wb") as fh:
        write_package(fh, kind=Kind.CHANGES, sender_id=store.device_id, signing_private=device.sign.private,
                      signing_public=device.sign.public, recipient_public=keys.box.public, header=header,
                      records=[canonical(e) for e in entries])
    return out


def _edited_phone(tmp_path, engine, keys):
    """A laptop whose household reached the county, then had its phone changed: the package carrying it."""
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a)
    [first] = export(a, tmp_path / "u1")
    import_file(engine, keys, first)
    edit(a, hh, phone="13900000009")
    return a, hh, export(a, tmp_path / "u2")[-1]  # package 1 is still unconfirmed: it is written again


def test_a_package_from_a_newer_schema_is_held_at_the_county_not_trimmed(tmp_path, county):
    engine, keys = county
    a, hh, package = _edited_phone(tmp_path, engine, keys)
    newer = _resealed(a, keys, package, tmp_path / "newer.fupinpkg", schema="9999_newer", extra={"wechat": "zs01"})
    [report] = import_file(engine, keys, newer)
    assert report.status == "held" and report.messages[0]["code"] == "HELD_SCHEMA"
    assert "县级程序版本较旧，请升级" in report.messages[0]["message"]
    with engine.connect() as conn:
        assert [h.number for h in held_packages(conn)] == [2]
    assert record(engine, "household", hh)["phone"] != "13900000009"  # nothing applied, nothing dropped
    a.close()


def test_an_unknown_field_is_refused_with_its_entry_and_never_shown_confirmed(tmp_path, county):
    engine, keys = county
    a, hh, package = _edited_phone(tmp_path, engine, keys)
    same_schema = _resealed(a, keys, package, tmp_path / "odd.fupinpkg", schema=schema_revision(),
                             extra={"wechat": "zs01"})
    [report] = import_file(engine, keys, same_schema)
    assert report.status == "imported" and report.counts.rejected == 1
    assert record(engine, "household", hh)["phone"] != "13900000009"
    send_ack(engine, keys, a, tmp_path / "acks")
    with a.engine.connect() as conn:
        seq = conn.execute(text("SELECT seq FROM change_log WHERE op = 'update' "
                                "AND fields LIKE '%13900000009%'")).scalar()
        state = conn.execute(text("SELECT sync_state FROM change_log WHERE seq = :s"), {"s": seq}).scalar()
        reason = refusal_reason(conn, seq)
    assert state == "被拒" and reason is not None and "UNKNOWN_FIELD" in reason and "wechat" in reason
    assert states(a).get("被拒") == 1
    a.close()
