"""The import dialog on a national-style 户/人 workbook (income as one column per item, causes
typed in people's own words): 未导入的列, the values not in the code table mapped in the dialog
(缺钱 → 缺资金, 没路 kept as typed) and the dry run after the mapping, at 1366×768:
docs/screenshots/import-values.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/import_values_screenshot.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")  # a throwaway store
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")

import openpyxl  # noqa: E402

from fupin_desktop.archive import Archive  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402
from fupin_desktop.validation.idnumber import make_id  # noqa: E402
from ui.app import install_cjk_font  # noqa: E402
from ui.import_dialog import ImportDialog  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.qt import QApplication, QImage, QPushButton, QSettings, Qt  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "import-values.png"
CAUSES = ("缺钱", "缺技术", "因病", "缺 钱", "没路", "缺劳动力", "2", "缺钱")


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    households = book.active
    households.title = "户"
    households.append(["2025年度脱贫户家庭情况"])
    households.merge_cells("A1:N1")
    households.append(["户编号", "户主姓名", "户主证件号码", "主要致贫原因", "工资性收入", "务工收入", "公益性岗位工资",
                       "种植业收入", "低保金", "养老金", "生产经营性支出", "家庭年纯收入", "扶贫小额信贷收入"])
    people = book.create_sheet("人")
    people.append(["户编号", "姓名", "证件号码", "与户主关系", "性别"])
    for n, cause in enumerate(CAUSES, start=1):
        number, head = f"52010200300{n:04d}", make_id("520102", date(1960 + n, 3, 5), 11 + 2 * n)
        wage = 20000 if n != 3 else 12000
        households.append([number, f"王{n}", head, cause, wage, 18000, 2000, 3000 * n, None, 800, 1000, None, None])
        people.append([number, f"王{n}", head, "户主", "男"])
        people.append([number, f"李{n}", make_id("520102", date(1962 + n, 6, 1), 22 + 2 * n), "配偶", "女"])
    book.save(path)
    return path


def wait(app: QApplication) -> None:
    app.processEvents()
    while hub().tasks.pending:
        app.processEvents()
    app.processEvents()


def choose(dialog: ImportDialog, typed: str, target: str) -> None:
    row = next(r for r in range(dialog.values.rowCount()) if dialog.values.item(r, 1).text() == typed)
    combo = dialog.values.cellWidget(row, 3)
    combo.setCurrentIndex(combo.findText(target))


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    install_cjk_font(app)
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = Store.create(Path(tmp) / "store", village_code="520102003004", village_name="示范村",
                                username="admin", password="demo-password")
        with store:
            settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
            dialog = ImportDialog(Archive(store), workbook(Path(tmp) / "脱贫户台账.xlsx"), settings=settings)
            dialog.resize(1366, 768)
            dialog.show()
            wait(app)
            choose(dialog, "缺钱", "缺资金")
            choose(dialog, "没路", "保留原值（逐行标出，仍由检查判断）")
            dialog.findChild(QPushButton, "importRecheck").click()
            wait(app)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            # 256 colours keep the picture under the repository's 200 KB for screenshots.
            dialog.grab().toImage().convertToFormat(
                QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither).save(str(OUT))
            print(f"saved {OUT}")
            dialog.deleteLater()
            hub().tasks.shutdown()


if __name__ == "__main__":
    main()
