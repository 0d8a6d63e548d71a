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
# The national form's own hints next to the answers (SPEC §1.1, §1.2).
HINTS = {"main_cause": "（选一项）", "other_causes": "（最多选两项）", "risks": "（可多选，最多五项）",
         "identification_standard": "（单选）", "attribute": "（单选）", "health": "（可多选；“健康”不与其他同选）"}
IN_CELL = 3  # answers few enough to tick inside a member table's cell (□是 □否, □男 □女)


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


def cell_boxes(table: str, column: str, year: int) -> str:
    """The boxes to tick inside one cell of a member table; "" when the answers are too many
    for a cell (they are listed under the table instead, see ``legend``)."""
    boxes = choices(table, column, year)
    return boxes if boxes and boxes.count("□") <= IN_CELL else ""


def legend(columns: list[tuple[str, str, str]], year: int) -> str:
    """"文化程度：□文盲或半文盲 □小学 …；…" for the (table, column, label)s whose answers do not fit a cell."""
    parts = [f"{label}：{boxes}" for table, column, label in columns
             if (boxes := choices(table, column, year)) and boxes.count("□") > IN_CELL]
    return "；".join(parts)
