"""Phone numbers and bank accounts (SPEC §7, §8.2 25): mobile ^1[3-9]\\d{9}$, landline allowed with a
warning, bank cards Luhn-checked as a warning only, one phone shared by several households."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, select, union
from stdnum import luhn

from ...bundle import HouseholdData
from ...model import Household, Member
from ...queries.load import plain_rows
from ...values import clean_text
from ..engine import ERROR, WARNING, Context, Finding, keys_of, rule, store_rule, whole_pass_of
from ._common import blank, facts, in_household_order, label, live_households, whole_store_members

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
SEPARATORS = re.compile(r"[\s\-]")


def normalize_phone(value: object) -> str:
    """Half-width, no spaces; dashes kept (a landline may have one)."""
    return clean_text(value).replace(" ", "") if value is not None else ""


def phone_problem(value: object) -> tuple[str, str] | None:
    """(severity, what is wrong), or None for a good mobile number."""
    if value.__class__ is str and MOBILE.match(value):
        return None
    number = normalize_phone(value)
    if MOBILE.match(SEPARATORS.sub("", number)):
        return None
    if LANDLINE.match(number):
        return WARNING, f"“{number}”是固定电话，建议填写手机号码"
    return ERROR, f"“{number}”不是有效的手机号码（应为1开头的11位数字）"


def is_mobile(value: object) -> bool:
    if value.__class__ is str and MOBILE.match(value):
        return True
    return bool(MOBILE.match(SEPARATORS.sub("", normalize_phone(value))))


_HOUSEHOLD_PHONES = ("phone", "monitoring_contact_phone", "collector_phone")


@rule
def phones(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    if not fx.live:
        return
    for column in _HOUSEHOLD_PHONES:
        value = hh.fields.get(column)
        if blank(value):
            continue
        problem = phone_problem(value)
        if problem:
            rule_id = "TEL-01" if column == "phone" else "TEL-03"
            yield Finding(rule_id, problem[0], field=column, message=f"{label('household', column)}{problem[1]}",
                          **fx.at())
    for p in fx.people:
        value = p.f.get("phone")
        problem = None if blank(value) else phone_problem(value)
        if problem:
            yield Finding("TEL-02", problem[0], field="phone", message=f"{p.name} 成员联系电话{problem[1]}",
                          **p.at(hh, "member"))
        if p.works and not is_mobile(value):
            shown = "未填写" if blank(value) else f"“{normalize_phone(value)}”不是手机号码"
            yield Finding("TEL-04", ERROR, field="phone",
                          message=f"{p.name} 有务工记录，但成员联系电话{shown}（务工人员须有11位手机号）",
                          **p.at(hh, "member"))


@rule
def bank_account(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    if not fx.live:
        return
    raw = hh.fields.get("bank_account")
    if blank(raw):
        return
    number = raw if raw.__class__ is str and raw.isascii() and raw.isdigit() else SEPARATORS.sub("", clean_text(raw))
    where = fx.at()
    if not number.isdigit():
        yield Finding("BANK-01", ERROR, field="bank_account", message="银行账号含有数字以外的字符", **where)
        return
    if not 16 <= len(number) <= 19:
        yield Finding("BANK-02", WARNING, field="bank_account",
                      message=f"银行账号为{len(number)}位（银行卡号一般为16–19位），如为存折账号请忽略", **where)
    elif not luhn.is_valid(number):
        # Many 一卡通 passbook numbers fail Luhn, so this is only a hint.
        yield Finding("BANK-03", WARNING, field="bank_account",
                      message="银行卡号校验位不正确，请核对卡号（如为存折账号请忽略）",
                      **where)
    if blank(hh.fields.get("bank_name")):
        yield Finding("BANK-04", WARNING, field="bank_name", message="填写了银行账号，但未填写开户银行", **where)


def _phone_rows(conn: Connection, only: set[str] | None) -> list[tuple[str, str, str, str | None]]:
    """(household id, household head, record, phone) of active households and members."""
    if only:
        # For a few households, the status as an expression no index serves: SQLite would otherwise
        # walk every active household by an index on the status rather than look up the few.
        live_hh = Household.record_status.concat("") == "在册"
        hh_stmt = select(Household.id, Household.head_name, Household.phone).where(
            live_hh, Household.phone.is_not(None), Household.phone != "")
        m_stmt = (select(Member.household_id, Household.head_name, Member.phone)
                  .join(Household, Household.id == Member.household_id)
                  .where(live_hh, Member.record_status == "在册", Member.phone.is_not(None), Member.phone != ""))
        raw = [v for v in conn.execute(
            select(Household.phone).where(Household.id.in_(only)).union_all(
                select(Member.phone).where(Member.household_id.in_(only), Member.record_status == "在册"))
        ).scalars() if v]
        mine = {x for v in raw for x in (v, normalize_phone(v), SEPARATORS.sub("", normalize_phone(v)))}
        if not mine:
            return []
        # Two indexed lookups, then a filter by household: an OR across columns would scan both tables.
        sharing = set(conn.execute(union(select(Household.id).where(Household.phone.in_(mine)),
                                         select(Member.household_id).where(Member.phone.in_(mine)))).scalars())
        relevant = sharing | set(only)
        hh_stmt = hh_stmt.where(Household.id.in_(relevant))
        m_stmt = m_stmt.where(Member.household_id.in_(relevant))
        rows = [(h, head or "", "household", p) for h, head, p in plain_rows(conn, hh_stmt)]
        rows += [(h, head or "", "member", p) for h, head, p in plain_rows(conn, m_stmt)]
        return rows
    # Every household: the households once, the members without a join (``live_households``).
    live = live_households(conn)
    return _whole_phone_rows(live, in_household_order(
        conn, (Member.phone, Member.household_id),
        (Member.record_status == "在册") & Member.phone.is_not(None) & (Member.phone != ""), live))


def _whole_phone_rows(live: dict[str, tuple[int, str | None, str | None]],
                      members: Iterable[tuple[str | None, str]]) -> list[tuple[str, str, str, str | None]]:
    """``_phone_rows`` of every household: ``members`` are (phone, household id) of the active
    members with a phone, in household order."""
    rows: list[tuple[str, str, str, str | None]] = [
        (h, head or "", "household", p) for h, (_place, head, p) in live.items() if p]
    rows += [(h, live[h][1] or "", "member", p) for p, h in members]
    return rows


def _phone_key(phone: str | None) -> str | None:
    """The number two households are compared by (None: too short to say)."""
    number = SEPARATORS.sub("", normalize_phone(phone))
    return number if len(number) >= 7 else None


@store_rule
def shared_phones(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[Finding]:
    """GZ 5_15_021: one phone number given for several households."""
    yield from _shared_numbers(_numbers(conn, only), only)


@whole_pass_of(shared_phones)
def phone_pass(conn: Connection, ctx: Context, shared: dict[str, Any]) -> tuple[list[Finding], list[tuple[str, str]]]:
    live, members = whole_store_members(conn, shared)
    numbers = _numbers_of(_whole_phone_rows(live, ((phone, h) for _i, _name, _id_no, phone, h in members if phone)))
    return list(_shared_numbers(numbers, None)), [(h, "tel:" + number) for h, _head, number in numbers]


def _numbers(conn: Connection, only: set[str] | None) -> list[tuple[str, str, str]]:
    """(household id, head, number compared) of the phones the rule compares."""
    return _numbers_of(_phone_rows(conn, only))


def _numbers_of(rows: list[tuple[str, str, str, str | None]]) -> list[tuple[str, str, str]]:
    return [(h, head, number) for h, head, _record, phone in rows if (number := _phone_key(phone)) is not None]


UNKNOWN_HEAD = "（未知户主）"


def _shared_numbers(numbers: list[tuple[str, str, str]], only: set[str] | None) -> Iterator[Finding]:
    held = Counter(number for _h, _head, number in numbers)  # most are held once: only the others grouped
    by_number: dict[str, dict[str, str]] = defaultdict(dict)
    for household_id, head, number in numbers:
        if held[number] > 1:
            by_number[number][household_id] = head
    for number, households in by_number.items():
        if len(households) < 2:
            continue
        # Sorted: the rows' order depends on how they were written, and the import's preview must
        # say what the check will say. Once per number: a household's others are these heads
        # without one occurrence of its own (sorting them again for each of n households was n²).
        heads = sorted(h or UNKNOWN_HEAD for h in households.values())
        for household_id, head in households.items():
            if only and household_id not in only:
                continue
            mine = bisect_left(heads, head or UNKNOWN_HEAD)
            first = heads[:3] if mine >= 3 else heads[:mine] + heads[mine + 1:4]  # others[:3]
            shown = "、".join(first) + ("等" if len(heads) - 1 > 3 else "")
            yield Finding("TEL-05", WARNING, household_id, "phone",
                          f"联系电话 {number[:3]}****{number[-4:]} 同时登记在另外{len(heads) - 1}户（{shown}户）"
                          "中，请核实",
                          record="household", record_id=household_id)


@keys_of(shared_phones)
def phone_keys(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[tuple[str, str]]:
    live_hh = Household.record_status == "在册"
    hh_stmt = select(Household.id, Household.phone).where(live_hh, Household.phone.is_not(None))
    m_stmt = (select(Member.household_id, Member.phone).join(Household, Household.id == Member.household_id)
              .where(live_hh, Member.record_status == "在册", Member.phone.is_not(None)))
    if only:
        hh_stmt = hh_stmt.where(Household.id.in_(only))
        m_stmt = m_stmt.where(Member.household_id.in_(only))
    for household_id, phone in [*plain_rows(conn, hh_stmt), *plain_rows(conn, m_stmt)]:
        number = _phone_key(phone)
        if number is not None:
            yield household_id, "tel:" + number
