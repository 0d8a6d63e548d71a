"""What several rule modules need: a person's age and labour, the year's facts, label lookups.

``facts(hh, ctx)`` works out once per household what the rules ask again and again (ages, health
sets, who works, the year's measures and income figures) and keeps it while the same household is
being checked. The first registered rule, ``_begin``, forgets it, so a household edited in place
and checked again is seen afresh; code that calls single rule functions directly should call
``forget()`` after editing a household.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, literal_column, select
from sqlalchemy.sql.elements import SQLCoreOperations
from stdnum.cn import ric

from ...bundle import HouseholdData, MemberData, Row
from ...income import COLUMN_OF
from ...model import Household, Member, column_label
from ...queries.load import RUNNING, plain_rows
from ...model.income import BUSINESS_EXPENSE, CATEGORIES, INCOME_CATEGORIES, RIGID_EXPENSE
from ...yearstatus import ABLE_LABOUR, status_of, year_row
from ..engine import Context, Finding, rule
from ..horizon import Today
from ..idnumber import IdInfo, parse_id

ACTIVE = "在册"
CENT = Decimal("0.01")

FULL_LABOUR = ABLE_LABOUR  # the same test decides a household's 帮扶层级 (yearstatus.layer_from_labour)
WEAK_LABOUR = "弱劳动力或半劳动力"
NO_LABOUR = frozenset({"无劳动力", "丧失劳动力", WEAK_LABOUR})  # rule 20 treats weak labour as "no"
HEALTHY = "健康"
DISABLED = "残疾"
ILL = frozenset({"长期慢性病", "患有大病"})
# 在校生状况 values that mean "not at school".
NOT_AT_SCHOOL = frozenset({"", "非在校生", "学龄前儿童"})
DIBAO = frozenset({"农村低保", "城市低保", "是"})
TEKUN = frozenset({"农村特困", "城市特困", "是"})
POVERTY_STATUSES = frozenset({"未脱贫", "预脱贫", "已脱贫(享受政策)", "已脱贫(不享受政策)", "返贫"})

_SPLIT = re.compile(r"[,，、;；/\s]+")
_local = threading.local()
_labels_cache: dict[tuple[str, int | None], tuple[Any, frozenset[str] | None]] = {}


def split(value: Any) -> list[str]:
    """A multi-valued text field ("残疾,长期慢性病") as its labels."""
    if value is None:
        return []
    if value.__class__ is str and value.isalnum():
        return [value]
    return [p for p in _SPLIT.split(str(value).strip()) if p]


def label(table: str, column: str) -> str:
    return column_label(table, column)


def labels(ctx: Context, table_name: str, year: int | None = None) -> frozenset[str] | None:
    """The valid labels of a code table in ``year`` (all eras if none for that year); None when the
    code document has no such table (the check is then skipped)."""
    key = (table_name, year)
    cached = _labels_cache.get(key)
    if cached is not None and cached[0] is ctx.codes.doc:
        return cached[1]
    try:
        found = frozenset(ctx.codes.labels(table_name, year)) if year is not None else frozenset()
        if not found:
            found = ctx.codes.all_labels(table_name)
    except (KeyError, TypeError, AttributeError):
        found = None
    _labels_cache[key] = (ctx.codes.doc, found)
    return found


def blank(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def missing(row: Row, columns: tuple[str, ...]) -> list[str]:
    """The columns of ``row`` that are blank (None or empty text; 0 and 否 are answers)."""
    # Identity and class tests only: comparing a Decimal with None or "" goes through the slow
    # numbers-ABC check, and this runs for every person and household.
    return [c for c in columns if (v := row.get(c)) is None or v.__class__ is str and not v.strip()]


def text_of(value: Any) -> str:
    """A coded text value as a string ("" for blank); text from the store is already stripped."""
    return value if value.__class__ is str else "" if value is None else str(value)


def as_of(ctx: Context) -> date:
    """The day ages are computed at: the end of the accounting year, or today if that is earlier."""
    return min(date(ctx.year, 12, 31), ctx.today)


def age_at(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    if on.__class__ is Today:  # today (``as_of`` before the year's end): the age holds until a birthday
        return on.age_of(born)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _today() -> date:
    """The check's today (``horizon.Today``), read once per household check rather than from the
    context for every ID number."""
    return getattr(_local, "today", None) or date.today()


def quick_id(raw: Any) -> tuple[date, str] | None:
    """(birth date, gender) of a clean, valid 18-digit number, else None (then use ``parse_id``).
    The whole store has tens of thousands of numbers and python-stdnum's date parsing dominates."""
    if raw.__class__ is not str or len(raw) != 18 or not raw.isascii() or not raw[:17].isdigit():
        return None
    if not (raw[17].isdigit() or raw[17] == "X"):
        return None
    try:
        born = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > _today() or ric.calc_check_digit(raw) != raw[17]:
        return None
    return born, "男" if int(raw[16]) % 2 else "女"


def id_info(raw: Any) -> IdInfo:
    """``parse_id``, quicker for clean valid 18-digit numbers."""
    quick = quick_id(raw)
    if quick is not None:
        return IdInfo(raw, birth_date=quick[0], gender=quick[1])
    return parse_id(raw if raw is None or isinstance(raw, str) else str(raw), today=_today())


def birth_of(fields: Row) -> date | None:
    born = fields.get("birth_date")
    if isinstance(born, date):
        return born
    raw = fields.get("id_no")
    if raw:
        quick = quick_id(raw)
        return quick[0] if quick else id_info(raw).birth_date
    return None


def to_decimal(value: Any) -> Decimal | None:
    if value.__class__ is Decimal:
        return value if value.is_finite() else None
    if value is None or isinstance(value, bool):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


@dataclass(eq=False, slots=True)
class Person:
    """An active member as the rules see them in the accounting year."""

    m: MemberData
    f: Row
    y: Row | None  # the member_year row of the accounting year
    name: str
    born: date | None
    age: int | None
    health: frozenset[str]
    labour: str | None
    student: bool
    works: bool  # worked in the accounting year (year fields or a work record)
    plans_work: bool
    records: list[Row]  # work records that touch the accounting year (planned ones included)
    school: str = ""  # the year's text fields most rules read, as stripped strings
    education: str = ""
    reason: str = ""  # 失学或辍学原因
    dibao: str = ""
    tekun: str = ""

    @property
    def year_row(self) -> Row:
        """``y`` for the people in ``Facts.with_year``, who all have one (an empty row for others)."""
        return self.y if self.y is not None else {}

    def at(self, hh: HouseholdData, record: str = "member_year") -> dict[str, str]:
        if record == "member_year" and self.y is not None:
            rid = self.y.get("id") or ""
        else:
            record, rid = "member", self.f.get("id") or ""
        return {"household": hh.id, "record": record, "record_id": rid, "member": self.name}


@dataclass(eq=False, slots=True)
class Facts:
    hh: HouseholdData
    ctx: Context
    live: bool  # the household is on the books (注销 households are not checked)
    hy: Row | None  # household_year of the accounting year
    status: Row  # 属性, 户类型, 监测, risks, 风险消除 true in the accounting year (yearstatus.status_of)
    status_row: Row | None  # the household_year row they come from (this year's, or the latest before)
    people: list[Person]
    measures: list[Row]  # measures of the accounting year and earlier ones still running
    income: dict[str, Any] | None  # income figures of the accounting year
    in_monitoring: bool  # has a 监测对象类别
    removed: bool  # risk marked removed
    target: bool  # a 脱贫户/贫困户 or a 监测对象
    with_year: list[Person] = field(default_factory=list)  # people who have facts for the year
    # Everyone who belonged to the household at some time in the year: a 低保 member who died in
    # June still explains that year's 低保金 (the rules on money received look here).
    year_people: list[Person] = field(default_factory=list)
    wheres: dict[str, dict[str, str]] = field(default_factory=dict)
    measure_index: tuple[frozenset[Any], str] | None = None

    @property
    def monitored(self) -> bool:
        return self.in_monitoring and not self.removed

    @property
    def no_labour(self) -> bool:
        """整户无劳动力: nobody with any labour (weak labour counts as some)."""
        return bool(self.people) and all(
            p.labour in ("无劳动力", "丧失劳动力") for p in self.people
        )

    def at(self, record: str = "household") -> dict[str, str]:
        """Where a finding about the household, its year or its income points (callers only ** it)."""
        where = self.wheres.get(record)
        if where is None:
            row = {"household": self.hh.fields, "household_year": self.hy, "status": self.status_row,
                   "income_year": self.income.get("_row") if self.income else None}.get(record)
            where = self.wheres[record] = {"household": self.hh.id,
                                           "record": "household_year" if record == "status" else record,
                                           "record_id": (row or {}).get("id") or ""}
        return where


def _left_in_or_after(fields: Row, year: int) -> bool:
    left = fields.get("left_on")
    return isinstance(left, date) and left >= date(year, 1, 1)


def _in_year(record: Row, year: int) -> bool:
    start, end = record.get("start_on"), record.get("end_on")
    if isinstance(start, date) and start > date(year, 12, 31):
        return False
    if isinstance(end, date) and end < date(year, 1, 1):
        return False
    return True


def _person(hh: HouseholdData, m: MemberData, ctx: Context, on: date) -> Person:
    f = m.fields
    y = m.years.get(ctx.year)
    y = y if isinstance(y, dict) else None
    yv = y or {}
    born = birth_of(f)
    school = text_of(yv.get("school_status"))
    records = [r for r in m.work_records if isinstance(r, dict) and _in_year(r, ctx.year)]
    months = yv.get("work_months")
    works = bool((isinstance(months, int) and months > 0) or not blank(yv.get("work_place"))
                 or any(not r.get("planned") for r in records))
    return Person(
        m=m, f=f, y=y, name=str(f.get("name") or "成员"), born=born, age=age_at(born, on),
        health=frozenset(split(yv.get("health"))), labour=yv.get("labour_skill") or None,
        student=school not in NOT_AT_SCHOOL, works=works, plans_work=any(r.get("planned") for r in records),
        records=records, school=school, education=text_of(yv.get("education")),
        reason=text_of(yv.get("out_of_school_reason")), dibao=text_of(yv.get("dibao")), tekun=text_of(yv.get("tekun")),
    )


def _applies(measure: Row, year: int) -> bool:
    """A measure of the year, or an earlier one still running in it (the whole-store check reads
    only these: ``queries.load.measures_seen_in`` says the same in SQL)."""
    y = measure.get("year")
    if y == year:
        return True
    if not isinstance(y, int) or y > year:
        return False
    end = measure.get("end_on")
    if isinstance(end, date):
        return end >= date(year, 1, 1)
    return measure.get("status") == RUNNING


def income_figures(hh: HouseholdData, year: int, population: int | None) -> dict[str, Any] | None:
    """The year's income columns, worked out from the lines when the stored totals are missing."""
    inc = hh.incomes.get(year)
    if inc is None or not isinstance(inc.fields, dict):
        return None
    figures = dict(inc.fields)
    pop = figures.get("population") or population
    figures["_row"] = inc.fields
    figures["_lines"] = inc.lines
    figures["_population"] = pop
    _sum_lines(figures, inc.lines or ())
    if figures.get("total_income") is None and inc.lines:
        _fill_totals(figures)
    return figures


def _fill_totals(figures: dict[str, Any]) -> None:
    """The derived columns a bundle made in code has not got yet, as ``income.totals`` makes them."""
    sums = figures["_sums"]
    total = sum((sums[c] for c in INCOME_CATEGORIES), Decimal(0))
    net = total - sums[BUSINESS_EXPENSE]
    pop = figures["_population"]
    computed = {COLUMN_OF[c]: sums[c].quantize(CENT) for c in CATEGORIES}
    computed.update(total_income=total.quantize(CENT), net_income=net.quantize(CENT), per_capita_net=(
        (net / pop).quantize(CENT, rounding=ROUND_HALF_UP) if pop.__class__ is int and pop > 0 else None))
    if not any(isinstance(ln, dict) and ln.get("category") == RIGID_EXPENSE for ln in figures["_lines"]):
        computed[COLUMN_OF[RIGID_EXPENSE]] = None  # no 刚性支出 lines: unknown, as in income.totals
    for key, value in computed.items():
        if figures.get(key) is None:
            figures[key] = value


def _sum_lines(figures: dict[str, Any], lines: Iterable[Row]) -> None:
    """One pass over the lines: sums per category and per item (as ``income.totals`` counts them)
    and the lines with an unknown category or a negative amount."""
    sums = {c: Decimal(0) for c in CATEGORIES}
    items: dict[str, Decimal] = {}
    bad: list[Row] = []
    for ln in lines:
        if not isinstance(ln, dict):
            continue
        amount, category = to_decimal(ln.get("amount")), ln.get("category")
        known = isinstance(category, str) and category in sums
        if not known or (amount is not None and amount < 0):
            bad.append(ln)
        if amount is None or ln.get("counts_toward_income", True) is False:
            continue
        if isinstance(category, str) and category in sums:  # known (mypy does not narrow through `known`)
            sums[category] += amount
        item = ln.get("item")
        if isinstance(item, str):
            items[item] = items.get(item, Decimal(0)) + amount
    figures["_sums"], figures["_items"], figures["_bad"] = sums, items, bad


def line_sum(figures: dict[str, Any] | None, item: str) -> Decimal:
    """Total of the counted lines named ``item`` (e.g. 低保金)."""
    total: Decimal = (figures or {}).get("_items", {}).get(item, Decimal(0))
    return total


def per_capita(figures: dict[str, Any] | None) -> Decimal | None:
    if not figures:
        return None
    value = to_decimal(figures.get("per_capita_net"))
    if value is None:
        net, pop = to_decimal(figures.get("net_income")), figures.get("_population")
        if net is not None and isinstance(pop, int) and pop > 0:
            value = (net / pop).quantize(CENT, rounding=ROUND_HALF_UP)
    return value


def _target(f: Row, status: Row) -> bool:
    return bool(
        status.get("household_type") == "脱贫户" or status.get("monitoring_category") or status.get("attribute")
        or f.get("poverty_status") in POVERTY_STATUSES
    )


def facts(hh: HouseholdData, ctx: Context) -> Facts:
    cached: Facts | None = getattr(_local, "facts", None)
    if cached is not None and cached.hh is hh and cached.ctx is ctx:
        return cached
    f = hh.fields
    hy = hh.years.get(ctx.year)
    hy = hy if isinstance(hy, dict) else None
    on = as_of(ctx)
    people = [_person(hh, m, ctx, on) for m in hh.members if isinstance(m.fields, dict) and m.active]
    by_member = {id(p.m): p for p in people}
    population = (hy or {}).get("population") or len(people) or None
    measures = [ms.fields for ms in hh.measures if isinstance(ms.fields, dict) and _applies(ms.fields, ctx.year)]
    status = status_of(hh.years, ctx.year)
    result = Facts(
        hh=hh, ctx=ctx, live=f.get("record_status", ACTIVE) == ACTIVE, hy=hy, status=status,
        status_row=year_row(hh.years, ctx.year), people=people,
        measures=measures, income=income_figures(hh, ctx.year, population),
        in_monitoring=not blank(status.get("monitoring_category")), removed=status.get("risk_removed") is True,
        target=_target(f, status), with_year=[p for p in people if p.y is not None],
        # The active members as in ``people`` (the same facts, worked out once), with those who left.
        year_people=[by_member[id(m)] if id(m) in by_member else _person(hh, m, ctx, on) for m in hh.members
                     if isinstance(m.fields, dict) and (m.active or _left_in_or_after(m.fields, ctx.year))],
    )
    _local.facts = result
    return result


def forget() -> None:
    _local.facts = None


@rule
def _begin(hh: HouseholdData, ctx: Context) -> list[Finding]:
    """Registered first: a new check of a household starts from fresh facts."""
    forget()
    _local.today = ctx.today
    return []


def measure_text(m: Row) -> str:
    return f"{m.get('category') or ''}|{m.get('subcategory') or ''}|{m.get('name') or ''}"


def _measure_index(fx: Facts) -> tuple[frozenset[Any], str]:
    """The categories and the joined texts of the year's measures, built once per household."""
    if fx.measure_index is None:
        fx.measure_index = (frozenset(m.get("category") for m in fx.measures),
                            "\n".join(measure_text(m) for m in fx.measures))
    return fx.measure_index


def has_measure(fx: Facts, categories: frozenset[str] = frozenset(), words: tuple[str, ...] = (),
                member_id: str | None = None) -> bool:
    """A measure of the year in one of ``categories``, or whose sub-category or name mentions one of
    ``words``; limited to one beneficiary when ``member_id`` is given."""
    if not fx.measures:
        return False
    cats, text = _measure_index(fx)
    if cats.isdisjoint(categories) and not any(w in text for w in words):
        return False
    if member_id is None:
        return True
    for m in fx.measures:
        if m.get("member_id") == member_id and (
                m.get("category") in categories or any(w in measure_text(m) for w in words)):
            return True
    return False


def yuan(value: Any) -> str:
    d = to_decimal(value)
    return "空" if d is None else f"{d:.2f}"


def live_households(conn: Connection) -> dict[str, tuple[int, str | None, str | None]]:
    """Every active household: id -> (its place by 户主, head, phone), read in one pass.

    The cross-household rules over the whole store read members with this rather than joining
    ``household``: the join looked up the wide household row of every member (three times the
    time). Members sorted by their household's place, then as written, come in the order the
    join gave them (it walked ``ix_household_by_head``, then each household's members by rowid), so
    the findings are listed as before."""
    rows = plain_rows(conn, select(Household.id, Household.head_name, Household.phone)
                      .where(Household.record_status == ACTIVE).order_by(Household.head_sort, Household.id))
    return {h: (place, head, phone) for place, (h, head, phone) in enumerate(rows)}


def in_household_order(conn: Connection, columns: tuple[SQLCoreOperations[Any], ...], where: ColumnElement[bool],
                       live: dict[str, tuple[int, str | None, str | None]]) -> list[tuple[Any, ...]]:
    """``columns`` of the members matching ``where`` in active households (the last column must be
    the household id), in the order of ``live_households`` and then as written."""
    rowid: ColumnElement[int] = literal_column("member.rowid")
    kept = [r for r in plain_rows(conn, select(*columns, rowid).select_from(Member).where(where)) if r[-2] in live]
    kept.sort(key=lambda r: (live[r[-2]][0], r[-1]))
    return [r[:-1] for r in kept]


# An active member of an active household as the whole-store passes compare them:
# (id, name, id_no, phone, household id).
ActiveMember = tuple[str, str, str | None, str | None, str]
LiveHouseholds = dict[str, tuple[int, str | None, str | None]]  # see ``live_households``


def whole_store_members(conn: Connection, shared: dict[str, Any]) -> tuple[LiveHouseholds, list[ActiveMember]]:
    """``live_households`` and the active members with an ID number or a phone in them, in their
    order (``in_household_order``): read once per full check for every whole-store pass (``shared``,
    see ``engine.WholePass``). Each pass read them on its own before: 77,000 members twice."""
    found: tuple[LiveHouseholds, list[ActiveMember]] | None = shared.get("members")
    if found is None:
        live = live_households(conn)
        filled = [(c.is_not(None)) & (c != "") for c in (Member.id_no, Member.phone)]
        rows = in_household_order(conn, (Member.id, Member.name, Member.id_no, Member.phone, Member.household_id),
                                  (Member.record_status == ACTIVE) & (filled[0] | filled[1]), live)
        found = shared["members"] = (live, rows)
    return found
