"""County commands: ``fupin county init|enroll|import|serve|revoke|conflicts|resolve|held|release|devices|stats``.

Every command takes ``--db-url`` (PostgreSQL or SQLite; default ``FUPIN_COUNTY_DB``). The county
passphrase, which unwraps the county's private keys, comes from a prompt or ``FUPIN_COUNTY_PASSWORD``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .db import default_db_url, open_county_db

Secret = Callable[..., str]


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str), flush=True)


def _keys(engine: Any, secret: Secret) -> Any:
    from .keys import load_county  # noqa: PLC0415

    return load_county(engine, secret("FUPIN_COUNTY_PASSWORD", "县级密钥口令"))


def run(args: argparse.Namespace, secret: Secret) -> int:
    engine = open_county_db(args.db_url)
    try:
        if args.action != "init":
            from .keys import initialised_meta  # noqa: PLC0415

            with engine.connect() as conn:
                initialised_meta(conn)
        return _COMMANDS[args.action](args, engine, secret)
    finally:
        engine.dispose()


def _init(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .keys import init_county  # noqa: PLC0415

    keys = init_county(engine, name=args.name,
                       passphrase=secret("FUPIN_COUNTY_PASSWORD", "新的县级密钥口令", confirm=True))
    print(f"已建立县级数据库和密钥：{keys.county_name}（县编号 {keys.county_id}）。请牢记口令："
          "丢失后无法解开收到的变更包。")
    return 0


def _enroll(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .devices import issue_enrollment  # noqa: PLC0415

    e = issue_enrollment(engine, _keys(engine, secret), village_code=args.village_code, label=args.label,
                         out=Path(args.output), server_url=args.server_url or "", days=args.days)
    print(f"已生成入网文件 {args.output}：{e.label}（{e.village_code}），{e.expires[:10]} 前有效，只能用一次。")
    return 0


def _import(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .acks import write_acks  # noqa: PLC0415
    from .importer import import_files  # noqa: PLC0415
    from .report import render_text  # noqa: PLC0415

    keys = _keys(engine, secret)
    files = _package_files(args.files)
    reports = import_files(engine, keys, files)
    if args.ack_dir:
        devices = {r.device_id for r in reports if r.device_id and r.status != "rejected"}
        for path in write_acks(engine, keys, devices, Path(args.ack_dir)):
            print(f"回执：{path}", flush=True) if not args.json else None
    if args.json:
        _print([r.as_dict() for r in reports])
    else:
        print(render_text(reports), flush=True)
    return 0 if all(r.status != "rejected" for r in reports) else 8


def _package_files(names: list[str]) -> list[Path]:
    from ..errors import InvalidInput  # noqa: PLC0415

    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(path.glob("*.fupinpkg")))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"找不到文件：{name}")
    return files


def _serve(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .server import serve  # noqa: PLC0415

    keys = _keys(engine, secret)
    print(f"县级同步服务（{keys.county_name}）在 http://{args.host}:{args.port} 上运行；按 Ctrl+C 停止。", flush=True)
    serve(engine, keys, args.host, args.port)
    return 0


def _revoke(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .devices import revoke_device  # noqa: PLC0415

    device = revoke_device(engine, args.device)
    print(f"已注销设备“{device.label}”（{device.id[:8]}）：之后它的变更包都会被拒绝；其他设备会在回执中得知。")
    return 0


def _devices(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .devices import list_devices  # noqa: PLC0415

    devices = list_devices(engine)
    if args.json:
        _print(devices)
        return 0
    for d in devices:
        state = "已注销" if d["status"] == "revoked" else "正常"
        print(f"{d['id'][:8]}  {d['village_code']}  {d['label']:<20} {state}  已导入到第 {d['last_number']} 包  "
              f"最近 {d['last_seen'] or '—'}")
    print(f"共 {len(devices)} 台设备。")
    return 0


def _conflicts(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .conflicts import list_conflicts  # noqa: PLC0415

    rows = list_conflicts(engine, status="all" if args.all else "open")
    if args.json:
        _print(rows)
        return 0
    for c in rows:
        print(f"[{c['id']}] {c['village_code']} {c['field_label']}："
              f"县里现有“{c['county_value']}”（{c['county_device']}）"
              f" ↔ 新到“{c['incoming_value']}”（{c['incoming_device']}）{'' if c['status'] == 'open' else ' 已处理'}")
    print(f"共 {len(rows)} 处冲突。" + ("用 fupin county resolve 编号 --keep county|incoming 处理。" if rows else ""))
    return 0


def _resolve(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .conflicts import resolve_conflict  # noqa: PLC0415

    result = resolve_conflict(engine, args.conflict, keep=args.keep, user=args.by)
    print(f"冲突 {result['id']} 已处理，保留“{result['value']}”。设备会在下一份回执中收到。")
    return 0


def _held(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .importer import held_packages  # noqa: PLC0415

    with engine.connect() as conn:
        rows = held_packages(conn)
    if args.json:
        _print([dict(r._mapping) for r in rows])
        return 0
    for r in rows:
        print(f"{r.package_id[:12]}  {r.village_code} {r.label} 第 {r.number} 包（已导入到第 {r.last_number} 包）"
              f" {r.entries} 条  收到于 {r.received_at}")
    print(f"暂存 {len(rows)} 个包。" + ("用 fupin county release 包编号 强制导入（跳过缺少的包）。" if rows else ""))
    return 0


def _release(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .importer import held_packages, release_held  # noqa: PLC0415
    from .report import render_text  # noqa: PLC0415
    from ..errors import NotFound  # noqa: PLC0415

    with engine.connect() as conn:
        matches = [r.package_id for r in held_packages(conn) if r.package_id.startswith(args.package)]
    if len(matches) != 1:
        raise NotFound(f"暂存区里没有唯一对应“{args.package}”的包。", hint="用 fupin county held 查看。")
    print(render_text([release_held(engine, _keys(engine, secret), matches[0])]))
    return 0


def _stats(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .stats import county_stats  # noqa: PLC0415

    stats = county_stats(engine)
    if args.json:
        _print(stats)
        return 0
    print(f"全县在册 {stats['households']} 户 {stats['people']} 人；未处理冲突 {stats['open_conflicts']} 处。")
    for title, key in (("脱贫状态", "by_status"), ("主要致贫原因", "by_main_cause"), ("监测对象", "by_monitoring")):
        print(f"{title}：" + "，".join(f"{k} {v}" for k, v in stats[key].items()))
    for code, t in stats["townships"].items():
        print(f"\n乡镇 {code}：{t['households']} 户 {t['people']} 人")
        for vcode, v in t["villages"].items():
            print(f"  村 {vcode}：{v['households']} 户 {v['people']} 人")
    return 0


_COMMANDS = {"init": _init, "enroll": _enroll, "import": _import, "serve": _serve, "revoke": _revoke,
             "devices": _devices, "conflicts": _conflicts, "resolve": _resolve, "held": _held, "release": _release,
             "stats": _stats}


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser], secret: Secret) -> None:
    county = sub.add_parser("county", help="县级：密钥、入网、导入变更包、服务器、冲突、统计")
    actions = county.add_subparsers(dest="action", required=True, metavar="操作")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db-url", default=default_db_url(), help="县级数据库地址（PostgreSQL 或 SQLite）")
        p.set_defaults(func=lambda args: run(args, secret))
        return p

    action("init", "生成县级密钥并建立数据库").add_argument("--name", required=True, help="县名称")
    p = action("enroll", "为一台设备生成入网文件")
    p.add_argument("--village-code", required=True)
    p.add_argument("--label", required=True, help="设备名称")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--server-url", help="县级服务器地址（写入入网文件）")
    p.add_argument("--days", type=int, default=30, help="有效天数")
    p = action("import", "导入变更包（文件或文件夹）")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--ack-dir", help="把各设备的回执写到这个文件夹")
    p = action("serve", "运行县级同步服务")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    action("revoke", "注销一台设备").add_argument("device", help="设备编号（或前几位）")
    action("devices", "列出设备").add_argument("--json", action="store_true")
    p = action("conflicts", "列出冲突")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p = action("resolve", "处理一处冲突")
    p.add_argument("conflict", type=int)
    p.add_argument("--keep", required=True, choices=("county", "incoming"))
    p.add_argument("--by", default="县扶贫办", help="处理人")
    action("held", "列出暂存的包").add_argument("--json", action="store_true")
    action("release", "强制导入一个暂存的包").add_argument("package", help="包编号（或前几位）")
    action("stats", "全县统计").add_argument("--json", action="store_true")
