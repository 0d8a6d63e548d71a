"""``fupin import-xlsx`` and ``fupin export-xlsx``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..store.store import Store

# The importer and the exporter load when a command runs (noqa: PLC0415 below): cli.py builds its
# parser from this module.
Opener = Callable[[], Store]
Out = Callable[[str], None]


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="要导入的 .xlsx 或 .csv 文件（一人一行的花名册）")
    p.add_argument("--mapping", help="列对应文件（JSON：{\"表头\": \"字段名\"}，字段名为空表示忽略该列）")
    p.add_argument("--values", help="值对应文件（JSON：{\"表头\": {\"文件中的写法\": \"代码表名称\"}}），"
                                     "用于代码表里没有的写法；名称写“保留原值”则按原样保存（报告中逐行列出）")
    p.add_argument("--sheet", help="工作表名称（默认：每个有表头的可见工作表，户表和人表按户编号合并）")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告将做什么，不写入")
    p.add_argument("--partial", action="store_true", help="导入没有问题的户，有问题的行另存为“…-未导入.xlsx”")
    p.add_argument("--json", action="store_true", help="以 JSON 输出报告")


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")
    p.add_argument("--what", choices=("roster", "measures", "income", "income_lines", "assessments", "all"),
                   default="roster",
                   help="roster 花名册（一人一行）、measures 帮扶措施、income 收入核算（一户一年度一行）、"
                        "income_lines 收入明细（一条一行，可导入）、"
                        "assessments 评估记录（识别、退出、风险消除、返贫，可导入）、"
                        "all 花名册、收入明细、帮扶措施和评估记录在一个文件中（可整体导入）")
    p.add_argument("--income-layout", choices=("lines", "columns"), default="lines",
                   help="收入明细的写法（income_lines 和 all）：lines 一条明细一行（默认）；"
                        "columns 一户一年度一行、每个收入类别和明细项一列（全国系统导出的样式，可导入）")
    p.add_argument("--group", help="只导出这个村民小组")
    p.add_argument("--status", help="只导出这个脱贫状态（“未脱贫类”为未脱贫、预脱贫、返贫）")


def read_mapping(path: str | None) -> dict[str, str] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text("utf-8-sig"))
    except OSError as err:
        raise InvalidInput(f"无法读取列对应文件 {path}：{err.strerror or err}") from None
    except ValueError as err:
        raise InvalidInput(f"列对应文件 {path} 不是有效的 JSON（{err}）。",
                           hint='格式如 {"身份证": "证件号码", "备注": ""}。') from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InvalidInput(f"列对应文件 {path}：应为 {{\"表头\": \"字段名\"}} 的形式。")
    return data


def read_values(path: str | None) -> dict[str, dict[str, str]] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text("utf-8-sig"))
    except (OSError, ValueError) as err:
        raise InvalidInput(f"无法读取值对应文件 {path}（{err}）。",
                           hint='格式如 {"主要致贫原因": {"缺钱": "缺资金"}}。') from None
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str) and isinstance(y, str) for x, y in v.items())
            for v in data.values()):
        raise InvalidInput(f"值对应文件 {path}：应为 {{\"表头\": {{\"写法\": \"代码表名称\"}}}} 的形式。")
    return data


def run_import_command(args: argparse.Namespace, open_store: Opener, out: Out) -> int:
    from .importer import ImportOptions, run_import  # noqa: PLC0415

    options = ImportOptions(mapping=read_mapping(args.mapping), sheet=args.sheet, dry_run=args.dry_run,
                            partial=args.partial, values=read_values(getattr(args, "values", None)))
    path = Path(args.file)
    if not path.exists():
        raise InvalidInput(f"找不到文件：{path}")
    shown: list[int] = []

    def progress(done: int, total: int) -> None:
        shown.append(done)
        print(f"\r已写入 {done}/{total} 户", end="", file=sys.stderr, flush=True)

    with open_store() as store:
        report = run_import(store, path, options, progress=progress)
    if shown:
        print(file=sys.stderr)
    if args.json:
        out(json.dumps(report.as_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        _print_report(report, out)
    if report.blocked:
        print(f"错误：导入失败，发现 {len(report.errors)} 个错误，没有导入任何内容。"
              "请改正后重新导入，或用 --partial 只导入没有问题的户。", file=sys.stderr)
        return 2
    return 0


def _print_report(report: Any, out: Out) -> None:
    out(f"文件 {report.file}（工作表“{report.sheet}”，表头在第{report.header_row}行）")
    from .report import digest  # noqa: PLC0415

    for line in digest(report.problems):
        out(f"  {line}")
    verb = "将" if not report.applied else "已"
    if report.planned or not report.linked:
        out(f"{verb}新建 {report.count('create')} 户，{verb}更新 {report.count('update')} 户，"
            f"无变化 {report.count('unchanged')} 户，有问题 {report.rejected} 户。")
    for line in report.linked_lines():
        out(line)
    if report.rejected_file:
        out(f"{report.left_out_line()}，这些行已另存为：{report.rejected_file}（最后一列“问题”说明原因）")
    if not report.applied and not report.blocked:
        out("（试运行：没有写入任何内容）")


def run_export_command(args: argparse.Namespace, open_store: Opener, out: Out) -> int:
    from ..queries.search import SearchQuery, search_households  # noqa: PLC0415
    from .exporter import WHAT, export_xlsx  # noqa: PLC0415

    target = Path(args.output)
    if target.suffix.lower() != ".xlsx":
        raise InvalidInput(f"输出文件应以 .xlsx 结尾：{target}")
    with open_store() as store:
        with store.engine.connect() as conn:
            ids = search_households(conn, SearchQuery(group_name=args.group, poverty_status=args.status))
        said: list[str] = []
        rows = export_xlsx(store, ids, target, args.what, income_layout=args.income_layout, said=said)
    out(f"已导出{WHAT[args.what]} {len(ids)} 户 {rows} 行到 {target}（明文文件，请妥善保管）。")
    for line in said:
        out(line)
    return 0
