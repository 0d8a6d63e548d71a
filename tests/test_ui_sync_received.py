"""The 同步 menu's downloads and what was received (issue 13, item 7), pytest-qt offscreen, against a real
PostgreSQL county served over HTTP (and its USB folders) and real stores: a new laptop takes its village
from the county, a conflict is shown side by side (mine / the county's) until the county decides."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.archive import Archive
from fupin_desktop.county.devices import issue_enrollment
from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict
from fupin_desktop.county.down import export_down
from fupin_desktop.settings import for_store, save_settings
from fupin_desktop.store.store import Store
from fupin_desktop.sync.client import push
from fupin_desktop.sync.down import down_number
from fupin_desktop.sync.pull import pull
from fupin_desktop.sync.received import apply_files
from ui import messages
from ui.app import install_cjk_font
from ui.main_window import MainWindow
from ui.operations import Op, hub
from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ui.qt import QApplication, QPushButton, QSettings, Qt
from ui.sync import controller, download
from ui.sync.controller import DOWNLOAD, RECEIVED

from .conftest import PASSWORD
from .county_net_support import CountyServer, free_port
from .down_support import NEIGHBOUR, TOWNSHIP, VILLAGE, household_ids, laptop
from .sync_support import add_household, edit, export, import_all


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: not hub().busy(), timeout=30_000)


@pytest.fixture
def server(county, county_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_DOWN_RECORDS", "10")  # a run of small packages, as a big village would be
    running = CountyServer(county_db_url, tmp_path).start()
    yield running
    running.stop()


def open_window(qtbot, tmp_path, store: Store, url: str | None = None) -> MainWindow:
    install_cjk_font(QApplication.instance())
    if url:
        save_settings(replace(for_store(store), county_server_url=url), store.store_id, store.username)
    win = MainWindow(Archive(store), settings=QSettings(str(tmp_path / f"{store.device_id}.ini"),
                                                       QSettings.Format.IniFormat), on_lock=lambda: None)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    idle(qtbot)
    return win


@pytest.fixture(autouse=True)
def close_boxes():
    yield
    for box in messages.open_boxes():
        box.close()


def trigger(win: MainWindow, text: str) -> None:
    [act] = [a for a in win.sync.menu.actions() if a.text().startswith(text)]
    act.trigger()


def received_label(win: MainWindow) -> str:
    return win.sync.received_action.text()


def info_texts() -> list[str]:
    return [b.text() for b in messages.open_boxes()]


def open_received(qtbot, win: MainWindow):
    trigger(win, RECEIVED)
    dialog = win.sync.received_dialog
    qtbot.addWidget(dialog)
    idle(qtbot)
    return dialog


def column(table, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_a_new_laptop_downloads_its_village_from_the_menu(qtbot, tmp_path, county, server):
    engine, keys = county
    first = laptop(tmp_path, "一号机", engine, keys)
    heads = [f"户主{i}" for i in range(12)]
    made = {add_household(first, head=h, hh_no=f"52010200300400{i:02d}") for i, h in enumerate(heads)}
    push(first, server.url)
    new = laptop(tmp_path, "新电脑", engine, keys)
    win = open_window(qtbot, tmp_path, new, server.url)
    assert win.model.rowCount() == 0
    dialog = open_received(qtbot, win)
    assert "还没有从县里收到档案" in dialog.summary.text() and dialog.changed.rowCount() == 0
    dialog.close()

    trigger(win, DOWNLOAD)
    idle(qtbot)
    assert household_ids(new) == made
    [said] = info_texts()
    packages = int(said.split("收到 ")[1].split(" 个下发包")[0])
    assert packages > 1 and "12 户有更新" in said  # many small packages, one message
    qtbot.waitUntil(lambda: win.model.rowCount() == 12, timeout=10_000)  # the list shows them without a search
    assert received_label(win) == RECEIVED  # nothing to decide

    dialog = open_received(qtbot, win)
    assert f"已从县里收到 {packages} 个下发包，共有 12 户的档案因此更新" in dialog.summary.text()
    assert sorted(column(dialog.changed, 0)) == sorted(heads)
    assert set(column(dialog.changed, 2)) == {f"52010200300400{i:02d}" for i in range(12)}
    assert "没有等县里决定的冲突" in dialog.summary.text() and dialog.held.rowCount() == 0

    for box in messages.open_boxes():
        box.close()
    trigger(win, DOWNLOAD)  # again: nothing new, said so, nothing applied
    idle(qtbot)
    assert info_texts() == ["县里没有新的档案：本机已是最新。"]


def test_a_clerks_new_laptop_is_offered_its_township_on_enrolling(qtbot, tmp_path, county, server, monkeypatch):
    engine, keys = county
    village = laptop(tmp_path, "一号机", engine, keys)
    neighbour = laptop(tmp_path, "邻村一号机", engine, keys, village=NEIGHBOUR)
    made = {add_household(village, head="张三"), add_household(neighbour, head="王五", hh_no="5201020030050001")}
    push(village, server.url)
    push(neighbour, server.url)
    clerk, _ = Store.create(tmp_path / "clerk", village_code=VILLAGE, village_name="测试村", username="admin",
                            password=PASSWORD)
    try:
        win = open_window(qtbot, tmp_path, clerk)  # no address in the settings: the enrollment file's
        file = tmp_path / "clerk.fupinenroll"
        issue_enrollment(engine, keys, village_code=VILLAGE, label="乡镇干事", out=file, server_url=server.url,
                         scope=TOWNSHIP)
        offered: list[str] = []
        monkeypatch.setattr(messages, "choose_files", lambda *a: [file])
        monkeypatch.setattr(messages, "confirm", lambda _p, text, *a, **k: offered.append(text) or True)
        trigger(win, "导入入网文件…")
        idle(qtbot)
        [offer] = offered
        assert "本机还没有档案。现在从县里下载本乡镇各村的全部档案吗？" in offer
        assert household_ids(clerk) == made
        [said] = info_texts()
        assert "2 户有更新" in said
        qtbot.waitUntil(lambda: win.model.rowCount() == 2, timeout=10_000)

        for box in messages.open_boxes():
            box.close()
        again = tmp_path / "again.fupinenroll"  # enrolling a laptop that has records offers nothing
        issue_enrollment(engine, keys, village_code=VILLAGE, label="乡镇干事", out=again, server_url=server.url,
                         scope=TOWNSHIP)
        monkeypatch.setattr(messages, "choose_files", lambda *a: [again])
        trigger(win, "导入入网文件…")
        idle(qtbot)
        assert offered == [offer] and any("乡镇干事" in t for t in info_texts())
    finally:
        clerk.close()


def test_a_conflict_is_shown_side_by_side_until_the_county_decides(qtbot, tmp_path, county, server):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    b = laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a, head="张三")
    for store in (a, b):
        push(store, server.url)
        pull(store, server.url)
    edit(a, hh, phone="13900000001")
    edit(b, hh, phone="13700000002")
    push(a, server.url)
    push(b, server.url)  # the county holds B's edit as a conflict
    win = open_window(qtbot, tmp_path, b, server.url)
    qtbot.waitUntil(lambda: received_label(win) == f"{RECEIVED}（1 处冲突）", timeout=10_000)

    trigger(win, DOWNLOAD)  # the county's (A's) value comes down: B keeps its own, both shown
    idle(qtbot)
    assert any("1 处本机的改动与县里不同" in t for t in info_texts())
    assert received_label(win) == f"{RECEIVED}（1 处冲突）"  # the same conflict, seen from both sides once
    dialog = open_received(qtbot, win)
    assert dialog.tabs.currentIndex() == 1 and dialog.tabs.tabText(1) == "冲突：本机 / 县里（1）"
    row = [dialog.held.item(0, c).text() for c in range(dialog.held.columnCount())]
    assert row[:5] == ["张三", "户", "联系电话", "13700000002", "13900000001"]
    assert "有 1 处本机的改动与县里的不同" in dialog.summary.text()
    dialog.held.doubleClicked.emit(dialog.held.model().index(0, 2))  # a row opens its household
    qtbot.waitUntil(lambda: hh in win.editors, timeout=5000)
    qtbot.addWidget(win.editors[hh])
    win.editors[hh].hide()
    qtbot.wait(300)  # laid out and painted, for the pictures
    assert dialog.grab().save(str(tmp_path / "received-dialog.png"))
    QApplication.primaryScreen().grabWindow(0).save(str(tmp_path / "received-screen.png"))

    [conflict] = list_conflicts(engine)
    resolve_conflict(engine, conflict["id"], keep="incoming", user="县扶贫办")
    trigger(win, DOWNLOAD)  # the decision arrives with the next download; the open dialog follows
    idle(qtbot)
    assert received_label(win) == RECEIVED
    assert dialog.held.rowCount() == 0 and dialog.tabs.tabText(1) == "冲突：本机 / 县里"
    assert "没有等县里决定的冲突" in dialog.summary.text()


def test_a_usb_folder_from_the_county_from_the_menu(qtbot, tmp_path, county, monkeypatch):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a, head="李四")
    b = laptop(tmp_path, "二号机", engine, keys)
    import_all(engine, keys, export(a, tmp_path / "up-a") + export(b, tmp_path / "up-b"))  # B's hello too
    export_down(engine, keys, tmp_path / "down")
    win = open_window(qtbot, tmp_path, b)
    monkeypatch.setattr(messages, "choose_folder", lambda *a: tmp_path / "down")
    trigger(win, "导入县里的下发包（U盘）…")
    idle(qtbot)
    assert household_ids(b) == {hh}
    [box] = messages.open_boxes()
    assert "1 户有更新" in box.text() and "下发包：1 户有更新，0 处冲突。" in box.informativeText()
    dialog = open_received(qtbot, win)
    assert column(dialog.changed, 0) == ["李四"]


def drop(win: MainWindow, paths: list) -> bool:
    """Files dragged onto the window and let go (Qt delivers the drop to the widget that took the drag);
    whether it took them."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, event)
    return event.isAccepted()


def test_a_county_folder_dropped_on_the_window_is_applied(qtbot, tmp_path, county):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    hh = add_household(a, head="赵六")
    b = laptop(tmp_path, "二号机", engine, keys)
    import_all(engine, keys, export(a, tmp_path / "up-a") + export(b, tmp_path / "up-b"))
    export_down(engine, keys, tmp_path / "U盘")
    win = open_window(qtbot, tmp_path, b)
    other = tmp_path / "note.txt"
    other.write_text("不是县里的文件", "utf-8")
    assert not drop(win, [other])  # not ours: left alone
    idle(qtbot)
    assert not messages.open_boxes() and household_ids(b) == set()
    assert drop(win, [tmp_path / "U盘"])
    idle(qtbot)
    assert household_ids(b) == {hh}
    [box] = messages.open_boxes()
    assert box.text() == "收到 1 个下发包：1 户有更新。"


def sync_cell(qtbot, win: MainWindow, row: int = 0) -> str:
    """The 同步 cell as it reads once the worker has filled it in."""
    col = [c.key for c in win.model.columns].index("sync_state")
    win.model.data(win.model.index(row, 0))
    qtbot.waitUntil(lambda: win.model.state_known(row), timeout=10_000)
    return win.model.data(win.model.index(row, col))


def test_an_unsent_edit_met_by_the_countys_value_by_usb_shows_as_a_conflict_in_the_list(qtbot, tmp_path, county):
    engine, keys = county
    a = laptop(tmp_path, "一号机", engine, keys)
    b = laptop(tmp_path, "二号机", engine, keys)
    hh = add_household(a, head="孙七")
    import_all(engine, keys, export(a, tmp_path / "up-a1") + export(b, tmp_path / "up-b1"))
    export_down(engine, keys, tmp_path / "d1")
    list(apply_files(b, [tmp_path / "d1"]))
    edit(a, hh, phone="13900000001")
    import_all(engine, keys, export(a, tmp_path / "up-a2"))
    export_down(engine, keys, tmp_path / "d2")
    edit(b, hh, phone="13700000002")  # not sent: the county has never seen it
    win = open_window(qtbot, tmp_path, b)
    assert sync_cell(qtbot, win) == "未发送"
    assert drop(win, [tmp_path / "d2"])
    idle(qtbot)
    assert any("1 处本机的改动与县里不同" in t for t in info_texts())
    assert sync_cell(qtbot, win) == "冲突"  # own entry unsent, but a field is kept against the county's
    assert received_label(win) == f"{RECEIVED}（1 处冲突）"
    dialog = open_received(qtbot, win)
    assert [dialog.held.item(0, c).text() for c in (0, 3, 4)] == ["孙七", "13700000002", "13900000001"]


def test_cancel_keeps_what_arrived_and_the_next_download_resumes(qtbot, tmp_path, county, server):
    engine, keys = county
    first = laptop(tmp_path, "一号机", engine, keys)
    made = {add_household(first, hh_no=f"52010200300400{i:02d}") for i in range(12)}
    push(first, server.url)
    new = laptop(tmp_path, "新电脑", engine, keys)
    win = open_window(qtbot, tmp_path, new, server.url)
    trigger(win, DOWNLOAD)
    run = win.sync.download_run
    # The progress dialog's 取消 pressed as the first package lands.
    run.progressed.connect(lambda _n: run.dialog.findChild(QPushButton).click())
    idle(qtbot)
    [said] = info_texts()
    assert said.startswith("已先上传本机的 1 个变更包。已取消：取消前收到的 1 个下发包已保存")
    partial = household_ids(new)
    assert partial < made and f"（{len(partial)} 户）" in said
    assert run.over and not win.sync.uploading

    for box in messages.open_boxes():
        box.close()
    trigger(win, DOWNLOAD)  # resumes after the package kept
    idle(qtbot)
    assert household_ids(new) == made
    [said] = info_texts()
    assert said.startswith("收到 ") and "已取消" not in said
    assert down_number(new) == 1 + int(said.split("收到 ")[1].split(" 个")[0])  # the rest; the first not again
    qtbot.waitUntil(lambda: win.model.rowCount() == 12, timeout=10_000)


def test_a_server_that_cannot_be_reached_is_said_and_changes_nothing(qtbot, tmp_path, county, monkeypatch):
    engine, keys = county
    new = laptop(tmp_path, "新电脑", engine, keys)
    win = open_window(qtbot, tmp_path, new, f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(controller, "MANUAL_ATTEMPTS", 1)
    trigger(win, DOWNLOAD)
    idle(qtbot)
    [box] = messages.open_boxes()
    assert box.text().startswith("下载没有完成：连不上县里的服务器") and "从断开的地方继续" in box.informativeText()
    assert household_ids(new) == set() and not win.sync.uploading
    assert "下载没有完成" in win.sync.last_result


def test_a_silent_server_never_holds_up_the_database_and_cancel_stops_waiting(qtbot, tmp_path, county,
                                                                              monkeypatch):
    engine, keys = county
    new = laptop(tmp_path, "新电脑", engine, keys)
    silent = socket.socket()  # takes the connection, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    monkeypatch.setattr(download, "TIMEOUT", 3.0)
    monkeypatch.setattr(controller, "MANUAL_ATTEMPTS", 1)
    try:
        win = open_window(qtbot, tmp_path, new, f"http://127.0.0.1:{silent.getsockname()[1]}")
        trigger(win, DOWNLOAD)
        run = win.sync.download_run
        qtbot.waitUntil(lambda: hub().network.pending == 1, timeout=5000)  # waiting for the server
        answered: list[int] = []
        Op(win, win.archive.conflicts_waiting).success(answered.append).run()
        qtbot.waitUntil(lambda: answered == [0], timeout=1000)  # the database worker is free meanwhile
        assert not run.over
        run.dialog.findChild(QPushButton).click()
        qtbot.waitUntil(lambda: bool(info_texts()), timeout=1000)  # at once, not after the timeout
        [said] = info_texts()
        assert said.startswith("已取消：取消前收到的 0 个下发包已保存")
        idle(qtbot)  # the silent try ends later, unnoticed
        assert info_texts() == [said] and household_ids(new) == set()
    finally:
        silent.close()


def test_before_enrolling_the_dialog_says_what_to_do_first(qtbot, tmp_path):
    store, _ = Store.create(tmp_path / "plain", village_code="520102003004", village_name="测试村",
                            username="admin", password=PASSWORD)
    try:
        win = open_window(qtbot, tmp_path, store)
        dialog = open_received(qtbot, win)
        assert "本机还没有加入县里的同步" in dialog.summary.text()
        assert dialog.changed.rowCount() == 0 and dialog.held.rowCount() == 0
    finally:
        store.close()
