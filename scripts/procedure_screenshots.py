"""Screenshots of the monitoring procedure (issue 18) into docs/screenshots/: the editor's 监测程序 tab,
the household list filtered to 程序超期, and the dashboard's 待办/超期 figures.

    .venv/bin/python scripts/procedure_screenshots.py   (starts Xvfb itself when there is no display)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-password"

if not os.environ.get("DISPLAY") and not os.environ.get("FUPIN_SCREENSHOT_CHILD"):
    os.environ["FUPIN_SCREENSHOT_CHILD"] = "1"
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24", sys.executable, __file__]))

sys.path.insert(0, str(ROOT))

from fupin_desktop.demo import fill_store  # noqa: E402
from fupin_desktop.queries.search import SearchQuery, search_households  # noqa: E402
from fupin_desktop.services.checks import mark_store  # noqa: E402
from fupin_desktop.services.households import unit_of_work  # noqa: E402
from fupin_desktop.services.procedures import (  # noqa: E402
    add_warnings, close_procedure, dispose_warning, record_step, start_procedure,
)
from fupin_desktop.store.store import Store  # noqa: E402
from ui.app import FupinApp, install_cjk_font  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.qt import QApplication, QSettings, QTimer  # noqa: E402

TODAY = date.today()
DAY = {"申请": 0, "承诺授权": 0, "入户核实": 1, "民主评议": 3, "村内公示": 4, "乡镇审核": 10, "县级审定": 12}


def make_store(path: Path) -> list[str]:
    """A demo village where 24 households are somewhere in a procedure: done, on time, overdue."""
    store, _ = Store.create(path, village_code="520102003004", village_name="示范村", username="admin",
                            password=PASSWORD)
    with store:
        fill_store(store, 120, seed=3)
        with store.engine.connect() as conn:
            ids = search_households(conn, SearchQuery())[:24]
        with unit_of_work(store) as uow:
            for n, hid in enumerate(ids):
                kind = ("识别纳入", "风险消除", "退出")[n % 3]
                found = TODAY - timedelta(days=3 + 2 * n)
                pid = start_procedure(uow, hid, kind, found, channel="干部排查" if n % 2 else "农户自主申报",
                                      note="务工收入下降" if n % 2 else "因病支出增加")
                steps = ["申请", "承诺授权"] if kind == "识别纳入" else []
                steps += ["入户核实", "民主评议", "村内公示", "乡镇审核", "县级审定"][: n % 6]
                for step in steps:
                    extra = {"end_on": found + timedelta(days=9), "objections": "无"} if step == "村内公示" else {}
                    record_step(uow, pid, step, found + timedelta(days=DAY[step]),
                                result="同意" if DAY[step] > 1 else None, **extra)
                if "县级审定" in steps:
                    close_procedure(uow, pid, {"识别纳入": "纳入", "风险消除": "消除", "退出": "退出"}[kind])
            lists = (("医保", "年内个人自付医疗费用超过 2 万元", 12), ("住建", "房屋安全等级鉴定为 C 级", 4))
            warned = add_warnings(uow, [
                {"household_id": ids[9], "department": dept, "warning": what, "warned_on": TODAY - timedelta(days=days),
                 "received_on": TODAY - timedelta(days=days - 1), "source_file": f"{dept}预警名单.xlsx"}
                for dept, what, days in lists])
            dispose_warning(uow, warned[0], "核实不纳入", TODAY - timedelta(days=6), reason="医疗救助后自付低于标准")
        mark_store(store)
    return ids


def shoot(widget, name: str) -> None:
    QApplication.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"saved {OUT / name}.png", flush=True)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fupin-shots-"))
    ids = make_store(tmp / "store")
    app = QApplication([sys.argv[0]])
    install_cjk_font(app)
    fupin = FupinApp(app, tmp / "store")
    fupin.settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    fupin.start()
    steps = []

    def after(ms: int, fn) -> None:
        steps.append((ms, fn))

    def unlock() -> None:
        fupin.unlock_dialog.password.setText(PASSWORD)
        fupin.unlock_dialog.try_unlock()

    def overdue_list() -> None:
        fupin.window.move(0, 0)
        fupin.window.resize(1440, 860)
        fupin.window.apply_filter({"procedure": "超期"})

    def editor() -> None:
        fupin.window.open_household(ids[9])

    def editor_shot() -> None:
        ed = next(iter(fupin.window.editors.values()))
        ed.resize(1300, 760)
        ed.tabs.setCurrentWidget(ed.procedure_tab)

    def dashboard() -> None:
        fupin.window.show_dashboard()
        fupin.window.dashboard.resize(1200, 900)

    after(300, unlock)
    after(3000, overdue_list)
    after(2000, lambda: shoot(fupin.window, "procedure-overdue-list"))
    after(100, editor)
    after(2500, editor_shot)
    after(1500, lambda: shoot(next(iter(fupin.window.editors.values())), "procedure-tab"))
    after(200, dashboard)
    after(2500, lambda: shoot(fupin.window.dashboard, "procedure-dashboard"))
    after(200, app.quit)

    delay = 0
    for ms, fn in steps:
        delay += ms
        QTimer.singleShot(delay, fn)
    code = app.exec()
    if fupin.archive is not None:
        fupin.archive.close()
    hub().tasks.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
