"""The store's own bookkeeping: settings, users, and the change log every write appends to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..sync_state import SyncState
from .base import Base, Entity, text


class Meta(Base):
    """Key/value facts about this store: its id, this device's id, the logical clock."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AppUser(Entity, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = text("用户名", 64, unique=True)
    display_name: Mapped[str | None] = text("姓名", 64)
    role: Mapped[str] = text("角色", 16, default="采集员")
    active: Mapped[bool] = mapped_column(default=True, info={"label": "启用"})


class ChangeLog(Base):
    """One row per changed record per unit of work (contract 3).

    ``fields`` is JSON ``{column: [old, new]}``; ``hlc`` is a hybrid logical clock string that sorts
    in causal order across devices even when village clocks are wrong; ``seq`` numbers this
    device's entries without gaps so that sync packages can be checked for replays and holes.
    ``at`` is wall time, for display only.
    """

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tx_id: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    op: Mapped[str] = mapped_column(String(8))  # insert / update
    fields: Mapped[str] = mapped_column(Text)
    hlc: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(32))
    user: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str | None] = mapped_column(String(32))
    sync_state: Mapped[str] = mapped_column(String(8), default=SyncState.UNSENT.value)


Index("ix_change_log_entity", ChangeLog.entity_id)
# History lists a household newest first: one index serves the filter and the order. The state and
# device ride along so that the household list's 同步 column is an index-only read (migration 0006).
Index("ix_change_log_household_hlc", ChangeLog.household_id, ChangeLog.hlc, ChangeLog.sync_state, ChangeLog.device_id)
Index("ix_change_log_sync", ChangeLog.sync_state)


class SyncOutbox(Base):
    """Sealed packages this device has made, kept until the county's signed acknowledgment.

    The package bytes are already encrypted to the county; they sit here (inside the encrypted
    store) so a lost USB stick or a failed upload never loses a change: any package can be written
    out or uploaded again, and the county ignores repeats.
    """

    __tablename__ = "sync_outbox"

    package_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    seq_from: Mapped[int] = mapped_column(Integer)
    seq_to: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(8), default=SyncState.PACKED.value)  # 已打包 / 已送达 / 已确认 / 被拒
    message: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)


# ---- what the whole-store check keeps between runs (derived: never logged, never synced) -------------
class CheckDirty(Base):
    """Households written since the last check. Filled by triggers on every table the rules read
    (migration 0007), so no write path — a save, sync, replay, an import — can skip it."""

    __tablename__ = "check_dirty"

    household_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class CheckResult(Base):
    """A household's findings at the last check (JSON lists): its own rules', and the cross-household
    rules'; and the first day on which its own may differ with no change to its rows (a birthday, a
    deadline: ``validation.horizon``). Households without findings that hold for ever have no row."""

    __tablename__ = "check_result"

    household_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    own: Mapped[str] = mapped_column(Text, default="[]")
    cross: Mapped[str] = mapped_column(Text, default="[]")
    until: Mapped[date | None] = mapped_column(Date, index=True)


class CheckKey(Base):
    """The keys the cross-household rules compared at the last check (an ID number, a phone number),
    per household: a re-check re-runs those rules over the households holding a key that moved."""

    __tablename__ = "check_key"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the row: one tree less to write

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(32), primary_key=True)


Index("ix_check_key_household", CheckKey.household_id)
