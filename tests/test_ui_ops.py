"""The desktop app's housekeeping, with real widgets (offscreen): crash handling keeps the draft and
the editor, the settings dialog, the backup warning, restoring from a backup, diagnostics."""

from __future__ import annotations

import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from sqlalchemy import func, select

from fupin_desktop.archive import Archive
from fupin_desktop.drafts import read_draft
from fupin_desktop.fonts import cjk_font_candidates, use_font_file
from fupin_desktop.forms.fonts import form_font
from fupin_desktop.logs import log_files, setup_logging
from fupin_desktop.model import Household
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.settings import Settings, for_store
from fupin_desktop.store.backups import auto_backup
from ui import maintenance
from ui.app import FupinApp, install_cjk_font
from ui.crash import CrashHandler
from ui.editor import HouseholdEditor
from ui.operations import Op, hub
from ui.qt import QApplication, QLineEdit, QMessageBox, QSettings, QTimer

from . import factories
from .conftest import PASSWORD


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)


def boxes(name: str) -> list:
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()]


def add(store, n: int, start: int = 0) -> list[str]:
    with unit_of_work(store) as uow:
        return create_households(uow, [factories.household(f"户主{start + i}", hh_no=f"52010200300{start + i:05d}")
                                       for i in range(n)])


def count(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Household)).scalar_one()


@pytest.fixture
def crash(qapp):
    setup_logging()  # as ui.app.main does
    handler = CrashHandler().install()
    yield handler
    handler.uninstall()
    for box in boxes("errorBox"):
        box.close()


@pytest.fixture
def fupin(qtbot, tmp_path, monkeypatch, new_store):
    monkeypatch.setattr("ui.app.QSettings", lambda *a: QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    install_cjk_font(QApplication.instance())
    app = FupinApp(QApplication.instance(), new_store.path)
    yield app
    idle(qtbot)
    if app.window is not None:
        app.window.close()
    if app.archive is not None:
        app.archive.close()
    if app.unlock_dialog is not None:
        app.unlock_dialog.close()


def test_an_unexpected_error_shows_one_dialog_keeps_the_draft_and_the_editor(qtbot, new_store, crash):
    secret_id = "52010219700506123X"
    (hh_id,) = add(new_store, 1)
    editor = HouseholdEditor(Archive(new_store), hh_id, year=2024)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.loaded, timeout=20_000)
    address = editor.findChild(QLineEdit, "address")
    address.setFocus()
    address.setText("出错前录入的地址")

    def broken() -> None:
        raise ValueError(f"cannot handle {secret_id}")

    QTimer.singleShot(0, broken)  # an error in a slot, as a bug in a button handler would be
    qtbot.waitUntil(lambda: len(boxes("errorBox")) == 1, timeout=10_000)
    QTimer.singleShot(0, broken)  # the same bug again: counted, not a second dialog
    thread = threading.Thread(target=broken)  # and once in another thread
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: crash.count == 3, timeout=10_000)
    idle(qtbot)
    box = boxes("errorBox")
    assert len(box) == 1 and box[0].text().startswith("程序遇到了意外错误")
    assert "草稿" in box[0].informativeText() and "导出诊断信息" in box[0].informativeText()
    assert editor.isVisible() and not editor.gone  # the editor stays open with what was typed
    assert address.text() == "出错前录入的地址"
    with new_store.engine.connect() as conn:
        assert "出错前录入的地址" in read_draft(conn, "draft:" + hh_id)
    log = "".join(p.read_text("utf-8") for p in log_files())
    assert "uncaught ValueError at test_ui_ops.py" in log and secret_id not in log and "cannot handle" not in log
    qtbot.addWidget(box[0])
    box[0].grab().save(str(editor.archive.store.path.parent / "crash.png"))


def test_settings_dialog_saves_per_user_and_refuses_bad_values(qtbot, fupin, new_store, tmp_path):
    fupin.unlocked(Archive(new_store))
    idle(qtbot)
    fupin.edit_settings()
    dialog = fupin.settings_dialog
    qtbot.addWidget(dialog)
    dialog.autolock.setValue(2)
    dialog.backup_dir.setText(str(tmp_path / "usb"))
    dialog.font_path.setText(str(tmp_path / "missing.ttf"))
    dialog.save()
    assert "找不到字体文件" in dialog.problems.text() and dialog.isVisible()
    assert for_store(new_store) == Settings()  # nothing saved
    dialog.font_path.clear()
    dialog.save()
    assert not dialog.isVisible()
    saved = for_store(new_store)
    assert saved.autolock_minutes == 2 and saved.backup_dir == str(tmp_path / "usb")
    assert fupin.idle.timer.interval() == 2 * 60_000  # in force at once


def test_unlock_with_an_old_backup_makes_todays_and_an_unusable_folder_warns(qtbot, fupin, new_store, tmp_path):
    auto_backup(new_store, "daily", now=datetime.now() - timedelta(days=10))
    seen = []
    monkeypatch_refresh = maintenance.refresh_backup_state

    def refresh(window, app):  # the result of the day's backup arrives on the GUI thread
        seen.append(threading.current_thread() is threading.main_thread())
        monkeypatch_refresh(window, app)

    maintenance.refresh_backup_state = refresh
    try:
        fupin.unlocked(Archive(new_store))
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=20_000)
    finally:
        maintenance.refresh_backup_state = monkeypatch_refresh
    assert all(seen)
    idle(qtbot)
    label = fupin.window.backup_label
    qtbot.waitUntil(lambda: label.text().startswith("上次备份：") and "red" not in label.styleSheet()
                    and "b00020" not in label.styleSheet(), timeout=10_000)
    assert len(list((new_store.path / "backups").glob("*-daily-*.fupinbak"))) == 2

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    fupin.prefs = Settings(backup_dir=str(blocker / "sub"))
    maintenance.refresh_backup_state(fupin.window, fupin)
    idle(qtbot)
    assert "b00020" in label.styleSheet() and "还没有备份" in label.text()


def test_restore_from_the_ui_gives_the_backups_records(qtbot, fupin, new_store, monkeypatch):
    add(new_store, 2)
    auto_backup(new_store, "manual")
    add(new_store, 1, start=10)
    fupin.unlocked(Archive(new_store))
    idle(qtbot)
    dialog = maintenance.RestoreDialog(fupin.window, fupin)
    qtbot.addWidget(dialog)
    manual = [dialog.list.item(i).text() for i in range(dialog.list.count()) if "手动" in dialog.list.item(i).text()]
    assert manual
    dialog.list.setCurrentRow([dialog.list.item(i).text() for i in range(dialog.list.count())].index(manual[0]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog._restore()
    idle(qtbot)
    assert fupin.archive is None and boxes("restoredBox")
    unlock = fupin.unlock_dialog
    unlock.user.setText("admin")
    qtbot.keyClicks(unlock.password, PASSWORD)
    unlock.unlock_button.click()
    qtbot.waitUntil(lambda: fupin.window is not None, timeout=20_000)
    idle(qtbot)
    assert count(fupin.archive.store) == 2
    kept = [p for p in new_store.path.parent.iterdir() if ".恢复前-" in p.name]
    assert len(kept) == 1
    for box in boxes("restoredBox"):
        box.close()


def test_export_diagnostics_from_the_menu(qtbot, fupin, new_store, tmp_path, monkeypatch):
    fupin.unlocked(Archive(new_store))
    idle(qtbot)
    out = tmp_path / "diag.zip"
    monkeypatch.setattr(maintenance.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    action = next(a for a in fupin.window.tools_menu.actions() if a.text() == "导出诊断信息…")
    action.trigger()
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(boxes("diagnosticsBox")), timeout=10_000)
    with zipfile.ZipFile(out) as zf:
        assert '"qt": "6.' in zf.read("versions.json").decode("utf-8")
    for box in boxes("diagnosticsBox"):
        box.close()


def test_an_unexpected_error_in_an_op_also_keeps_the_draft(qtbot, new_store, crash):
    (hh_id,) = add(new_store, 1)
    editor = HouseholdEditor(Archive(new_store), hh_id, year=2024)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.loaded, timeout=20_000)
    editor.findChild(QLineEdit, "address").setText("后台出错前的地址")

    def broken_work() -> None:
        raise RuntimeError("worker bug")

    Op(editor, broken_work).run()  # no failure handler: the one presenter shows it
    qtbot.waitUntil(lambda: len(boxes("errorBox")) == 1, timeout=10_000)
    idle(qtbot)
    with new_store.engine.connect() as conn:
        assert "后台出错前的地址" in read_draft(conn, "draft:" + hh_id)
    assert editor.isVisible()


def test_a_font_chosen_in_the_settings_is_used_by_the_ui_and_the_forms(qtbot, fupin, new_store):
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not Path(wqy).is_file():
        pytest.skip("needs WenQuanYi Micro Hei (scripts/bootstrap.sh installs it)")
    try:
        fupin.unlocked(Archive(new_store))
        idle(qtbot)
        fupin.edit_settings()
        fupin.settings_dialog.font_path.setText(wqy)
        fupin.settings_dialog.save()
        idle(qtbot)
        assert QApplication.instance().font().family() == "WenQuanYi Micro Hei"
        assert str(cjk_font_candidates()[0]) == wqy
        assert form_font().path is not None and str(form_font().path) == wqy
    finally:
        use_font_file(None)
        form_font(refresh=True)
        install_cjk_font(QApplication.instance())
