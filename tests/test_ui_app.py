"""The desktop app driven like a person would (pytest-qt, offscreen): set-up, lock, unlock, search."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.paths import resources_dir
from ui.app import ICON, FupinApp, install_cjk_font, install_icon
from ui.operations import hub
from PySide6.QtGui import QImageReader
from ui.qt import QApplication, QSettings, Qt, QWizard

from .conftest import PASSWORD


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)


@pytest.fixture
def app(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("ui.app.QSettings", lambda *a: QSettings(str(tmp_path / "settings.ini"),
                                                                QSettings.Format.IniFormat))
    install_cjk_font(QApplication.instance())
    fupin = FupinApp(QApplication.instance(), tmp_path / "store")
    yield fupin
    if fupin.window is not None:
        fupin.window.close()
    if fupin.archive is not None:
        fupin.archive.close()
    fupin.release_store()


def run_wizard(qtbot, fupin) -> None:
    fupin.start()
    wizard = fupin.wizard
    qtbot.addWidget(wizard)
    wizard.next()  # role
    qtbot.keyClicks(wizard.village.code, "520102003004")
    wizard.village.name.insert("示范村")  # QTest can only type ASCII; an IME would insert Chinese
    wizard.next()
    wizard.user.user.setText("admin")
    qtbot.keyClicks(wizard.user.password, PASSWORD)
    assert not wizard.user.isComplete()
    qtbot.keyClicks(wizard.user.again, PASSWORD)
    assert wizard.user.isComplete()
    assert wizard.user.strength.text()
    wizard.next()  # creates the store on the worker thread, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery, timeout=20_000)
    code = wizard.recovery.code.text()
    assert len(code.replace("-", "")) == 24
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    wizard.recovery.confirm.setChecked(True)
    wizard.next()  # the optional enrollment step
    assert wizard.currentPage() is wizard.enroll
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: fupin.window is not None)
    return code


def test_setup_wizard_then_lock_and_unlock(qtbot, app):
    run_wizard(qtbot, app)
    window = app.window
    idle(qtbot)
    assert "示范村" in window.windowTitle()
    assert window.count_label.text() == "共 0 户"

    app.lock()
    assert app.archive is None and app.window is None
    dialog = app.unlock_dialog
    qtbot.keyClicks(dialog.password, "wrong-password")
    dialog.unlock_button.click()
    qtbot.waitUntil(lambda: "密码不正确" in dialog.status.text(), timeout=20_000)
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window is not None, timeout=20_000)
    idle(qtbot)


def test_idle_time_locks(qtbot, app):
    run_wizard(qtbot, app)
    idle(qtbot)
    app.idle.timer.setInterval(50)
    app.idle.timer.start()
    qtbot.waitUntil(lambda: app.archive is None, timeout=5_000)
    assert app.unlock_dialog.isVisible()


def test_a_second_copy_on_the_same_store_is_refused_saying_who_has_it(qtbot, app, other_copy, new_store):
    new_store.close()
    app.start()
    assert app.unlock_dialog is None and app.store_lock is None
    text = app.refusal.text() + app.refusal.informativeText()
    assert f"进程 {other_copy.pid}" in text and "另一个扶贫档案窗口" in text
    app.refusal.finished.disconnect()  # in the app its closing ends the program
    app.refusal.done(0)


def test_every_window_carries_the_program_icon(app, qtbot):
    """The .ico (scripts/make_icon.py; the .exe's icon on Windows) holds every size Windows asks for, and
    the unlock or set-up window shows it (title bar, taskbar, Alt+Tab)."""
    reader = QImageReader(str(resources_dir() / ICON))
    sizes = set()
    for i in range(reader.imageCount()):
        reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull() and image.width() == image.height()
        sizes.add(image.width())
    assert {16, 24, 32, 48, 256} <= sizes
    qt_app = QApplication.instance()
    before = qt_app.windowIcon()
    try:
        icon = install_icon(qt_app)
        assert {16, 256} <= {s.width() for s in icon.availableSizes()}
        app.start()
        first = app.wizard  # no store yet: the set-up wizard is the first window
        qtbot.addWidget(first)
        assert first.isWindow() and first.windowIcon().cacheKey() == qt_app.windowIcon().cacheKey() == icon.cacheKey()
    finally:
        qt_app.setWindowIcon(before)
