"""The county workspace (pytest-qt, offscreen) over a real SQLite county database and real village stores."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from datetime import date

from PySide6.QtCore import QMimeData, QPointF, QUrl
from PySide6.QtGui import QDropEvent

from fupin_desktop.county.bundles import village_households
from fupin_desktop.county.conflicts import list_conflicts
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.devices import issue_enrollment, list_devices
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.sync.enrollment import read_enrollment
from fupin_desktop.sync.status import sync_status
from ui import messages
from ui.app import FupinApp, install_cjk_font
from ui.county.window import CountyContext, CountyWindow
from ui.operations import hub
from ui.qt import QApplication, QSettings, Qt, QWizard

from .conftest import COUNTY_PASSPHRASE, PASSWORD
from .sync_support import add_household, copy_records, edit, export, import_all, make_device, record


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: not hub().busy(), timeout=20_000)


@pytest.fixture
def county_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'county.db'}"


@pytest.fixture
def sqlite_county(county_url):
    engine = open_county_db(county_url, COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    yield engine, keys
    engine.dispose()


@pytest.fixture
def device(tmp_path, sqlite_county):
    store = make_device(tmp_path, "一号机", *sqlite_county)
    yield store
    store.close()


@pytest.fixture
def open_window(qtbot, tmp_path, sqlite_county, county_url):
    install_cjk_font(QApplication.instance())
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    windows = []

    def make() -> CountyWindow:
        win = CountyWindow(CountyContext(*sqlite_county, settings, county_url))
        qtbot.addWidget(win)
        win.show()
        idle(qtbot)
        windows.append(win)
        return win

    yield make
    for box in messages.open_boxes():
        box.close()


def drop(win: CountyWindow, paths: list[Path]) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    win.dropEvent(event)


def test_dropping_a_usb_folder_imports_it_and_shows_the_report(qtbot, tmp_path, open_window, device, monkeypatch):
    hh = add_household(device)
    usb = tmp_path / "usb"
    export(device, usb)
    edit(device, hh, phone="13900000001")
    export(device, usb)
    (usb / "zz-damaged.fupinpkg").write_bytes(b"FUPIN not really a package")
    win = open_window()
    tab = win.import_tab
    tab.write_acks.setChecked(True)
    tab.ack_folder.setText(str(tmp_path / "acks"))
    drop(win, [usb])
    idle(qtbot)
    assert win.tabs.currentWidget() is tab
    assert tab.tree.topLevelItemCount() == 3
    results = [tab.tree.topLevelItem(i).text(1) for i in range(3)]
    assert results == ["已导入", "已导入", "被拒绝"]
    first = tab.tree.topLevelItem(0)
    assert first.text(2) == "520102003004" and first.text(3) == "一号机" and int(first.text(5)) > 0
    damaged = tab.tree.topLevelItem(2)
    assert damaged.childCount() >= 1 and damaged.child(0).text(0).startswith("[")
    assert "共 3 个包" in tab.summary.text() and "拒绝 1" in tab.summary.text()
    assert "已写回执 1 份" in tab.summary.text() and "拔出U盘前请先" in tab.summary.text()
    assert len(list((tmp_path / "acks").glob("*.fupinack"))) == 1
    assert record(win.ctx.engine, "household", hh)["phone"] == "13900000001"
    # The figures follow the import.
    idle(qtbot)
    figures = win.figures_tab
    assert figures.stats["households"] == 1
    assert "全县 1 户" in figures.summary.text()
    township = figures.tree.topLevelItem(0)
    assert township.text(0) == "乡镇 520102003" and township.text(1) == "1"
    assert township.child(0).text(0) == "村 520102003004" and int(township.child(0).text(2)) == 3
    # A roster printed from county records (no village store involved).
    figures.tree.setCurrentItem(township.child(0))
    out = tmp_path / "roster.pdf"
    monkeypatch.setattr(messages, "choose_save", lambda *a: out)
    figures.print_roster()
    idle(qtbot)
    assert out.read_bytes().startswith(b"%PDF")
    assert any("520102003004 的花名册：1 户" in b.text() for b in messages.open_boxes())


def test_roster_bundles_from_county_records(tmp_path, device, sqlite_county):
    engine, keys = sqlite_county
    hh = add_household(device)
    import_all(engine, keys, export(device, tmp_path / "a"))
    [bundle] = village_households(engine, "520102003004")
    assert bundle.id == hh and bundle.head().fields["name"] == "张三"
    assert isinstance(bundle.head().fields["birth_date"], date)  # typed again, as the forms expect
    assert [m.fields["seq"] for m in bundle.members] == [1, 2, 3]
    assert village_households(engine, "520102003005") == []


def test_choosing_a_folder_without_packages_says_so(qtbot, tmp_path, open_window, monkeypatch):
    win = open_window()
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(messages, "choose_folder", lambda *a: empty)
    win.import_tab._choose_folder()
    assert any("没有找到变更包" in b.text() for b in messages.open_boxes())
    assert win.import_tab.tree.topLevelItemCount() == 0


def test_held_package_is_listed_and_released_after_confirmation(qtbot, tmp_path, open_window, device, sqlite_county,
                                                                monkeypatch):
    engine, keys = sqlite_county
    hh = add_household(device)
    [p1] = export(device, tmp_path / "a")
    edit(device, hh, phone="13900000001")
    export(device, tmp_path / "b")
    edit(device, hh, address="第二组8号")
    p3 = export(device, tmp_path / "c")[-1]
    import_file(engine, keys, p1)
    assert import_file(engine, keys, p3)[0].status == "held"
    win = open_window()
    held = win.held_tab
    assert held.table.rowCount() == 1 and held.table.item(0, 2).text() == "第 3 包"
    assert held.table.item(0, 6).text() == "第 2 包"
    assert win.tabs.tabText(1) == "暂存（1）"
    held.table.selectRow(0)
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: False)
    held.release_selected()
    idle(qtbot)
    assert held.table.rowCount() == 1  # not confirmed: nothing happened
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    held.release_selected()
    idle(qtbot)
    assert held.table.rowCount() == 0 and win.tabs.tabText(1) == "暂存"
    assert record(engine, "household", hh)["address"] == "第二组8号"
    assert any("已导入" in b.text() for b in messages.open_boxes())


def test_conflict_side_by_side_and_keep_the_new_value(qtbot, tmp_path, open_window, device, sqlite_county):
    engine, keys = sqlite_county
    hh = add_household(device)
    import_all(engine, keys, export(device, tmp_path / "a"))
    second = make_device(tmp_path, "二号机", engine, keys)
    try:
        copy_records(device, second)
        edit(device, hh, phone="13900000001")
        edit(second, hh, phone="13700000002")
        import_all(engine, keys, export(device, tmp_path / "b"))
        import_all(engine, keys, export(second, tmp_path / "c"))
    finally:
        second.close()
    win = open_window()
    tab = win.conflicts_tab
    assert tab.table.rowCount() == 1 and win.tabs.tabText(2) == "冲突（1）"
    assert tab.county_value.text() == "13900000001" and tab.county_device.text() == "来自：一号机"
    assert tab.incoming_value.text() == "13700000002" and tab.incoming_device.text() == "来自：二号机"
    assert "联系电话" in tab.field_label.text() and "张三（5201020030040001）" in tab.field_label.text()
    assert tab.table.item(0, 2).text() == "张三（5201020030040001）"
    qtbot.mouseClick(tab.keep_incoming, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert record(engine, "household", hh)["phone"] == "13700000002"
    assert list_conflicts(engine) == []
    assert tab.table.rowCount() == 0 and not tab.keep_county.isEnabled()
    assert "保留“13700000002”" in tab.result_label.text()
    [decided] = list_conflicts(engine, status="all")
    assert decided["decided_value"] == "13700000002"


def test_devices_revoke_after_confirmation_and_issue_enrollment(qtbot, tmp_path, open_window, device, sqlite_county,
                                                                monkeypatch):
    engine, keys = sqlite_county
    add_household(device)
    import_all(engine, keys, export(device, tmp_path / "a"))
    win = open_window()
    tab = win.devices_tab
    assert tab.table.rowCount() == 1 and tab.table.item(0, 2).text() == "一号机"
    assert tab.table.item(0, 3).text() == "正常" and tab.table.item(0, 5).text() != "—"
    tab.table.selectRow(0)
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    tab.revoke_selected()
    idle(qtbot)
    assert list_devices(engine)[0]["status"] == "revoked"
    assert tab.table.item(0, 3).text() == "已注销"

    out = tmp_path / "new.fupinenroll"
    tab.issue_to({"village_code": "520102003005", "label": "邻村笔记本", "server_url": "http://county:8000",
                  "days": 10}, out)
    idle(qtbot)
    e = read_enrollment(out)
    assert e.village_code == "520102003005" and e.server_url == "http://county:8000"
    assert win.ctx.settings.value("county/server_url") == "http://county:8000"
    tab.issue_to({"village_code": "123", "label": "x", "server_url": "", "days": 10}, tmp_path / "bad.fupinenroll")
    idle(qtbot)
    assert not (tmp_path / "bad.fupinenroll").exists()


@pytest.fixture
def app(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("ui.app.QSettings", lambda *a: QSettings(str(tmp_path / "settings.ini"),
                                                                QSettings.Format.IniFormat))
    install_cjk_font(QApplication.instance())
    apps = []

    def make() -> FupinApp:
        fupin = FupinApp(QApplication.instance(), tmp_path / "store")
        apps.append(fupin)
        return fupin

    yield make
    for fupin in apps:
        if fupin.county_window is not None:
            fupin.county_window.close()
            fupin.county_window.ctx.engine.dispose()


def test_county_role_in_the_wizard_then_passphrase_on_the_next_start(qtbot, tmp_path, app):
    url = f"sqlite:///{tmp_path / 'new-county.db'}"
    fupin = app()
    fupin.start()
    wizard = fupin.wizard
    qtbot.addWidget(wizard)
    assert wizard.role.county.isEnabled()
    wizard.role.county.setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.county
    page = wizard.county
    page.url.setText(url)
    page.name.insert("示范县")
    page.password.setText(COUNTY_PASSPHRASE)
    assert not page.isComplete()
    page.again.setText(COUNTY_PASSPHRASE)
    assert page.isComplete()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: fupin.county_window is not None, timeout=20_000)
    assert "示范县" in fupin.county_window.windowTitle()
    assert fupin.settings.value("county/db_url") == url
    assert COUNTY_PASSPHRASE not in (tmp_path / "settings.ini").read_text("utf-8")
    fupin.county_window.close()
    fupin.county_window.ctx.engine.dispose()
    fupin.county_window = None

    again = app()
    again.start()
    dialog = again.unlock_dialog
    qtbot.addWidget(dialog)
    assert dialog.url.text() == url
    dialog.password.setText("wrong-passphrase")
    dialog.try_unlock()
    qtbot.waitUntil(lambda: "口令不正确" in dialog.status.text(), timeout=20_000)
    dialog.password.setText(COUNTY_PASSPHRASE)
    dialog.try_unlock()
    qtbot.waitUntil(lambda: again.county_window is not None, timeout=20_000)
    idle(qtbot)
    assert "示范县" in again.county_window.windowTitle()
    again.lock()  # idle time or the lock button: the keys are dropped, the passphrase is asked again
    assert again.county_window is None and again.unlock_dialog.isVisible()
    idle(qtbot)


def test_village_wizard_optional_enrollment_step(qtbot, tmp_path, app, sqlite_county):
    engine, keys = sqlite_county
    enrollment = tmp_path / "village.fupinenroll"
    issue_enrollment(engine, keys, village_code="520102003004", label="示范村笔记本", out=enrollment)
    fupin = app()
    fupin.start()
    wizard = fupin.wizard
    qtbot.addWidget(wizard)
    wizard.next()
    wizard.village.code.setText("520102003004")
    wizard.village.name.insert("示范村")
    wizard.next()
    wizard.user.password.setText(PASSWORD)
    wizard.user.again.setText(PASSWORD)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery, timeout=20_000)
    wizard.recovery.confirm.setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.enroll
    wizard.enroll.enroll_file(enrollment)
    qtbot.waitUntil(lambda: "示范村笔记本" in wizard.enroll.result.text(), timeout=20_000)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: fupin.window is not None, timeout=20_000)
    idle(qtbot)
    assert sync_status(fupin.archive.store)["county"]["name"] == "测试县"
    fupin.window.close()
    fupin.archive.close()
    fupin.archive = None
