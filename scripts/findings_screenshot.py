"""The household editor of a new four-member household as typed in a hurry (a wrong check digit, a
birth date against the ID, a daughter marked male, most fields blank), with its findings panel, at
1366×768: docs/screenshots/editor-findings.png.

    DISPLAY=:13 .venv/bin/python scripts/findings_screenshot.py     (or QT_QPA_PLATFORM=offscreen)
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

from fupin_desktop.archive import Archive  # noqa: E402
from fupin_desktop.bundle import HouseholdData, MemberData  # noqa: E402
from fupin_desktop.services.households import create_households, unit_of_work  # noqa: E402
from fupin_desktop.store.store import Store  # noqa: E402
from fupin_desktop.validation.idnumber import make_id  # noqa: E402
from ui.app import install_cjk_font  # noqa: E402
from ui.editor import HouseholdEditor  # noqa: E402
from ui.operations import hub  # noqa: E402
from ui.qt import QApplication, QImage, Qt  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "editor-findings.png"


def person(name: str, relation: str, born: date, gender: str, seq: int, id_no: str) -> MemberData:
    return MemberData(fields={"name": name, "relation": relation, "gender": gender, "birth_date": born,
                              "id_type": "身份证", "id_no": id_no, "seq": seq})


def hurried_household() -> HouseholdData:
    wife = make_id("520102", date(1970, 7, 9), 22)
    return HouseholdData(fields={"village_code": "520102003004", "group_name": "第二组"}, members=[
        person("王大山", "户主", date(1968, 2, 3), "男", 1, make_id("520102", date(1968, 2, 3), 11)),
        person("刘桂花", "配偶", date(1970, 7, 9), "女", 2, wife[:17] + ("0" if wife[17] != "0" else "1")),
        person("王小丫", "之女", date(2001, 11, 30), "男", 3, make_id("520102", date(2001, 11, 30), 32)),
        person("王小虎", "之子", date(2006, 3, 4), "男", 4, make_id("520102", date(2005, 3, 4), 41)),
    ])


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    install_cjk_font(app)
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = Store.create(Path(tmp) / "store", village_code="520102003004", village_name="示范村",
                                username="admin", password="demo-password")
        with store:
            household = hurried_household()
            with unit_of_work(store) as uow:
                (hh_id,) = create_households(uow, [household])
            editor = HouseholdEditor(Archive(store), hh_id, year=date.today().year)
            editor.resize(1366, 768)
            editor.show()
            while not editor.loaded or hub().tasks.pending:
                app.processEvents()
            editor.check_now()
            editor.focus_findings()
            app.processEvents()
            OUT.parent.mkdir(parents=True, exist_ok=True)
            # 256 colours keep the picture under the repository's 200 KB for screenshots.
            editor.grab().toImage().convertToFormat(
                QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither).save(str(OUT))
            print(f"saved {OUT}")
            editor.gone = True
            editor.deleteLater()
            hub().tasks.shutdown()


if __name__ == "__main__":
    main()
