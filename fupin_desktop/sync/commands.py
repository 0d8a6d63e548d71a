"""Device-side sync commands: ``fupin enroll`` and ``fupin sync export|push|pull|apply|status``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FupinError
from ..removable import written
from ..sync_state import ALL_STATES

if TYPE_CHECKING:
    from ..store.store import Store
    from .down import DownResult
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
            print(written(f"已写入并校验 {len(paths)} 个变更包") if paths else "没有需要导出的变更。", flush=True)
        elif args.action in ("push", "pull"):
            _exchange(store, args)
        elif args.action == "apply":
            from .received import apply_files  # noqa: PLC0415

            from .down import DownResult  # noqa: PLC0415

            for name, result in apply_files(store, [Path(n) for n in args.files]):
                print(f"{name}：", end="")
                if isinstance(result, DownResult):
                    _report_down(result)
                else:
                    _report_ack(result)
        else:
            return _status(store, args.json)
    return 0


def _exchange(store: Store, args: argparse.Namespace) -> None:
    """``push``: upload, take the acknowledgment, then download what the county has (a full exchange);
    ``pull``: only the download."""
    from .pull import pull  # noqa: PLC0415

    if args.action == "push":
        from .client import push  # noqa: PLC0415

        result = push(store, args.url)
        print(f"已上传 {len(result.sent)} 个变更包。" if result.sent else "没有需要上传的变更包。", flush=True)
        _report_ack(result.ack)
    pulled = pull(store, args.url, progress=lambda n: print(f"  已导入第 {n} 个下发包", file=sys.stderr, flush=True))
    print(f"已从县里下载 {len(pulled.applied)} 个下发包：{len(pulled.households)} 户有变化，"
          f"{pulled.conflicts} 处本机未确认的修改与县里不同（保留本机的值，等县里处理）。"
          if pulled.applied else "县里没有新的下发包，本机已是最新。", flush=True)


def _report_down(down: DownResult) -> None:
    if down.already:
        print(f"下发包 {down.number} 以前已经导入过，没有改动。", flush=True)
        return
    if down.own and not down.held:
        print(f"已导入下发包 {down.number}：{down.records} 条记录，改动 {down.changed} 条，"
              f"{len(down.households)} 户有变化，冲突 {down.conflicts} 处（保留本机的值）。", flush=True)
    for message in down.messages:  # why it is held; held packages applied after it, or one set aside
        print(f"{message}。" if message == down.held else message, flush=True)


def _report_ack(ack: AckResult | None) -> None:
    if ack is None:
        print("没有收到回执。", flush=True)
    elif ack.already:
        print(f"回执 {ack.number} 以前已经处理过，没有改动。", flush=True)
    else:
        print(f"已处理回执 {ack.number}：确认 {ack.confirmed} 条变更，冲突 {ack.conflicts} 处，"
              f"县级更正 {ack.corrections} 处。", flush=True)
    for m in ack.messages if ack is not None else []:
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
    down = status["down"]
    print(f"县里下发：已导入 {down['applied']} 个下发包" + (f"，{down['conflicts']} 处本机的修改与县里不同，等县里处理"
                                                  if down["conflicts"] else ""))
    if down["held"]:  # waiting for a missing package, or for this program's upgrade
        print(f"暂存的下发包：第 {'、'.join(map(str, down['held']))} 个（缺少第 {down['applied'] + 1} 个下发包，"
              "或本机程序需要升级；它们到了或升级后会自动导入）", flush=True)
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
    for name, help_text in (("export", "把未确认的变更包写到文件夹（U盘）"),
                            ("push", "与县里的服务器同步：上传变更包、取回回执、下载下发包"),
                            ("pull", "只从县里的服务器下载下发包（新电脑第一次取全村/全乡镇档案也用它）"),
                            ("apply", "处理从县里带回的回执和下发包（文件或文件夹）"), ("status", "查看同步状态")):
        p = command(name, wrap(cmd_sync), help_text, parent=actions)
        if name == "export":
            p.add_argument("--out", required=True, help="目标文件夹（例如U盘）")
        elif name in ("push", "pull"):
            p.add_argument("--url", help="服务器地址（默认：设置中的县级服务器地址，其次是入网文件中的地址）")
        elif name == "apply":
            p.add_argument("files", nargs="+", help="回执文件（.fupinack）、下发包（.fupindown）或它们所在的文件夹")
        else:
            p.add_argument("--json", action="store_true", help="以 JSON 输出")


__all__ = ["add_arguments", "FupinError"]
