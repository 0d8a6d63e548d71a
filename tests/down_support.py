"""Three laptops and a county for down-sync tests: two of one village, a township clerk's, all enrolled."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, text

from fupin_desktop.county.devices import issue_enrollment
from fupin_desktop.county.down import export_down
from fupin_desktop.county.importer import import_file
from fupin_desktop.model import Base
from fupin_desktop.store.store import Store
from fupin_desktop.sync.device import device_keys, enroll
from fupin_desktop.sync.down import apply_down
from fupin_desktop.sync.package import Kind, PackageReader, canonical, write_package
from fupin_desktop.sync.received import apply_files
from fupin_desktop.values import from_json, to_json

from .conftest import PASSWORD
from .sync_support import add_household, export, send_ack

VILLAGE = "520102003004"
NEIGHBOUR = "520102003005"  # the same township
TOWNSHIP = VILLAGE[:9]


def laptop(tmp: Path, name: str, engine: Any, keys: Any, *, village: str = VILLAGE, township: bool = False,
           server_url: str = "") -> Store:
    store, _ = Store.create(tmp / name, village_code=village, village_name="测试村", username="admin",
                            password=PASSWORD)
    issue_enrollment(engine, keys, village_code=village, label=name, out=tmp / f"{name}.fupinenroll",
                     server_url=server_url, scope=village[:9] if township else None)
    enroll(store, tmp / f"{name}.fupinenroll")
    return store


def two_laptops(tmp: Path, engine: Any, keys: Any) -> tuple[Store, Store, str]:
    """Laptops A and B of the village, both known to the county; A registered a household, which B has
    received in its first down package."""
    a, b = laptop(tmp, "一号机", engine, keys), laptop(tmp, "二号机", engine, keys)
    hh = add_household(a)
    for path in export(a, tmp / "u1") + export(b, tmp / "u1b"):
        import_file(engine, keys, path)
    for package in export_down(engine, keys, tmp / "d1", [b.device_id]):
        apply_down(b, package)
    return a, b, hh


def _logged(table: Table) -> list[str]:
    return [c.name for c in table.c if c.name != "id" and not c.info.get("derived")]


def county_records(engine: Any, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every live record of the scope at the county, as {field: JSON value}."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT entity, entity_id, data FROM record WHERE deleted = false "
                                 "AND village_code LIKE :p"), {"p": prefix + "%"}).all()
    return {(r[0], r[1]): json.loads(r[2]) for r in rows}


def device_matches(store: Store, records: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """Differences between the device's records and the county's, field by field ([] when equal).
    Each table is read whole, once (a village is tens of thousands of records)."""
    problems: list[str] = []
    wanted: dict[str, list[str]] = {}
    for entity, entity_id in records:
        wanted.setdefault(entity, []).append(entity_id)
    with store.engine.connect() as conn:
        for entity, ids in wanted.items():
            table = Base.metadata.tables[entity]
            rows = {r["id"]: r for r in conn.execute(select(table)).mappings()}
            for entity_id in ids:
                row, data = rows.get(entity_id), records[(entity, entity_id)]
                if row is None:
                    problems.append(f"missing {entity} {entity_id}")
                    continue
                problems.extend(f"{entity}.{name}: device {row[name]!r} county {data.get(name)!r}"
                                for name in _logged(table) if not _same(table, name, row[name], data.get(name)))
    return problems


def _same(table: Table, name: str, mine: Any, county: Any) -> bool:
    """Equal as values (the county keeps 78 as "78"; the laptop reads a 2-place amount back as 78.00)."""
    return to_json(mine) == county or mine == from_json(table.c[name], county)


def household_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM household")).scalars())


def store_dump(store: Store) -> list[Any]:
    """Everything a down package could touch, for "the store is unchanged" checks."""
    out: list[Any] = []
    with store.engine.connect() as conn:
        for table in ("household", "member", "change_log", "meta"):
            out.append(sorted(tuple(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {table}"))))
    return out


def usb_round(engine: Any, keys: Any, tmp: Path, name: str, *stores: Store) -> None:
    """Each laptop exports to the stick, the county imports and writes the down folders (none when it has
    nothing new for anyone), each laptop takes its acknowledgment and applies its down packages."""
    for store in stores:
        for path in export(store, tmp / name / "up"):
            import_file(engine, keys, path)
    written = export_down(engine, keys, tmp / name / "down")
    for store in stores:
        send_ack(engine, keys, store, tmp / name / f"ack-{store.device_id[:8]}")
        if written:  # a folder holds every device's: only its own apply
            list(apply_files(store, [tmp / name / "down"]))


def opened(path: Path, box_private: bytes) -> tuple[dict, list[dict]]:
    """A sealed package's header (as its writer gave it) and records."""
    reader = PackageReader(path)
    header = dict(reader.verify(reader.frame.sender_public))
    for key in ("format", "ephemeral_key", "nonce_prefix", "payload"):
        header.pop(key, None)
    return header, list(reader.records(box_private))


def reseal_down(store: Store, keys: Any, package: Path, out: Path, header: dict[str, Any],
                change: Callable[[dict], list[dict]]) -> Path:
    """The county's down package for ``store`` as another county program writes it: ``header`` overrides
    the header's values, ``change`` gives for each record what that program writes instead (none, one
    or more records)."""
    with store.engine.connect() as conn:
        own = device_keys(conn)
    original, records = opened(package, own.box.private)
    with open(out, "wb") as fh:
        write_package(fh, kind=Kind.DOWN, sender_id=keys.county_id, signing_private=keys.sign.private,
                      signing_public=keys.sign.public, recipient_public=own.box.public, header={**original, **header},
                      records=[canonical(r) for record in records for r in change(record)])
    return out
