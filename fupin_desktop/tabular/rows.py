"""One spreadsheet row as field values: each cell cleaned (``cleaning.py``), coded cells matched to
their code table (``codes.py``), 出生日期 and 性别 taken from the ID number when left blank; and
the rows that are not data at all (合计, 小计, notes under the table)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..errors import InvalidInput
from ..validation.idnumber import parse_id
from . import income_columns
from .cleaning import clean_cell
from .codes import KEEP, Vocabulary, text_key, unknown_message, vocabulary_for
from .header import ColumnMap
from .problem import ERROR, INFO, WARNING, Problem

ValueMap = Mapping[str, Mapping[str, str]]  # header or field key → {value as typed: code table label}

__all__ = ["KEEP", "ValueMap", "ValueChoices", "ValueEntry", "ERROR", "INFO", "WARNING", "Problem", "RowCleaner",
           "RowRecord", "not_data"]

_TOTAL = re.compile(r"^(合计|小计|总计|共计|累计)|^共?\d+(户|人)(\d+人)?$")  # "合计", "2户3人"
_NOTE = re.compile(r"^(注|说明|备注|填表|制表|审核|填报|负责人|联系人|统计|数据来源|单位负责人)")
FROM_ID = (("member.birth_date", "出生日期", "birth_date"), ("member.gender", "性别", "gender"))


_SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}
_Cleaned = tuple[Any, str, str, tuple[tuple[str, str | None], ...]]  # value, problem, severity, values to note
MEMO_SIZE = 2000  # cleaned values remembered per column (a column of names or ID numbers stops there)
_IMMUTABLE = (str, int, float, Decimal, date, type(None))  # one tuple for each set of fields rows give


class RowRecord:
    """A row's cleaned values (only non-empty ones; cells are not kept). A 10,000-household file
    holds a quarter of a million rows until they are written, so a row keeps its values as a tuple
    beside its field names' tuple, shared by every row that gives the same fields — not a dict."""

    __slots__ = ("number", "keys", "cells", "bad", "sheet")

    def __init__(self, number: int, values: Mapping[str, Any], bad: bool = False, sheet: str = "") -> None:
        self.number = number
        self.bad = bad  # a problem of severity "error" on this row
        self.sheet = sheet  # as in Problem.sheet
        self.keys: tuple[str, ...] = ()
        self.cells: tuple[Any, ...] = ()
        self.assign(values)

    def assign(self, values: Mapping[str, Any]) -> None:
        keys = tuple(values)
        self.keys, self.cells = _SHAPES.setdefault(keys, keys), tuple(values.values())

    @property
    def values(self) -> Mapping[str, Any]:
        """field key → value, made afresh (change one with ``assign``)."""
        return dict(zip(self.keys, self.cells))

    def get(self, key: str, default: Any = None) -> Any:
        return self.cells[self.keys.index(key)] if key in self.keys else default

    def problem(self, column: str, message: str, severity: str = ERROR) -> Problem:
        return Problem(self.number, column, message, severity, self.sheet)

    def table(self, name: str) -> dict[str, Any]:
        cells = self.cells
        return {short: cells[i] for i, short in _fields_of(self.keys, name)}

    @property
    def is_member(self) -> bool:
        return any(k.startswith("member.") for k in self.keys)

    def __repr__(self) -> str:
        return f"RowRecord({self.number}, {self.values!r}, bad={self.bad}, sheet={self.sheet!r})"


@lru_cache(maxsize=4096)
def _fields_of(keys: tuple[str, ...], table: str) -> tuple[tuple[int, str], ...]:
    """(position, field name) of ``table``'s fields among a shape's keys: worked out once a shape."""
    prefix = table + "."
    return tuple((i, k[len(prefix):]) for i, k in enumerate(keys) if k.startswith(prefix))


def not_data(cells: tuple[Any, ...], columns: ColumnMap) -> str:
    """Why a row that is not blank holds no person ("" when it may)."""
    filled = [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    first = text_key(filled[0]) if filled else ""
    total = next((text_key(c) for c in filled[:4] if isinstance(c, str) and _TOTAL.match(text_key(c))), None)
    if total:
        return f"“{total}”行（合计或小计），不是一个人，已跳过"
    if isinstance(filled[0], str) and _NOTE.match(first) and not _names_filled(cells, columns):
        return f"表格下方的说明文字（“{str(filled[0]).strip()[:20]}”），已跳过"
    return ""


def _names_filled(cells: tuple[Any, ...], columns: ColumnMap) -> bool:
    return any(f.key == "member.name" and i < len(cells) and cells[i] not in (None, "")
               for i, f in columns.fields.items())


class RowCleaner:
    def __init__(self, columns: ColumnMap, year: int, sheet: str = "", choices: ValueChoices | None = None) -> None:
        self.columns, self.sheet = columns, sheet
        self.choices = choices if choices is not None else ValueChoices()
        self.codes: dict[int, Vocabulary] = {
            i: _with_user_values(v, self.choices.given, columns.headers[i], f.key)
            for i, f in columns.fields.items() if (v := vocabulary_for(f, year)) is not None}
        self.filled: dict[str, int] = {}  # label → people given the ID number's value (no such column)
        self.income = income_columns.has_income(columns.fields.values())
        # One object for each text or date that rows repeat (户编号, 类别, 项目, 帮扶单位…): a large file
        # holds its rows until they are written, and most of their cells say what the row above said.
        self.shared: dict[Any, Any] = {}
        self.zero_income = False
        # Each column's cleaning of the values it repeats (类别, 单位, dates, codes…), remembered:
        # cleaning is a third of reading a large file, and most cells say what the row above said.
        self.memo: dict[int, dict[tuple[type, Any], _Cleaned]] = {i: {} for i in columns.fields}

    def record(self, number: int, cells: tuple[Any, ...], problems: list[Problem]) -> RowRecord:
        record = RowRecord(number, {}, sheet=self.sheet)
        values: dict[str, Any] = {}
        for index, fld in self.columns.fields.items():
            raw = cells[index] if index < len(cells) else None
            if raw is not None:
                self._cell(record, values, index, fld.key, raw, problems)
        if not values and not record.bad:
            problems.append(record.problem("", "只有不导入的列有内容，已跳过", INFO))
        self._fill_from_id(record, values, problems)
        if self.income:
            self._check_income(record, values, problems)
        record.assign(values)
        return record

    def _check_income(self, record: RowRecord, values: dict[str, Any], problems: list[Problem]) -> None:
        """A category's column against the sub-items on the same row (both typed: neither is guessed)."""
        for category, total, parts in income_columns.total_mismatches(values):
            header = self.columns.headers_by_field().get(income_columns.item_key(category), category)
            problems.append(record.problem(header, f"{total} 与本行所列{category}明细之和 {parts} 不符，请核对"))
            record.bad = True
        self.zero_income = self.zero_income or income_columns.zeros(values) > 0

    def _fill_from_id(self, record: RowRecord, values: dict[str, Any], problems: list[Problem]) -> None:
        """A blank 出生日期 or 性别 is what the ID number says: reported on its row, or once for
        the file when it has no such column at all."""
        for key, value in _from_id(values).items():
            values[key] = value
            label = next(label for k, label, _ in FROM_ID if k == key)
            if self.columns.has(key):
                problems.append(record.problem(label, f"未填，按证件号码填为“{value}”", INFO))
            else:
                self.filled[label] = self.filled.get(label, 0) + 1

    @staticmethod
    def _noted(vocabulary: Vocabulary, raw: Any, unknown: list[str]) -> tuple[tuple[str, str | None], ...]:
        """The parts of a coded cell to note (and count, each time the cell is read): unknown or mapped."""
        return tuple((part, chosen) for part in vocabulary.parts(raw)
                     if (chosen := vocabulary.chosen.get(text_key(part))) is not None or part in unknown)

    def summary(self) -> list[Problem]:
        found = [Problem(0, label, f"文件中没有这一列，{count}人按证件号码填入", INFO, self.sheet)
                 for label, count in self.filled.items()]
        if self.zero_income:
            found.append(Problem(0, "", "收入各列中为 0 的单元格不建收入明细（0 元不改变核算结果）", INFO, self.sheet))
        return found

    def _cell(self, record: RowRecord, values: dict[str, Any], index: int, key: str, raw: Any,
              problems: list[Problem]) -> None:
        memo = self.memo[index]
        seen = (raw.__class__, raw)  # 1, 1.0 and True are equal keys of a dict, and not the same cell
        cleaned = memo.get(seen)
        if cleaned is None:
            cleaned = self._clean(index, raw)
            if len(memo) < MEMO_SIZE and isinstance(cleaned[0], _IMMUTABLE):
                memo[seen] = cleaned
        value, problem, severity, noted = cleaned
        if noted:
            vocabulary = self.codes[index]
            for part, chosen in noted:
                self.choices.note(self.sheet, self.columns.headers[index], key, vocabulary, part, chosen)
        if isinstance(value, (str, date)):
            value = self.shared.setdefault(value, value)
        if value is not None:
            values[key] = value
        if problem:
            problems.append(record.problem(self.columns.headers[index], problem, severity))
            record.bad = record.bad or severity == ERROR

    def _clean(self, index: int, raw: Any) -> _Cleaned:
        """A cell's value, its problem and severity, and the values to note as unknown or mapped."""
        vocabulary = self.codes.get(index)
        cleaned = clean_cell(self.columns.fields[index], raw)
        value, problem, severity = cleaned.value, cleaned.problem, cleaned.severity
        noted: tuple[tuple[str, str | None], ...] = ()
        if vocabulary is not None and value is not None:
            value, unknown = vocabulary.match(raw)
            if value is None:
                problem, severity = unknown_message(unknown), ERROR
            noted = self._noted(vocabulary, raw, unknown)
            kept = [p for p in vocabulary.parts(raw) if vocabulary.chosen.get(text_key(p)) == KEEP]
            if kept and value is not None:
                shown = "、".join(f"“{k}”" for k in kept)
                problem, severity = f"{shown}不在代码表中，按值对应保留原值", WARNING
        return value, problem, severity, noted


def _with_user_values(vocabulary: Vocabulary, values: ValueMap | None, header: str, key: str) -> Vocabulary:
    """The code table with what the person mapped in the dialog (or ``--values``) for this column,
    by its header or field key: a value of theirs stands for one of the table's labels, or is kept
    as typed (KEEP)."""
    chosen = {**(values or {}).get(key, {}), **(values or {}).get(header, {})}
    if not chosen:
        return vocabulary
    unknown = [label for label in chosen.values() if label != KEEP and vocabulary.one(label) is None]
    if unknown:
        raise InvalidInput(f"值对应：列“{header}”的“{unknown[0]}”不在代码表“{vocabulary.table}”中。",
                           hint=f"可填代码表中的名称，或“{KEEP}”。")
    mapped = {text_key(typed): label if label == KEEP else str(vocabulary.one(label))
              for typed, label in chosen.items()}
    return replace(vocabulary, chosen=mapped)


@dataclass
class ValueEntry:
    """A value of a coded column that the code table does not know, or that the person mapped."""

    sheet: str
    header: str
    key: str  # the field
    table: str  # the code table
    labels: tuple[str, ...]  # what it may be mapped to
    typed: str
    rows: int = 0
    chosen: str | None = None  # a label, KEEP, or None (not mapped: an error on each of its rows)

    def __str__(self) -> str:
        if self.chosen is None:
            return f"“{self.typed}”不在代码表“{self.table}”中（{self.rows}行）"
        if self.chosen == KEEP:
            return f"值对应：“{self.typed}”保留原值，不在代码表中（{self.rows}行）"
        return f"值对应：“{self.typed}”按“{self.chosen}”导入（{self.rows}行）"


@dataclass
class ValueChoices:
    """The values a person mapped (``ImportOptions.values``), and every unknown or mapped value met
    while reading, with its count: what the dialog offers to map and the report shows."""

    given: ValueMap | None = None
    entries: dict[tuple[str, str, str], ValueEntry] = field(default_factory=dict)  # (sheet, header, text_key)

    def note(self, sheet: str, header: str, key: str, vocabulary: Vocabulary, typed: str, chosen: str | None) -> None:
        place = (sheet, header, text_key(typed))  # "缺 钱" is "缺钱": one choice maps both
        entry = self.entries.get(place)
        if entry is None:
            entry = self.entries[place] = ValueEntry(
                sheet, header, key, vocabulary.table, tuple(vocabulary.labels()), typed, chosen=chosen)
        entry.rows += 1


def _from_id(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the ID number says of the fields left blank on this row."""
    id_no = values.get("member.id_no")
    if not id_no or all(key in values for key, _, _ in FROM_ID):
        return {}
    info = parse_id(id_no)
    if info.severity == ERROR:
        return {}
    return {key: found for key, _, attribute in FROM_ID
            if key not in values and (found := getattr(info, attribute)) is not None}
