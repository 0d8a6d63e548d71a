"""Loading households with everything in them, in chunks, for validation, forms and the editor.

One query per table per chunk (not per household), so reading 20,000 households is a few dozen
queries; ``iter_households`` streams so memory stays flat however large the store is.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import partial
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnClause, ColumnElement, Connection, Dialect, Select, and_, literal_column, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator, TypeEngine

from ..bundle import HouseholdData, IncomeData, MeasureData, MemberData
from ..yearstatus import MIRRORED
from ..model import (
    MEASURE_DETAILS, Assessment, Base, Helper, HelperAssignment, Household, HouseholdYear, IncomeLine, IncomeYear,
    DeptWarning, Measure, Member, MemberYear, Plan, Procedure, ProcedureStep, RiskFlag, Visit, WorkRecord,
)

CHUNK = 1000


def _table(model: type[Base], parts: frozenset[str]) -> Select[*tuple[Any, ...]]:
    """A select of the whole row, or of a slim column set when ``parts`` asks for one."""
    names = SLIM_COLUMNS.get(model.__tablename__) if "slim" in parts else \
        SUMMARY_COLUMNS.get(model.__tablename__) if "summary" in parts else None
    table = model.__table__
    return select(*(table.c[n] for n in names)) if names else select(model)


def plain_rows(conn: Connection, stmt: Select[*tuple[Any, ...]] | str) -> list[tuple[Any, ...]]:
    """The rows as the driver gives them, plain tuples fetched at once, no type conversion (for
    text and integer columns). ``Result.all()`` fetches one row per call and wraps each in a
    ``Row``: for the 77,000 members a whole-store check compares across households, a third of
    the time of reading them. For the village store (SQLite's positional parameters), as ``_rows``."""
    if isinstance(stmt, str):
        sql, args = stmt, ()
    else:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        sql, args = str(compiled), tuple(params[name] for name in compiled.positiontup or ())
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, args)
        return cast(list[tuple[Any, ...]], cursor.fetchall())  # the DB-API: a list of tuples
    finally:
        cursor.close()


def _rows(conn: Connection, stmt: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The rows as dicts, with the values SQLAlchemy's column types give (Money as Decimal, dates…).

    Compiled once and run as plain SQL, fetched at once, with the types' conversions applied column
    by column: iterating SQLAlchemy's result fetches one row per call and converts each value
    through the row's processors, which cost as much as SQLite itself for the few hundred thousand
    rows of a whole-store check."""
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    result = conn.exec_driver_sql(str(compiled), tuple(params[name] for name in compiled.positiontup or ()))
    names = list(result.keys())
    fetched = result.fetchall()
    if not fetched:
        return []
    columns: list[Iterable[Any]] = list(zip(*fetched))
    for i, column in enumerate(stmt.selected_columns):
        process = _processor(column.type, dialect)
        if process is not None:
            columns[i] = map(process, columns[i])
    return [dict(zip(names, values)) for values in zip(*columns)]


# Keyed by the type itself (the loader selects table columns, whose types live as long as the model).
_PROCESSORS: dict[tuple[TypeEngine[Any], str], Callable[[Any], Any] | None] = {}


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a column's driver value on reading (None: the value as it is)."""
    key = (type_, dialect.name)
    if key not in _PROCESSORS:
        process = type_.dialect_impl(dialect).result_processor(dialect, None)
        if (process is not None and isinstance(type_, TypeDecorator)
                and type_.impl_instance.result_processor(dialect, None) is None):
            # Money and Area: their own conversion, without the decorator's wrapper around it
            # (a few hundred thousand values in a whole-store check).
            process = partial(type_.process_result_value, dialect=dialect)
        _PROCESSORS[key] = process
    return _PROCESSORS[key]


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


ALL_PARTS = frozenset({"members", "incomes", "measures", "details", "assignments", "visits", "plans",
                       "assessments", "risk_flags", "procedures", "procedure_steps", "warnings"})
# What a household's list summary is made of (services.households.refresh_summaries): the member rows
# without their year rows and work records, and of each table only the columns the summary reads or
# writes (the derived ones, to compare): a first download summarises 20,000 households at once, and
# reading their whole rows was half of it. tests/test_sync_down_snapshot.py holds the slim and the
# whole rows to the same summaries.
SUMMARY_PARTS = frozenset({"member_rows", "summary"})
SUMMARY_COLUMNS = {
    "household": ("id", "group_name", "head_name", "member_count", "head_sort", "group_sort", *MIRRORED),
    "household_year": ("id", "household_id", "year", *MIRRORED),
    "member": ("id", "household_id", "name", "relation", "record_status", "seq", "name_initials", "name_pinyin"),
}
# What the validation rules read; whole-store checks skip the rest, and of the tables below read
# only the columns the rules use ("slim"): reading and converting unused columns of a few hundred
# thousand rows was a large part of a whole-store check (issue 14). A rule that reads a column not
# listed here would see it blank, so tests/test_check_columns.py hands the rules rows that raise on
# any other column and checks that every column name the rules' code mentions is listed.
# The household and income_year rows are read whole (rules walk all their fields).
VALIDATION_PARTS = frozenset({"members", "incomes", "measures", "assessments", "procedures", "procedure_steps",
                              "warnings", "slim"})
SLIM_COLUMNS = {
    "household_year": (
        "id", "household_id", "year", "population", "main_cause", "other_causes", "household_type", "attribute",
        "monitoring_category", "no_labour_fallback", "risk_removed", "risk_removal_method", "risk_removed_at",
        "risks", "disaster_subtype", "risk_note", "development_measures", "assistance_category", "support_layer",
        "reassess_result", "reassessed_on", "reassessed_by", "reassess_reason", "arable_mu", "irrigated_mu",
        "forest_mu", "returned_forest_mu", "orchard_mu", "pasture_mu", "water_surface_mu", "drinking_safe",
        "household_power", "road_distance_km", "road_type", "road_hardened", "housing_area_m2", "dilapidated",
        "dilapidation_grade", "sanitary_toilet", "fuel_type", "safe_water_solved", "relocation_mode",
        "resettlement_mode", "resettlement_place", "food_secure", "clothing_secure", "education_secure",
        "medical_secure", "housing_secure", "water_secure"),
    "member": ("id", "household_id", "name", "gender", "id_type", "id_no", "birth_date", "relation", "ethnicity",
               "political_status", "phone", "record_status", "left_reason", "left_on", "seq"),
    "member_year": (
        "id", "member_id", "year", "education", "school_status", "out_of_school_reason", "health",
        "disability_category", "disability_grade", "disability_cert_year", "labour_skill", "work_status",
        "work_months", "work_place", "work_abroad", "employment_channel", "active_soldier", "resident_medical",
        "employee_medical", "critical_illness", "commercial_medical", "medical_assistance", "other_health_aid",
        "resident_pension", "dibao", "tekun", "speaks_mandarin", "public_post", "public_post_months",
        "public_post_start", "public_post_end", "assistance_category", "yulu_plan"),
    "work_record": ("id", "member_id", "planned", "start_on", "end_on", "county", "monthly_income", "channel"),
    "assessment": ("id", "household_id", "year", "kind", "income_per_capita", "threshold", "food_secure",
                   "clothing_secure", "education_secure", "medical_secure", "housing_secure", "water_secure",
                   "result"),
    "measure": ("household_id", "member_id", "year", "category", "subcategory", "name", "status", "end_on", "id"),
    "income_line": ("id", "income_id", "category", "item", "amount", "counts_toward_income", "sort"),
}
HouseholdFilter = Callable[[InstrumentedAttribute[str]], ColumnElement[bool]]  # household_id column -> condition
RUNNING = "实施中"  # 措施状态 of a measure still under way


def measures_seen_in(year: int) -> ColumnElement[bool]:
    """The measures the rules of ``year`` look at, as ``validation.rules._common._applies`` keeps
    them: the year's own, and earlier ones still running in it (ending on or after 1 January, or
    without an end and still 实施中). A whole-store check reads only these: in a township store about a
    quarter of the measure rows are finished measures of past years (issue 14).
    tests/test_check_columns.py holds the two to the same answer."""
    earlier_running = or_(and_(Measure.end_on.is_not(None), Measure.end_on >= date(year, 1, 1)),
                          and_(Measure.end_on.is_(None), Measure.status == RUNNING))
    return or_(Measure.year == year, and_(Measure.year < year, earlier_running))


def load_households(conn: Connection, ids: Sequence[str], parts: frozenset[str] = ALL_PARTS,
                    measures_year: int | None = None) -> list[HouseholdData]:
    """The households with these ids, in the given order (missing ids are skipped). With
    ``measures_year``, only the measures that year's rules look at (``measures_seen_in``)."""
    result: list[HouseholdData] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        # the lambda is called here, not kept
        loaded = {h.id: h for h in _load(conn, lambda col: col.in_(chunk), parts, measures_year)}
        result.extend(loaded[i] for i in chunk if i in loaded)
    return result


def iter_households(conn: Connection, chunk: int = CHUNK, parts: frozenset[str] = ALL_PARTS,
                    rowids: tuple[int, int] | None = None,
                    measures_year: int | None = None) -> Iterator[HouseholdData]:
    """Every household, streamed chunk by chunk in the order they were written.

    Chunks are ranges of the household table's rowid: a household's rows were written together, so
    a chunk's rows sit on neighbouring pages and each encrypted page is decrypted about once.
    (Chunks of random UUIDs would touch nearly every page of every table for every chunk.)
    ``rowids`` limits the walk to households whose rowid is in that inclusive range;
    ``measures_year`` as in ``load_households``.
    """
    rowid: ColumnClause[int] = literal_column("household.rowid")
    stmt = select(rowid).select_from(Household).order_by(rowid)
    if rowids is not None:
        stmt = stmt.where(rowid.between(*rowids))
    found = list(conn.execute(stmt).scalars())
    for start in range(0, len(found), chunk):
        lo, hi = found[start], found[min(start + chunk, len(found)) - 1]
        ids = select(Household.id).where(rowid.between(lo, hi)).scalar_subquery()
        yield from _load(conn, lambda col: col.in_(ids), parts, measures_year)  # called here, not kept


def _load(conn: Connection, of: HouseholdFilter, parts: frozenset[str],
          measures_year: int | None = None) -> list[HouseholdData]:
    rows = _rows(conn, _table(Household, parts).where(of(Household.id)))
    by_household = {r["id"]: HouseholdData(fields=r) for r in rows}
    for row in _rows(conn, _table(HouseholdYear, parts).where(of(HouseholdYear.household_id))):
        by_household[row["household_id"]].years[row["year"]] = row
    if "members" in parts or "member_rows" in parts:
        _attach_members(conn, of, by_household, parts)
    if "incomes" in parts:
        incomes = _rows(conn, select(IncomeYear).where(of(IncomeYear.household_id)))
        income_ids = select(IncomeYear.id).where(of(IncomeYear.household_id))
        lines = _grouped(_rows(conn, _table(IncomeLine, parts).where(IncomeLine.income_id.in_(income_ids))
                               .order_by(IncomeLine.sort)), "income_id")
        for inc in incomes:
            by_household[inc["household_id"]].incomes[inc["year"]] = IncomeData(inc, lines.get(inc["id"], []))
    if "measures" in parts:
        _attach_measures(conn, of, by_household, parts, measures_year)
    if "assignments" in parts:
        assignments = _rows(conn, select(HelperAssignment).where(of(HelperAssignment.household_id)))
        helper_ids = select(HelperAssignment.helper_id).where(of(HelperAssignment.household_id))
        helpers = {h["id"]: h for h in _rows(conn, select(Helper).where(Helper.id.in_(helper_ids)))}
        for a in assignments:
            household = by_household[a["household_id"]]
            household.assignments.append(a)
            if a["helper_id"] in helpers:
                household.helpers[a["helper_id"]] = helpers[a["helper_id"]]
    for name, model in (("visits", Visit), ("plans", Plan), ("assessments", Assessment), ("risk_flags", RiskFlag),
                        ("procedures", Procedure), ("procedure_steps", ProcedureStep), ("warnings", DeptWarning)):
        if name in parts:
            for row in _rows(conn, _table(model, parts).where(of(model.household_id))):
                getattr(by_household[row["household_id"]], name).append(row)
    return list(by_household.values())


def _attach_members(conn: Connection, of: HouseholdFilter, by_household: dict[str, HouseholdData],
                    parts: frozenset[str]) -> None:
    member_ids = select(Member.id).where(of(Member.household_id))
    m_years: dict[str, list[dict[str, Any]]] = {}
    works: dict[str, list[dict[str, Any]]] = {}
    if "members" in parts:  # else ("member_rows") the member rows alone
        m_years = _grouped(_rows(conn, _table(MemberYear, parts).where(MemberYear.member_id.in_(member_ids))),
                           "member_id")
        works = _grouped(_rows(conn, _table(WorkRecord, parts).where(WorkRecord.member_id.in_(member_ids))),
                         "member_id")
    for m in _rows(conn, _table(Member, parts).where(of(Member.household_id))):
        by_household[m["household_id"]].members.append(MemberData(
            fields=m, years={y["year"]: y for y in m_years.get(m["id"], [])}, work_records=works.get(m["id"], []),
        ))
    for household in by_household.values():
        if len(household.members) > 1:
            household.members.sort(key=_member_order)


# Members and measures are put in order here, household by household, rather than by an ORDER BY:
# SQLite's sorter copies every row of the chunk, which doubled the cost of reading them (issue 14).
# The keys are those the ORDER BY had, and they are unique (the id last), so the order is the same.
def _member_order(m: MemberData) -> tuple[bool, int, str]:
    seq = m.fields["seq"]
    return seq is not None, seq or 0, m.fields["id"]  # as ORDER BY seq, id: a missing seq first


def _measure_order(m: MeasureData) -> tuple[int, str]:
    return m.fields["year"], m.fields["id"]  # both NOT NULL


def _attach_measures(conn: Connection, of: HouseholdFilter, by_household: dict[str, HouseholdData],
                     parts: frozenset[str], year: int | None) -> None:
    details: dict[str, tuple[str, dict[str, Any]]] = {}
    if "details" in parts:
        measure_ids = select(Measure.id).where(of(Measure.household_id))
        for name, model in MEASURE_DETAILS.items():
            for row in _rows(conn, select(model).where(model.__table__.c.id.in_(measure_ids))):
                details[row["id"]] = (name, row)
    stmt = _table(Measure, parts).where(of(Measure.household_id))
    if year is not None:
        stmt = stmt.where(measures_seen_in(year))
    for m in _rows(conn, stmt):
        kind: str | None
        kind, detail = details.get(m["id"], (None, {}))
        by_household[m["household_id"]].measures.append(MeasureData(m, kind, detail))
    for household in by_household.values():
        if len(household.measures) > 1:
            household.measures.sort(key=_measure_order)
