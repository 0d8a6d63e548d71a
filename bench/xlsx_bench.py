"""Spreadsheet import benchmark (issues 6 and 16): a 10,000-household workbook — the roster (about
40,000 rows), the year's income lines, the measures and the assessments as four sheets (``export --what all``) —
imported as a dry run and for real, against a floor measured in the same run: openpyxl's read-only
reading of the same file plus the core's bulk write (``UnitOfWork(check=False)``, trusted
``insert_many``) of the same records (households, members, the year's household facts the roster
carries, income lines, measures and assessments). Each step runs in its own process so its peak RSS is its own.

    .venv/bin/python -m bench.xlsx_bench                  # 10,000 households
    .venv/bin/python -m bench.xlsx_bench --households 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from . import steps

PASSWORD = "bench-password-1"
VILLAGE = "520102003004"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _new_store(path: Path):
    from fupin_desktop.store.store import Store

    store, _ = Store.create(path, village_code=VILLAGE, village_name="基准村", username="admin", password=PASSWORD)
    return store


def _open(path: Path):
    from fupin_desktop.store.store import Store

    return Store.open(path, "admin", PASSWORD)


def step_make(args: argparse.Namespace) -> dict[str, Any]:
    """A demo store without deliberate flaws, exported as the roster file to import."""
    from fupin_desktop.demo import fill_store
    from fupin_desktop.queries.search import SearchQuery, search_households
    from fupin_desktop.tabular.exporter import export_xlsx

    work = Path(args.work)
    store = _new_store(work / "source")
    fill_store(store, args.households, seed=args.seed, flaws=0.0)
    with store.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
    started = time.perf_counter()
    rows = export_xlsx(store, ids, work / "roster.xlsx", "all")
    export_s = time.perf_counter() - started
    store.close()
    return {"households": len(ids), "rows": rows, "export_s": export_s,
            "file_mb": (work / "roster.xlsx").stat().st_size / 1e6, "peak_rss_mb": peak_rss_mb()}


def step_import(args: argparse.Namespace, *, dry_run: bool, again: bool = False) -> dict[str, Any]:
    from fupin_desktop.tabular.importer import ImportOptions, run_import

    work = Path(args.work)
    store = _open(work / "target") if again else _new_store(work / "target")
    started = time.perf_counter()
    # partial: a household the check refuses is left out (counted below) rather than stopping the import;
    # with the assessments exported (风险消除 needs that year's, EXP-04) a clean village has none.
    report = run_import(store, work / "roster.xlsx", ImportOptions(dry_run=dry_run, partial=True,
                                                                   rejected_path=work / "rejected.xlsx"))
    elapsed = time.perf_counter() - started
    store.close()
    if not dry_run and not again:
        pass  # the target store stays for the re-import step
    elif dry_run:
        shutil.rmtree(work / "target")
    return {"seconds": elapsed, "created": report.count("create"), "unchanged": report.count("unchanged"),
            "left_out": report.rejected, "errors": sorted({p.message.split("：")[0] for p in report.errors})[:3],
            "linked": report.linked_counts, "problems": len(report.problems), "peak_rss_mb": peak_rss_mb()}


def step_floor(args: argparse.Namespace) -> dict[str, Any]:
    """openpyxl read-only reading of the file, then the core's bulk write of the same records."""
    import openpyxl
    from sqlalchemy import select

    from fupin_desktop.bundle import HouseholdData, IncomeData, MeasureData, MemberData
    from fupin_desktop.model import Household, HouseholdYear, Member
    from fupin_desktop.queries.load import load_households
    from fupin_desktop.queries.years import current_year
    from fupin_desktop.services.households import create_households
    from fupin_desktop.services.uow import UnitOfWork

    work = Path(args.work)
    started = time.perf_counter()
    book = openpyxl.load_workbook(work / "roster.xlsx", read_only=True, data_only=True)
    cells = sum(len(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    book.close()
    read_s = time.perf_counter() - started
    source = _open(work / "source")
    skip = {"id", "updated_at", "head_name", "member_count", "error_count", "warning_count", "name_initials"}
    with source.engine.connect() as conn:
        members: dict[str, list[dict]] = {}
        for m in conn.execute(select(Member)).mappings():
            members.setdefault(m["household_id"], []).append(
                {k: v for k, v in m.items() if k not in skip and k != "household_id"})
        year = current_year(conn)
        facts = {r.household_id: {"population": r.population, "main_cause": r.main_cause,
                                  "other_causes": r.other_causes}
                 for r in conn.execute(select(HouseholdYear).where(HouseholdYear.year == year))}
        # The sheets carry the year's income lines, every measure (without the kind's detail) and assessment.
        linked = {b.id: b for b in load_households(conn, list(facts),
                                                   frozenset({"incomes", "measures", "assessments"}))}
        own = {"id", "household_id", "income_id", "member_id", "updated_at"}  # written anew, as the import does

        def fresh(row: dict) -> dict:
            return {k: v for k, v in row.items() if k not in own}
        bundles = [HouseholdData(fields={k: v for k, v in h.items() if k not in skip},
                                 years={year: facts[h["id"]]} if h["id"] in facts else {},
                                 members=[MemberData(f) for f in members.get(h["id"], [])],
                                 incomes={y: IncomeData(fresh(i.fields), [fresh(x) for x in i.lines])
                                          for y, i in linked[h["id"]].incomes.items() if y == year}
                                 if h["id"] in linked else {},
                                 measures=[MeasureData(fresh(m.fields)) for m in linked[h["id"]].measures]
                                 if h["id"] in linked else [],
                                 assessments=[fresh(a) for a in linked[h["id"]].assessments]
                                 if h["id"] in linked else [])
                   for h in conn.execute(select(Household)).mappings()]
    source.close()
    floor = _new_store(work / "floor")
    started = time.perf_counter()
    with UnitOfWork(floor, check=False) as uow:
        for start in range(0, len(bundles), 500):
            create_households(uow, bundles[start:start + 500], trusted=True)
    write_s = time.perf_counter() - started
    floor.close()
    shutil.rmtree(work / "floor")
    return {"read_s": read_s, "write_s": write_s, "seconds": read_s + write_s, "cells": cells,
            "peak_rss_mb": peak_rss_mb()}


STEPS = {
    "make": step_make,
    "floor": step_floor,
    "dry": lambda a: step_import(a, dry_run=True),
    "import": lambda a: step_import(a, dry_run=False),
    "again": lambda a: step_import(a, dry_run=False, again=True),
}


def run_step(name: str, work: Path, households: int, seed: int) -> dict[str, Any]:
    return steps.run_step("bench.xlsx_bench", name, work=work, households=households, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step", choices=STEPS)
    parser.add_argument("--work")
    args = parser.parse_args()
    for var in ("FUPIN_KDF_MEMORY_KIB", "FUPIN_KDF_ITERATIONS"):
        os.environ.pop(var, None)  # benchmarks use the product's KDF cost
    if args.step:
        print(json.dumps(STEPS[args.step](args), default=str))
        return
    work = Path(tempfile.mkdtemp(prefix="fupin-xlsx-bench-"))
    try:
        results = {name: run_step(name, work, args.households, args.seed)
                   for name in ("make", "floor", "dry", "import", "again")}
        print(json.dumps(results, indent=1))
        print(report(results))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    m, f, d, i, a = (r[k] for k in ("make", "floor", "dry", "import", "again"))
    return "\n".join([
        f"| measure ({m['households']:,} households, {m['rows']:,} rows, {m['file_mb']:.1f} MB xlsx) | result | goal |",
        "|---|---|---|",
        f"| floor: openpyxl read-only reading + bulk write of the same records | {f['seconds']:.1f} s "
        f"({f['read_s']:.1f} s + {f['write_s']:.1f} s) | |",
        f"| dry run (read, clean, group, match, report) | {d['seconds']:.1f} s "
        f"({d['seconds'] / f['seconds']:.2f}× floor) | ≤ 2× |",
        f"| import into an empty store (one unit of work, change log, validation marks) | {i['seconds']:.1f} s "
        f"({i['seconds'] / f['seconds']:.2f}× floor) | ≤ 2× |",
        f"| re-import of the same file (all unchanged) | {a['seconds']:.1f} s ({a['unchanged']:,} households "
        f"unchanged; {a['linked']}) | |",
        f"| income lines and measures written by the import | {i['linked']} | |",
        f"| households left out with errors (written by the floor) | {i['left_out']:,} ({i['errors']}) | |",
        f"| export of the four sheets | {m['export_s']:.1f} s | |",
        f"| peak RSS: dry run / import / re-import / floor | {d['peak_rss_mb']:.0f} / {i['peak_rss_mb']:.0f} / "
        f"{a['peak_rss_mb']:.0f} / {f['peak_rss_mb']:.0f} MB | ≤ 500 MB |",
    ])


if __name__ == "__main__":
    main()
