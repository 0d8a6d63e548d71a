"""The device side of sync: enrollment, packing unsent changes into the outbox, writing packages
to a USB folder safely, and applying the county's acknowledgments.

Keys and sync bookkeeping live in the store's ``meta`` table, inside the encrypted database.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from sqlalchemy import Connection, Row, select, text

from .. import __version__
from ..errors import FupinError, InvalidInput
from ..fsutil import write_atomic
from ..model import Meta, SyncOutbox
from ..sync_state import IN_FLIGHT, SyncState
from . import crypto
from .enrollment import Enrollment, proof_header, read_enrollment
from .package import Kind, PackageError, PackageReader, canonical, seal_to_file, write_package

if TYPE_CHECKING:
    from ..store.store import Store

MAX_ENTRIES_PER_PACKAGE = 20_000
MAX_PAYLOAD_BYTES = 40 * 1024 * 1024  # before compression; the county refuses packages over 64 MiB
PACKAGE_SUFFIX = ".fupinpkg"


class NotEnrolled(FupinError):  # noqa: N818 (see errors.py)
    exit_code = 9


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---- bookkeeping in meta -------------------------------------------------------------------
@overload
def get_meta(conn: Connection, key: str) -> str | None: ...
@overload
def get_meta(conn: Connection, key: str, default: str) -> str: ...
def get_meta(conn: Connection, key: str, default: str | None = None) -> str | None:
    value = conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()
    return default if value is None else value


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": key, "value": value})


@dataclass(frozen=True)
class DeviceKeys:
    county: Enrollment
    sign: crypto.KeyPair
    box: crypto.KeyPair


def device_keys(conn: Connection) -> DeviceKeys:
    raw = get_meta(conn, "sync.county")
    if raw is None:
        raise NotEnrolled("本机还没有加入县里的同步（没有入网）。",
                          hint="请向县扶贫办索取入网文件，然后运行 fupin enroll 或在“同步”菜单中导入。")
    sign_private = bytes.fromhex(get_meta(conn, "sync.sign_private") or "")
    box_private = bytes.fromhex(get_meta(conn, "sync.box_private") or "")
    return DeviceKeys(Enrollment(**json.loads(raw)),
                      crypto.KeyPair(sign_private, bytes.fromhex(get_meta(conn, "sync.sign_public") or "")),
                      crypto.KeyPair(box_private, bytes.fromhex(get_meta(conn, "sync.box_public") or "")))


def is_enrolled(store: "Store") -> bool:
    with store.engine.connect() as conn:
        return get_meta(conn, "sync.county") is not None


# ---- enrollment ----------------------------------------------------------------------------
def enroll(store: "Store", path: Path) -> Enrollment:
    enrollment = read_enrollment(Path(path))
    if enrollment.village_code != store.village_code and not (
            len(enrollment.prefix) < 12 and store.village_code.startswith(enrollment.prefix)):
        raise InvalidInput(f"入网文件是给村代码 {enrollment.village_code} 的，本机数据库是 {store.village_code}"
                           f"（{store.village_name}）。", hint="请向县扶贫办索取本村的入网文件。")
    with store.engine.begin() as conn:
        current = get_meta(conn, "sync.county")
        if current is not None and json.loads(current)["county_id"] != enrollment.county_id:
            raise InvalidInput("本机已经加入了另一个县的同步，不能再加入这个县。")
        if get_meta(conn, "sync.sign_private") is None:  # keys are made once and kept
            sign, box = crypto.new_signing_key(), crypto.new_box_key()
            for key, value in (("sync.sign_private", sign.private), ("sync.sign_public", sign.public),
                               ("sync.box_private", box.private), ("sync.box_public", box.public)):
                set_meta(conn, key, value.hex())
        set_meta(conn, "sync.county", json.dumps(enrollment.__dict__, ensure_ascii=False))
    return enrollment


# ---- packing -------------------------------------------------------------------------------
_LOG_SELECT = text(
    "SELECT seq, tx_id, entity, entity_id, op, fields, hlc, user, at, household_id FROM change_log "
    f"WHERE device_id = :device AND sync_state = '{SyncState.UNSENT}' ORDER BY seq LIMIT :limit"
)


def _encode(row: Any, blob: bytes | None) -> bytes:
    # The fields are already canonical JSON in the log: splice them in rather than parse and re-dump.
    head = json.dumps({"seq": row[0], "tx": row[1], "entity": row[2], "id": row[3], "op": row[4], "hlc": row[6],
                       "user": row[7], "at": row[8], "hh": row[9]}, ensure_ascii=False, separators=(",", ":"))
    tail = f',"blob":"{crypto.b64(blob)}"' if blob is not None else ""
    return f'{head[:-1]},"fields":{row[5]}{tail}}}'.encode("utf-8")


def _records(conn: Connection, rows: Sequence[Row[*tuple[Any, ...]]]) -> Iterator[bytes]:
    for row in rows:
        blob = None
        if row[2] == "attachment" and row[4] == "insert":  # photos travel inside the package
            blob = conn.execute(text("SELECT data FROM attachment WHERE id = :id"), {"id": row[3]}).scalar()
        yield _encode(row, blob)


def _header(conn: Connection, store: "Store", keys: DeviceKeys, rows: Sequence[Row[*tuple[Any, ...]]],
            number: int) -> dict[str, Any]:
    households = {r[9] for r in rows if r[9]}
    header = {
        "kind": "changes", "county_id": keys.county.county_id, "device_id": store.device_id,
        "village_code": keys.county.village_code, "number": number,
        "seq_from": rows[0][0] if rows else 0, "seq_to": rows[-1][0] if rows else 0,
        "prev_hash": get_meta(conn, "sync.last_hash", ""), "created": _now(),
        "counts": {"entries": len(rows), "households": len(households),
                   "attachments": sum(r[2] == "attachment" and r[4] == "insert" for r in rows)},
        "device_box_key": crypto.b64(keys.box.public), "acked_through": int(get_meta(conn, "sync.ack_number", "0")),
        "app_version": _version(), "schema": schema_revision(),
        "down_applied": int(get_meta(conn, "sync.down_number", "0") or 0),
    }
    set_meta(conn, _TOLD, str(header["down_applied"]))  # in the transaction that keeps the package
    if get_meta(conn, "sync.registered") is None:  # until the county confirms it knows this device
        header.update(proof_header(keys.county.token, store.device_id, keys.sign.public, keys.box.public))
        header["device_label"] = keys.county.label
    return header


def schema_revision() -> str | None:
    """The store schema this program writes: named in every package, so a receiver that does not know
    it holds the package instead of dropping the fields it does not have."""
    from ..store.migrate import head_revision  # noqa: PLC0415

    return head_revision()


def known_revision(revision: str | None) -> bool:
    """Whether this program's migrations know ``revision`` (None: a package from before revisions were named)."""
    return revision is None or revision in _known_revisions()


@lru_cache(maxsize=1)
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from ..store.migrate import alembic_config  # noqa: PLC0415

    return frozenset(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def _version() -> str:
    return __version__


def _fitting(records: Iterator[bytes]) -> list[bytes]:
    """As many records as fit well under the county's package size limit (photos barely compress);
    the rest go into the next package. A single record always goes (photos are capped when saved)."""
    taken: list[bytes] = []
    size = 0
    for record in records:
        if taken and size + len(record) > MAX_PAYLOAD_BYTES:
            break
        taken.append(record)
        size += len(record)
    return taken


def pack_pending(store: "Store", *, max_entries: int = MAX_ENTRIES_PER_PACKAGE, tell_down: bool = False) -> list[str]:
    """Seal every unsent change into outbox packages (one transaction each); returns package ids.
    ``tell_down`` (a USB export): with nothing to send, an empty package all the same when the device has
    applied down packages since its last package said so; otherwise the county, which learns it only from
    package headers, writes every one of them to the stick again at each export (a township's first
    download: 120 MB)."""
    made: list[str] = []
    while True:
        with store.engine.begin() as conn:
            keys = device_keys(conn)
            rows = conn.execute(_LOG_SELECT, {"device": store.device_id, "limit": max_entries}).all()
            if not rows and (made or not (_needs_hello(conn) or tell_down and _untold(conn))):
                return made
            made.append(_pack(conn, store, keys, rows))


_TOLD = "sync.down_told"  # the down packages applied, as the last package made said


def _untold(conn: Connection) -> bool:
    return int(get_meta(conn, "sync.down_number", "0") or 0) > int(get_meta(conn, _TOLD, "0") or 0)


def _needs_hello(conn: Connection) -> bool:
    """A device the county does not know yet, with nothing to send (a new laptop): an empty package
    carrying its enrollment proof registers it, so the county can send it its scope."""
    return get_meta(conn, "sync.registered") is None and not pending_packages(conn)


def _pack(conn: Connection, store: "Store", keys: DeviceKeys, rows: Sequence[Any]) -> str:
    number = int(get_meta(conn, "sync.next_number", "1"))
    records = _fitting(_records(conn, rows))
    rows = rows[: len(records)]
    first, last = (rows[0][0], rows[-1][0]) if rows else (0, 0)
    buffer = io.BytesIO()
    written = write_package(
        buffer, kind=Kind.CHANGES, sender_id=store.device_id, signing_private=keys.sign.private,
        signing_public=keys.sign.public, recipient_public=crypto.unb64(keys.county.box_key),
        header=_header(conn, store, keys, rows, number), records=records)
    conn.execute(SyncOutbox.__table__.insert(), {
        "package_id": written.package_id, "number": number, "seq_from": first, "seq_to": last,
        "entries": len(rows), "sha256": written.sha256, "created": _now(), "state": SyncState.PACKED,
        "data": buffer.getvalue()})
    conn.execute(text("UPDATE change_log SET sync_state = :packed WHERE device_id = :d AND "
                      "sync_state = :unsent AND seq BETWEEN :a AND :b"),
                 {"d": store.device_id, "a": first, "b": last, "packed": SyncState.PACKED, "unsent": SyncState.UNSENT})
    set_meta(conn, "sync.next_number", str(number + 1))
    set_meta(conn, "sync.last_hash", written.sha256)
    return written.package_id


def pending_packages(conn: Connection) -> Sequence[Row[SyncOutbox]]:
    """Packages the county has not yet confirmed, oldest first (re-sending them is harmless)."""
    return conn.execute(select(SyncOutbox).where(SyncOutbox.state.in_(IN_FLIGHT))
                        .order_by(SyncOutbox.number)).all()


def package_filename(store: "Store", number: int) -> str:
    return f"{store.village_code}-{store.device_id[:8]}-{number:06d}{PACKAGE_SUFFIX}"


def export_to_folder(store: "Store", folder: Path) -> list[Path]:
    """Pack what is unsent and write every unconfirmed package into ``folder`` (a USB stick).

    Each file is written to a temp name, fsynced, renamed, then read back and verified, so when
    this returns the stick can be pulled out.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"无法写入文件夹：{folder}", hint=str(exc.strerror)) from None
    pack_pending(store, tell_down=True)
    with store.engine.connect() as conn:
        keys = device_keys(conn)
        items = pending_packages(conn)
    paths: list[Path] = []
    for item in items:
        path = folder / package_filename(store, item.number)
        try:
            _write_verified(path, item.data, item.sha256, keys.sign.public)
        except OSError as exc:
            raise FupinError(f"写入 {path.name} 失败：{exc.strerror}",
                             hint="请检查U盘是否已满或写保护，然后重试。") from None
        paths.append(path)
    return paths


def _write_verified(path: Path, data: bytes, sha256: str, sign_public: bytes) -> None:
    write_atomic(path, data)
    reader = PackageReader(path)
    reader.verify(sign_public)
    if reader.digest.hex() != sha256 or path.stat().st_size != len(data):
        raise FupinError(f"写入U盘后读回校验失败：{path.name}", hint="U盘可能有坏块，请换一个U盘重试。")


__all__ = ["enroll", "pack_pending", "export_to_folder", "device_keys", "is_enrolled", "NotEnrolled",
           "seal_to_file", "PackageError", "canonical"]
