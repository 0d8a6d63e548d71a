"""Start the real app on a virtual screen with a demo store and save screenshots of the main window,
the household editor, the dashboard, the print dialog and the import preview into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py        (starts Xvfb itself when there is no display)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-password"

if not os.environ.get("DISPLAY") and not os.environ.get("FUPIN_SCREENSHOT_CHILD"):
    os.environ["FUPIN_SCREENSHOT_CHILD"] = "1"
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24", sys.executable, __file__]))

sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from fupin_desktop.demo import fill_store  # noqa: E402
from fupin_desktop.queries.search import SearchQuery, search_households  # noqa: E402
from fupin_desktop.services.checks import mark_store  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402
from fupin_desktop.tabular.exporter import export_xlsx  # noqa: E402
from fupin_desktop.validation.idnumber import make_id  # noqa: E402
from ui.app import FupinApp, install_cjk_font  # noqa: E402
from ui.import_dialog import ImportDialog  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.print_dialog import PrintDialog  # noqa: E402
from ui.qt import QApplication, QSettings, QTimer  # noqa: E402


def make_store(path: Path) -> None:
    store, _ = Store.create(path, village_code="520102003004", village_name="示范村", username="admin",
                            password=PASSWORD)
    with store:
        fill_store(store, 300, seed=3)
        mark_store(store)


def shoot(widget, name: str) -> None:
    QApplication.processEvents()
    image = widget.grab()  # the window as it is drawn on the virtual screen (Xvfb has no window frames)
    OUT.mkdir(parents=True, exist_ok=True)
    image.save(str(OUT / f"{name}.png"))
    print(f"saved {OUT / name}.png", flush=True)


def messy_roster(store: Store, path: Path) -> Path:
    """The demo village's roster as a cadre's file would come back: a title, an ID saved as a
    number, one in scientific notation, an impossible date, a changed phone, a new household."""
    with store.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
    export_xlsx(store, ids[:40], path)
    book = openpyxl.load_workbook(path)
    ws = book.active
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("证件号码", "出生日期", "成员联系电话", "户编号", "姓名",
                                                     "与户主关系")}
    ws.cell(4, col["证件号码"]).value = float(ws.cell(4, col["证件号码"]).value)
    ws.cell(9, col["证件号码"]).value = "5.20102E+17"
    ws.cell(15, col["出生日期"]).value = "2019.13.5"
    ws.cell(20, col["成员联系电话"]).value = "13900001111"
    last = [c.value for c in ws[ws.max_row]]
    for i, (name, relation) in enumerate((("杨新民", "户主"), ("刘芳", "配偶"))):
        row = list(last)
        row[col["户编号"] - 1] = "5201020030049999"
        row[col["姓名"] - 1], row[col["与户主关系"] - 1] = name, relation
        row[col["证件号码"] - 1] = make_id("520102", date(1982 + 2 * i, 3, 4), 11 + i)
        ws.append(row)
    ws.insert_rows(1)
    ws.cell(1, 1).value = "示范村建档立卡户花名册"
    book.save(path)
    return path


def import_preview(fupin, tmp: Path) -> None:
    path = messy_roster(fupin.archive.store, tmp / "示范村花名册.xlsx")
    fupin.import_dialog = ImportDialog(fupin.archive, path, settings=fupin.settings)
    fupin.import_dialog.move(60, 40)
    fupin.import_dialog.show()


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fupin-shots-"))
    make_store(tmp / "store")
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

    def main_window() -> None:
        fupin.window.move(0, 0)
        fupin.window.resize(1440, 900)
        fupin.window.search.setText("")

    def editor() -> None:
        with fupin.archive.store.engine.connect() as conn:
            with_errors = (search_households(conn, SearchQuery(has_errors=True))
                           or search_households(conn, SearchQuery()))
        fupin.window.open_household(with_errors[0])

    def editor_shot() -> None:
        ed = next(iter(fupin.window.editors.values()))
        ed.move(40, 20)
        ed.resize(1300, 860)
        shoot(ed, "household-editor")
        ed.close()

    def dashboard() -> None:
        fupin.window.show_dashboard()
        fupin.window.dashboard.move(60, 10)
        fupin.window.dashboard.resize(1200, 880)

    def print_dialog() -> None:
        fupin.window.table.selectRow(0)
        fupin.print_dialog = PrintDialog(fupin.archive, selected=fupin.window._selected_ids()[:1],
                                         query=fupin.window.query, year=fupin.window.year, settings=fupin.settings)
        fupin.print_dialog.form.setCurrentIndex(fupin.print_dialog.form.findData("card"))
        fupin.print_dialog.show()
        fupin.print_dialog.preview()

    after(300, unlock)
    after(3000, main_window)
    after(1500, lambda: shoot(fupin.window, "main-window"))
    after(100, editor)
    after(2500, editor_shot)
    after(500, dashboard)
    after(2500, lambda: shoot(fupin.window.dashboard, "dashboard"))
    after(200, print_dialog)
    after(3500, lambda: shoot(fupin.print_dialog, "print-dialog"))
    after(200, lambda: import_preview(fupin, tmp))
    after(3500, lambda: shoot(fupin.import_dialog, "import-preview"))
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
