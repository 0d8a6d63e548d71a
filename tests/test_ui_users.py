"""用户管理 with real widgets and a real store: who is signed in, adding a user who can then unlock,
changing one's own password (the old one proven first), refusals shown and nothing changed."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.archive import Archive
from fupin_desktop.errors import WrongPassword
from fupin_desktop.services.users import add_user
from fupin_desktop.store.store import Store
from ui import users_dialog
from ui.main_window import MainWindow
from ui.operations import hub
from ui.qt import QSettings
from ui.users_dialog import UsersDialog

from .conftest import PASSWORD


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)


@pytest.fixture
def shown(monkeypatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(users_dialog, "show_exception", lambda _p, err: messages.append(err.message))
    return messages


def open_dialog(qtbot, store) -> UsersDialog:
    dialog = UsersDialog(Archive(store))
    qtbot.addWidget(dialog)
    dialog.show()
    idle(qtbot)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0)
    return dialog


def cells(dialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_an_admin_adds_a_user_who_can_then_unlock(qtbot, new_store, shown):
    dialog = open_dialog(qtbot, new_store)
    assert dialog.signed_in.text() == "当前登录：admin（管理员）"
    assert cells(dialog) == [["admin", "", "管理员", "当前登录"]]
    dialog.new_name.setText("wangli")
    dialog.new_display.setText("王丽")
    dialog.new_password.setText("Secret-pass-1")
    dialog.new_again.setText("Secret-pass-2")
    dialog.add_button.click()
    assert "不一致" in dialog.message.text() and not new_store.keyring.has_user("wangli")
    dialog.new_again.setText("Secret-pass-1")
    dialog.add_button.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: len(cells(dialog)) == 2)
    assert ["wangli", "王丽", "采集员", "可登录"] in cells(dialog) and "已添加" in dialog.message.text()
    Store.open(new_store.path, "wangli", "Secret-pass-1").close()
    dialog.new_name.setText("wangli")
    dialog.new_password.setText("Another-pass-1")
    dialog.new_again.setText("Another-pass-1")
    dialog.add_button.click()
    idle(qtbot)
    assert shown == ["用户“wangli”已存在。"]


def test_a_collector_sees_who_is_signed_in_but_cannot_add(qtbot, new_store, shown):
    add_user(new_store, "wangli", "Secret-pass-1", display_name="王丽")
    store = Store.open(new_store.path, "wangli", "Secret-pass-1")
    try:
        dialog = open_dialog(qtbot, store)
        assert dialog.signed_in.text() == "当前登录：wangli（王丽，采集员）"
        assert not dialog.add_box.isEnabled()
        with pytest.raises(Exception, match="只有管理员"):
            Archive(store).add_user("zhao", "Secret-pass-9", "", "采集员")
        assert not store.keyring.has_user("zhao")
        dialog.close()
    finally:
        store.close()


def test_change_own_password_needs_the_old_one(qtbot, new_store, shown):
    dialog = open_dialog(qtbot, new_store)
    dialog.old_password.setText("not-the-password")
    dialog.password.setText("Brand-new-pass-7")
    dialog.password_again.setText("Brand-new-pass-7")
    dialog.change_button.click()
    idle(qtbot)
    assert shown == ["原密码不正确，密码没有修改。"] and dialog.change_button.isEnabled()
    Store.open(new_store.path, "admin", PASSWORD).close()  # unchanged
    dialog.old_password.setText(PASSWORD)
    dialog.change_button.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: "已修改" in dialog.message.text())
    with pytest.raises(WrongPassword):
        Store.open(new_store.path, "admin", PASSWORD)
    Store.open(new_store.path, "admin", "Brand-new-pass-7").close()


def test_the_tools_menu_opens_it(qtbot, tmp_path, new_store):
    win = MainWindow(Archive(new_store), settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     on_lock=lambda: None)
    qtbot.addWidget(win)
    win.show()
    idle(qtbot)
    [act] = [a for a in win.tools_menu.actions() if a.text() == "用户管理…"]
    act.trigger()
    qtbot.waitUntil(lambda: win.users_dialog.isVisible())
    idle(qtbot)
    assert win.users_dialog.signed_in.text().startswith("当前登录：admin")
    size = win.users_dialog.sizeHint()
    assert size.width() <= 1366 and size.height() <= 768
    win.users_dialog.close()
    win.close()
