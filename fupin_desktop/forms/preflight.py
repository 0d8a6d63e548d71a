"""Refusing bad input before any work (issue 15 item 5): a clerk who mistypes a village code or
names a folder as the output learns it at once, not after 669 pages, and gets no all-zero form."""

from __future__ import annotations

import os
import re
from pathlib import Path

from collections.abc import Iterator

from sqlalchemy import Connection, exists, or_, select

from ..bundle import HouseholdData, Row
from ..errors import InvalidInput, NotFound
from ..model import AdminArea, Base, Household
from .base import who
from .chain import FontChain, problem_text
from .scope import Scope, chunks

VILLAGE_CODE = re.compile(r"\d{12}")
# Sort and search keys (pinyin, with a character pypinyin does not know left as it is) are never
# printed, and the values they come from are looked at themselves.
_DERIVED = frozenset(c.name for t in Base.metadata.tables.values() for c in t.columns if c.info.get("derived"))


def unprintable(conn: Connection, ids: list[str], chain: FontChain) -> list[tuple[str, str]]:
    """(household, "李𠀾喆：第2个字无法打印") for every value holding a character no font of the
    chain has: told before any page is laid out, not found missing on paper."""
    found: list[tuple[str, str]] = []
    for households in chunks(conn, ids, 200):
        for hh in households:
            for text in dict.fromkeys(_texts(hh)):
                if missing := chain.missing(text):
                    found.append((who(hh), problem_text(text, missing)))
    return found


def _texts(hh: HouseholdData) -> Iterator[str]:
    rows: list[Row] = [hh.fields, *hh.years.values(), *hh.helpers.values(), *hh.assignments,
                       *(x.fields for x in hh.measures)]
    for m in hh.members:
        rows += [m.fields, *m.years.values()]
    for inc in hh.incomes.values():
        rows += [inc.fields, *inc.lines]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str) and not value.isascii() and key not in _DERIVED:  # every font has ASCII
                yield value


def check_output(out: Path) -> None:
    """The output must be a .pdf file name in a folder this user can write to."""
    if out.is_dir():
        raise InvalidInput(f"输出路径是一个文件夹：{out}", hint="请在文件夹后写上文件名，例如：-o 文件夹/花名册.pdf")
    if out.suffix.lower() != ".pdf":
        raise InvalidInput(f"输出文件名应以 .pdf 结尾：{out}", hint="例如：-o 明白卡.pdf")
    if out.exists() and not os.access(out, os.W_OK):
        raise InvalidInput(f"输出文件不能覆盖（只读）：{out}", hint="请换一个文件名，或取消该文件的只读属性。")
    folder = _existing_parent(out)
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput(f"不能在这个文件夹里写文件：{folder}", hint="请换一个有写入权限的文件夹。")


def _existing_parent(out: Path) -> Path:
    # The job creates missing folders; what matters is that the nearest existing one is writable.
    folder = out.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_scope(conn: Connection, scope: Scope) -> None:
    """A village code must be 12 digits and name a village this store knows."""
    code = scope.village_code
    if code is None:
        return  # households are checked one by one when resolved (scope.py: NotFound)
    if not VILLAGE_CODE.fullmatch(code):
        raise InvalidInput(f"行政村代码应为12位数字：{code}", hint="例如：--village 520102003004")
    known = conn.execute(select(or_(exists().where(AdminArea.code == code),
                                    exists().where(Household.village_code == code)))).scalar()
    if not known:
        raise NotFound(f"没有这个行政村：{code}", hint="请核对行政村代码（可在软件的户列表或村情统计表中查看）。")
