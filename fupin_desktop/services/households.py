"""Writing households and everything in them. Each function is one step inside a unit of work;
the caller (CLI command, UI op, import) opens the unit of work and so owns the transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .. import income as income_calc
from .. import yearstatus
from ..bundle import HouseholdData, MeasureData, MemberData, Row
from ..derive import household_keys, member_keys
from ..errors import InvalidInput
from ..queries.load import load_households
from ..queries.years import current_year
from ..validation.engine import Context, mark_household
from ..model import (
    MEASURE_DETAILS, Assessment, Attachment, Base, Helper, Household, HouseholdYear, HelperAssignment, IncomeLine,
    IncomeYear, Measure, Member, MemberYear, Plan, Procedure, ProcedureStep, RiskFlag, Visit, WorkRecord, new_id,
    record_id,
)

from .uow import UnitOfWork

if TYPE_CHECKING:
    from ..store.store import Store

Rows = tuple[list[Row], list[str]]  # a table's rows and the household that owns each
Put = Callable[[type[Base], Row, str], str]  # adds a row for a household, returns its id

ACTIVE = "在册"
LEFT = "注销"


# ---- creating whole households (single registration, demo, import) ----------------------------
def create_households(uow: UnitOfWork, bundles: Sequence[HouseholdData], *, trusted: bool = False) -> list[str]:
    """Insert complete households in one executemany per table, each row logged.

    ``trusted`` is for rows the core generated with proper types (demo data); anything a person or
    a file supplied goes through coercion.
    """
    for model, (rows, owners) in flatten(bundles, compute_income=trusted).items():
        uow.insert_many(model, rows, household_ids=owners, trusted=trusted)
    if not trusted:
        # Coerced values are only known after insert; recompute what depends on them.
        for bundle in bundles:
            for year in bundle.incomes:
                recompute_income(uow, bundle.id, year)
    return [b.id for b in bundles]


def flatten(bundles: Sequence[HouseholdData], *, compute_income: bool) -> dict[type[Base], Rows]:
    """The rows of each table for these households (ids assigned), parents before children,
    with the owning household of every row."""
    tables: dict[type[Base], Rows] = {}

    def put(model: type[Base], row: Row, household_id: str) -> str:
        if "id" not in row:
            row["id"] = record_id(model.__table__, row)
        rows, owners = tables.setdefault(model, ([], []))
        rows.append(row)
        owners.append(household_id)
        row_id: str = row["id"]
        return row_id

    for bundle in bundles:
        hh = dict(bundle.fields)
        hh_id = hh.setdefault("id", new_id())
        bundle.fields["id"] = hh_id
        active = [m for m in bundle.members if m.fields.get("record_status", ACTIVE) == ACTIVE]
        hh["member_count"] = len(active)
        hh["head_name"] = next((m.fields.get("name") for m in active if m.fields.get("relation") == "户主"), None)
        hh.update(household_keys(hh["head_name"], hh.get("group_name")))
        if bundle.years:  # the list's copy of the newest year's status
            hh.update(yearstatus.mirror(bundle.years, max(bundle.years)))
        put(Household, hh, hh_id)
        for year, facts in bundle.years.items():
            put(HouseholdYear, {**facts, "household_id": hh_id, "year": year}, hh_id)
        for member in bundle.members:
            _put_member(put, member, hh_id)
        for year, inc in bundle.incomes.items():
            population = inc.fields.get("population") or bundle.years.get(year, {}).get("population") or len(active)
            inc_row = {**inc.fields, "household_id": hh_id, "year": year, "population": population}
            inc_row.update(income_calc.totals(inc.lines, population) if compute_income else {})
            inc_id = put(IncomeYear, inc_row, hh_id)
            for sort, line in enumerate(inc.lines):
                put(IncomeLine, {"sort": sort, **income_calc.with_default_counts(line), "income_id": inc_id}, hh_id)
        for measure in bundle.measures:
            m_id = put(Measure, {**measure.fields, "household_id": hh_id}, hh_id)
            if measure.kind:
                put(MEASURE_DETAILS[measure.kind], {**measure.detail, "id": m_id}, hh_id)
        for model, rows in ((HelperAssignment, bundle.assignments), (Visit, bundle.visits), (Plan, bundle.plans),
                            (Assessment, bundle.assessments), (RiskFlag, bundle.risk_flags),
                            (Procedure, bundle.procedures), (ProcedureStep, bundle.procedure_steps)):
            for row in rows:
                put(model, {**row, "household_id": hh_id}, hh_id)
    return tables


def _put_member(put: Put, member: MemberData, hh_id: str) -> None:
    row = {"record_status": ACTIVE, **member.fields, "household_id": hh_id}
    row.update(member_keys(row.get("name")))
    m_id = put(Member, row, hh_id)
    member.fields["id"] = m_id
    for year, facts in member.years.items():
        put(MemberYear, {**facts, "member_id": m_id, "year": year}, hh_id)
    for record in member.work_records:
        put(WorkRecord, {**record, "member_id": m_id}, hh_id)


def register_household(uow: UnitOfWork, bundle: HouseholdData) -> str:
    return create_households(uow, [bundle])[0]


# ---- editing ------------------------------------------------------------------------------
def update_household(uow: UnitOfWork, household_id: str, changes: Row) -> dict[str, tuple[Any, Any]]:
    return uow.update(Household, household_id, changes)


def save_household_year(uow: UnitOfWork, household_id: str, year: int, changes: Row) -> str:
    """A new year starts with the status of the latest earlier year (a status lasts until changed)."""
    assert uow.conn is not None
    table = HouseholdYear.__table__
    exists = uow.conn.execute(select(table.c.id).where(table.c.household_id == household_id,
                                                       table.c.year == year)).first()
    if exists is None:
        earlier = uow.conn.execute(
            select(*(table.c[name] for name in yearstatus.YEAR_STATUS))
            .where(table.c.household_id == household_id, table.c.year < year)
            .order_by(table.c.year.desc()).limit(1)).mappings().first()
        carried = {k: v for k, v in (earlier or {}).items() if v is not None}
        changes = {**carried, **changes}
    return _upsert_year(uow, HouseholdYear, "household_id", household_id, year, changes, household_id)


def add_member(uow: UnitOfWork, household_id: str, fields: Row, years: dict[int, Row] | None = None) -> str:
    uow.get(Household, household_id)
    if not fields.get("name"):
        raise InvalidInput("成员姓名不能为空。", field="姓名")
    row = {"record_status": ACTIVE, **fields, "household_id": household_id}
    member_id = uow.insert(Member, row)
    _refresh_keys(uow, member_id)
    for year, facts in (years or {}).items():
        save_member_year(uow, member_id, year, facts)
    return member_id


def update_member(uow: UnitOfWork, member_id: str, changes: Row) -> dict[str, tuple[Any, Any]]:
    result = uow.update(Member, member_id, changes)
    if "name" in result:
        _refresh_keys(uow, member_id)
    return result


def _refresh_keys(uow: UnitOfWork, member_id: str) -> None:
    uow.update(Member, member_id, member_keys(uow.get(Member, member_id)["name"]))


def save_member_year(uow: UnitOfWork, member_id: str, year: int, changes: Row) -> str:
    household_id = uow.get(Member, member_id)["household_id"]
    return _upsert_year(uow, MemberYear, "member_id", member_id, year, changes, household_id)


def _upsert_year(uow: UnitOfWork, model: type[Base], owner_col: str, owner_id: str, year: int, changes: Row,
                 household_id: str) -> str:
    assert uow.conn is not None
    table = model.__table__
    existing: str | None = uow.conn.execute(
        select(table.c.id).where(table.c[owner_col] == owner_id, table.c.year == year)
    ).scalar_one_or_none()
    if existing is None:
        return uow.insert(model, {**changes, owner_col: owner_id, "year": year}, household_id=household_id)
    uow.update(model, existing, changes, household_id=household_id)
    return existing


def member_leaves(uow: UnitOfWork, member_id: str, reason: str, on: date | str) -> None:
    """死亡, 迁出, 嫁出, 识别错误…: the member stays in the file, marked with why and when."""
    if not reason:
        raise InvalidInput("请填写成员变更原因（如死亡、迁出、嫁出）。", field="变更原因")
    uow.update(Member, member_id, {"record_status": LEFT, "left_reason": reason, "left_on": on})


def household_leaves(uow: UnitOfWork, household_id: str, reason: str, on: date | str) -> None:
    if not reason:
        raise InvalidInput("请填写注销原因。", field="注销原因")
    uow.update(Household, household_id, {"record_status": LEFT, "left_reason": reason, "left_on": on})


# ---- income ---------------------------------------------------------------------------------
def save_income(uow: UnitOfWork, household_id: str, year: int, lines: Iterable[Row], **fields: Any) -> str:
    """Replace the year's line items with ``lines`` (each may carry the ``id`` of an existing line)
    and recompute the totals. Lines not given any more are removed (and logged as removed)."""
    assert uow.conn is not None
    income_id = _upsert_year(uow, IncomeYear, "household_id", household_id, year, fields, household_id)
    existing = set(uow.conn.execute(select(IncomeLine.id).where(IncomeLine.income_id == income_id)).scalars())
    kept: set[str] = set()
    for sort, line in enumerate(lines):
        values = {"sort": sort, **income_calc.with_default_counts(line), "income_id": income_id}
        if line.get("id") in existing:
            uow.update(IncomeLine, line["id"], values, household_id=household_id)
            kept.add(line["id"])
        else:
            uow.insert(IncomeLine, {k: v for k, v in values.items() if k != "id"}, household_id=household_id)
    for stale in existing - kept:
        uow.delete(IncomeLine, stale, household_id=household_id)
    recompute_income(uow, household_id, year)
    return income_id


def add_incomes(uow: UnitOfWork, incomes: Sequence[tuple[str, int, list[Row], Row]], *, trusted: bool = False) -> None:
    """Income years not in the store yet, ``(household, year, lines, the year's fields)``, in one
    executemany per table (an import): the same rows and totals as ``save_income`` writes one by one.
    ``trusted``: values already parsed by their columns' parsers (``uow.insert_many``)."""
    assert uow.conn is not None
    declared: dict[tuple[str, int], int | None] = {}
    members: dict[str, int | None] = {}
    ids = sorted({h for h, *_ in incomes})
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        declared.update(((h, y), p) for h, y, p in uow.conn.execute(
            select(HouseholdYear.household_id, HouseholdYear.year, HouseholdYear.population)
            .where(HouseholdYear.household_id.in_(chunk))))
        members.update((h, n) for h, n in uow.conn.execute(
            select(Household.id, Household.member_count).where(Household.id.in_(chunk))))
    years, owners, all_lines = [], [], []
    for household_id, year, lines, fields in incomes:
        counted = [income_calc.with_default_counts(line) for line in lines]
        population = fields.get("population") or declared.get((household_id, year)) or members.get(household_id) or None
        years.append({**fields, "household_id": household_id, "year": year, **income_calc.totals(counted, population)})
        owners.append(household_id)
        all_lines.append(counted)
    income_ids = uow.insert_many(IncomeYear, years, household_ids=owners, trusted=trusted)
    rows = [{"sort": sort, **line, "income_id": income_id}
            for income_id, lines in zip(income_ids, all_lines, strict=True) for sort, line in enumerate(lines)]
    line_owners = [owner for owner, lines in zip(owners, all_lines, strict=True) for _ in lines]
    uow.insert_many(IncomeLine, rows, household_ids=line_owners, trusted=trusted)


def recompute_income(uow: UnitOfWork, household_id: str, year: int) -> None:
    assert uow.conn is not None
    income = uow.conn.execute(
        select(IncomeYear).where(IncomeYear.household_id == household_id, IncomeYear.year == year)
    ).mappings().one()
    lines = uow.conn.execute(select(IncomeLine).where(IncomeLine.income_id == income["id"])).mappings().all()
    population = income["population"] or _population(uow, household_id, year)
    uow.update(IncomeYear, income["id"], income_calc.totals(lines, population), household_id=household_id)


def _population(uow: UnitOfWork, household_id: str, year: int) -> int | None:
    assert uow.conn is not None
    declared = uow.conn.execute(
        select(HouseholdYear.population).where(HouseholdYear.household_id == household_id, HouseholdYear.year == year)
    ).scalar_one_or_none()
    if declared:
        return declared
    return uow.get(Household, household_id)["member_count"] or None


# ---- measures, helpers, visits -------------------------------------------------------------
def add_measure(uow: UnitOfWork, household_id: str, measure: MeasureData) -> str:
    measure_id = uow.insert(Measure, {**measure.fields, "household_id": household_id})
    if measure.kind:
        uow.insert(MEASURE_DETAILS[measure.kind], {**measure.detail, "id": measure_id}, household_id=household_id)
    return measure_id


def add_measures(uow: UnitOfWork, measures: Sequence[tuple[str, MeasureData]], *, trusted: bool = False) -> list[str]:
    """Measures without a kind's detail, ``(household, measure)``, in one executemany (an import)."""
    assert not any(m.kind for _, m in measures)
    return uow.insert_many(Measure, [{**m.fields, "household_id": h} for h, m in measures],
                           household_ids=[h for h, _ in measures], trusted=trusted)


def add_assessments(uow: UnitOfWork, assessments: Sequence[tuple[str, Row]], *, trusted: bool = False) -> list[str]:
    """Assessments (识别/退出/风险消除/返贫), ``(household, fields)``, in one executemany (an import)."""
    return uow.insert_many(Assessment, [{**a, "household_id": h} for h, a in assessments],
                           household_ids=[h for h, _ in assessments], trusted=trusted)


def update_assessment(uow: UnitOfWork, assessment_id: str, changes: Row) -> None:
    uow.update(Assessment, assessment_id, changes)


def update_measure(uow: UnitOfWork, measure_id: str, changes: Row, detail: Row | None = None) -> None:
    household_id = uow.get(Measure, measure_id)["household_id"]
    uow.update(Measure, measure_id, changes)
    if detail:
        kind = next((k for k, model in MEASURE_DETAILS.items() if _has_row(uow, model, measure_id)), None)
        if kind is None:
            raise InvalidInput("该措施没有附加明细，无法修改明细字段。")
        uow.update(MEASURE_DETAILS[kind], measure_id, detail, household_id=household_id)


def delete_measure(uow: UnitOfWork, measure_id: str) -> None:
    """A measure entered by mistake: its detail row and itself, each logged as a deletion (and synced)."""
    household_id = uow.get(Measure, measure_id)["household_id"]
    for model in MEASURE_DETAILS.values():
        if _has_row(uow, model, measure_id):
            uow.delete(model, measure_id, household_id=household_id)
    uow.delete(Measure, measure_id)


def _has_row(uow: UnitOfWork, model: type[Base], row_id: str) -> bool:
    assert uow.conn is not None
    table = model.__table__
    return uow.conn.execute(select(table.c.id).where(table.c.id == row_id)).first() is not None


def add_helper(uow: UnitOfWork, fields: Row) -> str:
    """A new 帮扶责任人 (not tied to one household: one cadre helps several)."""
    if not str(fields.get("name") or "").strip():
        raise InvalidInput("帮扶责任人姓名没有填写。", field="姓名")
    return uow.insert(Helper, fields)


def assign_helper(uow: UnitOfWork, household_id: str, helper_id: str, start: date | str) -> str:
    """A hand-over ends the current assignment and adds a new one; history is kept."""
    assert uow.conn is not None
    uow.get(Household, household_id)
    current = uow.conn.execute(
        select(HelperAssignment.id).where(HelperAssignment.household_id == household_id,
                                          HelperAssignment.end_on.is_(None))
    ).scalars().all()
    for assignment_id in current:
        uow.update(HelperAssignment, assignment_id, {"end_on": start})
    return uow.insert(HelperAssignment, {"household_id": household_id, "helper_id": helper_id, "start_on": start})


MAX_PHOTO_BYTES = 20 * 1024 * 1024


def add_visit(uow: UnitOfWork, household_id: str, fields: Row,
              photos: Iterable[tuple[str, bytes, str]] = ()) -> str:
    """A visit with its photos; the photos go into the encrypted store, never to loose files."""
    photos = list(photos)
    for filename, data, _ in photos:  # a photo travels inside one sync package, which has a size limit
        if len(data) > MAX_PHOTO_BYTES:
            raise InvalidInput(f"照片“{filename}”太大（{len(data) / 1024 / 1024:.1f} MB），每张最多 "
                               f"{MAX_PHOTO_BYTES // 1024 // 1024} MB。", hint="请缩小照片后再添加。")
    visit_id = uow.insert(Visit, {**fields, "household_id": household_id})
    for filename, data, mime in photos:
        uow.insert(Attachment, {
            "owner_table": "visit", "owner_id": visit_id, "kind": "照片", "filename": filename, "mime": mime,
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "data": data,
        }, household_id=household_id)
    return visit_id


def update_visit(uow: UnitOfWork, visit_id: str, changes: Row) -> dict[str, tuple[Any, Any]]:
    if "visited_on" in changes and not str(changes["visited_on"] or "").strip():
        raise InvalidInput("走访时间不能为空。", field="走访时间")
    return uow.update(Visit, visit_id, changes)


def delete_visit(uow: UnitOfWork, visit_id: str) -> None:
    """A visit and its photos, each logged as a deletion (and synced)."""
    assert uow.conn is not None
    household_id = uow.get(Visit, visit_id)["household_id"]
    photos = uow.conn.execute(select(Attachment.id).where(Attachment.owner_table == "visit",
                                                          Attachment.owner_id == visit_id)).scalars().all()
    for photo_id in photos:
        uow.delete(Attachment, photo_id, household_id=household_id)
    uow.delete(Visit, visit_id)


# ---- what the core keeps up to date after every save ----------------------------------------
def refresh_households(uow: UnitOfWork, household_ids: Sequence[str]) -> None:
    """Head's name and member count (for lists), then the validation marks (never blocking)."""
    assert uow.conn is not None
    ctx = Context.for_store(uow.conn, current_year(uow.conn))
    for household in load_households(uow.conn, list(household_ids)):
        refresh_summary(uow, household, ctx.year)
        mark_household(uow.conn, household, ctx)


# What ``refresh_summary`` is made of, per table: a record of these written new or deleted, or one of
# these fields changed, leaves the household's summary stale (a phone number does not).
SUMMARY_INPUTS: dict[str, frozenset[str]] = {
    "household": frozenset({"group_name"}),
    "member": frozenset({"household_id", "name", "relation", "record_status"}),
    "household_year": frozenset({"household_id", "year", *yearstatus.MIRRORED}),
}


def refresh_summary(uow: UnitOfWork, household: HouseholdData, year: int) -> None:
    """What the household list reads: the head's name, the member count, the sort and search keys
    (members written by replay or sync get their keys here too), and ``year``'s status."""
    head = household.head()
    head_name = head.fields.get("name") if head else None
    uow.update(Household, household.id, {"head_name": head_name, "member_count": len(household.active_members()),
                                         **household_keys(head_name, household.fields.get("group_name")),
                                         **yearstatus.mirror(household.years, year)})
    for member in household.members:
        keys = member_keys(member.fields.get("name"))
        if any(member.fields.get(k, keys[k]) != v for k, v in keys.items()):
            uow.update(Member, member.fields["id"], keys, household_id=household.id)


def refresh_summaries(uow: UnitOfWork, households: Sequence[HouseholdData], year: int) -> None:
    """``refresh_summary`` for many households at once (after a first download): the same values, written
    with one statement per table (they are derived columns: nothing is logged)."""
    heads, members = [], []
    for household in households:
        head = household.head()
        head_name = head.fields.get("name") if head else None
        heads.append((household.id, {"head_name": head_name, "member_count": len(household.active_members()),
                                     **household_keys(head_name, household.fields.get("group_name")),
                                     **yearstatus.mirror(household.years, year)}, household.fields))
        members += [(m.fields["id"], member_keys(m.fields.get("name")), m.fields) for m in household.members]
    uow.update_derived(Household, heads)
    uow.update_derived(Member, members)


def unit_of_work(store: "Store", user: str | None = None, *, check: bool = True,
                 origin: str | None = None) -> UnitOfWork:
    """The unit of work every service opens: it refreshes what it touched before committing."""
    return UnitOfWork(store, user, check=check, origin=origin, before_commit=refresh_households)
