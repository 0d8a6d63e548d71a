"""Packages made by hand for the rejection, crash, server tests and the sync benchmark: signed with a
real device's key (or a stranger's), with synthetic change-log entries, and busy village stores."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

from fupin_desktop.clock import format_hlc
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.model import CountyMeta, Enrollment, Package, Record
from fupin_desktop.model import SyncOutbox
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.sync import crypto
from fupin_desktop.sync.device import device_keys
from fupin_desktop.sync.enrollment import proof_header
from fupin_desktop.sync.package import Kind, canonical, seal_to_file

from .factories import household

VILLAGE = "520102003004"


def entries(device_id: str, count: int, *, start: int = 1, pad: int = 0, village: str = VILLAGE) -> Iterator[bytes]:
    """``count`` household inserts as a device's change log would carry them; ``pad`` adds random text."""
    wall = int(time.time() * 1000)
    for i in range(start, start + count):
        hh = uuid.uuid4().hex
        fields: dict[str, Any] = {"village_code": [None, village], "group_name": [None, f"第{i % 9 + 1}组"],
                                  "address": [None, f"第{i % 9 + 1}组{i}号" + (secrets.token_hex(pad) if pad else "")],
                                  "phone": [None, f"138{i:08d}"]}
        yield canonical({"seq": i, "tx": f"t{i}", "entity": "household", "id": hh, "op": "insert",
                         "hlc": format_hlc(wall, i, device_id), "user": "admin", "at": "2026-01-01T00:00:00+00:00",
                         "hh": hh, "fields": fields})


def forge(path: Path, *, county_id: str, county_box: bytes, sign: crypto.KeyPair, device_id: str,
          number: int = 1, records: Iterable[bytes] = (), village: str = VILLAGE, token: str | None = None,
          box_public: bytes | None = None, kind: Kind = Kind.CHANGES, drop: tuple[str, ...] = (),
          **extra: Any) -> Path:
    box_public = box_public or crypto.new_box_key().public
    header: dict[str, Any] = {"kind": "changes", "county_id": county_id, "device_id": device_id,
                              "village_code": village, "number": number, "seq_from": 1, "seq_to": 1, "prev_hash": "",
                              "counts": {"entries": 0}, "acked_through": 0,
                              "device_box_key": crypto.b64(box_public), **extra}
    if token is not None:
        header.update(proof_header(token, device_id, sign.public, box_public))
    for key in drop:  # a signed header with a field missing
        header.pop(key, None)
    seal_to_file(path, kind=kind, sender_id=device_id, signing_private=sign.private, signing_public=sign.public,
                 recipient_public=county_box, header=header, records=records)
    return path


def forge_from(store: Store, path: Path, *, number: int = 1, records: Iterable[bytes] = (), **kw: Any) -> Path:
    """A package signed with ``store``'s own device key, carrying its enrollment token."""
    with store.engine.connect() as conn:
        keys = device_keys(conn)
    args = {"county_id": keys.county.county_id, "county_box": crypto.unb64(keys.county.box_key), "sign": keys.sign,
            "device_id": store.device_id, "number": number, "records": records, "village": store.village_code,
            "token": keys.county.token, "box_public": keys.box.public, **kw}
    return forge(path, **args)


def fill_store(store: Store, households: int, *, batch: int = 200, prefix: str = "") -> None:
    """Register ``households`` households (about a dozen change-log entries each) in batches."""
    village = store.village_code
    done = 0
    while done < households:
        n = min(batch, households - done)
        bundles = [household(head=f"王{done + i}", village=village, hh_no=f"{village}{prefix}{done + i:05d}",
                             extra_members=(done + i) % 4) for i in range(n)]
        with unit_of_work(store, check=False) as uow:
            create_households(uow, bundles, trusted=True)
        done += n


def records_state(engine: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The county's records without the import time: what a clean import must equal."""
    t = Record.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.entity, t.c.entity_id, t.c.household_id, t.c.village_code, t.c.data,
                                   t.c.versions, t.c.deleted)).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def imported_packages(engine: Any) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Package.package_id, Package.status)).all())


@contextmanager
def twin_county(engine: Any) -> Iterator[Any]:
    """A second, fresh PostgreSQL county database holding the same county keys as ``engine``'s: the place
    for a clean import to compare against."""
    admin_url = os.environ["FUPIN_TEST_PG_URL"]
    name = f"fupin_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    twin = open_county_db(admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        with engine.connect() as conn:
            meta = [dict(r._mapping) for r in conn.execute(select(CountyMeta.key, CountyMeta.value))]
            tokens = [{**r._mapping, "device_id": None} for r in conn.execute(select(Enrollment.__table__))]
        with twin.begin() as conn:
            conn.execute(insert(CountyMeta), meta)
            if tokens:  # the same enrollment files, not yet used
                conn.execute(insert(Enrollment), tokens)
        yield twin
    finally:
        twin.dispose()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                              "AND usename = current_user"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def outbox_files(store: Store, folder: Path) -> list[Path]:
    """Every package in ``store``'s outbox, as files in ``folder`` (in order)."""
    folder.mkdir(parents=True, exist_ok=True)
    with store.engine.connect() as conn:
        rows = conn.execute(select(SyncOutbox.number, SyncOutbox.data).order_by(SyncOutbox.number)).all()
    paths = []
    for number, data in rows:
        path = folder / f"{number:06d}.fupinpkg"
        path.write_bytes(data)
        paths.append(path)
    return paths
