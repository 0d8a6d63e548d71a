"""``fupin assessments``: the former 建档立卡 households of a year and their 评估 (2026 中央一号文件:
those who qualify leave support, those at risk keep it); ``--pending`` lists those not yet assessed."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput
from .queries.lowincome import reassessment_rows
from .queries.years import current_year
from .yearstatus import NOT_ASSESSED, PENDING

if TYPE_CHECKING:
    from .store.store import Store

FIRST_YEAR = 2014  # 建档立卡 began with the 2014 registration


def add_assessment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, help="评估年度（默认：当前年度）")
    parser.add_argument("--pending", action="store_true", help=f"只列出{PENDING}")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")


def checked_year(year: int) -> int:
    last = date.today().year + 1
    if not FIRST_YEAR <= year <= last:
        raise InvalidInput(f"评估年度应在 {FIRST_YEAR} 到 {last} 年之间，而不是 {year}。",
                           hint="请用 --year 指定，如 --year 2026。")
    return year


def run_assessments(args: argparse.Namespace, open_store: Callable[[], "Store"], out: Callable[[str], None]) -> int:
    if args.year is not None:
        checked_year(args.year)  # before the password is asked: a wrong year changes nothing
    with open_store() as store, store.engine.connect() as conn:
        year = checked_year(args.year or current_year(conn))
        rows = reassessment_rows(conn, year)
    shown = [r for r in rows if not r["reassess_result"]] if args.pending else rows
    if args.json:
        out(json.dumps({"year": year, "households": [_plain(r) for r in shown]}, ensure_ascii=False, indent=1))
        return 0
    results = Counter(r["reassess_result"] or NOT_ASSESSED for r in rows)
    done = len(rows) - results[NOT_ASSESSED]
    by = "，".join(f"{k} {n} 户" for k, n in results.most_common() if k != NOT_ASSESSED)
    out(f"{year} 年度原建档立卡户 {len(rows)} 户：已评估 {done} 户" + (f"（{by}）" if by else "")
        + f"，未评估 {results[NOT_ASSESSED]} 户。")
    if args.pending:
        out(f"\n{PENDING}（{year} 年度）：")
    for r in shown:
        line = f"  {r['national_hh_no'] or '（无户编号）':<20} {r['group_name'] or '':<10} {r['head_name'] or ''}"
        if not args.pending:
            line += f"  {r['reassess_result'] or NOT_ASSESSED}"
            if r["reassess_result"]:
                line += f"  {r['reassessed_on'] or ''} {r['reassessed_by'] or ''}"
        out(line)
    return 0


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
