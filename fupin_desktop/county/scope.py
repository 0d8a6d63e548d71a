"""A device's scope: the records it may change at the county.

A scope is a prefix of the 12-digit administrative code: a village laptop's scope is its whole
village code, a township clerk's is the township's first 9 digits (named in its enrollment). Every record
belongs to one village: a household through its own ``village_code``, every other record through
its household. The county applies an entry only when that village is inside the sender's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OUT_OF_SCOPE = "OUT_OF_SCOPE"
UNKNOWN_HOUSEHOLD = "UNKNOWN_HOUSEHOLD"


@dataclass(frozen=True)
class Scope:
    prefix: str  # 12 digits for a village, fewer for a township
    home: str  # the village a new record without a household (a helper, a work team) is filed under

    @classmethod
    def village(cls, code: str) -> Scope:
        return cls(code, code)

    def covers(self, village_code: Any) -> bool:
        return isinstance(village_code, str) and len(village_code) == 12 and village_code.startswith(self.prefix)

    def describe(self) -> str:
        kind = "本村" if len(self.prefix) == 12 else "本乡镇"
        return f"本设备的范围（{kind} {self.prefix}）"


def scope_of(device: Any) -> Scope:
    """The scope named in the device's enrollment; devices enrolled before scopes existed keep their village."""
    prefix = getattr(device, "scope", None) or device.village_code
    return Scope(prefix, device.village_code)


def check_scope(village_code: str, scope: str | None) -> str:
    """The scope an enrollment may name: the village itself, or its township (the first 9 digits)."""
    from ..errors import InvalidInput  # noqa: PLC0415

    chosen = scope or village_code
    if chosen not in (village_code, village_code[:9]):
        raise InvalidInput(f"范围“{chosen}”应为本村代码（12位）或所属乡镇代码（前9位）。", field="范围")
    return chosen


def out_of_scope(village: str, scope: Scope) -> tuple[str, str]:
    return OUT_OF_SCOPE, f"记录属于另一个村（{village}），不在{scope.describe()}之内，县里没有接受这条变更。"


def unknown_household(household_id: str) -> tuple[str, str]:
    return UNKNOWN_HOUSEHOLD, f"这条变更所属的户（{household_id[:8]}）在县里没有记录，县里没有接受这条变更。"
