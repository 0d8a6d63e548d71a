"""Opens every top-level window and dialog of ui/ on the screen Qt was started with and writes, per
window, its minimum size, size hint and where it lies against the screen's available area, as JSON.

Run by tests/test_ui_screens.py in a child process, because the screen is chosen when QApplication
starts: ``QT_QPA_PLATFORM=offscreen:configfile=<screens.json> python -m tests.screen_probe out.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from fupin_desktop.archive import Archive, WaitingDraft
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.keys import init_county
from fupin_desktop.demo import fill_store
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.services.checks import mark_store
from fupin_desktop.services.carry_over import Available
from fupin_desktop.settings import Settings
from fupin_desktop.store.store import Store
from fupin_desktop.tabular.exporter import export_xlsx
from ui.app import FupinApp, install_cjk_font
from ui.county.unlock import CountyUnlockDialog
from ui.county.window import CountyContext, CountyWindow
from ui.county.devices_tab import EnrollmentDialog
from ui.dashboard import Dashboard
from ui.drafts_dialog import DraftsDialog
from ui.editor.measures import MeasureDialog
from ui.editor.member_dialogs import LeaveDialog, MemberDialog
from ui.editor.responsible import AssignDialog
from ui.editor.carry_over import CarryOverDialog
from ui.editor.photos import PhotoViewer
from ui.editor.visits import VisitDialog
from ui.import_dialog import ImportDialog
from ui.leaving import HouseholdLeaveDialog
from ui.procedures import CloseDialog, DisposeDialog, NewProcedureDialog, StepDialog
from ui.sync.received_dialog import ReceivedDialog
from ui.users_dialog import UsersDialog
from ui.maintenance import RestoreDialog
from ui.messages import inform
from ui.print_dialog import PrintDialog
from ui.settings_dialog import SettingsDialog
from ui.setup_wizard import SetupWizard
from ui.sync.status_dialog import SyncStatusDialog
from ui.unlock import RecoveryDialog, UnlockDialog
from ui.operations import hub
from ui.qt import QApplication, QMessageBox, QSettings, QWidget

from .conftest import COUNTY_PASSPHRASE, PASSWORD, VILLAGE

YEAR = 2024


def settle(seconds: float = 0.3, until=lambda: True) -> None:
    end = time.monotonic() + 30
    start = time.monotonic()
    while time.monotonic() < end:
        QApplication.processEvents()
        if time.monotonic() - start >= seconds and hub().tasks.pending == 0 and until():
            return
        time.sleep(0.01)


def measure(name: str, window: QWidget) -> dict:
    if not window.isVisible():
        window.show()
    settle()
    area = window.screen().availableGeometry()
    frame, hint, least = window.frameGeometry(), window.minimumSizeHint(), window.minimumSize()
    return {"name": name, "class": type(window).__name__,
            "min_hint": [hint.width(), hint.height()], "min_size": [least.width(), least.height()],
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "area": [area.x(), area.y(), area.width(), area.height()],
            "maximised": bool(window.isMaximized())}


def main(out: Path) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fupin-screens-"))
    store = Store.create(tmp / "store", village_code=VILLAGE, village_name="示范村", username="admin",
                         password=PASSWORD)[0]
    fill_store(store, 12, seed=5)
    mark_store(store)
    app = QApplication([sys.argv[0]])
    install_cjk_font(app)
    fupin = FupinApp(app, tmp / "store")
    fupin.settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    results = []

    def probe(name: str, make) -> QWidget:
        window = make()
        results.append(measure(name, window))
        return window

    wizard = probe("setup wizard", lambda: SetupWizard(tmp / "new", on_created=lambda _a: None,
                                                       on_county=lambda *_a: None))
    wizard.close()
    unlock = probe("unlock", lambda: UnlockDialog(tmp / "store", fupin.settings, on_unlocked=lambda _a: None))
    probe("recovery", lambda: RecoveryDialog(tmp / "store", "admin", unlock)).close()
    unlock.close()
    probe("county unlock", lambda: CountyUnlockDialog("sqlite:///x.db", on_unlocked=lambda *_a: None)).close()

    archive = Archive(store)
    fupin.unlocked(archive)
    window = probe("main window", lambda: fupin.window)
    ids = archive.search(SearchQuery(year=YEAR))
    window.open_household(ids[0])
    editor = next(iter(window.editors.values()))
    settle(0.5, lambda: editor.loaded)
    results.append(measure("household editor", editor))
    member = editor.members.rows[0]
    probe("member details", lambda: MemberDialog(editor, member, YEAR)).close()
    probe("member leaves", lambda: LeaveDialog(editor, member)).close()
    probe("measure", lambda: MeasureDialog(editor, editor.measures.rows[0], YEAR, editor.member_choices())).close()
    probe("visit", lambda: VisitDialog(editor, [("h1", "李帮扶")])).close()
    probe("photo viewer", lambda: PhotoViewer(editor, [("a1", "照片.jpg")], 0, lambda _a, then: then(None))).close()
    offer = Available(YEAR - 1, {"income": 6, "conditions": 12, "guarantees": 5, "measures": 3},
                      {"income": 2, "conditions": 4, "guarantees": 0, "measures": 0})
    probe("carry over", lambda: CarryOverDialog(editor, offer, YEAR)).close()
    probe("new procedure", lambda: NewProcedureDialog(editor)).close()
    probe("procedure step", lambda: StepDialog(editor, "识别纳入", set())).close()
    probe("close procedure", lambda: CloseDialog(editor, "识别纳入")).close()
    probe("dispose warning", lambda: DisposeDialog(editor, {"department": "医保", "warned_on": "2026-11-02",
                                                            "warning": "年度个人自付医疗费用超过2万元"})).close()
    helpers = editor.archive.helpers()
    probe("assign helper", lambda: AssignDialog(editor, helpers)).close()
    probe("print", lambda: PrintDialog(archive, selected=ids[:1], query=SearchQuery(year=YEAR), year=YEAR,
                                       settings=fupin.settings, parent=window)).close()
    roster = tmp / "花名册.xlsx"
    export_xlsx(store, ids[:5], roster)
    dialog = probe("import", lambda: ImportDialog(archive, roster, settings=fupin.settings, parent=window))
    settle(0.5)
    dialog.close()
    probe("settings", lambda: SettingsDialog(Settings(), lambda _s: None, window)).close()
    probe("restore", lambda: RestoreDialog(window, fupin)).close()
    probe("dashboard", lambda: Dashboard(archive, YEAR, on_filter=lambda _f: None)).close()
    probe("sync status", lambda: SyncStatusDialog(archive, window)).close()
    probe("enrollment", lambda: EnrollmentDialog(window, server_url="")).close()
    probe("message", lambda: inform(window, "说明" * 200, "细节" * 50)).close()
    probe("users", lambda: UsersDialog(archive, window)).close()
    probe("received", lambda: ReceivedDialog(archive, window)).close()
    probe("household leaves", lambda: HouseholdLeaveDialog(window, archive, ids[0], "张三户")).close()
    drafts = [WaitingDraft(key=f"draft-{i}", household_id=i, label=f"第{n}户", saved_at="2026-12-07T08:00:00",
                           holds=["户信息", "成员 3 人", "收入 2 条"]) for n, i in enumerate(ids[:8])]
    probe("drafts", lambda: DraftsDialog(window, drafts, lambda _d: None, lambda _d: None)).close()
    editor.close()
    settle()

    county_url = f"sqlite:///{tmp / 'county.db'}"
    engine = open_county_db(county_url, COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    county = probe("county window", lambda: CountyWindow(CountyContext(engine, keys, fupin.settings, county_url)))
    settle(0.5)
    county.close()
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
    window.close()
    archive.close()
    engine.dispose()
    hub().tasks.shutdown()
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
