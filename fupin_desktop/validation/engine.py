"""Running the rules: over one household after a save, or over the whole store in chunks.

A rule is a function ``(household, ctx) -> iterable of Finding`` registered with ``@rule``; a
store rule looks across households (one person in two households) with SQL. Rules never raise for
bad data: odd data is exactly what they are for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from ..bundle import HouseholdData
from ..errors import Cancelled
from ..model import Household, Meta
from ..queries.load import VALIDATION_PARTS, iter_households, load_households
from .horizon import Today, recording
from ..reference import CodeTables, ParamRow, ParamValue, rule_param, shipped_params, store_params, thresholds_table

ERROR = "error"
WARNING = "warning"
SEVERITY_LABEL = {ERROR: "错误", WARNING: "提示"}
BLANK = "blank"  # Finding.kind of "…未填写"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # ERROR or WARNING
    household: str  # household id
    field: str  # column name ("" when about the whole record)
    message: str  # Chinese, says what is wrong and where
    record: str = "household"  # table of the record the field belongs to
    record_id: str = ""
    member: str = ""  # member's name, when the finding is about a person
    # BLANK when the finding only says a value is not filled in (no contradiction): the editor and
    # the check report collapse these per section (``validation.order``).
    kind: str = ""

    @property
    def blank(self) -> bool:
        return self.kind == BLANK

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """What rules need besides the household: the year, thresholds, code tables, today."""

    year: int
    province_code: str = "00"
    # Seen by the rules as ``horizon.Today``, which notes how long their answers hold.
    today: date = field(default_factory=Today.today)
    codes: CodeTables = field(default_factory=CodeTables.default)
    thresholds: dict[tuple[str, int, str], Decimal] = field(default_factory=dict)
    params: tuple[ParamRow, ...] = field(default_factory=shipped_params)
    # The parameters already looked up (the rules ask for about ten per household), with the rows
    # and province they were looked up in: a changed attribute starts afresh.
    _looked_up: dict[tuple[str, int, bool], Any] = field(default_factory=dict, init=False, repr=False,
                                                         compare=False)
    _looked_up_in: tuple[Any, str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.today = Today.of(self.today)

    def param(self, name: str, year: int | None = None) -> ParamValue:
        """A rule parameter (resources/rule_params.json, or the county's newer value) for the year."""
        value: ParamValue = self._memo(name, self.year if year is None else year, False)
        return value

    def number(self, name: str, year: int | None = None) -> Decimal:
        """A numeric rule parameter as a Decimal (compared with amounts and areas)."""
        value: Decimal = self._memo(name, self.year if year is None else year, True)
        return value

    def _memo(self, name: str, year: int, number: bool) -> Any:
        looked_up = self._looked_up
        in_ = self._looked_up_in
        if in_ is None or in_[0] is not self.params or in_[1] != self.province_code:
            looked_up.clear()
            self._looked_up_in = (self.params, self.province_code)
        key = (name, year, number)
        if key not in looked_up:
            value = rule_param(name, year=year, province=self.province_code, rows=self.params)
            looked_up[key] = Decimal(str(value)) if number else value
        return looked_up[key]

    def threshold(self, kind: str, year: int | None = None) -> Decimal | None:
        y = self.year if year is None else year
        return self.thresholds.get((self.province_code, y, kind), self.thresholds.get(("00", y, kind)))

    @classmethod
    def for_store(cls, conn: Connection, year: int | None = None, today: date | None = None) -> "Context":
        """The store's context; ``today`` another day than the clock's (tests, the benchmark)."""
        meta: dict[str, str] = {key: value for key, value in conn.execute(select(Meta.key, Meta.value))}
        return cls(
            today=today or Today.today(),
            year=year or date.today().year,
            province_code=(meta.get("village_code") or "00")[:2],
            thresholds=thresholds_table(conn),
            params=store_params(conn),
        )


Progress = Callable[[int, int], None]
MARK_BATCH = 1000  # marks written per statement during a whole-store check
HouseholdRule = Callable[[HouseholdData, Context], Iterable[Finding]]
StoreRule = Callable[[Connection, Context, "set[str] | None"], Iterable[Finding]]
# What a store rule compares across households, as (household id, key) pairs: the re-check
# (``validation.incremental``) re-runs the rule over every household holding a key that moved.
StoreKeys = Callable[[Connection, Context, "set[str] | None"], Iterable[tuple[str, str]]]
# A store rule's pass over the whole store that also gives its keys, from the rows it read once
# (the full check would otherwise read them twice): (findings, (household id, key) pairs), each
# exactly what the rule over every household and its keys function give. The dict is shared by the
# passes of one check: rows that several passes read (the active members) are read once into it.
WholePass = Callable[[Connection, Context, dict[str, Any]], tuple[list[Finding], list[tuple[str, str]]]]
HOUSEHOLD_RULES: list[HouseholdRule] = []
STORE_RULES: list[StoreRule] = []
STORE_KEYS: dict[StoreRule, StoreKeys] = {}
WHOLE_PASSES: dict[StoreRule, WholePass] = {}


def rule(fn: HouseholdRule) -> HouseholdRule:
    HOUSEHOLD_RULES.append(fn)
    return fn


def store_rule(fn: StoreRule) -> StoreRule:
    STORE_RULES.append(fn)
    return fn


def keys_of(store_fn: StoreRule) -> Callable[[StoreKeys], StoreKeys]:
    """Registers the keys a store rule compares. Its keys must be exactly what the rule groups by,
    prefixed so that two rules' keys never meet."""
    def register(fn: StoreKeys) -> StoreKeys:
        STORE_KEYS[store_fn] = fn
        return fn
    return register


def whole_pass_of(store_fn: StoreRule) -> Callable[[WholePass], WholePass]:
    """Registers a store rule's whole-store pass with keys (see ``WholePass``)."""
    def register(fn: WholePass) -> WholePass:
        WHOLE_PASSES[store_fn] = fn
        return fn
    return register


def whole_store_pass(conn: Connection, ctx: Context, fn: StoreRule,
                     shared: dict[str, Any] | None = None) -> tuple[list[Finding], list[tuple[str, str]]]:
    """A store rule over every household, and its keys (prefixed as ``store_keys`` gives them).
    ``shared``: one dict for all the passes of a check, in one transaction (see ``WholePass``)."""
    whole = WHOLE_PASSES.get(fn)
    if whole is not None:
        findings, keys = whole(conn, ctx, {} if shared is None else shared)
    else:
        findings, keys = list(fn(conn, ctx, None)), list(STORE_KEYS[fn](conn, ctx, None))
    return findings, [(h, f"{fn.__name__}:{k}") for h, k in keys]


def _load_rules() -> None:
    from . import rules  # noqa: F401,PLC0415  (registers the rules on import)


def check_household(household: HouseholdData, ctx: Context) -> list[Finding]:
    return household_check(household, ctx)[0]


def household_check(household: HouseholdData, ctx: Context) -> tuple[list[Finding], date | None]:
    """A household's own findings, and the first later day on which they may differ with no change
    to its rows (None: never; ``horizon``)."""
    _load_rules()
    found: list[Finding] = []
    with recording() as horizon:
        for fn in HOUSEHOLD_RULES:
            found.extend(fn(household, ctx))
    return found, horizon.until


# (household id, its own findings, the day from which they may differ)
HouseholdResult = tuple[str, list[Finding], date | None]
HouseholdResults = Iterable[HouseholdResult]


def household_results(conn: Connection, ctx: Context, rowids: tuple[int, int] | None = None) -> HouseholdResults:
    """Each household's own findings (cross-household rules aside), streamed chunk by chunk."""
    _load_rules()
    for household in iter_households(conn, parts=VALIDATION_PARTS, rowids=rowids, measures_year=ctx.year):
        yield household.id, *household_check(household, ctx)


def check_store(conn: Connection, ctx: Context, *, mark: bool = False,
                results: HouseholdResults | None = None, progress: Progress | None = None,
                cancel: Callable[[], bool] | None = None) -> Iterator[Finding]:
    """Every finding in the store, streamed. With ``mark``, each household's error and warning
    counts are written (derived columns: not logged, not synced). ``results`` may come from
    worker processes (see ``validation.parallel``); by default they are computed here.
    ``cancel()`` is asked every few hundred households and raises ``Cancelled``: the caller's
    transaction then rolls the marks back."""
    _load_rules()
    total = conn.execute(select(func.count()).select_from(Household)).scalar_one() if progress else 0
    by_household: dict[str, list[Finding]] = {}
    for f in store_findings(conn, ctx, None):
        by_household.setdefault(f.household, []).append(f)
    marks: list[dict[str, Any]] = []
    for done, (household_id, own, _until) in enumerate(results if results is not None
                                                       else household_results(conn, ctx)):
        if done % 250 == 0:
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(done, total)
        findings = own + by_household.get(household_id, [])
        if mark:
            marks.append(_mark(household_id, findings))
            if len(marks) >= MARK_BATCH:
                _write_marks(conn, marks)
                marks = []
        yield from findings
    if mark and marks:
        _write_marks(conn, marks)


def store_findings(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[Finding]:
    """Cross-household findings; ``only`` limits them to findings about these households."""
    for fn in STORE_RULES:
        yield from fn(conn, ctx, only)


def store_keys(conn: Connection, ctx: Context, only: set[str] | None) -> Iterator[tuple[str, str]]:
    """(household id, key) of every cross-household rule, for these households or all; each key
    starts with the rule's name and a colon."""
    _load_rules()
    for fn in STORE_RULES:
        for household_id, key in STORE_KEYS[fn](conn, ctx, only):
            yield household_id, f"{fn.__name__}:{key}"


def _mark(household_id: str, findings: list[Finding]) -> dict[str, Any]:
    errors = sum(f.severity == ERROR for f in findings)
    return {"hid": household_id, "errors": errors, "warnings": len(findings) - errors}


def _write_marks(conn: Connection, marks: list[dict[str, Any]]) -> None:
    # Only marks that differ are written: an unchanged row is not rewritten (nor marked as changed
    # for the next re-check by the check_dirty triggers). Compiled once and run with the driver's
    # executemany of plain tuples: a full check writes 20,000 marks, and SQLAlchemy's processing of
    # each row's parameters cost more than SQLite's updates.
    if marks:
        conn.exec_driver_sql(_marks_sql(conn), [(m["errors"], m["warnings"], m["hid"], m["errors"], m["warnings"])
                                                for m in marks])


_MARKS_SQL: dict[str, str] = {}


def _marks_sql(conn: Connection) -> str:
    """``_write_marks``'s statement with positional parameters (errors, warnings, id, errors, warnings)."""
    sql = _MARKS_SQL.get(conn.dialect.name)
    if sql is None:
        stmt = (
            update(Household)
            .where(Household.id == bindparam("hid"),
                   Household.error_count.is_distinct_from(bindparam("e2"))
                   | Household.warning_count.is_distinct_from(bindparam("w2")))
            .values(error_count=bindparam("e1"), warning_count=bindparam("w1"))
        )
        compiled = stmt.compile(dialect=conn.dialect)
        # the order of the positional parameters is the compiler's: checked, not assumed
        assert tuple(compiled.positiontup or ()) == ("e1", "w1", "hid", "e2", "w2"), compiled.positiontup
        sql = _MARKS_SQL[conn.dialect.name] = str(compiled)
    return sql


def findings_for(conn: Connection, household: HouseholdData, ctx: Context) -> list[Finding]:
    """One household's findings, with the cross-household rules that concern it."""
    _load_rules()
    return check_household(household, ctx) + list(store_findings(conn, ctx, {household.id}))


def mark_households(conn: Connection, household_ids: list[str], ctx: Context) -> dict[str, list[Finding]]:
    """Check many households (a bulk import), store their counts and return the findings."""
    found: dict[str, list[Finding]] = {}
    for batch in mark_households_in_batches(conn, household_ids, ctx):
        found.update(batch)
    return found


def mark_households_in_batches(conn: Connection, household_ids: list[str],
                               ctx: Context) -> Iterator[dict[str, list[Finding]]]:
    """``mark_households`` a batch at a time: each batch's marks are written before it is yielded,
    so a caller that places the findings as they come holds one batch of them, not all."""
    for batch in households_findings_in_batches(conn, household_ids, ctx):
        _write_marks(conn, [_mark(h, found) for h, found in batch.items()])
        yield batch


def households_findings(conn: Connection, household_ids: list[str], ctx: Context) -> dict[str, list[Finding]]:
    """Every finding about these households, as the whole-store check gives them: their own rules
    and the cross-household rules, which run once for the whole set rather than once per household.
    A spreadsheet import's dry run reads its report from here."""
    found: dict[str, list[Finding]] = {}
    for batch in households_findings_in_batches(conn, household_ids, ctx):
        found.update(batch)
    return found


def households_findings_in_batches(conn: Connection, household_ids: list[str],
                                   ctx: Context) -> Iterator[dict[str, list[Finding]]]:
    """``households_findings``, MARK_BATCH households at a time (in the order given)."""
    from ..queries.load import VALIDATION_PARTS  # noqa: PLC0415

    _load_rules()
    wanted = set(household_ids)
    # The cross-household rules are built for a few households (one query term per ID number,
    # and SQLite allows 500): for many, one pass over the whole store is both possible and cheaper.
    subsets = [None] if len(household_ids) > 200 else [set(household_ids[i:i + 20])
                                                       for i in range(0, len(household_ids), 20)]
    cross: dict[str, list[Finding]] = {}
    for only in subsets:
        for f in store_findings(conn, ctx, only):
            if f.household in wanted:
                cross.setdefault(f.household, []).append(f)
    for start in range(0, len(household_ids), MARK_BATCH):
        chunk = household_ids[start:start + MARK_BATCH]
        by_household: dict[str, list[Finding]] = {h: [] for h in chunk}
        for h in load_households(conn, chunk, VALIDATION_PARTS, measures_year=ctx.year):
            by_household[h.id] = check_household(h, ctx) + cross.get(h.id, [])
        yield by_household


def mark_household(conn: Connection, household: HouseholdData, ctx: Context) -> list[Finding]:
    """Check one household and store its error and warning counts."""
    findings = findings_for(conn, household, ctx)
    _write_marks(conn, [_mark(household.id, findings)])
    return findings
