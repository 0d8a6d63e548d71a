"""The whole-store check, kept between runs: a re-check reads only the households written since,
and those whose findings the passing days may have changed.

A full check stores each household's findings (``check_result``: its own rules' and the
cross-household rules', and the first day they may differ), the keys the cross-household rules
compared (``check_key``: an ID number, a phone number) and a fingerprint of what the answer depends
on besides the data and the day (rules, year, calendar year, thresholds, parameters, code tables).
Triggers on every table the rules read note each household written afterwards, by any path
(``check_dirty``, migration 0007).

A re-check then gives the answer a full check would give:
- a household's own findings depend on its rows and on the day: the written households are checked
  again, and those whose findings may differ from today on (``check_result.until``, see
  ``horizon``: a birthday, a deadline); the others keep theirs;
- a cross-household finding of household X depends on the households sharing one of X's keys. If
  one of them was written, that key is among the written households' keys before (``check_key``)
  or after (read now) the writes — a key that *moved* — and X, which was not written, still holds
  it in ``check_key``. So each cross-household rule runs again over the written households and every
  holder of one of its keys that moved, in one pass (it then sees all the holders of each key it
  compares); a household's findings from the rules not run again for it are kept.
Anything else (other thresholds, an upgraded rule, another year) changes the fingerprint: a full
check; so does a day earlier than the last check's (a clock set back), or a day from which the
cross-household rules' answer may differ (they do not look at the day today: ``CROSS_UNTIL``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnClause, Connection, delete, func, insert, literal_column, select, update

from ..errors import Cancelled
from ..model import CheckDirty, CheckKey, CheckResult, Household, Meta
from ..queries.load import VALIDATION_PARTS, load_households, plain_rows
from . import engine
from .horizon import plain_day, recording
from .engine import (
    HOUSEHOLD_RULES, STORE_RULES, Context, Finding, HouseholdResults, Progress, _load_rules, _mark,
    _write_marks, household_check, household_results, store_keys, whole_store_pass,
)

FINGERPRINT = "check.fingerprint"
CHECK_DAY = "check.day"  # the day the kept state answers for
CROSS_UNTIL = "check.cross_until"  # the first day the kept cross-household findings may not hold
# Past this many written households a full check costs about the same (it reads in bulk, on every
# core) and is simpler to trust; with the written households' own rules on every core too
# (``own_results``), past this share of the store.
MAX_DIRTY = 4000
MAX_DIRTY_SHARE = 0.5
# The cross-household rules look households up key by key; past this many, one pass over the store.
MAX_CROSS = 2000
_BATCH = 500  # ids per IN (…) when reading the kept state


@dataclass
class CheckRun:
    """What a check did: ``findings`` (when asked for), how many there are, and how much it read."""

    count: int
    full: bool
    rechecked: int = 0  # households whose own rules ran
    cross_checked: int = 0  # households whose cross-household findings were worked out again
    findings: list[Finding] = field(default_factory=list)


def fingerprint(ctx: Context) -> str:
    """What the findings depend on besides the stored data and the day (which moves: ``CHECK_DAY``,
    ``check_result.until``): rules, year, thresholds, rule parameters, code tables, and the calendar
    year (a new year is a full check)."""
    h = hashlib.sha256(_rules_digest().encode())
    h.update(repr((ctx.year, ctx.province_code, plain_day(ctx.today).year,
                   sorted((k, str(v)) for k, v in ctx.thresholds.items()))).encode())
    h.update(json.dumps(ctx.codes.doc, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(repr(sorted(map(repr, ctx.params))).encode())  # the county's rule parameters too
    return h.hexdigest()


@cache
def _rules_digest() -> str:
    """The rules' code: the validation package's source where it is on disk, else (a frozen build)
    the compiled code of each registered rule. Both the same in every process."""
    _load_rules()
    from .. import __version__  # noqa: PLC0415

    h = hashlib.sha256(__version__.encode())
    sources = sorted(Path(__file__).parent.rglob("*.py"))
    for path in sources:
        h.update(path.name.encode() + path.read_bytes())
    if not sources:
        for fn in [*HOUSEHOLD_RULES, *STORE_RULES]:
            code = fn.__code__
            consts = [c for c in code.co_consts if isinstance(c, (str, int, float, bytes))]
            h.update(f"{fn.__module__}.{fn.__qualname__}".encode() + code.co_code + repr(consts).encode())
    return h.hexdigest()


def can_recheck(conn: Connection, ctx: Context, *, parallel: bool = False) -> bool:
    """Whether the kept state answers for this context and few enough households were written
    (``parallel``: the re-check will run their own rules on every core)."""
    if conn.execute(select(Meta.value).where(Meta.key == FINGERPRINT)).scalar_one_or_none() != fingerprint(ctx):
        return False
    today, day, cross_until = plain_day(ctx.today), _meta_day(conn, CHECK_DAY), _meta_day(conn, CROSS_UNTIL)
    if day is None or today < day or (cross_until is not None and today >= cross_until):
        return False  # never kept for a day, a clock set back, or the cross-household findings' day has come
    written = conn.execute(select(func.count()).select_from(CheckDirty)).scalar_one() + len(_expired(conn, ctx))
    if written <= MAX_DIRTY:
        return True
    return parallel and written <= MAX_DIRTY_SHARE * conn.execute(select(func.count()).select_from(Household)
                                                                  ).scalar_one()


# ---- the full check ------------------------------------------------------------------------------
def full_check(conn: Connection, ctx: Context, *, results: HouseholdResults | None = None,
               want_findings: bool = False, progress: Progress | None = None,
               cancel: Callable[[], bool] | None = None) -> CheckRun:
    """Every household; marks written and the state kept for the next re-check. ``results`` may come
    from worker processes (``validation.parallel``)."""
    try:
        return _full_check(conn, ctx, results, want_findings, progress, cancel)
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # worker processes started but not waited for (an error, a cancel)
            close()


def _full_check(conn: Connection, ctx: Context, results: HouseholdResults | None, want_findings: bool,
                progress: Progress | None, cancel: Callable[[], bool] | None) -> CheckRun:
    _load_rules()
    total = conn.execute(select(func.count()).select_from(Household)).scalar_one() if progress else 0
    cross: dict[str, list[Tagged]] = defaultdict(list)
    keys: list[tuple[str, str]] = []
    shared: dict[str, Any] = {}  # rows the passes share, read once
    with recording() as cross_horizon:
        for fn in STORE_RULES:  # while the workers (if any) read and check
            found, its_keys = whole_store_pass(conn, ctx, fn, shared)
            for f in found:
                cross[f.household].append((fn.__name__, f))
            keys += its_keys
    conn.execute(delete(CheckResult))
    _replace_keys(conn, keys)  # also while the workers run, rather than after them with one core idle
    rows: list[tuple[str, str, str, str | None]] = []
    marks: list[dict[str, Any]] = []
    run = CheckRun(0, full=True)
    for done, (household_id, own, until) in enumerate(results if results is not None
                                                      else household_results(conn, ctx)):
        if done % 250 == 0:
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(done, total)
        tagged = cross.get(household_id, [])
        theirs = [f for _r, f in tagged]
        if own or theirs or until:
            rows.append((household_id, _dump(own), _dump_tagged(tagged), _day(until)))
        marks.append(_mark(household_id, own + theirs))
        run.count += len(own) + len(theirs)
        run.rechecked += 1
        if want_findings:
            run.findings.extend(own + theirs)
        if len(marks) >= engine.MARK_BATCH:
            _flush(conn, rows, marks)
    _flush(conn, rows, marks)
    _kept(conn, ctx, cross_horizon.until)
    run.cross_checked = run.rechecked
    return run


# ---- the re-check --------------------------------------------------------------------------------
OwnResults = Callable[[list[str]], HouseholdResults | None]


def recheck(conn: Connection, ctx: Context, *, want_findings: bool = False,
            cancel: Callable[[], bool] | None = None, own_results: OwnResults | None = None) -> CheckRun:
    """The households written since the last check or whose findings may differ from today on, and
    the cross-household rules over the keys that moved; the answer is the full check's (see the
    module's note). Call only when ``can_recheck``. ``own_results(ids)`` may give the own findings of
    those households from worker processes (``validation.parallel.parallel_own``; None: checked
    here); they run while this process runs the cross-household rules."""
    _load_rules()
    written = set(conn.execute(select(CheckDirty.household_id)).scalars())
    existing = set(_in(conn, select(Household.id), Household.id, written))
    dated = _expired(conn, ctx) - written  # not written: still there
    again = existing | dated
    results = own_results(sorted(again)) if own_results is not None and again else None
    try:
        return _recheck(conn, ctx, written, existing, dated, results, want_findings, cancel)
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # worker processes not waited for (an error, a cancel)
            close()


def _expired(conn: Connection, ctx: Context) -> set[str]:
    """The households whose kept own findings may not hold today."""
    return set(conn.execute(select(CheckResult.household_id).where(CheckResult.until <= plain_day(ctx.today))
                            ).scalars())


def _recheck(conn: Connection, ctx: Context, written: set[str], existing: set[str], dated: set[str],
             results: HouseholdResults | None, want_findings: bool, cancel: Callable[[], bool] | None) -> CheckRun:
    kept_pairs: set[tuple[str, str]] = set(_in(conn, select(CheckKey.key, CheckKey.household_id),
                                               CheckKey.household_id, written))
    before = {k for k, _h in kept_pairs}
    passes: dict[str, tuple[list[Finding], list[tuple[str, str]]]] = {}
    shared: dict[str, Any] = {}  # rows the whole-store passes share, read once
    with recording() as cross_horizon:
        if len(existing) > MAX_CROSS:
            # Every cross-household rule will run over the whole store (it runs again over at least
            # the written households): run them now, and take the written households' keys from their
            # passes rather than looking them up household by household first.
            passes = {fn.__name__: whole_store_pass(conn, ctx, fn, shared) for fn in STORE_RULES}
            now = [(h, k) for _found, keys in passes.values() for h, k in keys if h in existing]
        else:
            now = list(store_keys(conn, ctx, existing)) if existing else []
    # Per cross-household rule: the written households, and every household holding one of its keys
    # that moved (households not written still hold in check_key the keys they hold now).
    moved: dict[str, set[str]] = defaultdict(set)
    for key in [*before, *(k for _h, k in now)]:
        moved[key.split(":", 1)[0]].add(key)
    rerun: dict[str, set[str]] = {}
    for fn in STORE_RULES:
        holders = set(_in(conn, select(CheckKey.household_id), CheckKey.key, moved[fn.__name__]))
        rerun[fn.__name__] = (holders - written) | existing
    affected = set().union(existing, dated, *rerun.values())
    if cancel is not None and cancel():
        raise Cancelled()

    own: dict[str, tuple[list[Finding], date | None]] = {h: ([], None) for h in existing | dated}
    ids = sorted(own)
    if results is None:
        for start in range(0, len(ids), engine.MARK_BATCH):
            for household in load_households(conn, ids[start:start + engine.MARK_BATCH], VALIDATION_PARTS,
                                             measures_year=ctx.year):
                own[household.id] = household_check(household, ctx)
    kept = {h: (_load(o), _load_tagged(c), date.fromisoformat(u) if u else None) for h, o, c, u in _in(
        conn, select(CheckResult.household_id, CheckResult.own, CheckResult.cross, CheckResult.until),
        CheckResult.household_id, affected - written)}
    fresh: dict[str, list[Tagged]] = defaultdict(list)
    with recording() as rerun_horizon:
        for fn in STORE_RULES:
            only = rerun[fn.__name__]
            if only:
                found: Iterable[Finding]
                if fn.__name__ in passes:
                    found = passes[fn.__name__][0]
                elif len(only) <= MAX_CROSS:
                    found = fn(conn, ctx, only)
                else:
                    found = whole_store_pass(conn, ctx, fn, shared)[0]
                for f in found:
                    if f.household in only:
                        fresh[f.household].append((fn.__name__, f))
    if results is not None:  # the workers' own findings, once the cross-household rules have run here
        own.update((h, (found_, until)) for h, found_, until in results)

    gone = written | affected
    for start in range(0, len(ids := sorted(gone)), _BATCH):
        conn.execute(delete(CheckResult).where(CheckResult.household_id.in_(ids[start:start + _BATCH])))
    order = {fn.__name__: i for i, fn in enumerate(STORE_RULES)}
    rows: list[tuple[str, str, str, str | None]] = []
    marks: list[dict[str, Any]] = []
    for h in sorted(affected):
        mine, tagged, until = kept.get(h, ([], [], None))
        if h in own:
            mine, until = own[h]
        # A rule not run again for this household keeps its findings; in the rules' order, as a
        # full check lists them (a stable sort keeps each rule's own order).
        tagged = sorted([t for t in tagged if h not in rerun[t[0]]] + fresh.get(h, []), key=lambda t: order[t[0]])
        theirs = [f for _r, f in tagged]
        if mine or theirs or until:
            rows.append((h, _dump(mine), _dump_tagged(tagged), _day(until)))
        marks.append(_mark(h, mine + theirs))
    _flush(conn, rows, marks)
    # the written households' keys made what they are now: only the pairs that changed are written
    now_pairs = {(k, h) for h, k in now}
    _change_keys(conn, kept_pairs - now_pairs, now_pairs - kept_pairs)
    _kept(conn, ctx, _earliest(cross_horizon.until, rerun_horizon.until, _meta_day(conn, CROSS_UNTIL)))
    # From the kept findings, not the marks: summing a column of the wide household table would
    # decrypt every page of it.
    count = conn.execute(select(func.coalesce(func.sum(
        func.json_array_length(CheckResult.own) + func.json_array_length(CheckResult.cross)), 0))).scalar_one()
    run = CheckRun(int(count), full=False, rechecked=len(own), cross_checked=len(affected))
    if want_findings:
        run.findings = kept_findings(conn)
    return run


def kept_findings(conn: Connection) -> list[Finding]:
    """Every kept finding, in the full check's order (household by household as stored)."""
    rowid: ColumnClause[int] = literal_column("household.rowid")
    stmt = (select(CheckResult.household_id, CheckResult.own, CheckResult.cross)
            .join(Household, Household.id == CheckResult.household_id).order_by(rowid))
    out: list[Finding] = []
    for _household_id, mine, theirs in conn.execute(stmt):
        out.extend(_load(mine))
        out.extend(f for _r, f in _load_tagged(theirs))
    return out


# ---- storage -------------------------------------------------------------------------------------
_FIELDS = ("rule", "severity", "household", "field", "message", "record", "record_id", "member", "kind")


def _dump(findings: list[Finding]) -> str:
    return json.dumps([[getattr(f, n) for n in _FIELDS] for f in findings], ensure_ascii=False,
                      separators=(",", ":"))


def _load(text: str) -> list[Finding]:
    return [Finding(*row) for row in json.loads(text)]


Tagged = tuple[str, Finding]  # a cross-household finding and the name of the rule that gave it


def _dump_tagged(tagged: list[Tagged]) -> str:
    return json.dumps([[*(getattr(f, n) for n in _FIELDS), r] for r, f in tagged], ensure_ascii=False,
                      separators=(",", ":"))


def _load_tagged(text: str) -> list[Tagged]:
    return [(row[-1], Finding(*row[:-1])) for row in json.loads(text)]


def _flush(conn: Connection, rows: list[tuple[str, str, str, str | None]], marks: list[dict[str, Any]]) -> None:
    """Kept findings (``_day`` dates) and marks. The findings with the driver's executemany of plain
    tuples: a full check keeps a row for nearly every household (its findings' horizon)."""
    if rows:
        table = CheckResult.__table__
        names = ", ".join(f'"{c.name}"' for c in table.c)  # "cross" is a word of SQL
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES (?, ?, ?, ?)", rows)
        rows.clear()
    if marks:
        _write_marks(conn, marks)
        marks.clear()


def _change_keys(conn: Connection, gone: set[tuple[str, str]], new: set[tuple[str, str]]) -> None:
    """(key, household id) pairs out of ``check_key`` and into it. Most keys stay from one check to the
    next: the difference is written, not 150,000 rows into two trees. In key order (appended to the
    tree, not scattered), with the driver's executemany of plain tuples: SQLAlchemy's per-row
    parameter dicts cost more than the writes."""
    table = CheckKey.__table__
    key, household_id = table.c.key.name, table.c.household_id.name
    for sql, pairs in ((f"DELETE FROM {table.name} WHERE {key} = ? AND {household_id} = ?", sorted(gone)),
                       (f"INSERT INTO {table.name} ({key}, {household_id}) VALUES (?, ?)", sorted(new))):
        for start in range(0, len(pairs), 5000):
            conn.exec_driver_sql(sql, pairs[start:start + 5000])


def _replace_keys(conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """``check_key`` made to hold exactly these (household id, key) pairs."""
    table = CheckKey.__table__
    now = {(k, h) for h, k in pairs}
    kept = set(plain_rows(conn, f"SELECT {table.c.key.name}, {table.c.household_id.name} FROM {table.name}"))
    _change_keys(conn, kept - now, now - kept)


def _kept(conn: Connection, ctx: Context, cross_until: date | None) -> None:
    """The state now answers for this context and day, its cross-household findings until
    ``cross_until``; nothing is left to re-check (the marks just written noted their households
    through the triggers)."""
    for key, value in ((FINGERPRINT, fingerprint(ctx)), (CHECK_DAY, plain_day(ctx.today).isoformat()),
                       (CROSS_UNTIL, cross_until.isoformat() if cross_until else None)):
        if value is None:
            conn.execute(delete(Meta).where(Meta.key == key))
        elif conn.execute(update(Meta).where(Meta.key == key).values(value=value)).rowcount == 0:
            conn.execute(insert(Meta).values(key=key, value=value))
    conn.execute(delete(CheckDirty))


def _day(day: date | None) -> str | None:
    """A date as SQLAlchemy's SQLite Date type stores it."""
    return day.isoformat() if day is not None else None


def _meta_day(conn: Connection, key: str) -> date | None:
    value = conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()
    return date.fromisoformat(value) if value else None


def _earliest(*days: date | None) -> date | None:
    return min((d for d in days if d is not None), default=None)


def _in(conn: Connection, stmt: Any, column: Any, values: set[str]) -> Iterator[Any]:
    """The rows of ``stmt`` whose ``column`` is one of ``values`` (a single column's values as they
    are), fetched at once as plain tuples: the statements here read text columns only."""
    ordered = sorted(values)
    single = len(stmt.selected_columns) == 1
    for start in range(0, len(ordered), _BATCH):
        rows = plain_rows(conn, stmt.where(column.in_(ordered[start:start + _BATCH])))
        yield from ([r[0] for r in rows] if single else rows)
