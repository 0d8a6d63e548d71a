"""What the low-income figures and filters cost (issue 17 items 3–4): village_stats of the current year on a
demo village, the share of it spent reading the members' year rows (labour and 社会救助类别), and the list's
本年未评估 filter.  python bench/lowincome_bench.py 1500"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, ".")
from fupin_desktop.store.store import Store
from fupin_desktop.demo import fill_store
from fupin_desktop.queries.stats import village_stats, _member_years
from fupin_desktop.queries.lowincome import households_matching
from fupin_desktop.queries.years import current_year
os.environ.setdefault("FUPIN_TEST_KDF", "1")
tmp = Path(tempfile.mkdtemp())
store, _ = Store.create(tmp / "s", village_code="520102003004", village_name="测试村", username="admin", password="pw-123456789")
n = int(sys.argv[1])
fill_store(store, n, seed=5)
def best(fn, k=5):
    ts = []
    for _ in range(k):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
with store.engine.connect() as conn:
    y = current_year(conn)
    total = best(lambda: village_stats(conn, y))
    members = best(lambda: _member_years(conn, y))
    pend = best(lambda: households_matching(conn, y, pending=True))
print(f"{n} households, year {y}: village_stats {total*1000:.0f} ms, of which member_year read {members*1000:.0f} ms ({members/total:.0%}); pending filter {pend*1000:.0f} ms")
store.close()
