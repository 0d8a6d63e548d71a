"""The headless commands: ``fupin <command>`` or ``python main.py <command>``.

Passwords come from a prompt, or from ``FUPIN_PASSWORD`` (and ``FUPIN_NEW_PASSWORD`` for a new
one) in scripts. Errors a person can fix are printed in Chinese to stderr with a non-zero exit
code and no traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DatabaseError

from . import __version__
from .arguments import ChineseArgumentParser
from .console import setup_console
from .errors import FupinError, InvalidInput, corrupt_error, is_corruption
from .logs import exception_summary, setup_logging
from .ops_cli import add_commands as add_ops_commands, daily_backup
from .paths import default_store_dir
from .store.archive import restore_backup
from .store.passwords import password_strength_hint
from .store.store import Store

# Each command imports what it uses when it runs (the late imports marked noqa: PLC0415): building
# the parser, --help and the quick commands do not load ReportLab, openpyxl, the demo generator or
# the county server.
DEMO_VILLAGE = ("520102003004", "示范村")


def _out(text: str = "") -> None:
    print(text, flush=True)


def _secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    if value := os.environ.get(env):
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise InvalidInput(f"需要输入{prompt}，但当前没有终端。", hint=f"脚本中请设置环境变量 {env}。")
    value = getpass.getpass(f"{prompt}：")
    if confirm and getpass.getpass(f"再次输入{prompt}：") != value:
        raise InvalidInput("两次输入的密码不一致。")
    return value


def _user(args: argparse.Namespace) -> str:
    return args.user or os.environ.get("FUPIN_USER") or "admin"


def _unlock(args: argparse.Namespace, *, allow_rollback: bool = False) -> Store:
    path = Path(args.store)
    Store.keyring_for(path)  # says "no store here" before asking for a password
    return Store.open(path, _user(args), _secret("FUPIN_PASSWORD", "密码"), allow_rollback=allow_rollback)


def _open(args: argparse.Namespace) -> Store:
    """An open store that passed its open checks, then the day's backup if due (a failure is reported)."""
    store = _unlock(args)
    daily_backup(store)
    return store


def _dump(data: Any) -> None:
    _out(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _show_recovery_code(code: str) -> None:
    _out("恢复码（只显示这一次，请抄写或打印后妥善保管；忘记密码时用它重设）：")
    _out(f"    {code}")


# ---- commands ------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    password = _secret("FUPIN_PASSWORD", "新密码", confirm=True)
    store, code = Store.create(Path(args.store), village_code=args.village_code, village_name=args.village_name,
                               username=_user(args), password=password)
    store.close()
    _out(f"已建立数据库：{args.store}（{args.village_name}，{args.village_code}），用户 {_user(args)}，"
         f"密码强度：{password_strength_hint(password)}")
    _show_recovery_code(code)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import fill_store  # noqa: PLC0415
    from .demo.guard import require_demo_store  # noqa: PLC0415

    if args.households < 1:
        raise InvalidInput(f"户数应为正整数，而不是 {args.households}。")
    path = Path(args.store)
    if (path / "store.json").exists():
        store = _open(args)
        try:
            require_demo_store(store)
        except InvalidInput:
            store.close()
            raise
    else:
        password = _secret("FUPIN_PASSWORD", "新密码", confirm=True)
        store, code = Store.create(path, village_code=DEMO_VILLAGE[0], village_name=DEMO_VILLAGE[1],
                                   username=_user(args), password=password, demo=True)
        _out(f"已建立演示数据库：{path}")
        _show_recovery_code(code)
    with store:
        def progress(done: int, total: int) -> None:
            print(f"\r已生成 {done}/{total} 户", end="", file=sys.stderr, flush=True)

        written = fill_store(store, args.households, seed=args.seed, progress=progress)
        print(file=sys.stderr)
        from .services.checks import mark_store  # noqa: PLC0415

        mark_store(store)
    _out(f"已写入 {written} 户演示数据。")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .services.checks import run_check, unset_reference  # noqa: PLC0415

    from .derive import group_sort_key  # noqa: PLC0415

    with _open(args) as store:
        findings, households = run_check(store, year=args.year, full=args.full)
        for note in unset_reference(store, args.year):
            print(f"注意：{note}", file=sys.stderr, flush=True)

    def place(household_id: str) -> tuple[str, str, str]:
        h = households.get(household_id, {})
        return group_sort_key(h.get("group_name")), str(h.get("national_hh_no") or ""), household_id

    # Households in the list's order, whichever way the check found them (a re-check or a full one).
    findings = sorted(findings, key=lambda f: place(f.household))
    if args.json:
        _dump([{**f.as_dict(), "household_no": households.get(f.household, {}).get("national_hh_no")}
               for f in findings])
        return 0
    if not findings:
        _out("未发现问题。")
        return 0
    from .validation.engine import Finding  # noqa: PLC0415
    from .validation.order import GROUP_TITLES, ordered, summary  # noqa: PLC0415

    by_household: dict[str, list[Finding]] = {}
    for f in findings:
        by_household.setdefault(f.household, []).append(f)
    every = []
    for household_id, found in by_household.items():
        h = households.get(household_id, {})
        _out(f"\n{h.get('group_name') or ''} {h.get('head_name') or '（无户主）'}户 "
             f"户编号 {h.get('national_hh_no') or '（无）'}")
        rows = ordered(found)
        every += rows
        for row in rows:
            _out(f"  [{GROUP_TITLES[row.group]}] {row.text}")
    _out(f"\n共 {summary(every)}，涉及 {len(by_household)} 户。")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from .queries.stats import STAT_TITLES, village_stats  # noqa: PLC0415
    from .queries.years import current_year  # noqa: PLC0415

    with _open(args) as store, store.engine.connect() as conn:
        stats = village_stats(conn, args.year or current_year(conn))
    if args.json:
        _dump(stats)
        return 0
    _out(f"{stats['year']} 年度：在册 {stats['households']} 户 {stats['people']} 人，"
         f"有错误的 {stats['with_errors']} 户")
    for key, title in STAT_TITLES.items():
        _out(f"\n{title}（户 / 人）：")
        hh, people = stats[key]["households"], stats[key]["people"]
        for label, n in hh.items():
            _out(f"  {label:<12} {n:>7} 户 {people.get(label, 0):>8} 人")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .queries.search import SearchQuery, household_rows, search_households  # noqa: PLC0415

    with _open(args) as store, store.engine.connect() as conn:
        ids = search_households(conn, SearchQuery(text=args.text))
        rows = household_rows(conn, ids[: args.limit])
    if args.json:
        _dump([rows[i] for i in ids[: args.limit]])
        return 0
    for i in ids[: args.limit]:
        r = rows[i]
        _out(f"{r['group_name'] or '':<6} {r['head_name'] or '（无户主）':<6} {r['national_hh_no'] or '':<20} "
             f"{r['member_count'] or 0} 人  {r['poverty_status'] or ''}")
    _out(f"共找到 {len(ids)} 户。")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    with _open(args) as store:
        if args.action == "add":
            from .services.users import add_user  # noqa: PLC0415

            add_user(store, args.name, _secret("FUPIN_NEW_PASSWORD", f"用户 {args.name} 的新密码", confirm=True),
                     display_name=args.display_name or "", role=args.role)
            _out(f"已添加用户 {args.name}。")
        else:
            store.change_password(_user(args), _secret("FUPIN_NEW_PASSWORD", "新密码", confirm=True))
            _out(f"已修改用户 {_user(args)} 的密码。")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    code = _secret("FUPIN_RECOVERY_CODE", "恢复码")
    with Store.open_with_recovery_code(Path(args.store), code) as store:
        if not store.keyring.has_user(_user(args)):
            raise InvalidInput(f"没有名为“{_user(args)}”的用户。", hint="用 --user 指定要重设密码的用户。")
        store.change_password(_user(args), _secret("FUPIN_NEW_PASSWORD", "新密码", confirm=True))
        new_code = store.new_recovery_code()
    _out(f"已为用户 {_user(args)} 设置新密码。旧恢复码已作废。")
    _show_recovery_code(new_code)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    with _open(args) as store:
        out = store.backup(Path(args.output))
    _out(f"已备份到 {out}（加密，用原来的密码或恢复码打开）。")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if args.replace:
        from .store.backups import replace_with_backup  # noqa: PLC0415

        Store.keyring_for(Path(args.store))  # there must be a store to replace
        safety = replace_with_backup(Path(args.store), Path(args.backup))
        _out(f"已用备份替换 {args.store}；原来的数据库完整保留在 {safety}。请用备份时的密码打开。")
        return 0
    target = restore_backup(Path(args.backup), Path(args.store))
    _out(f"已恢复到 {target}。请用原来的密码打开。")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    from .forms.command import run_print  # noqa: PLC0415 (loads ReportLab only when printing)

    return run_print(args, lambda: _open(args), _out)


def cmd_import_xlsx(args: argparse.Namespace) -> int:
    from .tabular.command import run_import_command  # noqa: PLC0415

    return run_import_command(args, lambda: _open(args), _out)


def cmd_export_xlsx(args: argparse.Namespace) -> int:
    from .tabular.command import run_export_command  # noqa: PLC0415

    return run_export_command(args, lambda: _open(args), _out)


def cmd_assessments(args: argparse.Namespace) -> int:
    from .assessments_command import run_assessments  # noqa: PLC0415

    return run_assessments(args, lambda: _open(args), _out)


def cmd_warnings(args: argparse.Namespace) -> int:
    from .tabular.warnings_command import run_warnings  # noqa: PLC0415

    return run_warnings(args, lambda: _open(args), _out)


def cmd_verify(args: argparse.Namespace) -> int:
    from .services.checks import verify_store  # noqa: PLC0415

    # No backup before the check: a damaged store must not push a good backup out of the rotation.
    with _unlock(args, allow_rollback=True) as store:
        problems = verify_store(store)
        if not problems:
            daily_backup(store)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 6
    _out("数据库完整，加密校验通过，没有被替换为旧版本。")
    return 0


# ---- argument parsing -----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = ChineseArgumentParser(
        prog="fupin", description="建档立卡与防返贫监测 村级离线采集工具")
    parser.add_argument("--version", action="version", version=f"Fupin Desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    def command(name: str, fn: Callable[[argparse.Namespace], int], help_text: str,
                parent: Any = None) -> argparse.ArgumentParser:
        p = (parent or sub).add_parser(name, help=help_text, description=help_text)
        p.add_argument("--store", default=str(default_store_dir()), help="数据库文件夹（默认：用户数据目录）")
        p.add_argument("--user", help="用户名（默认 admin，或环境变量 FUPIN_USER）")
        p.set_defaults(func=fn)
        return p

    p = command("init", cmd_init, "建立新的加密数据库，并显示一次恢复码")
    p.add_argument("--village-code", required=True, help="12位行政村区划代码")
    p.add_argument("--village-name", required=True, help="行政村名称")
    p = command("demo", cmd_demo, "生成演示数据（没有数据库时先建立演示数据库；不写入真实档案的数据库）")
    p.add_argument("--households", type=int, default=300, help="户数")
    p.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同数据）")
    p = command("check", cmd_check, "检查全部数据，列出错误和提示")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--year", type=int, help="核查年度（默认：当前年度）")
    p.add_argument("--full", action="store_true",
                   help="逐户全部重新检查（默认只重新检查上次检查后改动过的户，结果相同）")
    p = command("stats", cmd_stats, "按状态、属性、致贫原因、监测类别统计户数和人数")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--year", type=int, help="统计年度")
    from .assessments_command import add_assessment_arguments  # noqa: PLC0415

    add_assessment_arguments(command("assessments", cmd_assessments,
                                     "原建档立卡户的年度评估：列出评估结果或未评估的户"))
    p = command("search", cmd_search, "按姓名、拼音首字母、证件号码、户编号查找")
    p.add_argument("text", help="查找内容")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    user = sub.add_parser("user", help="添加用户或修改密码")
    user_sub = user.add_subparsers(dest="action", required=True, metavar="操作")
    for action, help_text in (("add", "添加用户"), ("passwd", "修改密码")):
        p = user_sub.add_parser(action, help=help_text, description=help_text)
        p.add_argument("--store", default=str(default_store_dir()))
        p.add_argument("--user", help="登录用户（修改密码时为被修改的用户）")
        p.set_defaults(func=cmd_user)
        if action == "add":
            p.add_argument("--name", required=True, help="新用户名")
            p.add_argument("--display-name", help="姓名")
            p.add_argument("--role", default="采集员", help="角色")
    command("recover", cmd_recover, "用恢复码重设密码（并生成新的恢复码）")
    p = command("backup", cmd_backup, "把数据库备份为一个加密文件")
    p.add_argument("-o", "--output", required=True, help="备份文件")
    p = command("restore", cmd_restore, "把备份恢复到一个新的文件夹")
    p.add_argument("backup", help="备份文件（.fupinbak）")
    p.add_argument("--replace", action="store_true",
                   help="替换 --store 处现有的数据库（原数据库整个保留在旁边的“恢复前”文件夹）")
    command("verify", cmd_verify, "检查数据库文件的完整性和加密校验")
    from .forms.command import add_print_arguments  # noqa: PLC0415 (light: does not load ReportLab)

    p = command("print", cmd_print, "打印表格为 PDF（登记表、明白卡、收入核算表、花名册、台账、村情统计表、"
                                         "公示名单、承诺授权书、程序记录表）")
    add_print_arguments(p)
    from .county.commands import add_arguments as add_county  # noqa: PLC0415
    from .sync.commands import add_arguments as add_sync  # noqa: PLC0415

    add_sync(sub, command, lambda fn: lambda args: fn(args, lambda: _open(args)))
    add_county(sub, _secret)
    add_ops_commands(command, sub, _open)
    from .tabular.command import add_export_arguments, add_import_arguments  # noqa: PLC0415 (light)

    add_import_arguments(command("import-xlsx", cmd_import_xlsx, "从 .xlsx / .csv 花名册导入户和成员"))
    add_export_arguments(command("export-xlsx", cmd_export_xlsx, "导出花名册、帮扶措施或收入核算为 .xlsx"))
    from .tabular.warnings_command import add_warning_arguments  # noqa: PLC0415

    add_warning_arguments(command("warnings", cmd_warnings, "部门预警：导入名单、列出待处置、处置"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_console(json_output="--json" in argv)
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.getLogger(__name__).info("command %s", args.command)
    try:
        code: int = args.func(args)
        return code
    except FupinError as err:
        logging.getLogger(__name__).info("%s refused: %s", args.command, type(err).__name__)
        print(f"错误：{err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except DatabaseError as err:
        if not is_corruption(err):
            return _internal_error(err)
        damaged = corrupt_error(err)
        print(f"错误：{damaged}", file=sys.stderr)
        return damaged.exit_code
    except Exception as err:  # noqa: BLE001 - a bug, not the user's doing: _internal_error logs it (re-raises under FUPIN_DEBUG)
        return _internal_error(err)


def _internal_error(err: Exception) -> int:
    if os.environ.get("FUPIN_DEBUG"):
        raise err
    logging.getLogger(__name__).error("unexpected %s", exception_summary(err))
    print(f"程序内部错误（{type(err).__name__}）。数据没有被改动。请设置 FUPIN_DEBUG=1 重试并把输出发给技术支持。",
          file=sys.stderr)
    return 70


if __name__ == "__main__":
    sys.exit(main())
