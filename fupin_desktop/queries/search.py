"""Finding households: by name, pinyin (initials or full), ID digits, household number or group, with filters.

The result is a list of household ids in display order; the UI's table model holds only these ids
and fetches rows lazily (``household_rows``). Names sort by pinyin and groups by their number, from
the keys ``derive.py`` keeps in derived columns; household numbers sort as numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, asc, desc, exists, func, or_, select

from ..model import Household, HouseholdYear, IncomeYear, Member
from ..values import clean_text
from .lowincome import households_matching
from .procedures import households_with
from .years import current_year

_DIGITS = re.compile(r"^[0-9]+[xX]?$")
_LETTERS = re.compile(r"^[a-zA-Z]+$")

# Saved filters of the village tree (DESIGN: 未脱贫, 监测对象, 有错误, 信息不完整, by main cause).
NOT_EXITED = ("未脱贫", "预脱贫", "返贫")

# Each sort is a list of columns: a household number of fewer digits is the smaller number.
SORTABLE: dict[str, tuple[Any, ...]] = {
    "head_name": (Household.head_sort,),
    "group_name": (Household.group_sort,),
    "national_hh_no": (func.length(Household.national_hh_no), Household.national_hh_no),
    "member_count": (Household.member_count,),
    "poverty_status": (Household.poverty_status,),
    "error_count": (Household.error_count,),
    "updated_at": (Household.updated_at,),
}


@dataclass
class SearchQuery:
    text: str = ""
    village_code: str | None = None
    group_name: str | None = None
    poverty_status: str | None = None  # a label, or "未脱贫类" for every not-exited status
    attribute: str | None = None
    household_type: str | None = None
    main_cause: str | None = None
    monitoring: bool | None = None  # True: 监测对象 only
    monitoring_category: str | None = None
    risk_open: bool | None = None  # True: 监测对象 whose risk is not removed (风险未消除); False: removed
    has_errors: bool | None = None
    incomplete: bool | None = None  # households with warnings or missing per-year facts
    risk: str | None = None  # one of the year's 致贫/返贫风险
    income_min: Decimal | None = None  # per-capita net income of the year, inclusive
    income_max: Decimal | None = None  # exclusive
    include_left: bool = False
    procedure: str | None = None  # 待办 / 超期 / 预警待处置 (queries.procedures.FILTERS)
    low_income: str | None = None  # a 社会救助类别 or 防止返贫致贫对象, carried in ``year``
    layer: str | None = None  # 开发式帮扶 / 兜底保障 in ``year`` (set, else decided by labour)
    reassess_pending: bool = False  # former 建档立卡 households without a 评估 of ``year``
    year: int | None = None  # for main_cause, incomplete and the low-income filters
    sort: str = "group_name"
    descending: bool = False


def _text_condition(text: str) -> Any:
    text = clean_text(text).replace(" ", "")
    if not text:
        return None
    member = select(Member.household_id)
    if _DIGITS.match(text):
        # The whole ID number or its last digits, or (part of) the household number.
        ids = member.where(Member.id_no.like(f"%{text.upper()}"))
        return or_(Household.id.in_(ids), Household.national_hh_no.like(f"%{text}%"))
    if _LETTERS.match(text):
        # Initials ("zs") or full pinyin ("guo", "zhangs"), each by prefix. GLOB is case-sensitive,
        # so a prefix search can use the indexes (LIKE cannot).
        pattern = f"{text.lower()}*"
        return or_(Household.id.in_(member.where(Member.name_initials.op("GLOB")(pattern))),
                   Household.id.in_(member.where(Member.name_pinyin.op("GLOB")(pattern))))
    return or_(
        Household.id.in_(member.where(Member.name.like(f"%{text}%"))),
        Household.group_name.like(f"%{text}%"),
    )


def _conditions(q: SearchQuery) -> list[Any]:
    conds: list[Any] = []
    if not q.include_left:
        conds.append(Household.record_status == "在册")
    if (text := _text_condition(q.text)) is not None:
        conds.append(text)
    for column, value in ((Household.village_code, q.village_code), (Household.group_name, q.group_name),
                          (Household.attribute, q.attribute), (Household.household_type, q.household_type),
                          (Household.monitoring_category, q.monitoring_category)):
        if value:
            conds.append(column == value)
    if q.poverty_status == "未脱贫类":
        conds.append(Household.poverty_status.in_(NOT_EXITED))
    elif q.poverty_status:
        conds.append(Household.poverty_status == q.poverty_status)
    if q.monitoring is not None:
        conds.append(_monitored() if q.monitoring else ~_monitored())
    if q.risk_open is not None:
        removed = Household.risk_removed.is_(True)
        conds.append(and_(_monitored(), ~removed) if q.risk_open else removed)
    if q.has_errors is not None:
        conds.append(Household.error_count > 0 if q.has_errors else Household.error_count == 0)
    year_row = select(HouseholdYear.id).where(HouseholdYear.household_id == Household.id)
    if q.year:
        year_row = year_row.where(HouseholdYear.year == q.year)
    if q.main_cause:
        conds.append(exists(year_row.where(HouseholdYear.main_cause == q.main_cause)))
    if q.incomplete:
        conds.append(or_(Household.warning_count > 0, ~exists(year_row)))
    if q.risk:
        conds.append(exists(year_row.where(HouseholdYear.risks.like(f"%{q.risk}%"))))
    if q.income_min is not None or q.income_max is not None:
        income = select(IncomeYear.id).where(IncomeYear.household_id == Household.id)
        if q.year:
            income = income.where(IncomeYear.year == q.year)
        if q.income_min is not None:
            income = income.where(IncomeYear.per_capita_net >= q.income_min)
        if q.income_max is not None:
            income = income.where(IncomeYear.per_capita_net < q.income_max)
        conds.append(exists(income))
    return conds


def _monitored() -> Any:
    return and_(Household.monitoring_category.is_not(None), Household.monitoring_category != "")


def search_households(conn: Connection, q: SearchQuery) -> list[str]:
    columns = SORTABLE.get(q.sort, SORTABLE["group_name"])
    order = [desc(c) if q.descending else asc(c) for c in columns]
    conds = _conditions(q)
    if q.procedure:  # deadlines depend on today: judged in Python by the one procedure_state
        conds.append(Household.id.in_(sorted(households_with(conn, q.procedure, date.today()))))
    if q.low_income or q.layer or q.reassess_pending:  # judged per year by the figures' own rules
        year = q.year or current_year(conn)
        conds.append(Household.id.in_(sorted(households_matching(
            conn, year, category=q.low_income, layer=q.layer, pending=q.reassess_pending))))
    stmt = select(Household.id).where(*conds).order_by(*order, Household.national_hh_no, Household.id)
    return list(conn.execute(stmt).scalars())


ROW_COLUMNS = (
    Household.id, Household.village_code, Household.group_name, Household.national_hh_no, Household.head_name,
    Household.member_count, Household.phone, Household.attribute, Household.poverty_status,
    Household.household_type, Household.monitoring_category, Household.error_count, Household.warning_count,
    Household.record_status, Household.address,
)


def household_rows(conn: Connection, ids: list[str], year: int | None = None) -> dict[str, dict[str, Any]]:
    """List rows for these ids (for a lazy table model): household columns, the head's ID number,
    the year's main cause and per-capita income."""
    if not ids:
        return {}
    head_id = (select(Member.id_no).where(Member.household_id == Household.id, Member.relation == "户主",
                                           Member.record_status == "在册").limit(1).scalar_subquery())
    cause = select(HouseholdYear.main_cause).where(HouseholdYear.household_id == Household.id)
    income = select(IncomeYear.per_capita_net).where(IncomeYear.household_id == Household.id)
    if year:
        cause, income = cause.where(HouseholdYear.year == year), income.where(IncomeYear.year == year)
    else:
        cause, income = cause.order_by(HouseholdYear.year.desc()), income.order_by(IncomeYear.year.desc())
    stmt = select(*ROW_COLUMNS, head_id.label("head_id_no"), cause.limit(1).scalar_subquery().label("main_cause"),
                  income.limit(1).scalar_subquery().label("per_capita_net")).where(Household.id.in_(ids))
    return {row["id"]: dict(row) for row in conn.execute(stmt).mappings()}
