"""村民小组 as people write them: 三组, 第三组, 3组, 03组 and 3 are one group. The file's names are
read as the village's own spelling of that group (the names already in the store); a group the
village does not have yet is reported before it is created."""

from __future__ import annotations

import re

from sqlalchemy import Connection, select

from ..model import Household
from .codes import text_key
from .grouping import Group
from .problem import INFO, WARNING, Problem

KEY = "household.group_name"
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_NUMBERED = re.compile(r"^第?([0-9零〇一二两三四五六七八九十百]+)(村民小组|小组|组|社|队)?$")


def chinese_number(text: str) -> int | None:
    """十二 → 12, 二十 → 20, 一百零五 → 105; digits as they are."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def group_key(name: str) -> str:
    """The number a group name stands for, else the name itself without spaces."""
    key = text_key(name)
    found = _NUMBERED.match(key)
    number = chinese_number(found[1]) if found else None
    return f"#{number}" if number is not None else key


def village_groups(conn: Connection, groups: list[Group]) -> list[Problem]:
    """Rewrite the file's group names to the village's; report what was read as what, and new groups."""
    names = GroupNames(conn)
    for group in groups:
        for row in group.rows:
            if KEY in row.values:
                row.values[KEY] = names.read(str(row.values[KEY]), row.number)
    return names.problems


class GroupNames:
    def __init__(self, conn: Connection) -> None:
        self.known: dict[str, str] = {}  # group_key → the village's name
        for (name,) in conn.execute(select(Household.group_name).where(Household.group_name.is_not(None)).distinct()):
            self.known.setdefault(group_key(name), name)
        self.said: set[str] = set()  # spellings already reported (once each, at their first row)
        self.problems: list[Problem] = []

    def read(self, given: str, row: int) -> str:
        key = group_key(given)
        if key not in self.known:  # the file's first spelling names the new group
            self.known[key] = given
            self.said.add(given)
            self.problems.append(Problem(row, "村民小组", f"本村还没有“{given}”，导入时将新建这个小组", WARNING))
        chosen = self.known[key]
        if chosen != given and given not in self.said:
            self.said.add(given)
            self.problems.append(Problem(row, "村民小组", f"“{given}”按本村的“{chosen}”导入（同一个小组）", INFO))
        return chosen
