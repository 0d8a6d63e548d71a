"""County commands: ``fupin county init|enroll|import|serve|revoke|conflicts|resolve|held|release|caps|devices|stats|
procedures|thresholds|params``.

Every command takes ``--db-url`` (PostgreSQL or SQLite; default ``FUPIN_COUNTY_DB``). The county
passphrase, which unwraps the county's private keys, comes from a prompt or ``FUPIN_COUNTY_PASSWORD``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..removable import written
from .db import default_db_url, open_county_db

Secret = Callable[..., str]


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str), flush=True)


def _keys(engine: Any, secret: Secret) -> Any:
    from .keys import load_county  # noqa: PLC0415

    return load_county(engine, secret("FUPIN_COUNTY_PASSWORD", "县级密钥口令"))


def _asked_once(secret: Secret) -> Secret:
    """The passphrase is asked once per command even when both the SQLite key and the county keys need it."""
    answers: dict[str, str] = {}

    def ask(env: str, prompt: str, **kw: Any) -> str:
        if env not in answers:
            answers[env] = secret(env, prompt, **kw)
        return answers[env]

    return ask


def _db_passphrase(args: argparse.Namespace, secret: Secret) -> str | None:
    """A SQLite county is encrypted (cipherdb.py): its passphrase is needed before anything is read."""
    from .cipherdb import is_clear_sqlite  # noqa: PLC0415
    from .db import sqlite_file  # noqa: PLC0415

    db = sqlite_file(args.db_url)
    if db is None:
        return None
    if is_clear_sqlite(db):
        print(f"县级数据库 {db} 还是明文，将用县级密钥口令加密（原明文文件会被替换）。", file=sys.stderr, flush=True)
    new = args.action == "init" and not db.exists()
    return secret("FUPIN_COUNTY_PASSWORD", "新的县级密钥口令" if new else "县级密钥口令", confirm=new)


def run(args: argparse.Namespace, secret: Secret) -> int:
    secret = _asked_once(secret)
    engine = open_county_db(args.db_url, _db_passphrase(args, secret))
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
                         out=Path(args.output), server_url=args.server_url or "", days=args.days,
                         scope=args.village_code[:9] if args.township else None)
    where = f"乡镇 {e.scope}" if len(e.prefix) < 12 else f"村 {e.village_code}"
    print(f"已生成入网文件 {args.output}：{e.label}（范围：{where}），{e.expires[:10]} 前有效，只能用一次。")
    if args.server_url and args.server_url.startswith("http://"):
        print("提醒：服务器地址是明文 http://；设备只会对本机地址这样连接，其他地址需要在设备设置里另外允许。"
              "建议用 https://（见 docs/county-server.md）。", file=sys.stderr, flush=True)
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


def _export_down(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .devices import find_device  # noqa: PLC0415
    from .down import export_down  # noqa: PLC0415

    devices = [find_device(engine, args.device).id] if args.device else None
    paths = export_down(engine, _keys(engine, secret), Path(args.out), devices)
    for path in paths:
        print(f"  {path}", flush=True)
    print(written(f"已写出 {len(paths)} 个下发包（每台设备一个文件夹），在设备上用 fupin sync apply 文件夹 导入")
          if paths else "各设备都已是最新，没有需要下发的包。", flush=True)
    return 0


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
    from .atrest import report_postgres  # noqa: PLC0415
    from .serving import ServeOptions, check_tls_files, serve  # noqa: PLC0415

    options = ServeOptions(host=args.host, port=args.port, certfile=_path(args.certfile), keyfile=_path(args.keyfile),
                           header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                           per_device=args.device_uploads, spool_base=_path(args.upload_dir))
    check_tls_files(options)
    keys = _keys(engine, secret)
    report_postgres(engine)
    from .held import release_upgraded  # noqa: PLC0415

    released = [r for r in release_upgraded(engine, keys) if r.status == "imported"]
    if released:  # held for a schema the program before this upgrade did not know
        print(f"程序升级后，已导入 {len(released)} 个以前因程序版本较旧而暂存的包。", flush=True)
    scheme = "https" if options.tls else "http"
    print(f"县级同步服务（{keys.county_name}）在 {scheme}://{args.host}:{args.port} 上运行；按 Ctrl+C 停止。",
          flush=True)
    serve(engine, keys, options)
    return 0


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _revoke(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .devices import revoke_device  # noqa: PLC0415

    device = revoke_device(engine, args.device)
    print(f"已注销设备“{device.label}”（{device.id[:8]}）：之后它的变更包都会被拒绝，暂存的包已作废；其他设备会在回执中得知。")
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
    from .held import held_packages  # noqa: PLC0415

    with engine.connect() as conn:
        rows = held_packages(conn)
    if args.json:
        _print([dict(r._mapping) for r in rows])
        return 0
    for r in rows:
        print(f"{r.device_id[:8]}:{r.number}  {r.village_code} {r.label} 第 {r.number} 包"
              f"（已导入到第 {r.last_number} 包） {r.entries} 条  收到于 {r.received_at}"
              f"\n    原因：[{r.hold_code}] {r.hold_reason or ''}")
    print(f"暂存 {len(rows)} 个包。" + ("用 fupin county release 设备:包号 强制导入（跳过缺少的包，不受上限限制）。"
                                    if rows else ""))
    return 0


def _release(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from ..errors import NotFound  # noqa: PLC0415
    from .held import find_held, release_by_person  # noqa: PLC0415
    from .report import render_text  # noqa: PLC0415

    with engine.connect() as conn:
        matches = find_held(conn, args.package)
    if len(matches) != 1:
        raise NotFound(f"暂存区里没有唯一对应“{args.package}”的包。",
                       hint="用 fupin county held 查看，写成“设备:包号”。")
    reports = release_by_person(engine, _keys(engine, secret), matches[0].device_id, matches[0].number)
    print(render_text(reports))
    return 8 if reports[0].status == "rejected" else 0


def _caps(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from ..errors import InvalidInput  # noqa: PLC0415
    from .caps import describe, load_caps, set_cap  # noqa: PLC0415

    for item in args.set or []:
        name, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise InvalidInput(f"“{item}”应写成 名称=正整数。")
        with engine.begin() as conn:
            set_cap(conn, name.strip(), int(value))
    with engine.connect() as conn:
        caps = load_caps(conn)
    if args.json:
        _print({name: value for name, _, value in describe(caps)})
        return 0
    for name, label, value in describe(caps):
        print(f"{name:<28} {value:>10}  {label}")
    return 0


def _stats(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .stats import county_stats  # noqa: PLC0415

    stats = county_stats(engine, args.year)
    if args.json:
        _print(stats)
        return 0
    print(f"{stats['year']}年全县在册 {stats['households']} 户 {stats['people']} 人；"
          f"未处理冲突 {stats['open_conflicts']} 处。")
    for title, key in (("脱贫状态", "by_status"), ("主要致贫原因", "by_main_cause"), ("监测对象", "by_monitoring"),
                       ("风险消除情况", "by_removal"), ("风险类型", "by_risk"), ("未消除风险类型", "by_risk_open"),
                       ("收支核算（与监测范围相比）", "by_income"), ("农村低收入人口类别", "by_low_income"),
                       ("帮扶层级", "by_layer"), ("成员社会救助类别", "by_member_category"),
                       ("原建档立卡户评估", "by_reassessment")):
        print(f"{title}：" + "，".join(f"{k} {v}" for k, v in stats[key].items()))
    for code, t in stats["townships"].items():
        print(f"\n乡镇 {code}：{t['households']} 户 {t['people']} 人")
        for vcode, v in t["villages"].items():
            print(f"  村 {vcode}：{v['households']} 户 {v['people']} 人")
    return 0


def _procedures(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from datetime import date  # noqa: PLC0415

    from .procedures import procedure_overview  # noqa: PLC0415

    overview = procedure_overview(engine, date.today())
    if args.json:
        _print(overview)
        return 0
    t = overview["total"]
    print(f"全县监测程序待办 {t['todo']} 件，其中超期 {t['overdue']} 件；部门预警待处置 {t['warnings_open']} 条，"
          f"其中超期 {t['warnings_overdue']} 条。")
    for code, v in overview["villages"].items():
        print(f"  村 {code}：待办 {v['todo']}，超期 {v['overdue']}，预警待处置 {v['warnings_open']}")
    for department, by in overview["warnings"].items():
        print(f"{department}预警：" + "，".join(f"{k} {n}" for k, n in by.items()))
    return 0


_LINES = (("poverty_line", "识别"), ("exit_line", "退出"), ("monitoring_line", "监测"))


def _thresholds(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from ..reference import THRESHOLD_KINDS  # noqa: PLC0415
    from .refdata import THRESHOLD, current_values, set_thresholds  # noqa: PLC0415

    if args.op == "set":
        from ..errors import InvalidInput  # noqa: PLC0415

        if args.year is None:
            raise InvalidInput("请用 --year 写明年度，如 --year 2027。", field="年度")
        lines = {kind: getattr(args, attr) for attr, kind in _LINES if getattr(args, attr) is not None}
        for ref in set_thresholds(engine, year=args.year, lines=lines, province=args.province, source=args.source,
                                  by=args.by):
            print(f"已设定 {ref.year_from}年 {_where(ref.province)} {THRESHOLD_KINDS[ref.name]}：{ref.value} 元/人/年"
                  f"（依据：{ref.source}，第 {ref.version} 版）。", flush=True)
        print("各设备会在下一个下发包里收到（fupin sync pull，或 fupin county export-down 写到U盘）。", flush=True)
        return 0
    with engine.connect() as conn:
        rows = [r for r in current_values(conn, THRESHOLD) if args.year is None or r.year_from == args.year]
    if args.json:
        _print([r.__dict__ for r in rows])
        return 0
    for r in rows:
        print(f"{r.year_from}  {_where(r.province):<6} {THRESHOLD_KINDS.get(r.name, r.name):<12} {r.value:>8}  "
              f"{'县里设定 第' + str(r.version) + '版' if r.origin == 'county' else '程序自带'}  依据：{r.source}")
    return 0


def _where(province: str) -> str:
    return "全国默认" if province == "00" else f"省 {province}"


def _params(args: argparse.Namespace, engine: Any, secret: Secret) -> int:
    from .refdata import PARAM, current_values, set_param  # noqa: PLC0415

    if args.op == "set":
        from ..errors import InvalidInput  # noqa: PLC0415

        if not args.name or args.value is None:
            raise InvalidInput("请写明参数名和值，如 fupin county params set arable_mu_max 120 --source …。")
        ref = set_param(engine, name=args.name, value=args.value, province=args.province,
                        year_from=args.year_from, year_to=args.year_to, source=args.source, by=args.by)
        print(f"已设定规则参数 {ref.name} = {ref.value}（{ref.year_from}年起，{_where(ref.province)}，"
              f"依据：{ref.source}，第 {ref.version} 版）；各设备会在下一个下发包里收到。", flush=True)
        return 0
    with engine.connect() as conn:
        rows = current_values(conn, PARAM)
    if args.json:
        _print([r.__dict__ for r in rows])
        return 0
    for r in rows:
        until = f"至{r.year_to}年" if r.year_to else "起"
        print(f"{r.name:<28} {str(r.value):>8}  {r.year_from}年{until} {_where(r.province)}  "
              f"{'县里设定 第' + str(r.version) + '版' if r.origin == 'county' else '程序自带'}  依据：{r.source}")
    return 0


_COMMANDS = {"init": _init, "enroll": _enroll, "import": _import, "serve": _serve, "revoke": _revoke,
             "devices": _devices, "conflicts": _conflicts, "resolve": _resolve, "held": _held, "release": _release,
             "caps": _caps, "stats": _stats, "export-down": _export_down,
             "procedures": _procedures, "thresholds": _thresholds, "params": _params}


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
    p.add_argument("--township", action="store_true", help="范围是该村所在的整个乡镇（乡镇干事的电脑）")
    p = action("export-down", "把各设备的下发包写到文件夹（U盘），每台设备一个子文件夹")
    p.add_argument("--out", required=True, help="目标文件夹")
    p.add_argument("--device", help="只写这台设备（设备编号或前几位）")
    p = action("import", "导入变更包（文件或文件夹）")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--ack-dir", help="把各设备的回执写到这个文件夹")
    _serve_arguments(action("serve", "运行县级同步服务"))
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
    action("release", "强制导入一个暂存的包").add_argument("package",
                                                           help="设备:包号（如 3f2a9c01:4），或包编号的前几位")
    p = action("caps", "查看或修改导入上限（超过上限的包先暂存）")
    p.add_argument("--set", action="append", metavar="名称=值", help="例如 entries_per_package=30000")
    p.add_argument("--json", action="store_true")
    stats = action("stats", "全县统计（某一年度当时的情况）")
    stats.add_argument("--json", action="store_true")
    stats.add_argument("--year", type=int, default=None, help="统计年度（默认今年）")
    action("procedures", "监测程序待办/超期和部门预警处置情况（按村）").add_argument("--json", action="store_true")
    _reference_arguments(action)


def _reference_arguments(action: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = action("thresholds", "查看或设定贫困线、退出标准、监测线（按年度和省份，随下发包送到各设备）")
    p.add_argument("op", choices=("list", "set"), help="list 查看 / set 设定")
    p.add_argument("--year", type=int, help="年度")
    p.add_argument("--poverty-line", help="贫困线（识别标准），元/人/年")
    p.add_argument("--exit-line", help="退出标准，元/人/年")
    p.add_argument("--monitoring-line", help="监测范围（监测线），元/人/年")
    _set_arguments(p)
    p = action("params", "查看或设定规则参数（如面积上限、风险消除的月数）")
    p.add_argument("op", choices=("list", "set"), help="list 查看 / set 设定")
    p.add_argument("name", nargs="?", help="参数名，如 arable_mu_max")
    p.add_argument("value", nargs="?", help="值")
    p.add_argument("--year-from", type=int, default=2014, help="起始年度（默认 2014）")
    p.add_argument("--year-to", type=int, help="截止年度（默认一直有效）")
    _set_arguments(p)


def _set_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--province", default="00", help="省份代码（两位，默认 00 = 全国默认）")
    p.add_argument("--source", default="", help="依据：文件名称和文号，或县里的决定（设定时必填）")
    p.add_argument("--by", default="县扶贫办", help="设定人")
    p.add_argument("--json", action="store_true")


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机 127.0.0.1）")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--certfile", help="HTTPS 服务器证书（PEM，可含中间证书）；与 --keyfile 一起启用 HTTPS")
    p.add_argument("--keyfile", help="HTTPS 服务器私钥（PEM）")
    p.add_argument("--header-timeout", type=float, default=10.0, help="请求头必须在这么多秒内收完，否则断开")
    p.add_argument("--body-timeout", type=float, default=30.0, help="上传中这么多秒没有收到数据（或太慢）就断开")
    p.add_argument("--device-uploads", type=int, default=2, help="同一台设备同时上传的最多个数")
    p.add_argument("--upload-dir", help="上传中的加密包暂存文件夹（默认在用户数据文件夹里）")
