"""The register's changes of a year (the roster's change list): households that left (注销) or came
back (恢复) during the year, from the village store or from the county's merged records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, or_, select

from ..model import Household, Member
from .stats import group_order

LEFT, BACK = "注销", "恢复"


@dataclass(frozen=True)
class RegisterChange:
    group: str
    number: str
    head: str
    what: str  # 注销 or 恢复
    reason: str
    on: date | None
    note: str


def _in_year(value: Any, year: int) -> bool:
    return isinstance(value, date) and value.year == year


def changes_of_year(households: Iterable[Mapping[str, Any]], heads: Mapping[str, str],
                    year: int) -> list[RegisterChange]:
    """From household rows (parsed values): left during ``year`` and still out, or back during it."""
    out: list[RegisterChange] = []
    for f in households:
        common = (str(f.get("group_name") or ""), str(f.get("national_hh_no") or ""), heads.get(f["id"], ""))
        if f.get("record_status") == LEFT and _in_year(f.get("left_on"), year):
            out.append(RegisterChange(*common, LEFT, str(f.get("left_reason") or ""), f.get("left_on"),
                                      str(f.get("left_note") or "")))
        elif f.get("record_status", "在册") != LEFT and _in_year(f.get("restored_on"), year):
            out.append(RegisterChange(*common, BACK, "", f.get("restored_on"), ""))
    return sorted(out, key=lambda c: (group_order(c.group), c.number, c.on or date.min))


def register_changes(conn: Connection, village_code: str, year: int) -> list[RegisterChange]:
    changed = or_(Household.left_on.is_not(None), Household.restored_on.is_not(None))
    rows = conn.execute(select(Household.id, Household.group_name, Household.national_hh_no, Household.record_status,
                               Household.left_reason, Household.left_on, Household.left_note, Household.restored_on)
                        .where(Household.village_code == village_code, changed)).mappings().all()
    ids = [r["id"] for r in rows]
    heads: dict[str, str] = {}
    if ids:
        # The head as registered, even when the whole family has left (their status is 注销 too).
        for hh, name in conn.execute(select(Member.household_id, Member.name).where(
                Member.household_id.in_(ids), Member.relation == "户主").order_by(Member.seq.desc())):
            heads[hh] = name or ""
    return changes_of_year([dict(r) for r in rows], heads, year)
