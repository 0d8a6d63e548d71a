"""Device-side sync commands: ``fupin enroll`` and ``fupin sync export|push|apply|status``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FupinError
from ..sync_state import ALL_STATES

if TYPE_CHECKING:
    from ..store.store import Store
    from .receipts import AckResult

# Each command imports what it uses when it runs (the late imports marked noqa: PLC0415): building
# the parser and --help do not load the sync client (httpx) or the package reader.


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str), flush=True)


def cmd_enroll(args: argparse.Namespace, open_store: Callable[[], Store]) -> int:
    from .device import enroll  # noqa: PLC0415

    with open_store() as store:
        e = enroll(store, Path(args.file))
    print(f"已加入 {e.county_name} 的同步：本机登记为“{e.label}”（村代码 {e.village_code}）。"
          f"第一次上传或U盘导入变更包时，县里会确认本机。", flush=True)
    return 0


def cmd_sync(args: argparse.Namespace, open_store: Callable[[], Store]) -> int:
    with open_store() as store:
        if args.action == "export":
            from .device import export_to_folder  # noqa: PLC0415

            paths = export_to_folder(store, Path(args.out))
            for p in paths:
                print(f"  {p}")
            print(f"已写入并校验 {len(paths)} 个变更包，可以安全拔出U盘。" if paths else "没有需要导出的变更。",
                  flush=True)
        elif args.action == "push":
            from .client import push  # noqa: PLC0415

            result = push(store, args.url)
            print(f"已上传 {len(result.sent)} 个变更包。" if result.sent else "没有需要上传的变更包。", flush=True)
            _report_ack(result.ack)
        elif args.action == "apply":
            from .receipts import apply_ack  # noqa: PLC0415

            for name in args.files:
                applied = apply_ack(store, Path(name))
                print(f"{name}：", end="")
                _report_ack(applied)
        else:
            return _status(store, args.json)
    return 0


def _report_ack(ack: AckResult | None) -> None:
    if ack is None:
        print("没有收到回执。", flush=True)
    elif ack.already:
        print(f"回执 {ack.number} 以前已经处理过，没有改动。", flush=True)
    else:
        print(f"已处理回执 {ack.number}：确认 {ack.confirmed} 条变更，冲突 {ack.conflicts} 处，"
              f"县级更正 {ack.corrections} 处。", flush=True)
    for m in getattr(ack, "messages", []):
        print(f"  {m}", file=sys.stderr, flush=True)


def _status(store: Store, as_json: bool) -> int:
    from .status import sync_status  # noqa: PLC0415

    status = sync_status(store)
    if as_json:
        _print(status)
        return 0
    if not status["enrolled"]:
        print("本机还没有入网（fupin enroll 入网文件）。", flush=True)
    else:
        c = status["county"]
        print(f"已入网：{c['name']}，本机“{c['label']}”，{'县里已确认' if status['registered'] else '等待县里确认'}"
              f"{'，已被注销' if status['revoked'] else ''}；服务器 {c['server_url'] or '（无，使用U盘）'}")

    print("变更：" + "，".join(f"{s} {status['changes'][s]}" for s in ALL_STATES))
    for p in status["packages"][-10:]:
        print(f"  第 {p['number']} 包  {p['entries']} 条  {p['state']}  {p['created']}")
    return 0


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                  command: Callable[..., argparse.ArgumentParser],
                  wrap: Callable[[Callable[..., int]], Callable[[argparse.Namespace], int]]) -> None:
    p = command("enroll", wrap(cmd_enroll), "用县里发的入网文件加入同步")
    p.add_argument("file", help="入网文件（.fupinenroll）")
    sync = sub.add_parser("sync", help="同步：导出变更包、上传、处理回执、查看状态")
    actions = sync.add_subparsers(dest="action", required=True, metavar="操作")
    for name, help_text in (("export", "把未确认的变更包写到文件夹（U盘）"), ("push", "上传到县里的服务器并取回回执"),
                            ("apply", "处理从县里带回的回执文件"), ("status", "查看同步状态")):
        p = command(name, wrap(cmd_sync), help_text, parent=actions)
        if name == "export":
            p.add_argument("--out", required=True, help="目标文件夹（例如U盘）")
        elif name == "push":
            p.add_argument("--url", help="服务器地址（默认：设置中的县级服务器地址，其次是入网文件中的地址）")
        elif name == "apply":
            p.add_argument("files", nargs="+", help="回执文件（.fupinack）")
        else:
            p.add_argument("--json", action="store_true", help="以 JSON 输出")


__all__ = ["add_arguments", "FupinError"]
