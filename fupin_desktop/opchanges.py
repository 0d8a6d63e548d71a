"""What a unit of work changed: the value the core returns and the UI broadcasts.

Kept apart from ``services.uow`` so that the UI's op machinery can name it without loading
SQLAlchemy before the unlock screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpChanges:
    """What one committed unit of work changed, for open screens to decide whether to refresh
    (Anki's OpChanges). Returned by the core after the commit, never declared before it."""

    households: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()  # entity names as in the change log ("member", "visit"...)
    sync_states: bool = False  # change-log entries were added: the sync counts moved
    everything: bool = False  # too much to name (a demo fill, a restore): refresh all

    def __bool__(self) -> bool:
        return bool(self.households or self.tables or self.sync_states or self.everything)

    def __or__(self, other: "OpChanges") -> "OpChanges":
        return OpChanges(self.households | other.households, self.tables | other.tables,
                         self.sync_states or other.sync_states, self.everything or other.everything)

    def touches(self, household_id: str | None) -> bool:
        return self.everything or household_id in self.households
