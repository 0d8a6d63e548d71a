"""Identity rules: ID numbers, birth date and gender, one person in two households, 证件类型, 民族 and
政治面貌 (SPEC §7, §8.2 1–2)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, select, text

from ...bundle import HouseholdData
from ...model import Household, Member
from ...queries.load import plain_rows
from ..engine import ERROR, WARNING, Context, Finding, keys_of, rule, store_rule, whole_pass_of
from ..idnumber import normalize
from ._common import facts, id_info, in_household_order, labels, live_households, quick_id, whole_store_members

USUAL_POLITICAL = frozenset({"中共党员", "中共预备党员", "共青团员", "群众"})


def _where(hh: HouseholdData, f: dict[str, Any]) -> dict[str, str]:
    return dict(household=hh.id, record="member", record_id=f.get("id") or "", member=f.get("name") or "")


@rule
def id_numbers(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    if hh.fields.get("record_status", "在册") != "在册":
        return
    for p in facts(hh, ctx).people:
        f = p.f
        quick: tuple[date | None, str | None] | None = quick_id(f.get("id_no"))
        if quick is None:
            info = id_info(f.get("id_no"))
            if info.problem:
                yield Finding("ID-01", info.severity, field="id_no",
                              message=f"{p.name} 证件号码：{info.problem}", **_where(hh, f))
            quick = info.birth_date, info.gender
        born, gender = quick
        if born and f.get("birth_date") and f["birth_date"] != born:
            yield Finding("ID-02", ERROR, field="birth_date",
                          message=f"{p.name} 出生日期 {f['birth_date']} 与证件号码（{born}）不一致",
                          **_where(hh, f))
        if gender and f.get("gender") and f["gender"] != gender:
            yield Finding("ID-03", ERROR, field="gender",
                          message=f"{p.name} 性别“{f['gender']}”与证件号码（{gender}）不一致", **_where(hh, f))


def _person_key(id_no: str | None) -> str:
    """The 18-character ID inside a number: a 20/22-character 残疾人证号 is the same person as its ID."""
    number = id_no if id_no.__class__ is str and len(id_no) == 18 and id_no.isascii() else normalize(id_no)
    return number[:18] if len(number) in (18, 20, 22) else number


_ACTIVE_ID = (Member.record_status == "在册") & (Member.id_no.is_not(None)) & (Member.id_no != "")
_UNION_TERMS = 200  # SQLite unites at most 500 selects in one statement


class PersonRow(NamedTuple):
    id: str
    name: str
    id_no: str | None
    household_id: str


@store_rule
def one_person_two_households(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[Finding]:
    """SPEC §8.2 rule 1: the same person active in more than one household (一人多户). An 18-digit ID
    and a 20-digit 残疾人证号 starting with it are the same person."""
    rows = _person_rows(conn, only)
    yield from _shared_ids([(_person_key(r.id_no), r) for r in rows], only)


@whole_pass_of(one_person_two_households)
def person_pass(conn: Connection, ctx: Context, shared: dict[str, Any]) -> tuple[list[Finding], list[tuple[str, str]]]:
    # The members with an ID number, as ``_person_rows`` gives them for the whole store.
    _live, members = whole_store_members(conn, shared)
    keyed = [(_person_key(id_no), (i, name, id_no, h)) for i, name, id_no, _phone, h in members if id_no]
    return list(_shared_ids(keyed, None)), [(r[3], "id:" + key) for key, r in keyed]


def _person_rows(conn: Connection, only: set[str] | None) -> Sequence[PersonRow]:
    """The active members of active households that the rule compares: all, or those sharing a
    number with a member of ``only`` (and the members of ``only`` themselves)."""
    if only:
        own: dict[str, str | None] = {
            i: n for i, n in conn.execute(select(Member.id, Member.id_no).where(Member.household_id.in_(only),
                                                                                 _ACTIVE_ID))}
        keys = {_person_key(n) for n in own.values()}
        keys.discard("")
        if not own:
            return []
        # Ranges rather than substr() so the id_no index is used: a number and its longer 残疾人证号.
        variants = sorted(keys | {k.lower() for k in keys})  # a stored lowercase x
        # One indexed range query per number, united; an OR of ranges in the join would scan. The
        # members of ``only`` themselves are taken as they are (a number stored unnormalized is not
        # in any range), so a re-check over every holder of a key answers as the whole-store pass.
        # Written as text: compiling a union of a few hundred selects costs more than running it.
        candidates = set(own)
        for start in range(0, len(variants), _UNION_TERMS):
            part = variants[start:start + _UNION_TERMS]
            sql = " UNION ALL ".join(f"SELECT id FROM member WHERE id_no >= :k{i} AND id_no <= :e{i}"
                                     for i in range(len(part)))
            params = {**{f"k{i}": k for i, k in enumerate(part)}, **{f"e{i}": k + "99" for i, k in enumerate(part)}}
            candidates.update(conn.execute(text(sql), params).scalars())
        # The members by their keys, then their households' status: joined, SQLite would walk every
        # active household instead.
        found = plain_rows(conn, select(Member.id, Member.name, Member.id_no, Member.household_id)
                           .where(Member.id.in_(candidates), _ACTIVE_ID))
        live = set(conn.execute(select(Household.id).where(Household.id.in_({r[3] for r in found}),
                                                           Household.record_status == "在册")).scalars())
        return [PersonRow(*r) for r in found if r[3] in live]
    return [PersonRow(*r) for r in in_household_order(conn, (Member.id, Member.name, Member.id_no,
                                                               Member.household_id), _ACTIVE_ID, live_households(conn))]


def _shared_ids(keyed: Sequence[tuple[str, tuple[str, str, str | None, str]]],
                only: set[str] | None) -> Iterator[Finding]:
    """``keyed``: (key, row as in ``PersonRow``); plain tuples from the whole-store pass."""
    # Most numbers are held once: counted first (in C), only the others are grouped.
    held = Counter(key for key, _row in keyed)
    by_person: dict[str, list[tuple[str, str, str | None, str]]] = defaultdict(list)
    for key, row in keyed:
        if held[key] > 1:
            by_person[key].append(row)
    for key, rows in by_person.items():
        households = {r[3] for r in rows}
        if len(households) < 2:
            continue
        for member_id, name, _id_no, household_id in rows:
            if only and household_id not in only:
                continue
            others = len(households) - 1
            yield Finding("ID-04", ERROR, household_id, "id_no",
                          f"{name} 证件号码 {key[:6]}…在另外 {others} 户中也登记为在册成员（一人多户）",
                          record="member", record_id=member_id, member=name or "")


@keys_of(one_person_two_households)
def person_keys(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[tuple[str, str]]:
    stmt = (select(Member.household_id, Member.id_no).join(Household, Household.id == Member.household_id)
            .where(_ACTIVE_ID, Household.record_status == "在册"))
    if only:
        stmt = stmt.where(Member.household_id.in_(only))
    for household_id, id_no in plain_rows(conn, stmt):
        yield household_id, "id:" + _person_key(id_no)


@rule
def same_id_twice(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 1 within one household: two active members with the same ID number."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    seen: dict[str, str] = {}
    for p in fx.people:
        f = p.f
        key = _person_key(f.get("id_no"))
        if not key:
            continue
        name = f.get("name") or "成员"
        if key in seen:
            yield Finding("ID-05", ERROR, hh.id, "id_no", f"{name} 与 {seen[key]} 的证件号码相同（同一人重复登记）",
                          record="member", record_id=f.get("id") or "", member=name)
        else:
            seen[key] = name


@rule
def id_type_and_codes(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """证件类型 against the number's length; 民族 and 政治面貌 from their code tables (GZ 2_01_001,
    CHK21 08: a 政治面貌 other than the four usual ones is probably a slip)."""
    if hh.fields.get("record_status", "在册") != "在册":
        return
    ethnicities, statuses = labels(ctx, "民族"), labels(ctx, "政治面貌")
    for p in facts(hh, ctx).people:
        f = p.f
        name, id_type = f.get("name") or "成员", f.get("id_type")
        if id_type in ("残疾人证", "身份证"):
            raw = f.get("id_no")
            size = len(raw) if raw.__class__ is str and raw.isascii() and raw.isalnum() else len(normalize(raw))
            if id_type == "残疾人证" and size == 18:
                yield Finding("ID-06", WARNING, field="id_type",
                              message=f"{name} 证件类型为残疾人证，但证件号码只有18位",
                              **_where(hh, f))
            elif id_type == "身份证" and size in (20, 22):
                yield Finding("ID-06", WARNING, field="id_type",
                              message=f"{name} 证件号码为{size}位残疾人证号，证件类型却为身份证", **_where(hh, f))
        value = f.get("ethnicity")
        if value and ethnicities is not None and value not in ethnicities:
            yield Finding("ID-07", ERROR, field="ethnicity", message=f"{name} 民族“{value}”不在代码表中",
                          **_where(hh, f))
        value = f.get("political_status")
        if value and statuses is not None and value not in statuses:
            yield Finding("ID-07", ERROR, field="political_status", message=f"{name} 政治面貌“{value}”不在代码表中",
                          **_where(hh, f))
        elif value and value not in USUAL_POLITICAL:
            yield Finding("ID-08", WARNING, field="political_status",
                          message=f"{name} 政治面貌为“{value}”，疑似有误，请核实", **_where(hh, f))
