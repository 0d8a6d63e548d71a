"""Render every printed form for a demo village and save its pages as PNG under docs/forms/.

    .venv/bin/python scripts/render_forms.py [--out docs/forms] [--pages 2] [--households 60]

The PNGs are for looking at: Chinese renders, nothing overlaps, nothing is cut. Per-household forms
show the demo's largest family (so the 登记表 continues over pages), renamed to use rare characters
(王䶮, 李𠀾喆, 䶮家湾 — drawn by the fallback fonts); the roster, ledger and village figures cover the
whole demo village; each form's blank version is rendered too. Needs pdftoppm (poppler-utils).
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A throwaway store: no need for the product's slow key derivation.
os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")  # cheap KDF (store/kdf.py)
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")

from sqlalchemy import func, select  # noqa: E402

from fupin_desktop.demo import fill_store  # noqa: E402
from fupin_desktop.forms import FORMS, Scope, render  # noqa: E402
from fupin_desktop.model import Household, Member  # noqa: E402
from fupin_desktop.services.households import unit_of_work  # noqa: E402
from fupin_desktop.services.procedures import record_step, start_procedure  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402

VILLAGE = ("520102003004", "示范村")


def largest_family(store: Store) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(Member.household_id).join(Household).where(Member.record_status == "在册")
                            .group_by(Member.household_id).order_by(func.count().desc(), Household.national_hh_no)
                            .limit(1)).scalar_one()


RARE_NAMES = ("王䶮", "李𠀾喆", "张𡒄", "赵堃", "钱犇", "孙昇", "周𪜀")


def with_rare_characters(store: Store, household_id: str) -> None:
    """Give the family names and an address that only the fallback fonts can draw."""
    with store.engine.connect() as conn:
        members = conn.execute(select(Member.id).where(Member.household_id == household_id)
                               .order_by(Member.seq)).scalars().all()
    with unit_of_work(store) as uow:
        uow.update(Household, household_id, {"address": "䶮家湾𡒄子坡3号"}, household_id=household_id)
        for member_id, name in zip(members, RARE_NAMES):
            uow.update(Member, member_id, {"name": name}, household_id=household_id)


def to_png(pdf: Path, out_dir: Path, name: str, pages: int) -> list[Path]:
    prefix = out_dir / name
    subprocess.run(["pdftoppm", "-r", "50", "-gray", "-png", "-f", "1", "-l", str(pages), str(pdf), str(prefix)],
                   check=True)
    # pdftoppm pads page numbers to the page count's width; keep names stable: <form>-<page>.png
    made = sorted(out_dir.glob(f"{name}-*.png"))
    renamed = []
    for path in made:
        page = int(path.stem.rsplit("-", 1)[1])
        target = out_dir / f"{name}-{page}.png"
        path.rename(target)
        renamed.append(target)
    return renamed


def with_procedures(store: Store, household_id: str) -> None:
    """The largest family's identification, reviewed and posted this year, and two more households'
    procedures, so that the 公示名单, the 申请书 and the 程序记录表 show rows."""
    today = date.today()
    with store.engine.connect() as conn:
        others = conn.execute(select(Household.id).where(Household.id != household_id)
                              .order_by(Household.national_hh_no).limit(2)).scalars().all()
    with unit_of_work(store) as uow:
        for n, (hid, kind) in enumerate(((household_id, "识别纳入"), (others[0], "识别纳入"), (others[1], "风险消除"))):
            found = today - timedelta(days=20 - n)
            pid = start_procedure(uow, hid, kind, found, channel="干部排查", note="务工收入下降，家中有人住院")
            record_step(uow, pid, "入户核实", found + timedelta(days=2), result="情况属实")
            record_step(uow, pid, "民主评议", found + timedelta(days=5), result="同意")
            record_step(uow, pid, "村内公示", found + timedelta(days=6), end_on=found + timedelta(days=11),
                        result="公示无异议", objections="无")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "forms")
    parser.add_argument("--pages", type=int, default=2, help="pages per form to save")
    parser.add_argument("--households", type=int, default=60)
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("需要 pdftoppm（poppler-utils）。", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = Store.create(Path(tmp) / "store", village_code=VILLAGE[0], village_name=VILLAGE[1],
                                username="admin", password="render-forms-1")
        with store:
            fill_store(store, args.households, seed=4)
            largest = largest_family(store)
            with_rare_characters(store, largest)
            with_procedures(store, largest)
            family = Scope.households([largest])
            for form, renderer in FORMS.items():
                per_household = renderer.per_household
                pdf = Path(tmp) / f"{form}.pdf"
                report = render(form, store, scope=family if per_household else Scope.village(VILLAGE[0]), out=pdf)
                # The 登记表 is shown whole: its member tables and sections are what people check.
                shown = to_png(pdf, args.out, form, max(args.pages, 4) if form == "registration" else args.pages)
                blank = Path(tmp) / f"{form}-blank.pdf"
                render(form, None, out=blank, blank=True)
                shown += to_png(blank, args.out, f"{form}-blank", 1)
                print(f"{form}: {report.pages} 页，字体 {report.font}；已保存 {', '.join(p.name for p in shown)}")
    total = sum(p.stat().st_size for p in args.out.glob("*.png"))
    print(f"共 {total / 1e6:.2f} MB，在 {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
