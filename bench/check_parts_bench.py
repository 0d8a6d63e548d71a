"""One worker's share of the full check, read and rules apart, in processor time (issue 14 item 8):
reads the first range a worker would get, ``--households`` of it, and runs the household rules over
them. Run it from two checkouts alternately and compare the best of several runs: processor time
moves much less than wall time on the shared machine.

    .venv/bin/python -m bench.check_parts_bench STORE_DIR [--households 4000] [--password PW]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path


def main() -> None:
    from fupin_desktop.queries.load import VALIDATION_PARTS, iter_households
    from fupin_desktop.store.store import Store
    from fupin_desktop.validation.engine import Context, _load_rules, check_household
    from fupin_desktop.validation.parallel import _ranges

    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--password", default="bench-password-1")
    args = parser.parse_args()
    _load_rules()
    gc.disable()  # as in the workers (validation.parallel)
    with Store.open(Path(args.store), "admin", args.password) as store, store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size = -65536")
        ctx = Context.for_store(conn)
        lo, hi = _ranges(store.engine, 2)[0]
        started = time.process_time()
        households = []
        for household in iter_households(conn, parts=VALIDATION_PARTS, rowids=(lo, hi), measures_year=ctx.year):
            households.append(household)
            if len(households) >= args.households:
                break
        read = time.process_time() - started
        started = time.process_time()
        found = sum(len(check_household(h, ctx)) for h in households)
        rules = time.process_time() - started
    print(f"{len(households)} households: read {read:.2f} s CPU, rules {rules:.2f} s CPU, {found} findings")


if __name__ == "__main__":
    main()
