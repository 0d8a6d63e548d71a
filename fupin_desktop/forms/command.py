"""``fupin print FORM``: the command-line side of printing, for cli.py to mount.

Kept free of ReportLab at import time so ``fupin --help`` stays fast; the renderer is loaded only
when a form is printed. A blank form needs no store, so it asks for no password.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..values import parse_date

if TYPE_CHECKING:
    from ..store.store import Store
    from .scope import Scope

# The same names, in the same order, as forms.FORMS (a test keeps them equal).
FORM_CHOICES = ("registration", "card", "income", "roster", "ledger", "village", "publicity", "consent", "procedure")
FORM_HELP = ("registration=贫困户登记表 card=帮扶明白卡 income=收入核算表 roster=花名册 "
             "ledger=帮扶措施台账 village=村情统计表 publicity=公示名单（识别纳入、风险消除、退出；配合 --from/--to） "
             "consent=申请及承诺授权书 procedure=监测程序记录表")


def add_print_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("form", choices=FORM_CHOICES, metavar="FORM", help=FORM_HELP)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--household", action="append", metavar="ID",
                       help="户编号或系统编号；可重复，或用逗号分隔多个")
    which.add_argument("--village", metavar="CODE", help="12位行政村代码：全村")
    which.add_argument("--all", action="store_true", help="数据库中全部在册户")
    parser.add_argument("-o", "--output", required=True, help="输出的 PDF 文件")
    parser.add_argument("--blank", action="store_true", help="打印空白表，供入户手工填写（不需要数据库）")
    parser.add_argument("--no-mask", action="store_true",
                        help="身份证号、银行账号、电话不打码（内部表）；"
                             "公开张贴的表（明白卡、花名册）还须加 --confirm-public-unmasked")
    parser.add_argument("--confirm-public-unmasked", action="store_true",
                        help="确认公开张贴的表不打码打印（仅限内部使用，页脚注明“未打码”）")
    parser.add_argument("--mask", action="store_true", help="内部表也打码")
    parser.add_argument("--year", type=int, help="年度（默认：当前年度）")
    parser.add_argument("--from", dest="date_from", metavar="日期", help="公示名单：起始日期（如 2026-03-01）")
    parser.add_argument("--to", dest="date_to", metavar="日期", help="公示名单：截止日期（默认：今天）")


def _scope(args: argparse.Namespace) -> Scope:
    from .scope import Scope  # noqa: PLC0415  (loaded with the renderer, not to build the parser)

    if args.household:
        ids = [part.strip() for value in args.household for part in value.split(",") if part.strip()]
        return Scope.households(ids)
    if args.village:
        return Scope.village(args.village)
    if args.all:
        return Scope.all()
    raise InvalidInput("请指定要打印的户：--household、--village 或 --all。", hint="打印空白表请加 --blank。")


def _period(args: argparse.Namespace) -> tuple[date, date] | None:
    """--from/--to as dates (the end defaults to today); refused in Chinese before anything is printed."""
    if not args.date_from and not args.date_to:
        return None
    if not args.date_from:
        raise InvalidInput("只给了 --to：请同时给出起始日期 --from。")
    start = parse_date(args.date_from, "起始日期")
    end = parse_date(args.date_to, "截止日期") if args.date_to else date.today()
    assert start is not None and end is not None
    if start > end:
        raise InvalidInput(f"起止日期颠倒：{start} 晚于 {end}。")
    return start, end


def run_print(args: argparse.Namespace, open_store: Callable[[], "Store"], out: Callable[[str], None]) -> int:
    """Print as the arguments say; progress goes to stderr, the summary to ``out``."""
    from .disclosure import Disclosure  # noqa: PLC0415
    from .job import FORMS, render, unprintable_characters  # noqa: PLC0415
    from .preflight import check_output  # noqa: PLC0415

    if args.mask and args.no_mask:
        raise InvalidInput("--mask 和 --no-mask 不能同时使用。")
    period = _period(args)
    mask = False if args.no_mask else (True if args.mask else None)
    # Refused before the password is asked for and before any page is laid out.
    check_output(Path(args.output))
    Disclosure.choose(FORMS[args.form].audience, mask, args.confirm_public_unmasked)
    confirm = args.confirm_public_unmasked

    def progress(done: int, total: int) -> None:
        print(f"\r已处理 {done}/{total} 户", end="", file=sys.stderr, flush=True)

    if args.blank:
        report = render(args.form, None, out=Path(args.output), blank=True, mask=mask, year=args.year,
                        confirm_unmasked=confirm, period=period)
    else:
        scope = _scope(args)
        with open_store() as store:
            missing = unprintable_characters(store, scope=scope)
            if missing:
                # Said before the job starts; the job still prints (the character as an empty box).
                out(f"注意：以下 {len(missing)} 处文字含有本机字体都没有的字，打印出来会是空框，请核对或手工补写：")
                for who, message in missing:
                    out(f"  {who}：{message}")
            report = render(args.form, store, scope=scope, out=Path(args.output), mask=mask, year=args.year,
                            progress=progress, confirm_unmasked=confirm, period=period)
        print(file=sys.stderr)
    for warning in report.warnings:
        out(f"注意：{warning}")
    what = "空白表" if args.blank else f"{report.households} 户"
    out(f"已生成 {report.out}：{what}，共 {report.pages} 页，用时 {report.seconds:.1f} 秒，字体 {report.font}。")
    problems = [(who, message) for who, message in report.problems if not message.endswith("无法打印")]
    if problems:
        households = sorted({who for who, _ in problems})
        out(f"以下 {len(households)} 户数据不完整，缺的项目已留空打印：")
        for who, message in problems:
            out(f"  {who}：{message}")
    return 0
