"""Issue 14 item 7, the everyday tools, with real widgets."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

import shiboken6
from sqlalchemy import select

from fupin_desktop.drafts import read_draft
from fupin_desktop.model import Household
from ui.qt import QLineEdit, Qt

from .conftest import PASSWORD
from .test_ui_app import app, run_wizard  # noqa: F401  (app is a fixture)
from .test_ui_editor import field, focused, idle, open_editor, stored


def test_drafts_left_by_a_power_cut_are_offered_at_the_next_unlock(qtbot, app):  # noqa: F811
    run_wizard(qtbot, app)
    idle(qtbot)
    store = app.archive.store
    hh = stored(store)
    # Two editors die without closing (a power cut): one with a changed account, one a new household.
    editor = open_editor(qtbot, store, hh, keep=False)
    account = editor.findChild(QLineEdit, "bank_account")
    account.setFocus()
    account.selectAll()
    qtbot.keyClicks(account, "6217999988887777")
    editor.draft_timer.timeout.emit()
    idle(qtbot)
    shiboken6.delete(editor)
    new = open_editor(qtbot, store, None, keep=False)
    focused().insert("第三组")
    new.draft_timer.timeout.emit()
    idle(qtbot)
    shiboken6.delete(new)

    app.lock()
    dialog = app.unlock_dialog
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window is not None, timeout=20_000)
    window = app.window
    qtbot.waitUntil(lambda: getattr(window, "drafts_dialog", None) is not None, timeout=20_000)
    drafts = window.drafts_dialog
    texts = [drafts.list.item(n).text() for n in range(drafts.list.count())]
    assert len(texts) == 2
    [old] = [t for t in texts if t.startswith("张三")]
    assert "户信息：银行账号" in old
    [fresh] = [t for t in texts if t.startswith("新户")]
    assert "户信息：村民小组" in fresh
    drafts.restore_button.click()
    qtbot.waitUntil(lambda: len(window.editors) == 2, timeout=20_000)
    idle(qtbot)
    restored = window.editors[hh]
    qtbot.waitUntil(lambda: restored.loaded and restored.is_dirty(), timeout=20_000)
    assert restored.findChild(QLineEdit, "bank_account").text() == "6217999988887777"
    [other] = [e for k, e in window.editors.items() if k != hh]
    qtbot.waitUntil(lambda: other.loaded and field(other, "group_name").value() == "第三组", timeout=20_000)
    with qtbot.waitSignal(restored.saved, timeout=20_000):
        restored.save()
    idle(qtbot)
    with store.engine.connect() as conn:
        assert conn.execute(select(Household.bank_account).where(Household.id == hh)).scalar_one() == \
            "6217999988887777"
        assert read_draft(conn, "draft:" + hh) is None
    for editor in list(window.editors.values()):
        editor.closing = True
        editor.close()
