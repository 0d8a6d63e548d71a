"""The list's filter bar (issue 14, item 5): 监测对象类别, 风险未消除, 脱贫状态 and 属性 combine with each
other and with the village tree; a combination saved under a name comes back from the tree."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.archive import Archive
from fupin_desktop.demo import fill_store
from fupin_desktop.queries.search import SearchQuery, search_households
from ui.main_window import SAVED_ROLE, MainWindow
from ui.qt import QSettings, Qt

from .test_ui_app import idle


@pytest.fixture
def window(qtbot, tmp_path, new_store):
    fill_store(new_store, 200, seed=8)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(Archive(new_store), settings=settings, on_lock=lambda: None)
    qtbot.addWidget(win)
    idle(qtbot)
    return win


def _shown(qtbot, win) -> set[str]:
    idle(qtbot)
    return {win.model.household_id(r) for r in range(win.model.rowCount())}


def _expected(store, **filters) -> set[str]:
    with store.engine.connect() as conn:
        return set(search_households(conn, SearchQuery(**filters)))


def _pick(win, name: str, text: str) -> None:
    box = win.filter_bar.boxes[name]
    index = box.findText(text)
    assert index >= 0, (name, text)
    box.setCurrentIndex(index)


def test_filters_combine_and_a_saved_one_comes_back(qtbot, window, new_store, monkeypatch):
    everyone = _shown(qtbot, window)
    assert len(everyone) == 200
    _pick(window, "risk_open", "风险未消除")
    risk = _shown(qtbot, window)
    assert risk == _expected(new_store, risk_open=True) and 0 < len(risk) < 200
    rows = Archive(new_store).list_rows(sorted(risk), window.year)  # the most common 属性 among those
    attributes = [r["attribute"] for r in rows.values() if r["attribute"]]
    attribute = max(set(attributes), key=attributes.count)
    _pick(window, "attribute", attribute)
    both = _shown(qtbot, window)
    assert both == _expected(new_store, risk_open=True, attribute=attribute)
    assert both <= risk

    # With the village tree: its first group, and the bar's filters still apply.
    group = window.tree.topLevelItem(0).child(0)
    window._tree_clicked(group)
    in_group = _shown(qtbot, window)
    group_name = group.data(0, Qt.ItemDataRole.UserRole)["group_name"]
    assert in_group == _expected(new_store, risk_open=True, attribute=attribute, group_name=group_name)

    monkeypatch.setattr(window, "_ask_filter_name", lambda: "未消除风险的" + attribute)
    window.filter_bar.ask_name = window._ask_filter_name
    window.filter_bar.save_button.click()
    idle(qtbot)
    saved = _saved_items(window)
    assert list(saved) == ["未消除风险的" + attribute]

    # Back to everything, then the saved filter from the tree puts both choices back.
    window._tree_clicked(window.tree.topLevelItem(0))
    _pick(window, "risk_open", "全部")
    _pick(window, "attribute", "全部")
    assert _shown(qtbot, window) == everyone
    window._tree_clicked(saved["未消除风险的" + attribute])
    assert window.filter_bar.boxes["risk_open"].currentText() == "风险未消除"
    assert window.filter_bar.boxes["attribute"].currentText() == attribute
    assert _shown(qtbot, window) == both

    # Kept in the settings: a new window over the same store lists it; removing it drops it.
    again = MainWindow(Archive(new_store), settings=window.settings, on_lock=lambda: None)
    qtbot.addWidget(again)
    idle(qtbot)
    assert list(_saved_items(again)) == ["未消除风险的" + attribute]
    again.filter_bar.remove("未消除风险的" + attribute)
    idle(qtbot)
    assert _saved_items(again) == {}


def test_poverty_status_and_category_filters(qtbot, window, new_store):
    _pick(window, "poverty_status", "未脱贫类")
    assert _shown(qtbot, window) == _expected(new_store, poverty_status="未脱贫类")
    box = window.filter_bar.boxes["monitoring_category"]
    for index in range(1, box.count()):
        box.setCurrentIndex(index)
        assert _shown(qtbot, window) == _expected(new_store, poverty_status="未脱贫类",
                                                  monitoring_category=box.itemText(index))


def _saved_items(win) -> dict:
    filters = win.tree.topLevelItem(1)
    return {filters.child(i).text(0): filters.child(i) for i in range(filters.childCount())
            if filters.child(i).data(0, SAVED_ROLE)}
