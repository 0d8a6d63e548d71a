"""Printing benchmark (issue 4): a village's 贫困户登记表 as one PDF, against a plain-ReportLab floor,
and the peak memory of the print job as the village grows.

    .venv/bin/python -m bench.forms_bench                  # 500 and 5,000 households (about 4 minutes)
    .venv/bin/python -m bench.forms_bench --sizes 500 2000 --floor-all

Every step runs in its own process, so each peak RSS (ru_maxrss) is that step's own:

- make:  a demo store of N households (fupin_desktop.demo), not measured;
- forms: ``render("registration", store, scope=Scope.village(...))`` into one PDF: time, pages, peak RSS;
- floor: plain ReportLab making the same number of pages, one table each (40 rows × 8 columns of the
  same kind of text as a member table, in the same embedded font), built the ordinary way
  (``SimpleDocTemplate.build`` over a list). By default only for the first size, to keep the run short.

The stores use a cheap key derivation: the KDF's 64 MiB is the store's, not the print job's.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from . import steps

PASSWORD = "bench-password-1"
VILLAGE = "520102003004"
FLOOR_ROWS, FLOOR_COLS = 40, 8


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_make(args: argparse.Namespace) -> dict[str, Any]:
    from fupin_desktop.demo import fill_store
    from fupin_desktop.store.store import Store

    store, _ = Store.create(Path(args.store), village_code=VILLAGE, village_name="示范村", username="admin",
                            password=PASSWORD)
    with store:
        fill_store(store, args.households, seed=11)
    return {"households": args.households}


def step_forms(args: argparse.Namespace) -> dict[str, Any]:
    from fupin_desktop.forms import Scope, render, unprintable_characters
    from fupin_desktop.store.store import Store

    with Store.open(Path(args.store), "admin", PASSWORD) as store:
        before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        # As `fupin print` runs it: characters no font has are looked for first, then the forms.
        unprintable_characters(store, scope=Scope.village(VILLAGE))
        scanned = time.perf_counter() - started
        report = render("registration", store, scope=Scope.village(VILLAGE), out=Path(args.out))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": elapsed, "cpu_seconds": cpu, "scan_seconds": scanned, "pages": report.pages,
            "households": report.households, "font": report.font,
            "rss_before_mb": before, "peak_rss_mb": peak_rss_mb(), "bytes": Path(args.out).stat().st_size}


def step_floor(args: argparse.Namespace) -> dict[str, Any]:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Table, TableStyle

    started, cpu = time.perf_counter(), time.process_time()
    from fupin_desktop.forms import form_font

    font = form_font().name
    style = TableStyle([("FONT", (0, 0), (-1, -1), font, 8.5), ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))])
    header = ["姓名", "性别", "证件号码", "与户主关系", "民族", "文化程度", "健康状况", "劳动技能"]
    story: list[Any] = []
    for page in range(args.pages):
        rows = [header] + [[f"张{r}华", "男", f"52010219700506{(page * FLOOR_ROWS + r) % 10000:04d}", "之子", "汉族",
                            "初中", "健康", "普通劳动力"] for r in range(FLOOR_ROWS)]
        story += [Table(rows, style=style, repeatRows=1), PageBreak()]
    SimpleDocTemplate(args.out, pagesize=A4).build(story)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu, "pages": args.pages,
            "peak_rss_mb": peak_rss_mb()}


STEPS = {"make": step_make, "forms": step_forms, "floor": step_floor}


def run_step(name: str, **options: Any) -> dict[str, Any]:
    cheap_kdf = {"FUPIN_KDF_MEMORY_KIB": "8192", "FUPIN_KDF_ITERATIONS": "1", "FUPIN_UNLOCK_DELAY": "0",
                 "FUPIN_TEST_SUITE": "weak-keys-for-the-test-suite-only"}
    return steps.run_step("bench.forms_bench", name, env=cheap_kdf, **options)


def main() -> None:
    parser = argparse.ArgumentParser(description="Printing benchmark (issue 4)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--floor-all", action="store_true", help="run the floor for every size, not just the first")
    parser.add_argument("--step", choices=STEPS)
    parser.add_argument("--store")
    parser.add_argument("--out")
    parser.add_argument("--households", type=int, default=0)
    parser.add_argument("--pages", type=int, default=0)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="fupin-forms-bench-"))
    try:
        forms: dict[str, Any] = {}
        for n, size in enumerate(args.sizes):
            store = tmp / f"store-{size}"
            run_step("make", store=store, households=size)
            forms = run_step("forms", store=store, out=tmp / f"forms-{size}.pdf")
            shutil.rmtree(store)
            print(f"registration forms, {size:,} households as one PDF: {forms['pages']:,} pages in "
                  f"{forms['seconds']:.1f} s ({forms['pages'] / forms['seconds']:.0f} pages/s, "
                  f"{forms['bytes'] / 1e6:.1f} MB); peak RSS {forms['peak_rss_mb']:.0f} MB "
                  f"({forms['rss_before_mb']:.0f} MB with the store open, before printing)", flush=True)
            if n == 0 or args.floor_all:
                floor = run_step("floor", pages=forms["pages"], out=tmp / f"floor-{size}.pdf")
                print(f"  floor: plain ReportLab, {floor['pages']:,} pages of one {FLOOR_ROWS}×{FLOOR_COLS} table "
                      f"each, same font: {floor['seconds']:.1f} s (peak RSS {floor['peak_rss_mb']:.0f} MB); "
                      f"forms / floor = {forms['seconds'] / floor['seconds']:.2f}× (goal ≤ 1.5×); of the forms' time, "
                      f"{forms['scan_seconds']:.1f} s looking for unprintable characters first", flush=True)
                # On a shared machine the wall clock counts the neighbours too; the processor time does not.
                print(f"  processor time: forms {forms['cpu_seconds']:.1f} s, floor {floor['cpu_seconds']:.1f} s; "
                      f"forms / floor = {forms['cpu_seconds'] / floor['cpu_seconds']:.2f}×", flush=True)
        print(f"font: {forms['font']}")
        print("goal: peak RSS ≤ 300 MB at 500 households and no more at 5,000")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
