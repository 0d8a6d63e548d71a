"""Whole-store check at township scale (issue 14, item 8): the full check and the re-check after a
day's work, each against a floor measured in the same run.

    .venv/bin/python -m bench.check_bench                       # builds a 20,000-household store
    .venv/bin/python -m bench.check_bench --store DIR           # reuses one (it gets 200 more edits)
    .venv/bin/python -m bench.check_bench --trigger-cost 1000   # what the check_dirty triggers cost writes

- full check: every household, on every core (after an upgrade of the rules, other thresholds, a new
  year); its floor is reading the same rows the rules read, split over the same worker processes,
  with no rule run;
- the first check of the next day, nothing written: the households whose findings may change with
  the day (``validation.horizon``) are re-checked; its floor is loading them and running their own
  rules. Its answer is compared with a full check's on that day;
- re-check: 200 households edited through the services (one ID number copied into another
  household, phone numbers shared, names, genders, members leaving), then the check again; its floor
  is loading those 200 households and running their own rules, nothing else. The re-check's answer
  is compared with a full check's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

PASSWORD = "bench-password-1"
NAMES = "建国 秀英 小明 国华 玉兰 德明 春梅 志强 桂英 文军 海燕 永福".split()
VILLAGE = "520102003004"


def _read_range(db_path: str, key: bytes, lo: int, hi: int, year: int) -> int:
    from fupin_desktop.queries.load import VALIDATION_PARTS, iter_households
    from fupin_desktop.store.engine import make_engine

    engine = make_engine(Path(db_path), key)
    try:
        with engine.connect() as conn:
            return sum(1 for _ in iter_households(conn, parts=VALIDATION_PARTS, rowids=(lo, hi), measures_year=year))
    finally:
        engine.dispose()


def read_floor(store) -> float:
    """Reading what the rules read, on the same processes as the check, no rule run."""
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.store.archive import DB_NAME
    from fupin_desktop.validation.parallel import _ranges, worker_count

    with store.engine.connect() as conn:
        year = current_year(conn)  # the check's year: the measures it reads
    workers = worker_count(store.engine)
    start = time.perf_counter()
    ranges = _ranges(store.engine, workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_read_range, str(store.path / DB_NAME), store._data_key, lo, hi, year)
                   for lo, hi in ranges]
        read = sum(f.result() for f in futures)
    assert read > 0
    return time.perf_counter() - start


def day_of_work(store, rng: random.Random, households: int) -> list[str]:
    """Edits to ``households`` households, as a day at the village office might bring."""
    from sqlalchemy import select

    from fupin_desktop.model import Household, Member
    from fupin_desktop.services import households as svc

    with store.engine.connect() as conn:
        ids = conn.execute(select(Household.id).order_by(Household.id)).scalars().all()
        chosen = rng.sample(ids, households)
        members = {h: conn.execute(select(Member.id, Member.id_no, Member.record_status, Member.gender, Member.name)
                                   .where(Member.household_id == h)).all() for h in chosen}
        phones = conn.execute(select(Household.phone).where(Household.phone.is_not(None)).limit(50)).scalars().all()
    for n, h in enumerate(chosen):
        people = members[h]
        with svc.unit_of_work(store) as uow:
            kind = n % 6
            if kind == 0 and people:  # one ID number in two households
                donor = members[chosen[(n + 1) % len(chosen)]]
                if donor:
                    svc.update_member(uow, people[-1].id, {"id_no": donor[0].id_no})
            elif kind == 1:
                svc.update_household(uow, h, {"phone": rng.choice(phones)})
            elif kind == 2 and people:
                svc.update_member(uow, people[0].id, {"name": (people[0].name or "张")[:1] + rng.choice(NAMES)})
            elif kind == 3 and people:
                svc.update_member(uow, people[-1].id, {"gender": "女" if people[-1].gender == "男" else "男"})
            elif kind == 4 and people and people[-1].record_status == "在册":
                svc.member_leaves(uow, people[-1].id, "迁出", date.today())
            else:
                svc.update_household(uow, h, {"phone": f"139{rng.randrange(10**8):08d}"})
    return chosen


def previous_check(store) -> float:
    """The whole-store check as it was before the kept state: the same rules and workers, marks only."""
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.services.checks import _results
    from fupin_desktop.validation.engine import Context, check_store
    from fupin_desktop.validation.parallel import worker_count

    start = time.perf_counter()
    with store.engine.begin() as conn:
        ctx = Context.for_store(conn, current_year(conn))
        results = _results(store, ctx, worker_count(store.engine))
        sum(1 for _ in check_store(conn, ctx, mark=True, results=results))
    return time.perf_counter() - start


def expired_on(store, day: date) -> list[str]:
    """The households whose kept findings may not hold on ``day``."""
    from sqlalchemy import select

    from fupin_desktop.model import CheckResult

    with store.engine.connect() as conn:
        return list(conn.execute(select(CheckResult.household_id).where(CheckResult.until <= day)).scalars())


def own_floor(store, chosen: list[str]) -> float:
    """The least a re-check must do: load the edited households and run their own rules."""
    from fupin_desktop.queries.load import VALIDATION_PARTS, load_households
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.validation.engine import Context, check_household

    start = time.perf_counter()
    with store.engine.connect() as conn:
        ctx = Context.for_store(conn, current_year(conn))
        for household in load_households(conn, chosen, VALIDATION_PARTS, measures_year=ctx.year):
            check_household(household, ctx)
    return time.perf_counter() - start


def trigger_cost(households: int) -> dict[str, float]:
    """What the check_dirty triggers add to writing: the demo fill into two fresh stores, one with
    the triggers dropped (the floor), alternately, best of two each."""
    from sqlalchemy import text

    from fupin_desktop.demo import fill_store
    from fupin_desktop.store.store import Store

    times: dict[str, list[float]] = {"with": [], "without": []}
    for attempt in range(2):
        for kind in ("without", "with"):
            path = Path(tempfile.mkdtemp()) / "store"
            store, _ = Store.create(path, village_code=VILLAGE, village_name="大镇", username="admin",
                                    password=PASSWORD)
            with store:
                if kind == "without":
                    with store.engine.begin() as conn:
                        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                  "AND name LIKE 'check_dirty_%'")).scalars().all()
                        for name in names:
                            conn.execute(text(f"DROP TRIGGER {name}"))
                start = time.perf_counter()
                fill_store(store, households, seed=attempt)
                times[kind].append(time.perf_counter() - start)
    return {kind: min(values) for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--store")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, help="of the edits (default: from the clock)")
    parser.add_argument("--trigger-cost", type=int, default=0, metavar="HOUSEHOLDS",
                        help="only measure what the triggers add to writing this many households")
    args = parser.parse_args()
    if args.trigger_cost:
        cost = trigger_cost(args.trigger_cost)
        print(json.dumps({"demo fill with triggers s": round(cost["with"], 2),
                          "floor: triggers dropped s": round(cost["without"], 2),
                          "with / floor": round(cost["with"] / cost["without"], 2)}, indent=1))
        return

    from fupin_desktop.demo import fill_store
    from fupin_desktop.services import checks
    from fupin_desktop.store.store import Store

    if args.store and (Path(args.store) / "store.json").exists():
        store = Store.open(Path(args.store), "admin", args.password)
    else:
        path = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "store"
        store, _ = Store.create(path, village_code=VILLAGE, village_name="大镇", username="admin",
                                password=args.password)
        start = time.perf_counter()
        fill_store(store, args.households)
        print(f"filled {args.households} households in {time.perf_counter() - start:.1f} s", flush=True)
    seed = args.seed if args.seed is not None else time.time_ns() % 10**6  # a reused store: other households
    rng = random.Random(seed)
    out: dict[str, object] = {"seed of the edits": seed}
    with store:
        full, floor = [], []
        for _ in range(args.rounds):
            floor.append(read_floor(store))
            start = time.perf_counter()
            run = checks.check(store, full=True)
            full.append(time.perf_counter() - start)
        out["full check s (median of %d)" % args.rounds] = round(statistics.median(full), 2)
        out["floor: parallel read, no rules s"] = round(statistics.median(floor), 2)
        out["full / floor"] = round(statistics.median(full) / statistics.median(floor), 2)
        out["findings"] = run.count
        out["before this change: check_store, nothing kept s"] = round(previous_check(store), 2)
        re, own, cli = [], [], []
        for _ in range(args.rounds):
            chosen = day_of_work(store, rng, args.changed)
            own.append(own_floor(store, chosen))
            start = time.perf_counter()
            run = checks.check(store)  # what 检查全部 runs: marks and the count
            re.append(time.perf_counter() - start)
            assert not run.full and run.rechecked <= len(chosen), run  # an edit may change nothing
            start = time.perf_counter()
            listed = checks.run_check(store)[0]  # the check command: every finding read back
            cli.append(time.perf_counter() - start)
            truth = checks.check(store, full=True)
            assert truth.count == run.count == len(listed), (truth.count, run.count, len(listed))
            out["households written / cross-checked (last round)"] = f"{run.rechecked} / {run.cross_checked}"
        out[f"re-check after {args.changed} edited households s (median)"] = round(statistics.median(re), 3)
        out["floor: load + own rules of those households s"] = round(statistics.median(own), 3)
        out["re-check / floor"] = round(statistics.median(re) / statistics.median(own), 2)
        out["check command right after (nothing to re-check, every finding listed) s"] = round(
            statistics.median(cli), 3)
        days, day_floor, dated = [], [], []
        for n in range(1, args.rounds + 1):
            # the first check of a later day, nothing written since the last check: the households
            # whose findings may change with the day (a birthday, a deadline) are read again
            day = date.today() + timedelta(days=n)
            chosen = expired_on(store, day)
            day_floor.append(own_floor(store, chosen))
            start = time.perf_counter()
            run = checks.check(store, today=day)
            days.append(time.perf_counter() - start)
            truth = checks.check(store, full=True, today=day)
            assert not run.full and run.rechecked == len(chosen) and truth.count == run.count, (run, truth)
            dated.append(run.rechecked)
        out["first check of the next day s (median)"] = round(statistics.median(days), 3)
        out["households it re-read (per day)"] = dated
        out["floor (next day): load + own rules of those households s"] = round(statistics.median(day_floor), 3)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
