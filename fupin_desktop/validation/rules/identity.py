"""Identity rules: ID numbers, birth date and gender, one person in two households (SPEC §7, §8.2 1–2)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, func, select

from ...bundle import HouseholdData
from ...model import Household, Member
from ..engine import ERROR, WARNING, Context, Finding, rule, store_rule
from ..idnumber import normalize, parse_id


@rule
def id_numbers(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    for m in hh.active_members():
        f = m.fields
        info = parse_id(f.get("id_no"))
        where = dict(household=hh.id, record="member", record_id=f["id"], member=f.get("name") or "")
        if info.problem:
            yield Finding("ID-01", info.severity, field="id_no",
                          message=f"{f.get('name') or '成员'} 证件号码：{info.problem}", **where)
        if info.birth_date and f.get("birth_date") and f["birth_date"] != info.birth_date:
            yield Finding("ID-02", ERROR, field="birth_date",
                          message=f"{f.get('name')} 出生日期 {f['birth_date']} 与证件号码（{info.birth_date}）不一致", **where)
        if info.gender and f.get("gender") and f["gender"] != info.gender:
            yield Finding("ID-03", ERROR, field="gender",
                          message=f"{f.get('name')} 性别“{f['gender']}”与证件号码（{info.gender}）不一致", **where)


@store_rule
def one_person_two_households(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[Finding]:
    """SPEC §8.2 rule 1: the same ID number active in more than one household (一人多户)."""
    active = (Member.record_status == "在册") & (Member.id_no.is_not(None)) & (Member.id_no != "")
    dupes = (
        select(Member.id_no)
        .join(Household, Household.id == Member.household_id)
        .where(active, Household.record_status == "在册")
        .group_by(Member.id_no)
        .having(func.count(func.distinct(Member.household_id)) > 1)
    )
    if only:
        mine = select(Member.id_no).where(Member.household_id.in_(only), active)
        dupes = dupes.where(Member.id_no.in_(mine))
    rows = conn.execute(
        select(Member.id, Member.name, Member.id_no, Member.household_id)
        .where(Member.id_no.in_(dupes), active)
        .order_by(Member.id_no)
    ).all()
    for member_id, name, id_no, household_id in rows:
        if only and household_id not in only:
            continue
        others = sum(1 for r in rows if r.id_no == id_no and r.household_id != household_id)
        yield Finding("ID-04", ERROR, household_id, "id_no",
                      f"{name} 证件号码 {normalize(id_no)[:6]}…在另外 {others} 户中也登记为在册成员（一人多户）",
                      record="member", record_id=member_id, member=name or "")


__all__ = ["WARNING"]
