"""The header of a device's change package, read into typed, bounded fields.

The header is signed by the device, but a signature only says who wrote it, not that it makes
sense: an enrolled (or stolen) device key can sign any JSON. Every field is therefore checked for
type and range here, once, before anything else reads it; a header that fails is refused with
BAD_HEADER and never reaches the database (where an over-large number would be a 500).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..sync.package import PackageError

MAX_NUMBER = 2**31 - 1  # package numbers and entry counts: the county's INTEGER columns
MAX_SEQ = 2**40 - 1  # change-log sequence numbers (a device makes far fewer changes in its life)
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_PACKAGE_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
_VILLAGE = re.compile(r"^[0-9]{12}$")
_HASH = re.compile(r"^([0-9a-f]{64})?$")


@dataclass(frozen=True)
class ChangesHeader:
    county_id: str
    device_id: str
    village_code: str
    package_id: str
    number: int
    seq_from: int
    seq_to: int
    entries: int
    acked_through: int
    prev_hash: str | None
    device_box_key: str | None
    enrollment_ref: str | None
    enrollment_proof: str | None
    schema: str | None = None  # the sender's store schema revision (None: from before revisions were named)
    down_applied: int = 0  # down packages the device has applied (its word, for what USB must still carry)


def _bad(name: str, field: str) -> PackageError:
    return PackageError("BAD_HEADER", f"变更包头部的“{field}”缺失或无效：{name}")


def _int(raw: dict[str, Any], key: str, low: int, high: int, name: str, default: int | None = None) -> int:
    value = raw.get(key, default)
    if type(value) is not int or not low <= value <= high:  # bool is an int subclass: refused too
        raise _bad(name, key)
    return value


def _text(raw: dict[str, Any], key: str, pattern: re.Pattern[str], name: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):  # match's $ lets a trailing newline in
        raise _bad(name, key)
    return value


def _optional(raw: dict[str, Any], key: str, limit: int, name: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise _bad(name, key)
    return value


def _entries(raw: dict[str, Any], name: str) -> int:
    counts = raw.get("counts", {})
    if not isinstance(counts, dict):
        raise _bad(name, "counts")
    return _int(counts, "entries", 0, MAX_NUMBER, name, default=0)


def parse_changes_header(raw: dict[str, Any], name: str) -> ChangesHeader:
    """``raw`` is the verified header; ``name`` names the file in messages. Raises BAD_HEADER."""
    seq_from = _int(raw, "seq_from", 0, MAX_SEQ, name, default=0)
    seq_to = _int(raw, "seq_to", 0, MAX_SEQ, name, default=0)
    if seq_to < seq_from:
        raise _bad(name, "seq_to")
    prev_hash = _optional(raw, "prev_hash", 64, name)
    if prev_hash is not None and not _HASH.match(prev_hash):
        raise _bad(name, "prev_hash")
    return ChangesHeader(
        county_id=_text(raw, "county_id", _HEX32, name), device_id=_text(raw, "device_id", _HEX32, name),
        village_code=_text(raw, "village_code", _VILLAGE, name), package_id=_text(raw, "package_id", _PACKAGE_ID, name),
        number=_int(raw, "number", 1, MAX_NUMBER, name), seq_from=seq_from, seq_to=seq_to,
        entries=_entries(raw, name), acked_through=_int(raw, "acked_through", 0, MAX_NUMBER, name, default=0),
        prev_hash=prev_hash, device_box_key=_optional(raw, "device_box_key", 64, name),
        enrollment_ref=_optional(raw, "enrollment_ref", 128, name),
        enrollment_proof=_optional(raw, "enrollment_proof", 128, name),
        schema=_optional(raw, "schema", 64, name),
        down_applied=_int(raw, "down_applied", 0, MAX_NUMBER, name, default=0))
