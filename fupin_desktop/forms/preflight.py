"""Refusing bad input before any work (issue 15 item 5): a clerk who mistypes a village code or
names a folder as the output learns it at once, not after 669 pages, and gets no all-zero form."""

from __future__ import annotations

import os
import re
from pathlib import Path

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select, String, exists, or_, select

from ..errors import InvalidInput, NotFound
from ..model import (
    AdminArea, Base, Helper, HelperAssignment, Household, HouseholdYear, IncomeLine, IncomeYear, Measure, Member,
    MemberYear, WorkRecord,
)
from ..queries.load import load_households
from .base import who
from .chain import FontChain, problem_text
from .scope import Scope

VILLAGE_CODE = re.compile(r"\d{12}")


def unprintable(conn: Connection, ids: list[str], chain: FontChain) -> list[tuple[str, str]]:
    """(household, "李𠀾喆：第2个字无法打印") for every value holding a character no font of the
    chain has: told before any page is laid out, not found missing on paper.

    Reads only the text columns of what a form prints, as plain rows, and looks at each distinct
    value once: a village's names and labels repeat, and this runs before every print job."""
    seen: dict[str, list[int]] = {}
    by_household: dict[str, dict[str, None]] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        part = ids[start:start + 500]
        for stmt in _text_queries(part):
            for hid, *values in conn.execute(stmt):
                for value in values:
                    if not value or value.isascii():  # every font has ASCII
                        continue
                    missing = seen.get(value)
                    if missing is None:
                        missing = seen[value] = chain.missing(value)
                    if missing:
                        by_household.setdefault(hid, {})[value] = None
    if not by_household:
        return []
    order = {hid: n for n, hid in enumerate(ids)}
    named = {hh.id: who(hh) for hh in load_households(conn, sorted(by_household, key=order.__getitem__),
                                                       frozenset({"members"}))}
    return [(named[hid], problem_text(value, seen[value]))
            for hid in sorted(by_household, key=order.__getitem__) for value in by_household[hid]]


def _text_columns(model: type[Base]) -> list[Any]:
    # Sort and search keys (pinyin, with a character pypinyin does not know left as it is) are never
    # printed, and the values they come from are looked at themselves; ids are ASCII.
    return [c for c in model.__table__.columns if isinstance(c.type, String) and not c.info.get("derived")
            and not c.primary_key and not c.foreign_keys]


def _text_queries(ids: list[str]) -> Iterator[Select[Any]]:
    """One select per printed table: (household id, its text columns…) of these households."""
    yield select(Household.id, *_text_columns(Household)).where(Household.id.in_(ids))
    for model in (HouseholdYear, Member, IncomeYear, Measure, HelperAssignment):
        key = model.__table__.c.household_id
        yield select(key, *_text_columns(model)).where(key.in_(ids))
    for child, parent, link in ((MemberYear, Member, MemberYear.member_id),
                                (WorkRecord, Member, WorkRecord.member_id),
                                (IncomeLine, IncomeYear, IncomeLine.income_id)):
        yield (select(parent.household_id, *_text_columns(child)).join(parent, link == parent.id)
               .where(parent.household_id.in_(ids)))
    yield (select(HelperAssignment.household_id, *_text_columns(Helper))
           .join(HelperAssignment, HelperAssignment.helper_id == Helper.id)
           .where(HelperAssignment.household_id.in_(ids)))


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
