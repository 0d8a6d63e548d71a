"""Income and measure sheets (收入明细, 帮扶措施): one row a line item or a measure, belonging to the
household named by 户编号 or 户主证件号码 — one of the same file's roster, or one already in the store.

They are read beside the roster (``sheets.py`` hands a sheet here when its header says what it is)
and written after it, in the same unit of work, so a dry run shows what they would leave as well.
A row whose household or member cannot be found, or whose 类别 is not one of the accounting's, is a
problem on its row; nothing is written raw. The year's lines in the file replace the year's lines in
the store (that is what importing a year's accounting means); the same lines again change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from ..bundle import MeasureData
from ..model import Assessment, Base, Household, IncomeLine, IncomeYear, Measure, Member
from ..model.income import CATEGORIES
from ..paths import resources_dir
from ..services.households import (
    add_assessments, add_incomes, add_measures, save_income, update_assessment, update_measure,
)
from ..services.uow import UnitOfWork
from .header import ColumnMap
from . import income_columns
from .income_columns import IncomeField
from .layout import Field, alias_index, header_key
from .problem import ERROR, INFO, WARNING, Places, Problem
from .rows import RowCleaner, RowRecord, ValueChoices, not_data

INCOME, MEASURES, ASSESSMENTS = "income", "measures", "assessments"
WRITE_CHUNK = 500  # households whose rows are made into records and written at a time
_SCAN = 30


@lru_cache(maxsize=None)
def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((resources_dir() / "tabular" / "linked.json").read_text("utf-8"))
    return doc


def _label(key: str) -> str:
    table, column = key.split(".", 1)
    found = Base.metadata.tables.get(table)
    return str(found.c[column].info["label"]) if found is not None else key


@lru_cache(maxsize=None)
def _index(kind: str) -> dict[str, Field]:
    """Every name a column of this kind of sheet may go by → its field (the declared label first)."""
    doc = _doc()
    index: dict[str, Field] = {}
    named = {**doc["keys"], **doc["kinds"][kind]["columns"]}
    for key, aliases in named.items():
        label = aliases[0] if key.startswith("group.") else _label(key)
        for name in (label, *aliases):
            index.setdefault(header_key(name), Field(key, label, tuple(aliases)))
    return index


@lru_cache(maxsize=None)
def _item_categories() -> dict[str, tuple[str, bool]]:
    """income_items.json: item → (its category, counts toward income by default)."""
    doc = json.loads((resources_dir() / "codes" / "income_items.json").read_text("utf-8"))
    return {item: (category, counts) for category, items in doc["categories"].items() for item, counts in items}


def sheet_kind(rows: list[tuple[Any, ...]]) -> tuple[str, int] | None:
    """(kind, 1-based header row) when one of the first rows is an income or measures header."""
    for number, cells in enumerate(rows[:_SCAN], start=1):
        for kind, spec in _doc()["kinds"].items():
            index = _index(kind)
            keys = {index[k].key for c in cells if isinstance(c, str) and (k := header_key(c)) in index}
            if any(keys.issuperset(names) for names in spec["detect"]):
                return kind, number
        if _wide_income(cells):
            return INCOME, number
    return None


def _wide_income(cells: tuple[Any, ...]) -> bool:
    """A household-year row per household with income as one column per item, and nothing of the
    roster but what names the household (a national 户 sheet with 致贫原因 is a roster)."""
    index, roster = _index(INCOME), alias_index()
    keys = [header_key(c) for c in cells if isinstance(c, str) and c.strip()]
    named = {index[k].key for k in keys if k in index}
    if not named & {"household.national_hh_no", "group.head_id_no"}:
        return False
    income = [k for k in keys if k in roster and isinstance(roster[k], IncomeField)]
    other = [k for k in keys if k in roster and not isinstance(roster[k], IncomeField) and k not in index]
    return bool(income) and not other


def kind_label(kind: str) -> str:
    return str(_doc()["kinds"][kind]["label"])


def column_map(kind: str, header_row: int, cells: tuple[Any, ...]) -> ColumnMap:
    headers = ["" if c is None else str(c).strip() for c in cells]
    columns = ColumnMap(header_row, headers)
    index, totals = _index(kind), {header_key(t) for t in _doc()["totals"]}
    if kind == INCOME and _wide_income(cells):  # its category columns are items, not totals to skip
        roster = alias_index()
        index = {**{k: f for k, f in roster.items() if isinstance(f, IncomeField)},
                 **{k: _year_note(f) for k, f in index.items()}}
        totals = {header_key(t) for t in _doc()["totals"] if not isinstance(roster.get(header_key(t)), IncomeField)}
    taken: dict[str, str] = {}
    for i, text in enumerate(headers):
        if not text:
            continue
        chosen = index.get(header_key(text))
        if chosen is None:
            columns.ignored[i] = ("合计由明细计算，不导入" if header_key(text) in totals
                                  else f"{kind_label(kind)}表里没有对应的字段")
        elif chosen.key in taken:
            columns.ignored[i] = f"与前面的“{taken[chosen.key]}”列是同一字段（{chosen.label}），采用前一列"
        else:
            columns.fields[i], taken[chosen.key] = chosen, text
    return columns


def _year_note(f: Field) -> Field:
    """With one row a household-year, its 说明 is the year's, not a line's."""
    return Field("income_year.note", f.label, f.aliases) if f.key == "income_line.note" else f


@dataclass(slots=True)
class LinkedRow:
    """A row of a 收入明细, 帮扶措施 or 评估记录 sheet, kept compact (a 10,000-household file has 200,000 of
    them, held until they are written): its fields' names as a tuple shared by the rows that give
    the same fields, its values as a tuple; ``record`` gives it back as a row."""

    kind: str
    number: int
    sheet: str
    bad: bool
    keys: tuple[str, ...]
    cells: tuple[Any, ...]

    @classmethod
    def of(cls, kind: str, record: RowRecord) -> LinkedRow:
        return cls(kind, record.number, record.sheet, record.bad, record.keys, record.cells)

    @property
    def record(self) -> RowRecord:
        return RowRecord(self.number, dict(zip(self.keys, self.cells, strict=True)), self.bad, self.sheet)

    def get(self, key: str) -> Any:
        return self.cells[self.keys.index(key)] if key in self.keys else None


@dataclass
class LinkedRead:
    rows: list[LinkedRow] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name → kind
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet name → its header's row


def read_linked(kind: str, rows: Iterable[tuple[int, tuple[Any, ...]]], columns: ColumnMap, year: int,
                label: str, choices: ValueChoices | None, problems: list[Problem], into: LinkedRead) -> None:
    """The sheet's data rows as records; 合计 rows, notes and repeated headers are skipped and said."""
    if not any(f.key in ("household.national_hh_no", "group.head_id_no") for f in columns.fields.values()):
        problems.append(Problem(columns.header_row, "", f"{kind_label(kind)}表没有“户编号”或“户主证件号码”列，"
                                "无法知道各行属于哪一户，整张表未导入", ERROR, label))
        return
    problems += [Problem(p.row, p.column, p.message, p.severity, label) for p in columns.not_imported()]
    cleaner = RowCleaner(columns, year, label, choices)
    for number, cells in rows:
        if all(c is None or isinstance(c, str) and not c.strip() for c in cells):
            continue
        if columns.is_header(cells):
            problems.append(Problem(number, "", "重复的表头行，已跳过", INFO, label))
            continue
        why = not_data(cells, columns)
        if why:
            problems.append(Problem(number, "", why, INFO, label))
            continue
        record = cleaner.record(number, cells, problems)
        if cleaner.income and not record.bad:
            lines = income_columns.line_records(record, record.values)
            if not lines:
                problems.append(record.problem("", "各收入列都为空或为 0，这一户年度没有明细可导入", INFO))
            into.rows += [LinkedRow.of(kind, line) for line in lines]
        else:
            into.rows.append(LinkedRow.of(kind, record))
    problems += cleaner.summary()


# ---- writing ---------------------------------------------------------------------------------
@dataclass
class LinkedResult:
    problems: list[Problem] = field(default_factory=list)
    households: dict[str, RowRecord] = field(default_factory=dict)  # touched household → its first row
    counts: dict[str, int] = field(default_factory=dict)
    written: Places = field(default_factory=Places)  # (sheet, row) of the rows taken (or unchanged)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


class _Households:
    """The store's households by 户编号 and by their head's ID number (after the roster's rows are written)."""

    def __init__(self, conn: Connection, rows: list[LinkedRow]) -> None:
        numbers = {n for r in rows if (n := r.get("household.national_hh_no"))}
        heads = {h for r in rows if (h := r.get("group.head_id_no"))}
        self.by_number = dict(conn.execute(select(Household.national_hh_no, Household.id)
                                           .where(Household.national_hh_no.in_(numbers))).all())
        self.by_head = dict(conn.execute(select(Member.id_no, Member.household_id).where(
            Member.id_no.in_(heads), Member.relation == "户主", Member.record_status == "在册")).all())

    def find(self, row: LinkedRow) -> tuple[str | None, str]:
        number, head = row.get("household.national_hh_no"), row.get("group.head_id_no")
        by_number = self.by_number.get(number) if number else None
        by_head = self.by_head.get(head) if head else None
        if by_number and by_head and by_number != by_head:
            return None, f"户编号 {number} 与户主证件号码 {head} 指向不同的户"
        found = by_number or by_head
        if found is None:
            named = f"户编号为 {number}" if number else f"户主证件号码为 {head}"
            return None, f"找不到{named} 的户（文件的花名册和库里都没有）"
        return found, ""


def apply_linked(uow: UnitOfWork, rows: list[LinkedRow], import_year: int, left_out: set[str],
                 roster_income: Iterable[tuple[str, RowRecord]] = ()) -> LinkedResult:
    """Write the rows without problems; ``left_out``: 户编号 and 户主证件号码 of the roster's households
    that the import leaves out (their rows are reported, not written); ``roster_income``: the lines
    of the roster's own income columns, by the household they were written to."""
    assert uow.conn is not None
    result = LinkedResult()
    households = _Households(uow.conn, rows)
    # A year's lines replace the stored ones: a year with a line that cannot be read is not written at all.
    bad_years = {(found, _year(r.record, import_year)) for r in rows
                 if r.bad and r.kind == INCOME and (found := households.find(r)[0])}
    owners: dict[str, list[int]] = {}  # household → its rows (by index: rows stay compact until written)
    for i, row in enumerate(rows):
        if row.bad:
            continue
        if {row.get("household.national_hh_no"), row.get("group.head_id_no")} & left_out:
            result.problems.append(Problem(row.number, "", "所属的户在花名册部分有错误、没有导入，这一行也未导入",
                                           WARNING, row.sheet))
            continue
        household_id, why = households.find(row)
        if household_id is None:
            result.problems.append(Problem(row.number, "户编号", why, ERROR, row.sheet))
            continue
        owners.setdefault(household_id, []).append(i)
        if household_id not in result.households:
            result.households[household_id] = row.record
    roster: dict[str, list[RowRecord]] = {}
    for household_id, record in roster_income:
        roster.setdefault(household_id, []).append(record)
    ids = list(dict.fromkeys([*roster, *owners]))
    for chunk in (ids[i:i + WRITE_CHUNK] for i in range(0, len(ids), WRITE_CHUNK)):
        placed: dict[str, list[tuple[str, RowRecord]]] = {INCOME: [], MEASURES: [], ASSESSMENTS: []}
        for household_id in chunk:
            placed[INCOME] += [(household_id, r) for r in roster.get(household_id, [])]
            for i in owners.get(household_id, []):
                placed[rows[i].kind].append((household_id, rows[i].record))
        _write_income(uow, placed[INCOME], import_year, result, bad_years)
        _write_measures(uow, placed[MEASURES], import_year, result)
        _write_assessments(uow, placed[ASSESSMENTS], import_year, result)
    return result


_YEAR_FIELDS = ("period_start", "period_end", "population", "claims_income", "compliant_oop_expense", "note")
_LINE_FIELDS = ("category", "item", "amount", "counts_toward_income", "note")


def _category(record: RowRecord) -> tuple[str, str, bool] | str:
    """(category, item, counts toward income by default), or why the row has none."""
    line = record.table("income_line")
    item = str(line.get("item") or "").strip()
    typed = str(line.get("category") or "").strip()
    known = _item_categories().get(item)
    category = _match_category(typed) if typed else (known[0] if known else None)
    if category is None:
        named = f"“{typed}”" if typed else "（空）"
        return f"类别{named}不是收入核算的类别（{'、'.join(CATEGORIES)}）"
    counts = known[1] if known and known[0] == category else True
    return category, item or category, counts


def _match_category(typed: str) -> str | None:
    key = header_key(typed)
    for category in CATEGORIES:
        if key in (category, category.removesuffix("收入"), category.replace("性", "")):
            return category
    return None


def _year(record: RowRecord, import_year: int) -> int:
    return int(record.get("income_year.year") or import_year)


def _write_income(uow: UnitOfWork, rows: list[tuple[str, RowRecord]], import_year: int,
                  result: LinkedResult, bad_years: set[tuple[str, int]]) -> None:
    years: dict[tuple[str, int], list[RowRecord]] = {}
    for household_id, record in rows:
        years.setdefault((household_id, _year(record, import_year)), []).append(record)
    stored = _stored_years(uow, sorted({h for h, _ in years}))
    new: list[tuple[str, int, list[dict[str, Any]], dict[str, Any]]] = []
    for (household_id, year), records in years.items():
        lines, fields, faulty = _income_of(records, result)
        if faulty or (household_id, year) in bad_years:
            result.problems += [r.problem("", f"同一户{year}年度的其他收入明细行有错误，这一年度的明细都未导入",
                                          WARNING) for r in records if r.number not in faulty]
            continue
        result.written.update((r.sheet, r.number) for r in records)
        if (household_id, year) not in stored:
            new.append((household_id, year, lines, fields))
            result.add("income_written")
            continue
        if _same_income(uow.conn, household_id, year, lines, fields):
            result.add("income_unchanged")
            continue
        save_income(uow, household_id, year, lines, **fields)
        result.add("income_written")
    add_incomes(uow, new, trusted=True)  # parsed by the columns' own parsers (values.coerce) while reading


def _stored_years(uow: UnitOfWork, ids: list[str]) -> set[tuple[str, int]]:
    assert uow.conn is not None
    found: set[tuple[str, int]] = set()
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        found.update((h, y) for h, y in uow.conn.execute(
            select(IncomeYear.household_id, IncomeYear.year).where(IncomeYear.household_id.in_(chunk))))
    return found


def _income_of(records: list[RowRecord], result: LinkedResult) -> tuple[list[dict[str, Any]], dict[str, Any], set[int]]:
    """The year's lines and its own fields (the same on every row that gives them); the rows with an error."""
    lines: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    bad: set[int] = set()
    for record in records:
        found = _category(record)
        if isinstance(found, str):
            result.problems.append(record.problem("类别", found))
            bad.add(record.number)
            continue
        category, item, counts = found
        line = record.table("income_line")
        lines.append({"category": category, "item": item, "amount": line.get("amount"),
                      "counts_toward_income": line.get("counts_toward_income", counts), "note": line.get("note")})
        for name in _YEAR_FIELDS:
            value = record.get(f"income_year.{name}")
            if value is None:
                continue
            if fields.setdefault(name, value) != value:
                result.problems.append(record.problem(_label(f"income_year.{name}"),
                                                      f"同一户同一年度的各行不一致（“{fields[name]}”和“{value}”）"))
                bad.add(record.number)
    return lines, fields, bad


def _same_income(conn: Connection | None, household_id: str, year: int, lines: list[dict[str, Any]],
                 fields: Mapping[str, Any]) -> bool:
    assert conn is not None
    stored = conn.execute(select(IncomeYear).where(IncomeYear.household_id == household_id,
                                                   IncomeYear.year == year)).mappings().first()
    if stored is None or any(stored[k] != v for k, v in fields.items()):
        return False
    had = conn.execute(select(*(IncomeLine.__table__.c[k] for k in _LINE_FIELDS))
                       .where(IncomeLine.income_id == stored["id"]).order_by(IncomeLine.sort)).all()
    return [tuple(r) for r in had] == [tuple(line[k] for k in _LINE_FIELDS) for line in lines]


_IDENTITY = ("year", "category", "subcategory", "name", "member_id", "start_on")


def _write_measures(uow: UnitOfWork, rows: list[tuple[str, RowRecord]], import_year: int,
                    result: LinkedResult) -> None:
    assert uow.conn is not None
    stored: dict[str, list[dict[str, Any]]] = {}
    people: dict[str, list[dict[str, Any]]] = {}
    ids = sorted({household_id for household_id, _ in rows})
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for m in uow.conn.execute(select(Measure).where(Measure.household_id.in_(chunk))).mappings():
            stored.setdefault(m["household_id"], []).append(dict(m))
        for p in uow.conn.execute(select(Member.id, Member.household_id, Member.name, Member.id_no)
                                  .where(Member.household_id.in_(chunk))).mappings():
            people.setdefault(p["household_id"], []).append(dict(p))
    pending: list[tuple[str, dict[str, Any]]] = []  # new measures, written together at the end
    for household_id, record in rows:
        member, why = _member(record, people.get(household_id, []))
        if why:
            result.problems.append(record.problem("受益成员", why))
            continue
        fields = {**record.table("measure"), "member_id": member}
        fields.setdefault("year", import_year)
        if missing := _missing(Measure, fields):
            result.problems.append(record.problem(missing, "未填写"))
            continue
        same = next((m for m in stored.get(household_id, []) if all(m.get(k) == fields.get(k) for k in _IDENTITY)),
                    None)
        result.written.add((record.sheet, record.number))
        if same is None:
            pending.append((household_id, fields))
            stored.setdefault(household_id, []).append(fields)  # the same dict: a later row may change it
            result.add("measures_added")
            continue
        changes = {k: v for k, v in fields.items() if same.get(k) != v}
        if changes:
            if "id" in same:
                update_measure(uow, same["id"], changes)
            same.update(changes)
            result.add("measures_updated")
        else:
            result.add("measures_unchanged")
    add_measures(uow, [(household_id, MeasureData(fields)) for household_id, fields in pending], trusted=True)


def _write_assessments(uow: UnitOfWork, rows: list[tuple[str, RowRecord]], import_year: int,
                       result: LinkedResult) -> None:
    """One assessment a household, year and 类型: a stored one is updated, else added."""
    assert uow.conn is not None
    stored: dict[tuple[str, int, str], dict[str, Any]] = {}
    ids = sorted({household_id for household_id, _ in rows})
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for a in uow.conn.execute(select(Assessment).where(Assessment.household_id.in_(chunk))).mappings():
            stored[(a["household_id"], a["year"], a["kind"])] = dict(a)
    pending: list[tuple[str, dict[str, Any]]] = []
    for household_id, record in rows:
        fields = record.table("assessment")
        fields.setdefault("year", import_year)
        if missing := _missing(Assessment, fields):
            result.problems.append(record.problem(missing, "未填写"))
            continue
        result.written.add((record.sheet, record.number))
        same = stored.get((household_id, fields["year"], fields["kind"]))
        if same is None:
            pending.append((household_id, fields))
            stored[(household_id, fields["year"], fields["kind"])] = fields
            result.add("assessments_added")
            continue
        changes = {k: v for k, v in fields.items() if same.get(k) != v}
        if changes and "id" in same:
            update_assessment(uow, same["id"], changes)
        same.update(changes)
        result.add("assessments_updated" if changes else "assessments_unchanged")
    add_assessments(uow, pending, trusted=True)


def _missing(model: type[Base], fields: Mapping[str, Any]) -> str:
    """The label of a required field the row leaves blank ("" when none): a row, not the import, is refused."""
    for column in model.__table__.c:
        required = not column.nullable and column.default is None and not column.primary_key
        if required and not column.foreign_keys and fields.get(column.name) in (None, ""):
            return str(column.info.get("label", column.name))
    return ""


def _member(record: RowRecord, people: list[dict[str, Any]]) -> tuple[str | None, str]:
    """The measure's 受益成员 (None: the household as a whole), or why it cannot be found."""
    id_no, name = record.get("member.id_no"), record.get("member.name")
    if id_no:
        found = [p for p in people if p["id_no"] == id_no]
    elif name:
        found = [p for p in people if p["name"] == name]
    else:
        return None, ""
    if len(found) == 1:
        return str(found[0]["id"]), ""
    named = f"证件号码 {id_no}" if id_no else f"“{name}”"
    return None, f"户里没有受益成员{named}" if not found else f"户里有两名{named}，请填受益成员的证件号码"
