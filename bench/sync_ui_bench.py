"""What the sync parts of the desktop app add to its everyday work (issue 5), on a township store:

- a page of the household list (100 rows) with the 同步 column, against the same page without it
  (the floor, measured in the same run);
- the status bar's unsent/unconfirmed counts after a save, on a young log (everything unsent) and
  on an old one (almost everything confirmed), against the full per-state count of sync_status.

    .venv/bin/python -m bench.sync_ui_bench [--households 20000] [--store DIR]

Without --store it builds a demo store in a temporary folder (about 2 minutes for 20,000
households); with --store DIR it builds one there if DIR is empty, else reuses it (then
``bench.ui_bench --store DIR`` measures keystroke latency with the 同步 column on the same store).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

PASSWORD = "bench-password-1"
PAGE = 100


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def timed(fn, repeat: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), p95(times)


def build(path: Path, households: int) -> None:
    from fupin_desktop.demo import fill_store
    from fupin_desktop.services.checks import mark_store
    from fupin_desktop.store.store import Store

    store, _ = Store.create(path, village_code="520102003004", village_name="大镇", username="admin",
                            password=PASSWORD)
    with store:
        fill_store(store, households)
        mark_store(store)


def measure(path: Path) -> dict:
    from sqlalchemy import text

    from fupin_desktop.queries.search import SearchQuery, household_rows, search_households
    from fupin_desktop.queries.stats import pending_changes
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync.status import household_states, open_counts, sync_status

    store = Store.open(path, "admin", PASSWORD)
    result: dict = {}
    try:
        with store.engine.connect() as conn:
            year = current_year(conn)
            ids = search_households(conn, SearchQuery(year=year))
            entries = conn.execute(text("SELECT count(*) FROM change_log")).scalar()
        rng = random.Random(5)
        pages = [ids[s:s + PAGE] for s in (rng.randrange(0, max(1, len(ids) - PAGE)) for _ in range(60))]
        result.update(households=len(ids), change_log_entries=entries)

        def page(with_states: bool):
            it = iter(pages * 2)

            def run() -> None:
                wanted = next(it)
                with store.engine.connect() as conn:
                    household_rows(conn, wanted, year)
                    if with_states:
                        household_states(conn, wanted, store.device_id)
            return run

        floor = timed(page(False), 60)
        with_column = timed(page(True), 60)
        result.update(page_floor_p50_ms=floor[0], page_floor_p95_ms=floor[1], page_with_sync_p50_ms=with_column[0],
                      page_with_sync_p95_ms=with_column[1], page_ratio_p50=with_column[0] / floor[0])

        def counts(fn):
            def run() -> None:
                with store.engine.connect() as conn:
                    fn(conn)
            return run

        for age in ("young", "old"):
            if age == "old":  # a log the county has confirmed, but for the last day's edits
                with store.engine.begin() as conn:
                    conn.execute(text("UPDATE change_log SET sync_state = '已确认' WHERE seq <= :s"),
                                 {"s": entries - 200})
            result[f"status_bar_{age}_p50_ms"] = timed(counts(lambda c: open_counts(c)), 20)[0]
            result[f"old_pending_count_{age}_p50_ms"] = timed(counts(pending_changes), 20)[0]
            result[f"sync_status_{age}_p50_ms"] = timed(lambda: sync_status(store), 20)[0]
        with store.engine.begin() as conn:  # leave the store as it was built
            conn.execute(text("UPDATE change_log SET sync_state = '未发送'"))
    finally:
        store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--store")
    args = parser.parse_args()
    tmp = None
    if args.store:
        path = Path(args.store)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="fupin-sync-ui-bench-"))
        path = tmp / "store"
    try:
        if not (path / "store.json").exists():
            started = time.perf_counter()
            build(path, args.households)
            print(f"built {args.households} households in {time.perf_counter() - started:.0f} s", flush=True)
        print(json.dumps(measure(path), indent=1))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
