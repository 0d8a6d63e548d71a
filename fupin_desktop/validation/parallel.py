"""The whole-store check on several processes: the rules are plain Python, so one process per core
is the way to use a second core. Each worker opens the database with the data key it is handed in
memory (never written anywhere) and checks one range of households."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import ColumnClause, Engine, func, literal_column, select

from ..model import Household
from ..store.engine import make_engine
from ..queries.load import VALIDATION_PARTS, load_households
from .engine import Context, HouseholdResult, household_check, household_results

MIN_PER_WORKER = 2000  # below this, starting processes costs more than it saves


# Pages a worker keeps decrypted: its range's index pages are read again for every chunk of
# households (SQLite's default cache is 2 MB).
WORKER_CACHE_KIB = 65536


def _check_range(db_path: str, key: bytes, ctx: Context, lo: int, hi: int) -> list[HouseholdResult]:
    # A worker lives for one range and makes a few hundred thousand small objects without cycles:
    # the cyclic collector would walk them again and again and free nothing.
    gc.disable()
    engine = make_engine(Path(db_path), key)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA cache_size = -{WORKER_CACHE_KIB}")
            return list(household_results(conn, ctx, (lo, hi)))
    finally:
        engine.dispose()


def _check_ids(db_path: str, key: bytes, ctx: Context, ids: list[str]) -> list[HouseholdResult]:
    gc.disable()  # as in _check_range
    engine = make_engine(Path(db_path), key)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA cache_size = -{WORKER_CACHE_KIB}")
            return [(h.id, *household_check(h, ctx))
                    for h in load_households(conn, ids, VALIDATION_PARTS, measures_year=ctx.year)]
    finally:
        engine.dispose()


def _ranges(engine: Engine, parts: int) -> list[tuple[int, int]]:
    rowid: ColumnClause[int] = literal_column("household.rowid")
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Household)).scalar_one()
        bounds = []
        for i in range(parts):
            offset = count * i // parts
            size = count * (i + 1) // parts - offset
            if size <= 0:
                continue
            ids = conn.execute(select(rowid).select_from(Household).order_by(rowid).offset(offset).limit(size)
                               ).scalars().all()
            bounds.append((ids[0], ids[-1]))
    return bounds


def worker_count(engine: Engine) -> int:
    with engine.connect() as conn:
        households = conn.execute(select(func.count()).select_from(Household)).scalar_one()
    return max(1, min(os.cpu_count() or 1, households // MIN_PER_WORKER))


class _Pooled:
    """Results of worker processes started at once (they import and read while the caller runs the
    cross-household rules), yielded in household order; ``close`` stops them if not consumed."""

    def __init__(self, pool: ProcessPoolExecutor, futures: list[Future[list[HouseholdResult]]]) -> None:
        self.pool, self.futures = pool, futures

    def __iter__(self) -> Iterator[HouseholdResult]:
        try:
            for future in self.futures:
                yield from future.result()
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """Where the platform has it, "forkserver": a clean process (started once, on the first check)
    that has imported the rules forks each worker, so a check does not pay every worker's imports
    (about 0.7 s of CPU each). Elsewhere (Windows) "spawn". Never a plain fork of the app: it runs
    threads (the UI, the database worker), and workers start from a clean interpreter either way,
    with no inherited database connections."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, f"{__package__}.rules"])
    return context


def parallel_results(engine: Engine, db_path: Path, key: bytes, ctx: Context, workers: int) -> _Pooled:
    context = _context()
    ranges = _ranges(engine, workers)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return _Pooled(pool, [pool.submit(_check_range, str(db_path), key, ctx, lo, hi) for lo, hi in ranges])


def parallel_own(engine: Engine, db_path: Path, key: bytes, ctx: Context, ids: list[str], workers: int) -> _Pooled:
    """The own findings of these households (a re-check of many written ones), split over the workers
    in the order they were written (neighbouring pages), yielded in that order."""
    rowid: ColumnClause[int] = literal_column("household.rowid")
    wanted = set(ids)
    with engine.connect() as conn:
        ordered = [i for i in conn.execute(select(Household.id).order_by(rowid)).scalars() if i in wanted]
    parts = [ordered[len(ordered) * i // workers:len(ordered) * (i + 1) // workers] for i in range(workers)]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    return _Pooled(pool, [pool.submit(_check_ids, str(db_path), key, ctx, part) for part in parts if part])
