"""The 同步 menu of the main window (pytest-qt, offscreen) against a real store and a real SQLite county."""

from __future__ import annotations

import socket
import threading

import pytest

pytest.importorskip("pytestqt")

from dataclasses import replace

import uvicorn

from fupin_desktop import paths
from fupin_desktop.county.acks import write_acks
from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.devices import issue_enrollment
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import init_county
from fupin_desktop.archive import Archive, OpChanges
from fupin_desktop.county.server import create_app
from fupin_desktop.settings import for_store, save_settings
from fupin_desktop.store.store import Store
from fupin_desktop.sync.status import sync_status
from ui import messages
from ui.app import install_cjk_font
from ui.main_window import MainWindow
from ui.operations import hub
from ui.qt import QApplication, QMessageBox, QSettings
from ui.sync import controller

from .conftest import COUNTY_PASSPHRASE, PASSWORD
from .sync_support import add_household, make_device, states


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: not hub().busy(), timeout=20_000)


@pytest.fixture
def sqlite_county(tmp_path):
    engine = open_county_db(f"sqlite:///{tmp_path / 'county.db'}", COUNTY_PASSPHRASE)
    keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
    yield engine, keys
    engine.dispose()


@pytest.fixture
def device(tmp_path, sqlite_county):
    engine, keys = sqlite_county
    store = make_device(tmp_path, "一号机", engine, keys)
    yield store
    store.close()


@pytest.fixture
def window(qtbot, tmp_path, device):
    install_cjk_font(QApplication.instance())
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(Archive(device), settings=settings, on_lock=lambda: None)
    qtbot.addWidget(win)
    win.show()
    idle(qtbot)
    yield win
    for box in messages.open_boxes():
        box.close()


def trigger(win: MainWindow, text: str) -> None:
    [act] = [a for a in win.sync.menu.actions() if a.text() == text]
    act.trigger()


def info_texts() -> list[str]:
    return [b.text() for b in messages.open_boxes()]


def sync_cell(qtbot, win: MainWindow, row: int = 0) -> str:
    """The 同步 cell as it reads once the worker has filled it in (it is read after the row)."""
    col = [c.key for c in win.model.columns].index("sync_state")
    win.model.data(win.model.index(row, 0))
    qtbot.waitUntil(lambda: win.model.state_known(row), timeout=10_000)
    return win.model.data(win.model.index(row, col))


def test_export_to_usb_then_acknowledgment_confirms_the_households(qtbot, tmp_path, window, device, sqlite_county,
                                                                   monkeypatch):
    engine, keys = sqlite_county
    monkeypatch.setattr(paths, "PLATFORM", "win32")  # the advice in Windows' words
    add_household(device)
    window.run_search()
    window.refresh_tree()
    idle(qtbot)
    assert sync_cell(qtbot, window) == "未发送"
    assert "未发送 " in window.pending_label.text() and "未发送 0" not in window.pending_label.text()

    usb = tmp_path / "usb"
    monkeypatch.setattr(messages, "choose_folder", lambda *a: usb)
    trigger(window, "导出到U盘…")
    idle(qtbot)
    [package] = list(usb.glob("*.fupinpkg"))
    [box] = [b for b in messages.open_boxes() if "已写入并校验 1 个变更包" in b.text()]
    assert "请先安全弹出U盘再拔" in box.text() and "安全删除硬件并弹出媒体" in box.informativeText()
    assert sync_cell(qtbot, window) == "已打包"
    qtbot.waitUntil(lambda: "未确认 0" not in window.pending_label.text(), timeout=5000)

    [report] = import_file(engine, keys, package)
    assert report.status == "imported"
    [ack] = write_acks(engine, keys, {device.device_id}, tmp_path / "back")
    monkeypatch.setattr(messages, "choose_files", lambda *a: [ack])
    trigger(window, "处理回执…")
    idle(qtbot)
    assert set(states(device)) == {"已确认"}
    assert any(f"确认 {report.counts.created} 条变更" in t for t in info_texts())
    assert sync_cell(qtbot, window) == "已确认"
    qtbot.waitUntil(lambda: "未确认 0" in window.pending_label.text(), timeout=5000)


def test_status_dialog_counts_and_packages(qtbot, tmp_path, window, device):
    add_household(device)
    window.sync.export_to(tmp_path / "usb")
    idle(qtbot)
    trigger(window, "同步状态…")
    dialog = window.sync.status_dialog
    qtbot.addWidget(dialog)
    idle(qtbot)
    expected = sync_status(device)["changes"]["已打包"]
    assert expected > 0 and dialog.count_labels["已打包"].text() == str(expected)
    assert dialog.count_labels["已确认"].text() == "0"
    assert dialog.packages.rowCount() == 1 and dialog.packages.item(0, 2).text() == "已打包"
    assert "测试县" in dialog.summary.text() and "一号机" in dialog.summary.text()


def set_server(store, url: str) -> None:
    save_settings(replace(for_store(store), county_server_url=url), store.store_id, store.username)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_upload_with_the_server_down_says_so_and_keeps_everything(qtbot, window, device, monkeypatch):
    add_household(device)
    set_server(device, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(controller, "MANUAL_ATTEMPTS", 1)
    trigger(window, "上传到县里")
    idle(qtbot)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
             and w.objectName() == "errorBox"]
    assert any("连不上县里的服务器" in b.text() for b in boxes)
    for b in boxes:
        b.close()
    assert "变更包都还在本机" in window.sync.last_result
    status = sync_status(device)
    assert [p["state"] for p in status["packages"]] == ["已打包"]  # packed, kept, not lost
    assert status["changes"]["未发送"] == 0


def test_saves_are_packed_automatically_and_uploaded_in_the_background(qtbot, tmp_path, window, device,
                                                                       sqlite_county):
    engine, keys = sqlite_county
    port = closed_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine, keys), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    qtbot.waitUntil(lambda: server.started, timeout=10_000)
    try:
        set_server(device, f"http://127.0.0.1:{port}")
        window.sync.auto_timer.setInterval(50)
        hh_id = add_household(device)
        # What a save in the editor broadcasts: the household and its tables, sync states moved.
        hub().changed.emit(OpChanges(frozenset({hh_id}), frozenset({"household", "member"}), sync_states=True))
        qtbot.waitUntil(lambda: "已上传 1 个变更包" in window.sync.last_result, timeout=20_000)
        idle(qtbot)
        assert set(states(device)) == {"已确认"}  # the acknowledgment came back with the upload
        assert not messages.open_boxes()  # quietly: the status bar says it
        assert "已上传" in window.statusBar().currentMessage()
    finally:
        server.should_exit = True
        thread.join(10)


def test_automatic_packaging_waits_until_enrolled(qtbot, tmp_path):
    store, _ = Store.create(tmp_path / "plain", village_code="520102003004", village_name="测试村",
                            username="admin", password=PASSWORD)
    try:
        win = MainWindow(Archive(store), settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                         on_lock=lambda: None)
        qtbot.addWidget(win)
        add_household(store)
        win.sync.auto_pack()
        idle(qtbot)
        assert set(states(store)) == {"未发送"} and win.sync.last_result == ""
    finally:
        store.close()


def test_enrollment_file_from_the_menu(qtbot, tmp_path, sqlite_county, monkeypatch):
    engine, keys = sqlite_county
    store, _ = Store.create(tmp_path / "new", village_code="520102003004", village_name="测试村",
                            username="admin", password=PASSWORD)
    try:
        win = MainWindow(Archive(store), settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                         on_lock=lambda: None)
        qtbot.addWidget(win)
        bad = tmp_path / "bad.fupinenroll"
        bad.write_text("{}", "utf-8")
        monkeypatch.setattr(messages, "choose_files", lambda *a: [bad])
        trigger(win, "导入入网文件…")
        idle(qtbot)
        errors = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
                  and w.objectName() == "errorBox"]
        assert any("不是有效的入网文件" in b.text() for b in errors)
        for b in errors:
            b.close()
        good = tmp_path / "good.fupinenroll"
        issue_enrollment(engine, keys, village_code="520102003004", label="村部电脑", out=good)
        monkeypatch.setattr(messages, "choose_files", lambda *a: [good])
        trigger(win, "导入入网文件…")
        idle(qtbot)
        assert sync_status(store)["county"]["label"] == "村部电脑"
        assert any("村部电脑" in t for t in info_texts())
    finally:
        for box in messages.open_boxes():
            box.close()
        store.close()
