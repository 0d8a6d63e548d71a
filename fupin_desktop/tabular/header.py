"""Finding the header row (titles and merged cells above it are normal) and mapping its columns
to fields by their Chinese names, aliases, and the user's own corrections."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import InvalidInput
from .income_columns import has_income, is_total, looks_like_income
from .layout import Field, alias_index, field_by_name, header_key
from .problem import INFO, Problem

SCAN_ROWS = 30  # a header lower than this is not a roster
NAME_KEYS = ("member.name", "group.head_name")
_ORDINAL = frozenset({"序号", "序", "编号序号", "No", "No."})


@dataclass
class ColumnMap:
    header_row: int  # 1-based row number in the sheet
    headers: list[str]  # the header cells as written
    fields: dict[int, Field] = field(default_factory=dict)  # column index → field
    ignored: dict[int, str] = field(default_factory=dict)  # column index → why it is not imported

    @cached_property
    def header_keys(self) -> tuple[str, ...]:
        return tuple(header_key(h) for h in self.headers)

    def mapping(self) -> dict[str, str]:
        """header text → field key ("" for ignored): what the mapping dialog shows and saves."""
        return {h: (self.fields[i].key if i in self.fields else "") for i, h in enumerate(self.headers) if h}

    def headers_by_field(self) -> dict[str, str]:
        return {f.key: self.headers[i] for i, f in self.fields.items()}

    def not_imported(self) -> list[Problem]:
        """未导入的列, each with its reason: no column is dropped without saying so."""
        return [Problem(0, self.headers[i], f"未导入的列：{why}", INFO) for i, why in sorted(self.ignored.items())]

    def has(self, key: str) -> bool:
        return any(f.key == key for f in self.fields.values())

    def is_header(self, cells: tuple[Any, ...]) -> bool:
        """A header repeated on every printed page."""
        probe = next(iter(self.fields), 0)  # one cell settles it for almost every data row
        if (probe >= len(cells) or not isinstance(cells[probe], str)
                or header_key(cells[probe]) != self.header_keys[probe]):
            return False
        keys = tuple(header_key(c) for c in cells[: len(self.headers)])
        named = [k for k in self.header_keys if k]
        return sum(1 for k, h in zip(keys, self.header_keys) if h and k == h) >= max(2, len(named) // 2)


def _score(cells: tuple[Any, ...]) -> int:
    index = alias_index()
    return sum(1 for c in cells if isinstance(c, str) and header_key(c) in index)


def find_header(rows: Iterator[tuple[Any, ...]], mapping: Mapping[str, str] | None = None,
                *, file_name: str = "") -> tuple[ColumnMap, list[tuple[int, tuple[Any, ...]]]]:
    """The header row and its column map, and the rows read after it while looking (to be
    processed as data). ``mapping`` (header text → field key or name, "" to ignore) overrides."""
    seen: list[tuple[int, tuple[Any, ...]]] = []
    best: tuple[int, int] = (0, -1)
    for number, cells in enumerate(rows, start=1):
        seen.append((number, cells))
        score = _score(cells) + sum(1 for c in cells if mapping and isinstance(c, str) and c.strip() in mapping)
        if score > best[0]:
            best = (score, len(seen) - 1)
        if number >= SCAN_ROWS:
            break
    if best[0] < 2:
        raise InvalidInput(f"{file_name}：前{SCAN_ROWS}行里没有找到表头（应有“姓名”“证件号码”“户编号”等列名）。",
                           hint="请确认这是花名册（一人一行），或在“列对应”中指定各列。")
    header_number, cells = seen[best[1]]
    columns = build_map(header_number, cells, mapping)
    if not any(columns.has(k) for k in NAME_KEYS):
        raise InvalidInput(f"{file_name}：第{header_number}行的表头里没有“姓名”列。",
                           hint="请在“列对应”中指明哪一列是姓名（或用 --mapping 指定）。")
    return columns, seen[best[1] + 1:]


def build_map(header_row: int, cells: tuple[Any, ...], mapping: Mapping[str, str] | None) -> ColumnMap:
    headers = ["" if c is None else str(c).strip() for c in cells]
    columns = ColumnMap(header_row, headers)
    taken: dict[str, str] = {}  # field key → the header that took it
    for i, text in enumerate(headers):
        if not text:
            continue
        chosen = _choose(text, mapping)
        if chosen is None:
            columns.ignored[i] = _why_not(text, mapping)
        elif chosen.key in taken:  # the first of two same-named columns wins
            columns.ignored[i] = f"与前面的“{taken[chosen.key]}”列是同一字段（{chosen.label}），采用前一列"
        else:
            columns.fields[i] = chosen
            taken[chosen.key] = text
    if has_income(columns.fields.values()):
        _income_reasons(columns, mapping)
    return columns


def _income_reasons(columns: ColumnMap, mapping: Mapping[str, str] | None) -> None:
    """Beside income columns, a column that looks like income says why it is not one."""
    for i, why in list(columns.ignored.items()):
        text = columns.headers[i]
        if why == "列对应中设为忽略":
            continue
        if is_total(text):
            columns.ignored[i] = "合计由明细计算，不导入"
        elif looks_like_income(text) and why.startswith("没有对应的字段"):
            columns.ignored[i] = ("不是收入核算的类别或明细项（见收入明细项代码表），"
                                  "可在“列对应”中指定为某一明细项")


def _why_not(text: str, mapping: Mapping[str, str] | None) -> str:
    if mapping is not None and text in mapping and header_key(text) in alias_index():
        return "列对应中设为忽略"  # a column with a home, set aside by the person (else: why it has none)
    if header_key(text) in _ORDINAL:
        return "序号由程序按行排列，不导入"
    return "没有对应的字段（可在“列对应”中指定）"


def _choose(text: str, mapping: Mapping[str, str] | None) -> Field | None:
    if mapping is not None and text in mapping:
        target = mapping[text]
        if not target:
            return None
        chosen = field_by_name(target)
        if chosen is None:
            raise InvalidInput(f"列对应：列“{text}”对应的字段“{target}”不存在。")
        return chosen
    return alias_index().get(header_key(text))
