"""What the low-income figures and filters cost (issue 17 items 3–4): village_stats of the current year on a
demo village, the share of it spent reading the members' year rows (labour and 社会救助类别), and the list's
本年未评估 filter.

    python bench/lowincome_bench.py 1500
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fupin_desktop.demo import fill_store
from fupin_desktop.queries.lowincome import households_matching
from fupin_desktop.queries.stats import _member_years, village_stats
from fupin_desktop.queries.years import current_year
from fupin_desktop.store.store import Store


def best(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int) -> None:
    store, _ = Store.create(Path(tempfile.mkdtemp()) / "s", village_code="520102003004", village_name="测试村",
                            username="admin", password="bench-pass-1")
    fill_store(store, n, seed=5)
    with store, store.engine.connect() as conn:
        year = current_year(conn)
        total = best(lambda: village_stats(conn, year))
        members = best(lambda: _member_years(conn, year))
        pending = best(lambda: households_matching(conn, year, pending=True))
    print(f"{n} households, year {year}: village_stats {total * 1000:.0f} ms, of which the member_year read "
          f"{members * 1000:.0f} ms ({members / total:.0%}); the pending filter {pending * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
