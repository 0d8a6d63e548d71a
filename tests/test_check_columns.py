"""The whole-store check reads only the columns the rules use (queries/load.py SLIM_COLUMNS, issue 14
item 8). A rule that read a column not listed would silently see it blank there, so: the rules are
run over rows that raise on any column not listed, and every column name the rules' code mentions
must be listed; the findings over the slim rows equal those over whole rows."""

from __future__ import annotations

import ast
import copy
import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, select

import fupin_desktop
from fupin_desktop.bundle import HouseholdData
from fupin_desktop.demo import fill_store
from fupin_desktop.model import Base, Household, Measure
from fupin_desktop.queries.load import ALL_PARTS, SLIM_COLUMNS, VALIDATION_PARTS, load_households
from fupin_desktop.validation.engine import Context, _load_rules, check_household
from fupin_desktop.validation.rules._common import _applies

YEAR = 2024
PACKAGE = Path(fupin_desktop.__file__).parent
# The code the household rules run: the rule modules and what they call outside the package.
RULE_CODE = [*sorted((PACKAGE / "validation").rglob("*.py")),
             *(PACKAGE / name for name in ("yearstatus.py", "income.py", "procedure.py", "values.py", "bundle.py",
                                           "model/income.py"))]
# Names the rules' code mentions for another table that a slim table also has: read from a
# measure, an amount would be this; the restricted rows below show no rule reads it.
OTHER_TABLES = {("measure", "amount"), ("measure", "start_on")}


def _literals() -> set[str]:
    found: set[str] = set()
    for path in RULE_CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_column_the_rules_name_is_read():
    literals = _literals()
    for table, columns in SLIM_COLUMNS.items():
        named = {c.name for c in Base.metadata.tables[table].columns} & literals
        unread = sorted(c for c in named - set(columns) if (table, c) not in OTHER_TABLES)
        assert not unread, f"{table}: the rules name {unread}, which the whole-store check does not read"
        assert set(columns) <= {c.name for c in Base.metadata.tables[table].columns}, table


class Restricted(dict):
    """A slim row that fails the test when anything asks for a column the check does not read."""

    allowed: frozenset[str] = frozenset()

    def _ask(self, key):
        if key not in self.allowed:
            raise AssertionError(f"a rule read {self.table}.{key}, not in SLIM_COLUMNS[{self.table!r}]")

    def get(self, key, default=None):
        self._ask(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self._ask(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        self._ask(key)
        return dict.__contains__(self, key)


def _restricted(table: str, row: dict) -> Restricted:
    out = Restricted(row)
    out.table, out.allowed = table, frozenset(SLIM_COLUMNS[table])
    assert set(row) <= out.allowed, f"{table} read columns not listed: {set(row) - out.allowed}"
    return out


def _project(h: HouseholdData) -> HouseholdData:
    """A copy of a whole household cut to the listed columns, each row restricted to them."""
    h = copy.deepcopy(h)

    def cut(table: str, row: dict) -> Restricted:
        return _restricted(table, {c: v for c, v in row.items() if c in SLIM_COLUMNS[table]})

    h.years = {y: cut("household_year", r) for y, r in h.years.items()}
    for m in h.members:
        m.fields = cut("member", m.fields)
        m.years = {y: cut("member_year", r) for y, r in m.years.items()}
        m.work_records = [cut("work_record", r) for r in m.work_records]
    for inc in h.incomes.values():
        inc.lines = [cut("income_line", r) for r in inc.lines]
    for ms in h.measures:
        ms.fields = cut("measure", ms.fields)
    h.assessments = [cut("assessment", r) for r in h.assessments]
    return h


def _rows_of(h: HouseholdData):
    yield from h.years.values()
    for m in h.members:
        yield m.fields
        yield from m.years.values()
        yield from m.work_records
    for inc in h.incomes.values():
        yield from inc.lines
    for ms in h.measures:
        yield ms.fields
    yield from h.assessments


def _shaken(h: HouseholdData, rng: random.Random) -> HouseholdData:
    """The household with some values blanked: rules take branches the demo's flaws do not reach."""
    h = copy.deepcopy(h)
    for row in _rows_of(h):
        for column in list(row):
            if column not in ("id", "household_id", "member_id", "income_id", "year") and rng.random() < 0.15:
                row[column] = None
    return h


def _key(f):
    return f.rule, f.record, f.record_id, f.field, f.message, f.severity, f.member, f.kind


@pytest.fixture
def demo(new_store):
    fill_store(new_store, 120, seed=29, year=YEAR, flaws=0.3)
    return new_store


def test_rules_read_only_listed_columns_and_find_the_same(demo):
    _load_rules()
    rng = random.Random(5)
    with demo.engine.connect() as conn:
        ctx = Context.for_store(conn, YEAR)
        ids = list(conn.execute(select(Household.id).order_by(Household.id)).scalars())
        whole = {h.id: h for h in load_households(conn, ids, ALL_PARTS)}
        slim = {h.id: h for h in load_households(conn, ids, VALIDATION_PARTS)}
    assert len(whole) == len(slim) == 120
    found = 0
    for household_id, full in whole.items():
        # The slim read gives exactly the listed columns of the whole rows.
        assert [dict(r) for r in _rows_of(slim[household_id])] == [dict(r) for r in _rows_of(_project(full))]
        expected = sorted(map(_key, check_household(full, ctx)))
        assert sorted(map(_key, check_household(_project(full), ctx))) == expected, household_id
        found += len(expected)
        # Blanked values reach branches the demo data does not; whole rows and slim ones still agree.
        for _ in range(3):
            shaken = _shaken(full, random.Random(rng.random()))
            assert sorted(map(_key, check_household(_project(shaken), ctx))) == sorted(
                map(_key, check_household(shaken, ctx))), household_id
    assert found > 100  # the demo's flaws give findings to compare


def test_a_rule_reading_an_unlisted_column_fails():
    row = _restricted("member_year", {"id": "1", "health": "健康"})
    assert row.get("health") == "健康"
    with pytest.raises(AssertionError, match="member_year.work_company"):
        row.get("work_company")


# (year, end_on, status) of measures added to one household, and whether the rules of YEAR see them
# (``_applies``): the whole-store check reads only those (``measures_seen_in``).
EDGE_MEASURES = [
    (YEAR, None, "计划", True),
    (YEAR, date(YEAR - 1, 3, 1), "完成", True),  # the year's own, whatever its end
    (YEAR - 1, None, "实施中", True),  # no end, still running
    (YEAR - 1, None, "完成", False),
    (YEAR - 1, None, None, False),
    (YEAR - 1, date(YEAR - 1, 12, 31), "实施中", False),  # ended on the last day of the year before
    (YEAR - 1, date(YEAR, 1, 1), "完成", True),  # ended on the first day of the year
    (YEAR - 4, date(YEAR, 6, 30), "完成", True),
    (YEAR + 1, None, "实施中", False),  # a later year
    (YEAR + 1, date(YEAR, 6, 30), "实施中", False),
]


def test_the_check_reads_exactly_the_measures_the_rules_see(demo):
    whole_rows = VALIDATION_PARTS - {"slim"}  # with the measures' ids
    with demo.engine.begin() as conn:
        template = dict(conn.execute(select(Measure.__table__).limit(1)).mappings().one())
        for i, (year, end_on, status, _seen) in enumerate(EDGE_MEASURES):
            conn.execute(insert(Measure.__table__).values({**template, "id": f"edge-{i:02d}", "year": year,
                                                           "end_on": end_on, "status": status}))
    with demo.engine.connect() as conn:
        ids = list(conn.execute(select(Household.id).order_by(Household.id)).scalars())
        every = load_households(conn, ids, whole_rows)
        seen = load_households(conn, ids, whole_rows, measures_year=YEAR)
        edges = {r.id: r for r in conn.execute(select(Measure.id, Measure.year, Measure.end_on, Measure.status)
                                               .where(Measure.id.like("edge-%")))}
    kept = {m.fields["id"] for h in seen for m in h.measures}
    assert {i for i in edges if i in kept} == {f"edge-{i:02d}" for i, e in enumerate(EDGE_MEASURES) if e[3]}
    dropped = 0
    for all_of, seen_of in zip(every, seen, strict=True):
        assert [m.fields for m in all_of.measures if _applies(m.fields, YEAR)] == [m.fields for m in seen_of.measures]
        dropped += len(all_of.measures) - len(seen_of.measures)
    assert dropped >= 5  # the edge cases and the demo's finished measures of earlier years
