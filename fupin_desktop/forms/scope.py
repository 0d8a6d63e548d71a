"""Which households a print job covers: chosen ones, a village, the whole store, or the current
filter of the household list. Resolved to an ordered list of ids (small even for 20,000
households); the households themselves are loaded chunk by chunk while printing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, Select, or_, select

from ..bundle import HouseholdData
from ..errors import NotFound
from ..model import Household
from ..queries.load import load_households
from ..queries.search import SearchQuery, search_households
from ..queries.stats import group_order

ACTIVE = "在册"


@dataclass(frozen=True)
class Scope:
    household_ids: tuple[str, ...] | None = None
    village_code: str | None = None
    query: SearchQuery | None = None
    everything: bool = False

    @classmethod
    def households(cls, ids: Sequence[str]) -> "Scope":
        """Selected households, in the given order; an id may also be a 户编号."""
        return cls(household_ids=tuple(ids))

    @classmethod
    def village(cls, code: str) -> "Scope":
        return cls(village_code=code)

    @classmethod
    def all(cls) -> "Scope":
        return cls(everything=True)

    @classmethod
    def filtered(cls, query: SearchQuery) -> "Scope":
        return cls(query=query)

    def describe(self) -> str:
        if self.household_ids is not None:
            return f"选定的 {len(self.household_ids)} 户"
        if self.village_code:
            return f"行政村 {self.village_code}"
        return "当前筛选结果" if self.query else "全部在册户"


def resolve(conn: Connection, scope: Scope) -> list[str]:
    """Household ids in print order: the paper file's order (village, group, household number)
    for a village or the store, as given for a selection, as listed for a filter."""
    if scope.household_ids is not None:
        return _by_id_or_number(conn, scope.household_ids)
    if scope.query is not None:
        return search_households(conn, scope.query)
    stmt = _keys().where(Household.record_status == ACTIVE)
    if scope.village_code:
        stmt = stmt.where(Household.village_code == scope.village_code)
    return _sorted(conn.execute(stmt).all())


def in_file_order(conn: Connection, ids: list[str]) -> list[str]:
    """The same households in the paper file's order: rosters and ledgers need it for their
    group subtotals, whatever order a filter listed them in."""
    rows: list[Row[str, str, str | None, str | None]] = []
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        rows += conn.execute(_keys().where(Household.id.in_(ids[start:start + 900]))).all()
    return _sorted(rows)


def _keys() -> Select[str, str, str | None, str | None]:
    return select(Household.id, Household.village_code, Household.group_name, Household.national_hh_no)


def _sorted(rows: Sequence[Row[str, str, str | None, str | None]]) -> list[str]:
    rows = sorted(rows, key=lambda r: (r[1] or "", group_order(r[2] or ''), r[3] or "", r[0]))
    return [r[0] for r in rows]


def _by_id_or_number(conn: Connection, wanted: Sequence[str]) -> list[str]:
    rows: list[Row[str, str | None]] = []
    for start in range(0, len(wanted), 450):  # two parameters per id; stay under SQLite's limit
        part = wanted[start:start + 450]
        rows += conn.execute(select(Household.id, Household.national_hh_no)
                             .where(or_(Household.id.in_(part), Household.national_hh_no.in_(part)))).all()
    found = {hid: hid for hid, _ in rows} | {no: hid for hid, no in rows if no}
    missing = [w for w in wanted if w not in found]
    if missing:
        raise NotFound(f"找不到这些户：{'、'.join(missing[:5])}{' 等' if len(missing) > 5 else ''}",
                       hint="请用户编号或系统编号指定，或先在户列表中查找。")
    return list(dict.fromkeys(found[w] for w in wanted))


# What a form prints: not visits, plans, assessments or the measures' detail rows.
PRINTED_PARTS = frozenset({"members", "incomes", "measures", "assignments"})


def chunks(conn: Connection, ids: list[str], size: int, parts: frozenset[str] = PRINTED_PARTS
           ) -> Iterator[list[HouseholdData]]:
    for start in range(0, len(ids), size):
        yield load_households(conn, ids[start:start + size], parts)
