"""The full check's wall and CPU time, and digests of what it wrote (issue 14, item 8): run it from
two checkouts alternately on one store to compare them on a loaded machine, where CPU time moves
much less than wall time. The digests must be equal between the two. The workers run in processes
forked by a forkserver, whose CPU time no counter here sees: their work is then run once more in this
process, range after range, and its CPU time printed ("workers' work").

    .venv/bin/python -m bench.check_cpu_bench STORE_DIR [ROUNDS] [--password PW]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from pathlib import Path


def _digest(rows: object) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def main() -> None:
    from fupin_desktop.services import checks
    from fupin_desktop.store.store import Store

    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("rounds", type=int, nargs="?", default=1)
    parser.add_argument("--password", default="bench-password-1")
    args = parser.parse_args()
    store = Store.open(Path(args.store), "admin", args.password)
    with store:
        for _ in range(args.rounds):
            started, cpu = time.perf_counter(), time.process_time()
            run = checks.check(store, full=True, want_findings=True)
            wall = time.perf_counter() - started
            children = resource.getrusage(resource.RUSAGE_CHILDREN)  # spawned workers only, not forkserver's
            with store.engine.connect() as conn:
                marks = _digest(conn.exec_driver_sql(
                    "SELECT id, error_count, warning_count FROM household ORDER BY id").all())
                keys = _digest(conn.exec_driver_sql("SELECT key, household_id FROM check_key ORDER BY 1, 2").all())
                kept = _digest(conn.exec_driver_sql(
                    "SELECT household_id, own, \"cross\" FROM check_result ORDER BY 1").all())
            print(f"full check {wall:.2f} s, CPU here {time.process_time() - cpu:.2f} s, spawned workers (total) "
                  f"{children.ru_utime + children.ru_stime:.2f} s; {run.count} findings "
                  f"{_digest([f.as_dict() for f in run.findings])}, marks {marks}, keys {keys}, kept {kept}",
                  flush=True)
            print(f"workers' work, here: {_workers_work(store):.2f} s CPU", flush=True)


def _workers_work(store) -> float:
    """The CPU time of what the check's worker processes do (read and check their ranges), run here."""
    import gc

    from fupin_desktop.store.archive import DB_NAME
    from fupin_desktop.validation.engine import Context
    from fupin_desktop.validation.parallel import _check_range, _ranges, worker_count

    with store.engine.connect() as conn:
        ctx = Context.for_store(conn)
    total = 0.0
    for lo, hi in _ranges(store.engine, worker_count(store.engine)):
        started = time.process_time()
        _check_range(str(store.path / DB_NAME), store._data_key, ctx, lo, hi)
        total += time.process_time() - started
        gc.enable()  # the worker's function turns it off for its process
    return total


if __name__ == "__main__":
    main()
