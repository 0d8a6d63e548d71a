"""Operations commands: ``self-test``, ``diagnostics`` and ``backups`` (registered in cli.build_parser)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import FupinError

if TYPE_CHECKING:
    from .store.store import Store

# Each command imports what it uses when it runs (the late imports marked noqa: PLC0415): building
# the parser, --help and the quick commands do not load ReportLab, openpyxl, the demo generator or
# the county server.
log = logging.getLogger(__name__)


def cmd_self_test(_args: argparse.Namespace) -> int:
    from .selftest import run  # noqa: PLC0415

    return run()


def cmd_diagnostics(args: argparse.Namespace) -> int:
    from .diagnostics import write_diagnostics  # noqa: PLC0415

    out = write_diagnostics(Path(args.output))
    print(f"已导出诊断信息：{out}（日志和版本信息，不含个人信息）。请把这个文件交给技术支持。", flush=True)
    return 0


def cmd_backups(args: argparse.Namespace, open_store: Callable[[], Store]) -> int:
    from .settings import for_store  # noqa: PLC0415
    from .store.backups import auto_backup, backup_folder, backup_warning, list_backups  # noqa: PLC0415

    with open_store() as store:
        settings = for_store(store)
        if args.now:
            out = auto_backup(store, "manual", settings=settings)
            print(f"已备份：{out}", flush=True)
        folder = backup_folder(store.path, settings)
        found = list_backups(folder, store.store_id)
        print(f"备份文件夹：{folder}（每种保留最近 {settings.backup_keep} 份）")
        for info in found:
            print(f"  {info.label:<22} {info.path.name}")
        print(f"共 {len(found)} 份。恢复：fupin restore 备份文件 --store 新文件夹（加 --replace 则替换当前数据库）")
        if warning := backup_warning(store, settings=settings):
            print(f"提醒：{warning}", file=sys.stderr)
    return 0


def daily_backup(store: Store) -> None:
    """After a CLI command opens a store: the day's backup if due. A full USB stick or a missing
    backup folder must not stop the command: it is said on stderr and in the log."""
    from .store.backups import daily_backup_if_due  # noqa: PLC0415

    try:
        if out := daily_backup_if_due(store):
            print(f"（已自动备份：{out.name}）", file=sys.stderr)
    except FupinError as err:
        log.warning("daily backup failed: %s", type(err).__name__)
        print(f"提醒：今天的自动备份没有完成。{err}", file=sys.stderr)


def add_commands(command: Callable[..., argparse.ArgumentParser],
                 sub: argparse._SubParsersAction[argparse.ArgumentParser],
                 open_store: Callable[[argparse.Namespace], Store]) -> None:
    p = sub.add_parser("self-test", help="自检：在临时数据库上检查程序是否完整可用",
                       description="自检：在临时数据库上检查程序是否完整可用")
    p.set_defaults(func=cmd_self_test)
    p = sub.add_parser("diagnostics", help="导出诊断信息（日志和版本，不含个人信息）",
                       description="导出诊断信息（日志和版本，不含个人信息）")
    p.add_argument("-o", "--output", required=True, help="输出文件（.zip）")
    p.set_defaults(func=cmd_diagnostics)
    p = command("backups", lambda a: cmd_backups(a, lambda: open_store(a)), "列出自动备份（--now 立即备份一次）")
    p.add_argument("--now", action="store_true", help="立即备份一次")
