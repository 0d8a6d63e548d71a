"""``fupin warnings``: import a department's warning list, list the open warnings with their deadline,
dispose of one (issue 18 item 3). cli.py mounts it; the UI would call the same services."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..model import DeptWarning, Household
from ..procedure import DEPARTMENTS, DISPOSITIONS
from ..queries.procedures import limits_of, open_warnings
from ..services.households import unit_of_work
from ..services.procedures import dispose_warning, include_from_warning
from ..values import parse_date

if TYPE_CHECKING:
    from ..store.store import Store

SHORT_ID = 8  # a warning is named by the first characters of its id, as git names a commit


def add_warning_arguments(parser: argparse.ArgumentParser) -> None:
    action = parser.add_subparsers(dest="action", required=True, metavar="操作")
    p = action.add_parser("import", help="导入部门预警名单（.xlsx 或 .csv，按身份证号匹配到户）")
    p.add_argument("file", help="预警名单文件")
    p.add_argument("--department", help=f"预警部门（文件中没有“预警部门”列时必填：{'、'.join(DEPARTMENTS)}）")
    action.add_parser("list", help="列出待处置的预警（含处置期限，超期的标明）")
    p = action.add_parser("dispose", help="处置一条预警")
    p.add_argument("warning", help="预警编号（list 列出的前几位即可）")
    p.add_argument("disposition", choices=DISPOSITIONS, help="处置结果")
    p.add_argument("--reason", help="核实不纳入的理由（必填）")
    p.add_argument("--date", help="处置日期（默认：今天）")
    for sub in action.choices.values():  # also after the action; SUPPRESS keeps the value given before it
        sub.add_argument("--store", default=argparse.SUPPRESS, help="数据库文件夹")
        sub.add_argument("--user", default=argparse.SUPPRESS, help="用户名")


def run_warnings(args: argparse.Namespace, open_store: Callable[[], "Store"], out: Callable[[str], None]) -> int:
    if args.action == "import":
        from .warnings import import_warnings  # noqa: PLC0415 (openpyxl only when importing)

        path = Path(args.file)
        if not path.is_file():
            raise InvalidInput(f"找不到预警名单文件：{path}")
        with open_store() as store:
            report = import_warnings(store, path, department=args.department)
        out(report.summary())
        for s in report.skipped:
            out(f"  第 {s.row} 行 {s.name} {s.id_masked}：{s.reason}")
        return 0
    with open_store() as store:
        if args.action == "list":
            return _list(store, out)
        return _dispose(store, args, out)


def _list(store: "Store", out: Callable[[str], None]) -> int:
    today = date.today()
    with store.engine.connect() as conn:
        warnings = sorted(open_warnings(conn), key=lambda w: (w["received_on"], w["id"]))
        heads = {hid: name for hid, name in conn.execute(select(Household.id, Household.head_name))}
        limit = limits_of(conn)
    if not warnings:
        out("没有待处置的预警。")
        return 0
    for w in warnings:
        due = w["received_on"] + timedelta(days=limit(w["received_on"].year).warning_days)
        late = "（已超期）" if today > due else ""
        out(f"{w['id'][:SHORT_ID]}  {heads.get(w['household_id']) or ''}户  {w['department']}  {w['warned_on']}  "
            f"{w['warning']}  应于 {due} 前处置{late}")
    out(f"共 {len(warnings)} 条待处置。")
    return 0


def _dispose(store: "Store", args: argparse.Namespace, out: Callable[[str], None]) -> int:
    on = parse_date(args.date, "处置日期") if args.date else date.today()
    assert on is not None
    with store.engine.connect() as conn:
        found = [(wid, done) for wid, done in conn.execute(
            select(DeptWarning.id, DeptWarning.disposition).where(DeptWarning.id.startswith(args.warning)))]
    if not found:
        raise NotFound(f"没有编号以 {args.warning} 开头的预警。")
    if len(found) > 1:
        raise InvalidInput(f"编号 {args.warning} 对应 {len(found)} 条预警，请多写几位。")
    [(warning_id, done)] = found
    if done:
        raise InvalidInput(f"这条预警已处置（{done}）。")
    with unit_of_work(store) as uow:
        if args.disposition == "核实后纳入":
            include_from_warning(uow, warning_id, on)
        else:
            dispose_warning(uow, warning_id, args.disposition, on, reason=args.reason)
    out(f"已处置：{warning_id[:SHORT_ID]} {args.disposition}"
        + ("，已启动识别纳入程序（发现渠道：部门筛查预警）" if args.disposition == "核实后纳入" else "") + "。")
    return 0
