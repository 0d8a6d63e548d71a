"""A coded column's cell as the code table's label: national code numbers ("8", 1, "01"), the label
of any era, the known other ways of writing it (``resources/codes/synonyms.json``), full-width
characters and stray spaces. A cell that matches none of these is a problem of its row, never
stored as typed: otherwise ``stats`` counts one cause under three names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from ..model.layouts import code_table, declaration
from ..paths import resources_dir
from ..reference import load_code_document
from ..values import clean_text
from .layout import Field

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[,，、;；/\s]+")
MULTI_JOIN = "、"
KEEP = "保留原值"  # what a person may choose for a value of theirs: stored as typed, and said on its row


def text_key(value: object) -> str:
    """A typed value as compared: half-width, no spaces at all."""
    return _SPACES.sub("", clean_text(value))


def _code_key(code: str) -> str:
    return code.lstrip("0") or "0"


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, dict[str, str]]:
    doc: dict[str, Any] = json.loads((resources_dir() / "codes" / "synonyms.json").read_text("utf-8"))
    return {table: {text_key(k): v for k, v in names.items()} for table, names in doc["tables"].items()}


@dataclass(frozen=True)
class Vocabulary:
    """One code table as seen by an import of one year."""

    table: str
    by_text: Mapping[str, str]  # label (any era) or synonym, as text_key → label
    by_code: Mapping[str, str]  # national code of the year's era, leading zeros dropped → label
    multi: bool  # several labels in one cell ("长期慢性病、残疾")
    chosen: Mapping[str, str] = field(default_factory=dict)  # a person's value (text_key) → label or KEEP

    def parts(self, raw: Any) -> list[str]:
        parts = _SEPARATORS.split(clean_text(_whole(raw))) if self.multi else [clean_text(_whole(raw))]
        return [p for p in parts if text_key(p)]

    def match(self, raw: Any) -> tuple[str | None, list[str]]:
        """The cell as stored, and the parts that matched nothing."""
        found: list[str] = []
        unknown: list[str] = []
        for part in self.parts(raw):
            label = self.one(part)
            (found if label else unknown).append(label or clean_text(part))
        if unknown or not found:
            return None, unknown
        return MULTI_JOIN.join(dict.fromkeys(found)), []

    def one(self, raw: Any) -> str | None:
        key = text_key(raw)
        chosen = self.chosen.get(key)
        if chosen is not None:
            return clean_text(raw) if chosen == KEEP else chosen
        if key in self.by_text:
            return self.by_text[key]
        return self.by_code.get(_code_key(key)) if key.isdigit() else None

    def labels(self) -> list[str]:
        """The labels of the import year's era, in the table's order (what a value may be mapped to)."""
        return list(dict.fromkeys(self.by_code.values()))


def _whole(raw: Any) -> Any:
    """A code read back from a number cell as 8.0 is the code 8."""
    return int(raw) if isinstance(raw, float) and raw.is_integer() else raw


def _in_era(era: Mapping[str, Any], year: int) -> bool:
    return bool(era.get("valid_from", 0) <= year <= era.get("valid_to", 9999))


@cache
def vocabulary(table: str, year: int, multi: bool = False) -> Vocabulary:
    eras = load_code_document()["tables"][table]
    by_text: dict[str, str] = {}
    for era in eras.values():
        for _code, label in era["entries"]:
            by_text.setdefault(text_key(label), label)
    for synonym, label in _synonyms().get(table, {}).items():
        by_text.setdefault(synonym, label)
    # Code numbers differ between eras (劳动技能 3 is 丧失劳动力 until 2018, 弱劳动力 after):
    # the era of the import's year decides; an era-less year falls back to the latest era.
    chosen = [e for e in eras.values() if _in_era(e, year)] or [list(eras.values())[-1]]
    by_code = {_code_key(code): label for era in chosen for code, label in era["entries"]}
    is_multi = multi or any(e.get("multi") for e in eras.values())
    return Vocabulary(table, by_text, by_code, is_multi)


def vocabulary_for(field: Field, year: int) -> Vocabulary | None:
    """The code table of a roster field, if its column declares one."""
    if field.column is None:
        return None
    codes = code_table(field.table, field.column_name)
    if codes is None:
        return None
    spec = declaration(field.column)
    return vocabulary(codes.table, year, bool(spec and spec.long))


def unknown_message(unknown: list[str]) -> str:
    shown = "、".join(f"“{u}”" for u in unknown) if unknown else "空值"
    return f"{shown}不在代码表中"
