"""村民小组 as people write them: 三组, 第三组, 3组, 03组 and 3 are one group. The file's names are
read as the village's own spelling of that group (the names already in the store); a group the
village does not have yet is reported before it is created."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..model import Household
from ..derive import group_key
from .grouping import Group
from .problem import INFO, WARNING, Problem
from .rows import RowRecord

KEY = "household.group_name"


def village_groups(conn: Connection, groups: list[Group]) -> list[Problem]:
    """Rewrite the file's group names to the village's; report what was read as what, and new groups."""
    names = GroupNames(conn)
    for group in groups:
        for row in group.rows:
            if KEY in row.keys:
                row.assign({**row.values, KEY: names.read(str(row.get(KEY)), row)})
    return names.problems


class GroupNames:
    def __init__(self, conn: Connection) -> None:
        self.known: dict[str, str] = {}  # group_key → the village's name
        named = select(Household.group_name).where(Household.group_name.is_not(None)).distinct()
        for name in conn.execute(named).scalars():
            if name:
                self.known.setdefault(group_key(name), name)
        self.said: set[str] = set()  # spellings already reported (once each, at their first row)
        self.problems: list[Problem] = []

    def read(self, given: str, row: RowRecord) -> str:
        key = group_key(given)
        if key not in self.known:  # the file's first spelling names the new group
            self.known[key] = given
            self.said.add(given)
            self.problems.append(row.problem("村民小组", f"本村还没有“{given}”，导入时将新建这个小组", WARNING))
        chosen = self.known[key]
        if chosen != given and given not in self.said:
            self.said.add(given)
            self.problems.append(row.problem("村民小组", f"“{given}”按本村的“{chosen}”导入（同一个小组）", INFO))
        return chosen
