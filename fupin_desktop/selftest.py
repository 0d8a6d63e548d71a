"""``--self-test``: a short run through everything the program needs, on a throwaway store, so a
county IT person can tell in half a minute whether a build (or a laptop) is complete.

The steps are a list: each has a Chinese title and a function that raises on failure and may return
a detail to print. The UI appends its own (Qt platform plugin, UI font) in ``ui/selftest.py``; the
sync step runs the whole village-to-county path on a throwaway SQLite county. Nothing is left behind: the
store is made in a temporary folder with a cheap KDF and deleted at the end.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from .console import FAIL_MARK, OK_MARK

# Each step imports what it checks (the late imports marked noqa: PLC0415): a module missing from a
# build fails that step, by name, instead of stopping the whole self-test before it starts.
PASSWORD = "self-test-password"
VILLAGE = ("520102003004", "自检村")
HEAD = "自检户主"
RARE_HEAD = "刘䶮"  # 䶮 (U+4DAE, CJK Extension A): printed with the rare-character font of the chain


@dataclass
class Context:
    folder: Path
    store: Any = None  # the Store, once made
    recovery_code: str = ""
    household_id: str = ""
    pdf: bytes = b""
    scratch: dict[str, Any] = field(default_factory=dict)  # for steps added later


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Context], str | None]


# ---- the core's steps -----------------------------------------------------------------------
def import_modules(_ctx: Context) -> str:
    """Every module of the core imports (a frozen build that missed one fails here, not in use)."""
    import fupin_desktop  # noqa: PLC0415

    names = [m.name for m in pkgutil.walk_packages(fupin_desktop.__path__, "fupin_desktop.")]
    for name in names:
        importlib.import_module(name)
    return f"{len(names)} 个模块"


def data_files(_ctx: Context) -> str:
    from .paths import migrations_dir, resources_dir  # noqa: PLC0415
    from .reference import CodeTables  # noqa: PLC0415

    codes = sorted(p.name for p in (resources_dir() / "codes").glob("*.json"))
    if not codes or not (resources_dir() / "thresholds.json").is_file():
        raise FileNotFoundError(resources_dir())
    CodeTables.default()
    versions = list((migrations_dir() / "versions").glob("*.py"))
    if not versions:
        raise FileNotFoundError(migrations_dir())
    return f"代码表 {len(codes)} 个，数据库升级脚本 {len(versions)} 个"


def cjk_font(_ctx: Context) -> str:
    from .fonts import find_cjk_font  # noqa: PLC0415
    from .forms.fonts import form_font  # noqa: PLC0415

    found = find_cjk_font()
    if found is None:
        raise FileNotFoundError("没有找到中文字体（可在设置里指定字体文件）")
    chosen = form_font()
    return f"{found.name}；表格用 {Path(chosen.path).name if chosen.path else chosen.name}" + \
        ("" if chosen.embedded else "（不嵌入）")


def create_store(ctx: Context) -> str:
    from .store.keyslots import KdfParams  # noqa: PLC0415
    from .store.archive import DB_NAME  # noqa: PLC0415
    from .store.store import Store  # noqa: PLC0415

    ctx.store, ctx.recovery_code = Store.create(
        ctx.folder / "store", village_code=VILLAGE[0], village_name=VILLAGE[1], username="admin",
        password=PASSWORD, kdf=KdfParams(memory_kib=8192, iterations=1))
    if (ctx.folder / "store" / DB_NAME).read_bytes()[:16] == b"SQLite format 3\x00":
        raise RuntimeError("database file is not encrypted")
    with ctx.store.engine.connect() as conn:
        cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
    return f"SQLCipher {cipher}"


def migrations(ctx: Context) -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from .store import migrate  # noqa: PLC0415

    with ctx.store.engine.connect() as conn:
        current = migrate.current_revision(conn)
    head = migrate.head_revision()
    if current != head:
        raise RuntimeError(f"schema at {current}, expected {head}")
    count = len(list(ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()))
    return f"已升级到 {head}（共 {count} 个版本）"


def _add_household(ctx: Context, head_name: str, national_no: str, serial: int) -> str:
    from .bundle import HouseholdData, MemberData  # noqa: PLC0415
    from .services.households import create_households  # noqa: PLC0415
    from .services.households import unit_of_work  # noqa: PLC0415
    from .validation.idnumber import make_id  # noqa: PLC0415

    born = date(1970, 5, 6)
    head = MemberData(fields={"name": head_name, "relation": "户主", "gender": "男", "birth_date": born, "seq": 1,
                              "id_type": "身份证", "id_no": make_id("520102", born, serial)})
    bundle = HouseholdData(fields={"village_code": VILLAGE[0], "group_name": "第一组",
                                   "national_hh_no": national_no, "attribute": "一般脱贫户"},
                           years={date.today().year: {"population": 1, "arable_mu": Decimal("2.5")}},
                           members=[head])
    with unit_of_work(ctx.store) as uow:
        (household_id,) = create_households(uow, [bundle])
    return str(household_id)


def write_and_read(ctx: Context) -> str:
    from .queries.load import load_households  # noqa: PLC0415
    from .queries.search import SearchQuery, search_households  # noqa: PLC0415

    ctx.household_id = _add_household(ctx, HEAD, "5201020030049999", 11)
    with ctx.store.engine.connect() as conn:
        (loaded,) = load_households(conn, [ctx.household_id])
        found = search_households(conn, SearchQuery(text="zjhz"))
    if [m.fields["name"] for m in loaded.members] != [HEAD] or found != [ctx.household_id]:
        raise RuntimeError("the household read back differs from what was written")
    return "写入 1 户 1 人，读回一致，拼音查找可用"


def check_rules(ctx: Context) -> str:
    from .queries.load import load_households  # noqa: PLC0415
    from .validation.engine import Context as RuleContext, check_household  # noqa: PLC0415

    with ctx.store.engine.connect() as conn:
        (household,) = load_households(conn, [ctx.household_id])
        findings = check_household(household, RuleContext.for_store(conn))
    return f"{len(findings)} 条提示"


def render_form(ctx: Context) -> str:
    from pypdf import PdfReader  # noqa: PLC0415

    from .forms.job import render_bytes  # noqa: PLC0415
    from .forms.scope import Scope  # noqa: PLC0415

    import io  # noqa: PLC0415

    ctx.pdf, report = render_bytes("registration", ctx.store, scope=Scope.households([ctx.household_id]))
    pages = len(PdfReader(io.BytesIO(ctx.pdf)).pages)
    if not ctx.pdf.startswith(b"%PDF") or pages < 1:
        raise RuntimeError("no PDF")
    # ReportLab runs without its C speed-ups (a build that left out _rl_accel), only a third slower: said, not failed.
    speed = "" if "_rl_accel" in sys.modules else "；未加速（缺少 _rl_accel，打印较慢）"
    return f"贫困户登记表 {pages} 页，{len(ctx.pdf) // 1024} KB{speed}"


def preview_page(ctx: Context) -> str:
    import pypdfium2 as pdfium  # noqa: PLC0415 (the print dialog's preview; a native library)

    pdf = pdfium.PdfDocument(ctx.pdf)
    try:
        image = pdf[0].render(scale=0.5).to_pil()
    finally:
        pdf.close()
    return f"{image.width}×{image.height} 像素"


def backup_and_restore(ctx: Context) -> str:
    from .store.backups import auto_backup  # noqa: PLC0415
    from .store.archive import restore_backup  # noqa: PLC0415
    from .store.store import Store  # noqa: PLC0415
    from .settings import Settings  # noqa: PLC0415

    out = auto_backup(ctx.store, "manual", settings=Settings(backup_dir=str(ctx.folder / "backups")))
    restored = restore_backup(out, ctx.folder / "restored")
    with Store.open_with_recovery_code(restored, ctx.recovery_code) as copy, copy.engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM household").scalar()
    if n != 1:
        raise RuntimeError(f"restored copy has {n} households")
    return "备份用恢复码打开，记录一致"


def seal_and_open_package(ctx: Context) -> str:
    """The whole sync path on the throwaway store: a county (SQLite) enrolls it, its changes are
    sealed to a USB folder, imported, and the acknowledgment is applied."""
    from .county.acks import write_acks  # noqa: PLC0415
    from .county.db import open_county_db  # noqa: PLC0415
    from .county.devices import issue_enrollment  # noqa: PLC0415
    from .county.importer import import_file  # noqa: PLC0415
    from .county.keys import init_county  # noqa: PLC0415
    from .store.keyslots import KdfParams  # noqa: PLC0415
    from .sync.device import enroll, export_to_folder  # noqa: PLC0415
    from .sync.package import round_trip_check  # noqa: PLC0415
    from .sync.receipts import apply_ack  # noqa: PLC0415

    round_trip_check(ctx.folder)
    engine = open_county_db(f"sqlite:///{ctx.folder / 'county.db'}", "self-test-passphrase")
    try:
        keys = init_county(engine, name="自检县", passphrase="self-test-passphrase",
                           kdf=KdfParams(memory_kib=8192, iterations=1, lanes=1))
        issue_enrollment(engine, keys, village_code=ctx.store.village_code, label="自检",
                         out=ctx.folder / "self.fupinenroll")
        enroll(ctx.store, ctx.folder / "self.fupinenroll")
        [package] = export_to_folder(ctx.store, ctx.folder / "usb")
        [report] = import_file(engine, keys, package)
        [ack_path] = write_acks(engine, keys, {ctx.store.device_id}, ctx.folder / "acks")
        ack = apply_ack(ctx.store, ack_path)
    finally:
        engine.dispose()
    if report.status != "imported" or ack.confirmed != report.counts.created or report.counts.created == 0:
        raise RuntimeError(f"package {report.status}, {report.counts}, ack confirmed {ack.confirmed}")
    return f"{report.counts.created} 条变更封装、导入县级库并确认"


def form_fonts(ctx: Context) -> str:
    """Every form, printed for the self-test household and one whose head has a rare character, read back
    from the PDF: each font in it must be embedded, or the form looks different on the next computer."""
    from .forms.fontcheck import pdf_fonts  # noqa: PLC0415
    from .forms.fonts import form_chain, form_font  # noqa: PLC0415
    from .forms.job import FORMS, render_bytes  # noqa: PLC0415
    from .forms.scope import Scope  # noqa: PLC0415

    ids = [ctx.household_id, _add_household(ctx, RARE_HEAD, "5201020030049998", 13)]
    shown, missing = [], []
    for name, form in FORMS.items():
        pdf, _report = render_bytes(name, ctx.store, scope=Scope.households(ids))
        fonts = pdf_fonts(pdf)
        shown.append(f"{form.title} " + "、".join(f.name + ("" if f.ok else "（未嵌入）") for f in fonts))
        missing += [f"{form.title} {f.name}" for f in fonts if not f.ok]
    if missing:
        raise RuntimeError("表格里有未嵌入的字体：" + "、".join(missing)
                           + "；请在“设置”里选择一个 TrueType 中文字体（例如 C:\\Windows\\Fonts\\simsun.ttc）")
    rare = "" if not form_chain(form_font().name).missing(RARE_HEAD) else f"；生僻字“{RARE_HEAD[-1]}”没有字体可印"
    return "；".join(shown) + "；全部嵌入" + rare


STEPS: list[Step] = [
    Step("程序模块齐全", import_modules),
    Step("程序数据文件齐全", data_files),
    Step("找到中文字体", cjk_font),
    Step("建立临时加密数据库", create_store),
    Step("数据库结构升级", migrations),
    Step("写入并读取一户", write_and_read),
    Step("核查规则", check_rules),
    Step("生成表格 PDF（内存中）", render_form),
    Step("表格预览", preview_page),
    Step("加密备份并恢复", backup_and_restore),
    Step("封装并打开一个同步包", seal_and_open_package),
    Step("表格嵌入的字体", form_fonts),  # last: it adds a household the steps above do not expect
]


def _failure(exc: BaseException) -> str:
    # The self-test's data is made up, so the message may be shown; the position helps support.
    last = traceback.extract_tb(exc.__traceback__)[-1:] or None
    where = f"（{Path(last[0].filename).name}:{last[0].lineno}）" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run(steps: Sequence[Step] | None = None, out: TextIO | None = None) -> int:
    """Run ``steps`` (default: the core's), print one line per step; 0 if all passed, else 1."""
    out = out or sys.stdout
    steps = list(STEPS if steps is None else steps)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="fupin-selftest-") as tmp:
        ctx = Context(Path(tmp))
        try:
            for step in steps:
                started = time.perf_counter()
                try:
                    detail = step.run(ctx)
                    mark, text = OK_MARK, detail or ""
                except Exception as exc:  # noqa: BLE001 - every failure is reported, the rest still runs
                    failed += 1
                    mark, text = FAIL_MARK, _failure(exc)
                seconds = time.perf_counter() - started
                print(f"{mark} {step.title}（{seconds:.2f} 秒）" + (f"：{text}" if text else ""), file=out, flush=True)
        finally:
            if ctx.store is not None:
                ctx.store.close()
    if failed:
        print(f"自检未通过：{len(steps)} 项中有 {failed} 项出错。请把以上内容发给技术支持。", file=out)
        return 1
    print(f"自检通过：{len(steps)} 项全部正常。", file=out)
    return 0
