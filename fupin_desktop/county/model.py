"""The county database. Records are kept per entity as JSON with a version (HLC) per field, which
is what a per-field merge across devices needs; the county's own figures read them from here."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..model.base import NAMING


class CountyBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # each model maps one Table, not any FromClause: .insert(), .c.x and .name are there
        __table__: ClassVar[Table]


class CountyMeta(CountyBase):
    """The county's id, name, public keys and its private keys wrapped by the county passphrase."""

    __tablename__ = "county_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Enrollment(CountyBase):
    __tablename__ = "enrollment"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sync.enrollment.token_ref
    token_key: Mapped[str] = mapped_column(String(64))  # checks the device's proof; the token itself is not kept
    village_code: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str | None] = mapped_column(String(12))  # a code prefix: the village, or a township (9 digits)
    label: Mapped[str] = mapped_column(String(128))
    issued: Mapped[str] = mapped_column(String(32))
    expires: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(String(32))  # set when used


class Device(CountyBase):
    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    label: Mapped[str] = mapped_column(String(128))
    sign_key: Mapped[str] = mapped_column(String(64))  # Ed25519 public, hex
    box_key: Mapped[str] = mapped_column(String(64))  # X25519 public, hex: acknowledgments are sealed to it
    status: Mapped[str] = mapped_column(String(8), default="active")  # active / revoked
    enrolled_at: Mapped[str] = mapped_column(String(32))
    last_seen: Mapped[str | None] = mapped_column(String(32))
    last_number: Mapped[int] = mapped_column(Integer, default=0)  # highest package number applied in order
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    ack_number: Mapped[int] = mapped_column(Integer, default=0)
    acked_through: Mapped[int] = mapped_column(Integer, default=0)  # the device's word: acks it has applied
    revoked_at: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(12))  # None: the device's village (before scopes existed)
    down_number: Mapped[int] = mapped_column(Integer, default=0)  # the last down package built for it
    down_rev: Mapped[int] = mapped_column(BigInteger, default=0)  # records up to this rev are in its packages
    down_applied: Mapped[int] = mapped_column(Integer, default=0)  # the device's word: down packages applied
    ref_version: Mapped[int] = mapped_column(BigInteger, default=0)  # reference values up to this are in its packages


class Package(CountyBase):
    """Every package seen: imported, held (waiting for an earlier one or for a person) or discarded.

    Keyed by (device, number): the device is the one whose registered key signed it, so no device can
    name another's package. ``package_id`` is the device's own label for it, echoed in acknowledgments.
    """

    __tablename__ = "package"
    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[str] = mapped_column(String(32))
    seq_from: Mapped[int] = mapped_column(BigInteger)  # change-log sequences run to 2^40 (county/header.py)
    seq_to: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # imported / held / discarded
    hold_code: Mapped[str | None] = mapped_column(String(32))  # HELD_GAP (waits for its predecessor) / HELD_CAP
    hold_reason: Mapped[str | None] = mapped_column(Text)  # shown in `county held` and the held tab
    entries: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[str] = mapped_column(String(32))
    imported_at: Mapped[str | None] = mapped_column(String(32))
    report: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept only while held


class Record(CountyBase):
    __tablename__ = "record"
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    household_id: Mapped[str | None] = mapped_column(String(32), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    data: Mapped[str] = mapped_column(Text)  # {field: value}
    versions: Mapped[str] = mapped_column(Text)  # {field: hlc}
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[str] = mapped_column(String(32))
    rev: Mapped[int] = mapped_column(BigInteger, default=0, index=True)  # county-wide, raised on every write


class RecordAlias(CountyBase):
    """Another id a device gave a record that exists once per key (a household's row for a year, made on
    two devices before ids were made from the key): that device's later changes reach the record."""

    __tablename__ = "record_alias"
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))


# The procedure figures read a few small entities village by village (county/procedures.py, c0004).
Index("ix_record_entity_village", Record.entity, Record.village_code)
# A village laptop's next down package: its village's records after its cursor, in order (c0010).
Index("ix_record_village_rev", Record.village_code, Record.rev)


class DownPackage(CountyBase):
    """A sealed package of record states sent down to one device, kept until it has applied a later one."""

    __tablename__ = "down_package"
    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    rev_from: Mapped[int] = mapped_column(BigInteger)
    rev_to: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReferenceValue(CountyBase):
    """A threshold or rule parameter the county set. Every change is a new row with the next version
    (the history stays); the newest version of a key is the value, and devices get every version past
    their cursor in their next down package."""

    __tablename__ = "reference_value"
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(12))  # threshold / param
    name: Mapped[str] = mapped_column(String(64))  # a threshold's kind (识别/退出/监测), or the parameter's name
    province: Mapped[str] = mapped_column(String(2))  # "00": every province without its own
    year_from: Mapped[int] = mapped_column(Integer)  # a threshold's year
    year_to: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text)  # JSON: a number or a string (a threshold: its amount as a string)
    source: Mapped[str] = mapped_column(Text)  # where the value comes from (a document, a decision)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[str] = mapped_column(String(32))


Index("ix_reference_value_key", ReferenceValue.kind, ReferenceValue.name, ReferenceValue.province,
      ReferenceValue.year_from)


class RefusedEntry(CountyBase):
    """A change-log entry the county did not apply (out of scope, malformed): carried in the device's
    acknowledgments until it has applied one, so the device marks the entry 被拒 with the reason."""

    __tablename__ = "refused_entry"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))
    first_ack: Mapped[int | None] = mapped_column(Integer)


class Blob(CountyBase):
    """Attachment contents (photos, scans), which travel in packages beside their records."""

    __tablename__ = "blob"
    entity_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Conflict(CountyBase):
    __tablename__ = "conflict"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str | None] = mapped_column(String(32))
    village_code: Mapped[str] = mapped_column(String(12))
    field: Mapped[str] = mapped_column(String(64))
    base_value: Mapped[str] = mapped_column(Text)  # JSON: what the incoming device started from
    county_value: Mapped[str] = mapped_column(Text)  # JSON: what the county had
    county_hlc: Mapped[str] = mapped_column(String(64))
    incoming_value: Mapped[str] = mapped_column(Text)
    incoming_hlc: Mapped[str] = mapped_column(String(64))
    incoming_device: Mapped[str] = mapped_column(String(32))
    incoming_seq: Mapped[int] = mapped_column(BigInteger)
    package_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open / resolved / obsolete
    decided_value: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))


Index("ix_conflict_status", Conflict.status)
Index("ix_conflict_device", Conflict.incoming_device)


class IdNumber(CountyBase):
    """Which member holds which ID number, across every village: the same person in two villages is flagged."""

    __tablename__ = "id_number"
    id_no: Mapped[str] = mapped_column(String(24), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12))


class Flag(CountyBase):
    __tablename__ = "flag"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    village_code: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text)
    package_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))


class Correction(CountyBase):
    """A value the county decided (a resolved conflict) that a device must take over."""

    __tablename__ = "correction"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str | None] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)  # JSON
    conflict_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(32))
    first_ack: Mapped[int | None] = mapped_column(Integer)  # the first acknowledgment that carried it
