"""Core benchmark at township scale (issue 2): service writes vs a raw SQLCipher floor, search p95,
open-to-first-query, whole-store validation, and the peak memory of each step.

    .venv/bin/python -m bench.core_bench                 # 20,000 households (about 15 minutes)
    .venv/bin/python -m bench.core_bench --households 2000

Each step runs in its own process so that its peak RSS is its own. The stores use the product's
real KDF cost (Argon2id, 64 MiB, tuned to about 1 s); the KDF is excluded from the open timing.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import steps

PASSWORD = "bench-password-1"
VILLAGE = "520102003004"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(households: int, seed: int, size: int):
    from fupin_desktop.demo import generate

    batch = []
    for bundle in generate(households, seed=seed, village_code=VILLAGE):
        batch.append(bundle)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---- the raw floor: the same rows, plain executemany on a keyed sqlcipher3 connection ----------
def _raw_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int((value * 100).to_integral_value())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _raw_connection(store_dir: Path, key: bytes):
    import sqlcipher3

    conn = sqlcipher3.connect(str(store_dir / "fupin.db"), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    for pragma in ("temp_store = MEMORY", "foreign_keys = ON", "journal_mode = WAL", "synchronous = FULL"):
        conn.execute(f"PRAGMA {pragma}").fetchall()
    return conn


def _raw_write(conn, tables: dict) -> int:
    rows_written = 0
    conn.execute("BEGIN")
    for model, (rows, _owners) in tables.items():
        table = model.__table__
        columns = [c.name for c in table.c]
        defaults = {c.name: c.default.arg if c.default is not None and c.default.is_scalar else None
                    for c in table.c}
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.executemany(sql, [tuple(_raw_value(r.get(c, defaults[c])) for c in columns) for r in rows])
        rows_written += len(rows)
    conn.execute("COMMIT")
    return rows_written


# ---- steps -------------------------------------------------------------------------------------
def step_write(args: argparse.Namespace) -> dict[str, Any]:
    from fupin_desktop.model import Helper
    from fupin_desktop.services.households import create_households, flatten
    from fupin_desktop.services.uow import UnitOfWork
    from fupin_desktop.store.store import Store

    store_dir, floor_dir = Path(args.store), Path(args.store + "-floor")
    store, _ = Store.create(store_dir, village_code=VILLAGE, village_name="基准村", username="admin", password=PASSWORD)
    floor_store, _ = Store.create(floor_dir, village_code=VILLAGE, village_name="基准村", username="admin",
                                  password=PASSWORD)
    floor_key = floor_store._data_key
    floor_store.close()
    raw = _raw_connection(floor_dir, floor_key)

    service_s = floor_s = 0.0
    rows = 0
    seen_helpers: set[str] = set()
    for batch in _batches(args.households, args.seed, 500):
        helpers = [dict(h) for b in batch for k, h in b.helpers.items() if k not in seen_helpers]
        helpers = list({h["id"]: h for h in helpers}.values())
        seen_helpers.update(h["id"] for h in helpers)
        floor_copy = copy.deepcopy(batch)
        floor_helpers = copy.deepcopy(helpers)
        started = time.perf_counter()
        with UnitOfWork(store, check=False) as uow:
            uow.insert_many(Helper, helpers, trusted=True)
            create_households(uow, batch, trusted=True)
        service_s += time.perf_counter() - started
        started = time.perf_counter()
        tables = {Helper: (floor_helpers, [""] * len(floor_helpers))}
        tables.update(flatten(floor_copy, compute_income=True))
        rows += _raw_write(raw, tables)
        floor_s += time.perf_counter() - started
    raw.close()
    store.close()
    shutil.rmtree(floor_dir)
    return {"households": args.households, "rows": rows, "service_s": service_s, "floor_s": floor_s,
            "service_rows_per_s": rows / service_s, "floor_rows_per_s": rows / floor_s,
            "ratio": floor_s / service_s, "peak_rss_mb": peak_rss_mb()}


def _key(store_dir: Path) -> bytes:
    from fupin_desktop.store.store import Store

    return Store.keyring_for(store_dir).unlock_password("admin", PASSWORD)


def step_open(args: argparse.Namespace) -> dict[str, Any]:
    from fupin_desktop.queries.search import SearchQuery, household_rows, search_households
    from fupin_desktop.store.store import Store

    store_dir = Path(args.store)
    key = _key(store_dir)  # the KDF is not part of this measurement
    started = time.perf_counter()
    store = Store._open_with_key(store_dir, Store.keyring_for(store_dir), key, "admin", allow_rollback=False)
    with store.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
        household_rows(conn, ids[:100])
    elapsed = time.perf_counter() - started
    store.close()
    return {"open_to_first_query_s": elapsed, "households_listed": len(ids), "peak_rss_mb": peak_rss_mb()}


def step_search(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import select

    from fupin_desktop.model import Household, Member
    from fupin_desktop.queries.search import SearchQuery, search_households
    from fupin_desktop.store.store import Store

    store = Store.open(Path(args.store), "admin", PASSWORD)
    rng = random.Random(args.seed)
    with store.engine.connect() as conn:
        people = conn.execute(select(Member.name, Member.name_initials, Member.id_no).limit(5000)).all()
        numbers = conn.execute(select(Household.national_hh_no).limit(2000)).scalars().all()
        queries = []
        for _ in range(50):
            name, initials, id_no = rng.choice(people)
            queries += [name, (initials or "zs")[:2], (id_no or "0000")[-6:], rng.choice(numbers)[-5:]]
        search_households(conn, SearchQuery(text=queries[0]))  # warm the page cache, as a running app has
        times = []
        for q in queries:
            started = time.perf_counter()
            search_households(conn, SearchQuery(text=q))
            times.append(time.perf_counter() - started)
    store.close()
    times.sort()
    return {"queries": len(times), "p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * times[int(len(times) * 0.95) - 1], "max_ms": 1000 * times[-1],
            "peak_rss_mb": peak_rss_mb()}


def step_check(args: argparse.Namespace) -> dict[str, Any]:
    from fupin_desktop.services.checks import run_check
    from fupin_desktop.store.store import Store

    store = Store.open(Path(args.store), "admin", PASSWORD)
    started = time.perf_counter()
    findings, _ = run_check(store)
    elapsed = time.perf_counter() - started
    store.close()
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"validation_s": elapsed, "findings": len(findings), "peak_rss_mb": peak_rss_mb(),
            "worker_peak_rss_mb": workers_mb}


STEPS = {"write": step_write, "open": step_open, "search": step_search, "check": step_check}


def run_step(name: str, store: Path, households: int, seed: int) -> dict[str, Any]:
    return steps.run_step("bench.core_bench", name, store=store, households=households, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step", choices=STEPS)
    parser.add_argument("--store")
    args = parser.parse_args()
    for var in ("FUPIN_KDF_MEMORY_KIB", "FUPIN_KDF_ITERATIONS"):
        os.environ.pop(var, None)  # benchmarks use the product's KDF cost
    if args.step:
        print(json.dumps(STEPS[args.step](args)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="fupin-bench-"))
    try:
        results: dict[str, Any] = {"households": args.households}
        small = max(args.households // 4, 500)
        results["write_small"] = run_step("write", tmp / "small", small, args.seed)
        shutil.rmtree(tmp / "small")
        for name in STEPS:
            results[name] = run_step(name, tmp / "store", args.households, args.seed)
        print(json.dumps(results, indent=1))
        print(report(results))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    w, ws = r["write"], r["write_small"]
    return "\n".join([
        f"| measure ({r['households']:,} households) | result | goal |",
        "|---|---|---|",
        f"| service writes with change capture | {w['service_rows_per_s']:,.0f} rows/s "
        f"({w['rows']:,} rows in {w['service_s']:.1f} s) | |",
        f"| floor: raw SQLCipher executemany, same rows | {w['floor_rows_per_s']:,.0f} rows/s "
        f"({w['floor_s']:.1f} s) | |",
        f"| service / floor | {100 * w['ratio']:.0f} % | ≥ 25 % |",
        f"| search p95 (p50) over {r['search']['queries']} queries | {r['search']['p95_ms']:.1f} ms "
        f"({r['search']['p50_ms']:.1f} ms) | ≤ 50 ms |",
        f"| open to first query, KDF excluded | {r['open']['open_to_first_query_s']:.3f} s | ≤ 0.5 s |",
        f"| whole-store validation ({r['check']['findings']:,} findings) | {r['check']['validation_s']:.2f} s "
        f"| ≤ 5 s |",
        f"| peak RSS: write {ws['households']:,} / {w['households']:,} households | {ws['peak_rss_mb']:.0f} MB "
        f"/ {w['peak_rss_mb']:.0f} MB | ≤ 500 MB, flat |",
        f"| peak RSS: open / search / validation (+ each worker) | {r['open']['peak_rss_mb']:.0f} "
        f"/ {r['search']['peak_rss_mb']:.0f} / {r['check']['peak_rss_mb']:.0f} "
        f"(+{r['check'].get('worker_peak_rss_mb', 0):.0f}) MB | ≤ 500 MB |",
    ])


if __name__ == "__main__":
    main()
