"""The whole-store check on several processes: the rules are plain Python, so one process per core
is the way to use a second core. Each worker opens the database with the data key it is handed in
memory (never written anywhere) and checks one range of households."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import ColumnClause, Engine, func, literal_column, select

from ..model import Household
from ..store.engine import make_engine
from .engine import Context, Finding, HouseholdResults, household_results

MIN_PER_WORKER = 2000  # below this, starting processes costs more than it saves


def _check_range(db_path: str, key: bytes, ctx: Context, lo: int, hi: int) -> list[tuple[str, list[Finding]]]:
    engine = make_engine(Path(db_path), key)
    try:
        with engine.connect() as conn:
            return list(household_results(conn, ctx, (lo, hi)))
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


def parallel_results(engine: Engine, db_path: Path, key: bytes, ctx: Context, workers: int) -> HouseholdResults:
    # "spawn" everywhere: the same behaviour on Windows, and no inherited database connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_check_range, str(db_path), key, ctx, lo, hi) for lo, hi in _ranges(engine, workers)]
        for future in futures:
            yield from future.result()
