"""The re-check after a day's work in processor time (issue 14 item 8): a full check, then for each
round the edits of ``bench.check_bench``'s ``day_of_work`` with a fixed seed, then the re-check.
Run it from two checkouts on two copies of one store (same state, same seed) to compare them on a
loaded machine.

    .venv/bin/python -m bench.recheck_cpu_bench STORE_DIR [--seed 100] [--rounds 4] [--password PW]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path


def main() -> None:
    from bench.check_bench import day_of_work
    from fupin_desktop.services import checks
    from fupin_desktop.store.store import Store

    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--password", default="bench-password-1")
    args = parser.parse_args()
    with Store.open(Path(args.store), "admin", args.password) as store:
        checks.check(store, full=True)
        for n in range(args.rounds):
            day_of_work(store, random.Random(args.seed + n), args.changed)
            started, cpu = time.perf_counter(), time.process_time()
            run = checks.check(store)
            print(f"re-check {time.perf_counter() - started:.3f} s wall, {time.process_time() - cpu:.3f} s CPU; "
                  f"{run.rechecked} written / {run.cross_checked} cross-checked, {run.count} findings, "
                  f"full={run.full}", flush=True)


if __name__ == "__main__":
    main()
