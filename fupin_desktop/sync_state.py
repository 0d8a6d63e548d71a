"""Where a change is on its way to the county: the one spelling of the sync states.

A leaf module (no imports of the program's own) so that the model's column default, the services,
the sync code and the UI all name the same values; the values are the Chinese words stored in
``change_log.sync_state`` and ``sync_outbox.state``, so changing one needs a migration.
"""

from __future__ import annotations

from enum import StrEnum


class SyncState(StrEnum):
    UNSENT = "未发送"
    PACKED = "已打包"
    DELIVERED = "已送达"
    CONFIRMED = "已确认"
    CONFLICT = "冲突"
    REJECTED = "被拒"


# In the order the status dialog and `sync status` list them.
ALL_STATES: tuple[SyncState, ...] = tuple(SyncState)
# Not yet settled by the county: what the status bar counts after every save.
OPEN_STATES: tuple[SyncState, ...] = tuple(s for s in SyncState if s is not SyncState.CONFIRMED)
# A household shows the least advanced state among its changes: one unsent edit makes it 未发送.
HOUSEHOLD_PRIORITY: tuple[SyncState, ...] = (
    SyncState.CONFLICT, SyncState.REJECTED, SyncState.UNSENT, SyncState.PACKED, SyncState.DELIVERED,
    SyncState.CONFIRMED,
)
# Packages the device still has to deliver or have acknowledged.
IN_FLIGHT: tuple[SyncState, ...] = (SyncState.PACKED, SyncState.DELIVERED)


def sql_list(states: tuple[SyncState, ...]) -> str:
    """``('未发送', '已打包')`` for an IN clause; the values are our own constants, never user input."""
    return "(" + ", ".join(f"'{s.value}'" for s in states) + ")"
