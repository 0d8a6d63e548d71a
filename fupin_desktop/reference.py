"""Code tables, thresholds and rule parameters: shipped in ``resources/``, kept in the store, looked up from it.

Code tables are versioned data (SPEC §0 recommendation): a table has one list per era, each entry
a national code and the label text national exports use. Thresholds (poverty line, exit line,
monitoring range) are rows per province and year, because provinces set their own. Rule parameters
(land-area limits, the six-month removal rule…) are rows per name, province and first year; rules
read them only through ``rule_param`` (``Context.param``), never as constants.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Required, TypedDict, Union

from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from .model import AdminArea, CodeEntry, Meta, RuleParam, Threshold, new_id
from .paths import resources_dir


class Era(TypedDict, total=False):
    """One era of a code table: its (code, label) pairs and the years it applies to."""

    entries: Required[list[tuple[str, str]]]  # JSON arrays of two strings
    valid_from: int
    valid_to: int
    source: str


class CodeDocument(TypedDict):
    """resources/codes/national.json: field → era name → era."""

    version: str
    note: str
    tables: dict[str, dict[str, Era]]


class IncomeItems(TypedDict):
    """resources/codes/income_items.json: category → (item, counted as income by default)."""

    version: str
    note: str
    categories: dict[str, list[tuple[str, bool]]]


class Thresholds(TypedDict):
    """resources/thresholds.json: (province code, year, kind, yuan per person and year, source tag) rows."""

    version: str
    note: str
    rows: list[tuple[str, int, str, int, str]]


ParamValue = Union[int, float, str]


class ParamDoc(TypedDict):
    """One row of resources/rule_params.json."""

    name: str
    province: str
    year_from: int
    year_to: int | None
    value: ParamValue
    source: str


class RuleParams(TypedDict):
    """resources/rule_params.json."""

    version: int
    params: list[ParamDoc]


@dataclass(frozen=True)
class ParamRow:
    """A rule parameter valid from ``year_from`` to ``year_to`` (None: still valid) in a province
    ("00": everywhere unless the province has its own). ``origin`` is "shipped" (resources/) or
    "county" (set at the county, ``version`` its county-wide number)."""

    name: str
    province: str
    year_from: int
    year_to: int | None
    value: ParamValue
    source: str = ""
    origin: str = "shipped"
    version: int = 0


@lru_cache(maxsize=1)
def shipped_params() -> tuple[ParamRow, ...]:
    doc: RuleParams = json.loads((resources_dir() / "rule_params.json").read_text("utf-8"))
    return tuple(ParamRow(p["name"], p["province"], p["year_from"], p["year_to"], p["value"], p["source"])
                 for p in doc["params"])


def rule_param(name: str, *, year: int, province: str = "00", rows: tuple[ParamRow, ...] | None = None) -> ParamValue:
    """The value of rule parameter ``name`` for ``year`` in ``province``: the province's own row before
    the national one, then the row that starts latest, then a county row before a shipped one, then the
    newest county version. A year before every row's first year takes the earliest row (data older than
    the system follows its first rules). An unknown name is a programming error (KeyError)."""
    rows = shipped_params() if rows is None else rows
    named = [r for r in rows if r.name == name and r.province in (province, "00")]
    if not named:
        raise KeyError(f"rule parameter {name!r} is not in resources/rule_params.json")
    covering = [r for r in named if r.year_from <= year and (r.year_to is None or year <= r.year_to)]
    if not covering:
        earliest = min(r.year_from for r in named)
        covering = [r for r in named if r.year_from == earliest]
    best = max(covering, key=lambda r: (r.province == province, r.year_from, r.origin == "county", r.version))
    return best.value


def rule_number(name: str, *, year: int, province: str = "00", rows: tuple[ParamRow, ...] | None = None) -> Decimal:
    """A numeric rule parameter as a Decimal (compared with amounts and areas)."""
    return Decimal(str(rule_param(name, year=year, province=province, rows=rows)))


def adds_claims(year: int, village_code: str | None, rows: tuple[ParamRow, ...] | None = None) -> bool:
    """Whether 理赔收入 is added back after the 刚性支出 in the province and year (income.standing)."""
    return rule_number("income_after_rigid_adds_claims", year=year, province=(village_code or "00")[:2],
                       rows=rows) != 0


@lru_cache(maxsize=1)
def load_code_document() -> CodeDocument:
    doc: CodeDocument = json.loads((resources_dir() / "codes" / "national.json").read_text("utf-8"))
    return doc


@lru_cache(maxsize=1)
def load_income_items() -> IncomeItems:
    items: IncomeItems = json.loads((resources_dir() / "codes" / "income_items.json").read_text("utf-8"))
    return items


def load_thresholds() -> Thresholds:
    thresholds: Thresholds = json.loads((resources_dir() / "thresholds.json").read_text("utf-8"))
    return thresholds


@dataclass(frozen=True)
class CodeTables:
    """Lookups over the code document; the same labels the store holds."""

    doc: CodeDocument

    @classmethod
    def default(cls) -> "CodeTables":
        return cls(load_code_document())

    def eras(self, field: str) -> dict[str, Era]:
        return self.doc["tables"][field]

    def labels(self, field: str, year: int | None = None) -> list[str]:
        """Labels valid in ``year`` (all eras merged, in order, when year is None)."""
        seen: dict[str, None] = {}
        for era in self.eras(field).values():
            if year is not None and not (era.get("valid_from", 0) <= year <= era.get("valid_to", 9999)):
                continue
            for _code, label in era["entries"]:
                seen.setdefault(label, None)
        return list(seen)

    def all_labels(self, field: str) -> frozenset[str]:
        return frozenset(self.labels(field))


def seed_reference_data(engine: Engine, *, village_code: str, village_name: str) -> None:
    """Fill code tables, thresholds and rule parameters in a new store (reference data: not in the change log)."""
    with engine.begin() as conn:
        refresh_code_tables(conn)
        merge_shipped(conn)
        if village_code:
            conn.execute(insert(AdminArea).values(
                id=new_id(), code=village_code, name=village_name, level="村", parent_code=village_code[:9] or None,
            ))


SHIPPED_KEY = "reference_shipped"  # meta: fingerprint of the resources/ files last merged
SHIPPED = "shipped"
COUNTY = "county"


def _shipped_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("thresholds.json", "rule_params.json"):
        digest.update((resources_dir() / name).read_bytes())
    return digest.hexdigest()


def merge_shipped(conn: Connection) -> int:
    """Bring the program's shipped thresholds and rule parameters into the store (at creation, and at
    every open after a program upgrade): a new key is added, a shipped value is refreshed, a value the
    county set is kept whatever the program ships. Keyed by (province, year, kind) and (name, province,
    first year). Returns how many rows it added or changed."""
    fingerprint = _shipped_fingerprint()
    if conn.execute(select(Meta.value).where(Meta.key == SHIPPED_KEY)).scalar() == fingerprint:
        return 0
    changed = _merge_thresholds(conn) + _merge_params(conn)
    conn.execute(Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": SHIPPED_KEY, "value": fingerprint})
    return changed


def _merge_thresholds(conn: Connection) -> int:
    have = {(r.province_code, r.year, r.kind): r for r in conn.execute(select(Threshold))}
    changed = 0
    for p, y, k, a, src in load_thresholds()["rows"]:
        row = have.get((p, y, k))
        if row is None:
            conn.execute(insert(Threshold).values(id=new_id(), province_code=p, year=y, kind=k, amount=Decimal(a),
                                                  source=src, origin=SHIPPED, version=0))
        elif row.origin == SHIPPED and (row.amount != Decimal(a) or row.source != src):
            conn.execute(update(Threshold).where(Threshold.id == row.id).values(amount=Decimal(a), source=src))
        else:
            continue
        changed += 1
    return changed


def _merge_params(conn: Connection) -> int:
    have = {(r.name, r.province_code, r.year_from): r for r in conn.execute(select(RuleParam))}
    changed = 0
    for p in shipped_params():
        row, value = have.get((p.name, p.province, p.year_from)), json.dumps(p.value, ensure_ascii=False)
        if row is None:
            conn.execute(insert(RuleParam).values(id=new_id(), name=p.name, province_code=p.province,
                                                  year_from=p.year_from, year_to=p.year_to, value=value,
                                                  source=p.source, origin=SHIPPED, version=0))
        elif row.origin == SHIPPED and (row.value, row.year_to, row.source) != (value, p.year_to, p.source):
            conn.execute(update(RuleParam).where(RuleParam.id == row.id).values(value=value, year_to=p.year_to,
                                                                              source=p.source))
        else:
            continue
        changed += 1
    return changed


def store_params(conn: Connection) -> tuple[ParamRow, ...]:
    """What ``rule_param`` chooses from in a store: the shipped rows and the county's."""
    return shipped_params() + params_table(conn)


def params_table(conn: Connection) -> tuple[ParamRow, ...]:
    return tuple(ParamRow(r.name, r.province_code, r.year_from, r.year_to, json.loads(r.value), r.source or "",
                          r.origin, r.version) for r in conn.execute(select(RuleParam)))


# ---- reference values set at the county, as they travel in down packages --------------------------
THRESHOLD_KINDS = {"识别": "贫困线（识别标准）", "退出": "退出标准", "监测": "监测范围（监测线）"}


@dataclass(frozen=True)
class RefValue:
    """One value the county set: a threshold (``name`` is its kind, ``year_from`` its year) or a rule
    parameter; ``version`` is the county's number for it, raised on every change."""

    kind: str  # "threshold" / "param"
    name: str
    province: str
    year_from: int
    year_to: int | None
    value: ParamValue
    source: str
    version: int

    def as_record(self) -> dict[str, Any]:
        return {"type": "reference", "kind": self.kind, "name": self.name, "province": self.province,
                "year_from": self.year_from, "year_to": self.year_to, "value": self.value, "source": self.source,
                "version": self.version}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "RefValue | None":
        """The value a down package carries, or None when it is malformed."""
        try:
            ref = cls(record["kind"], record["name"], record["province"], record["year_from"], record["year_to"],
                      record["value"], record.get("source") or "", record["version"])
        except (KeyError, TypeError):
            return None
        return ref if ref.well_formed() else None

    def well_formed(self) -> bool:
        ints = type(self.year_from) is int and type(self.version) is int and \
            (self.year_to is None or type(self.year_to) is int)
        texts = all(isinstance(v, str) for v in (self.kind, self.name, self.province, self.source))
        if not (ints and texts and isinstance(self.value, int | float | str) and len(self.province) == 2):
            return False
        if self.kind == "threshold":
            return self.name in THRESHOLD_KINDS and isinstance(self.value, int | float | str) and \
                _decimal(self.value) is not None
        return self.kind == "param"


def _decimal(value: ParamValue) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def apply_reference(conn: Connection, ref: RefValue) -> bool:
    """Keep a value the county sent, unless this store already has the same key at that version or newer.
    Returns whether anything changed."""
    if ref.kind == "threshold":
        table: Any = Threshold
        key = (Threshold.province_code == ref.province, Threshold.year == ref.year_from, Threshold.kind == ref.name)
        values: dict[str, Any] = {"amount": _decimal(ref.value), "source": ref.source}
        new = {"province_code": ref.province, "year": ref.year_from, "kind": ref.name}
    else:
        table = RuleParam
        key = (RuleParam.name == ref.name, RuleParam.province_code == ref.province,
               RuleParam.year_from == ref.year_from)
        values = {"value": json.dumps(ref.value, ensure_ascii=False), "year_to": ref.year_to, "source": ref.source}
        new = {"name": ref.name, "province_code": ref.province, "year_from": ref.year_from}
    row = conn.execute(select(table.id, table.origin, table.version).where(*key)).first()
    if row is not None and row.origin == COUNTY and row.version >= ref.version:
        return False
    values |= {"origin": COUNTY, "version": ref.version}
    if row is None:
        conn.execute(insert(table).values(id=new_id(), **new, **values))
    else:
        conn.execute(update(table).where(table.id == row.id).values(**values))
    return True


def refresh_code_tables(conn: Connection) -> None:
    doc = load_code_document()
    conn.execute(delete(CodeEntry))
    rows = []
    for field, eras in doc["tables"].items():
        for era_name, era in eras.items():
            for sort, (code, label) in enumerate(era["entries"]):
                rows.append({
                    "id": new_id(), "field": field, "era": era_name, "code": code, "label": label, "sort": sort,
                    "valid_from": era.get("valid_from"), "valid_to": era.get("valid_to"), "version": doc["version"],
                })
    conn.execute(insert(CodeEntry), rows)
    conn.execute(Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": "codes_version", "value": doc["version"]})


def threshold_for(conn: Connection, province_code: str, year: int, kind: str) -> Decimal | None:
    """The province's own figure for the year, else the national default, else none."""
    rows = conn.execute(
        select(Threshold.province_code, Threshold.amount).where(Threshold.year == year, Threshold.kind == kind)
    ).all()
    by_province = {p: a for p, a in rows}
    return by_province.get(province_code, by_province.get("00"))


def threshold_rows(conn: Connection) -> list[Any]:
    """Every threshold with where it came from, by year, province and kind (the 参考数据 lists)."""
    return list(conn.execute(select(Threshold.year, Threshold.province_code, Threshold.kind, Threshold.amount,
                                    Threshold.source, Threshold.origin, Threshold.version)
                             .order_by(Threshold.year, Threshold.province_code, Threshold.kind)))


def thresholds_table(conn: Connection) -> dict[tuple[str, int, str], Decimal]:
    rows = conn.execute(select(Threshold.province_code, Threshold.year, Threshold.kind, Threshold.amount)).all()
    return {(p, y, k): a for p, y, k, a in rows}
