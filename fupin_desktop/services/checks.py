"""Whole-store checks: validation of every household, and the file-level integrity check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from ..errors import corrupt_error
from ..model import Household
from ..store.archive import DB_NAME
from ..store.store import Store
from ..validation import incremental
from ..validation.engine import Context, Finding, HouseholdResults, Progress
from ..validation import parallel
from ..validation.parallel import parallel_own, parallel_results, worker_count
from ..queries.years import current_year


def check(store: Store, year: int | None = None, *, full: bool = False, want_findings: bool = False,
          progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
          today: date | None = None) -> incremental.CheckRun:
    """The whole-store check: a re-check of what was written since the last one, and of what the day
    may have changed, when that gives the same answer (``validation.incremental``), else every
    household, on every core. ``today``: check as on another day (tests, the benchmark)."""
    workers = worker_count(store.engine)
    with store.engine.begin() as conn:
        ctx = Context.for_store(conn, year or current_year(conn), today)
        if not full and incremental.can_recheck(conn, ctx, parallel=workers > 1):
            return incremental.recheck(conn, ctx, want_findings=want_findings, cancel=cancel,
                                       own_results=lambda ids: _own_results(store, ctx, ids, workers))
        return incremental.full_check(conn, ctx, results=_results(store, ctx, workers), want_findings=want_findings,
                                      progress=progress, cancel=cancel)


def run_check(store: Store, *, year: int | None = None,
              full: bool = False) -> tuple[list[Finding], dict[str, dict[str, Any]]]:
    """Every finding (and the households' marks refreshed), with list facts of each household."""
    findings = check(store, year, full=full, want_findings=True).findings
    with store.engine.connect() as conn:
        households = {
            r["id"]: dict(r) for r in conn.execute(
                select(Household.id, Household.group_name, Household.head_name, Household.national_hh_no)
            ).mappings()
        }
    return findings, households


def unset_reference(store: Store, year: int | None = None) -> list[str]:
    """What the year's check cannot judge because the reference data has no value for the year
    (a year after the last one the county set): said, not silently skipped."""
    with store.engine.connect() as conn:
        ctx = Context.for_store(conn, year or current_year(conn))
    notes = []
    if ctx.threshold("监测") is None:
        notes.append(f"{ctx.year}年未设置监测范围（参考数据），人均纯收入和扣除刚性支出后人均收入未与监测范围比较。"
                     f"请导入县级下发的{ctx.year}年标准。")
    return notes


def mark_store(store: Store, year: int | None = None, *, progress: Progress | None = None,
               cancel: Callable[[], bool] | None = None) -> int:
    """Refresh every household's error and warning counts; returns the number of findings."""
    return check(store, year, progress=progress, cancel=cancel).count


def _own_results(store: Store, ctx: Context, ids: list[str], workers: int) -> HouseholdResults | None:
    """The own findings of many written households from worker processes, else None (checked inline)."""
    if workers < 2 or len(ids) < parallel.MIN_PER_WORKER:
        return None
    return parallel_own(store.engine, store.path / DB_NAME, store._data_key, ctx, ids, workers)


def _results(store: Store, ctx: Context, workers: int) -> HouseholdResults | None:
    """Per-household findings from worker processes for a large store, else None (checked inline)."""
    if workers < 2:
        return None
    return parallel_results(store.engine, store.path / DB_NAME, store._data_key, ctx, workers)


def verify_store(store: Store) -> list[str]:
    """SQLCipher's page HMAC check, SQLite's integrity check and the rollback check (store/rollback.py);
    empty when all are clean. A damaged page is reported, not raised."""
    problems = [p for p in [store.rollback_problem()] if p]
    try:
        problems.extend(_page_problems(store))
    except DatabaseError as exc:
        problems.append(f"加密校验：无法读取数据库（{corrupt_error(exc).message}）")
    return problems


def _page_problems(store: Store) -> list[str]:
    problems: list[str] = []
    with store.engine.connect() as conn:
        for pragma, title in (("cipher_integrity_check", "加密校验"), ("integrity_check", "结构检查")):
            rows = [r[0] for r in conn.execute(text(f"PRAGMA {pragma}")).all()]
            if rows and rows != ["ok"]:
                problems.extend(f"{title}：{r}" for r in rows)
    return problems
