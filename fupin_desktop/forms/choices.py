"""Boxes to tick on a blank form (issue 15 item 4): a field with a fixed set of answers prints
them as "□是 □否", "□因病 □因残 …", with the national form's hint where it has one."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Boolean

from ..model import Base
from ..model.layouts import code_table
from ..reference import CodeTables

MAX_BOXES = 16  # longer lists (民族, 与户主关系) are written in by hand
YES_NO = {"sanitary_toilet": ["有", "无"]}  # asked as 有无 on the national form
HINTS = {"main_cause": "（选一项）", "other_causes": "（最多选两项）", "risks": "（可多选）"}


@lru_cache(maxsize=256)
def choices(table: str, column: str, year: int) -> str:
    """The boxes for ``table.column`` in ``year``'s code tables; "" for a field written in freely."""
    found = Base.metadata.tables[table].c[column]
    codes = code_table(table, column)
    if isinstance(found.type, Boolean):
        options = YES_NO.get(column, ["是", "否"])
    elif codes is not None:
        options = CodeTables.default().labels(codes.table, year)
    else:
        return ""
    if not options or len(options) > MAX_BOXES:
        return ""
    return " ".join(f"□{option}" for option in options) + HINTS.get(column, "")
