"""标准和参数 in the county workspace (issue 13 item 6; pytest-qt offscreen) over a real PostgreSQL county: a
2027 monitoring line set on the screen is listed as the county's and reaches a village laptop by USB; bad input
says why in Chinese and keeps nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.county.down import export_down
from fupin_desktop.county.refdata import THRESHOLD, current_values
from fupin_desktop.reference import params_table, rule_param
from fupin_desktop.sync.received import apply_files
from ui import messages
from ui.app import install_cjk_font
from ui.county.window import CountyContext, CountyWindow
from ui.operations import hub
from ui.qt import QApplication, QMessageBox, QSettings

from .down_support import laptop
from .sync_support import export, import_all
from .test_sync_reference import _line


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: not hub().busy(), timeout=20_000)


def error_texts() -> list[str]:
    return [w.text() for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and w.objectName() == "errorBox"]


def county_set(engine) -> list:
    with engine.connect() as conn:
        return [v for v in current_values(conn, THRESHOLD) if v.origin == "county"]


def test_a_line_set_on_the_screen_is_the_countys_and_reaches_a_laptop(qtbot, tmp_path, county, county_db_url):
    engine, keys = county
    install_cjk_font(QApplication.instance())
    win = CountyWindow(CountyContext(engine, keys, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                                     county_db_url))
    qtbot.addWidget(win)
    win.show()
    idle(qtbot)
    tab = win.reference_tab
    win.tabs.setCurrentWidget(tab)
    idle(qtbot)
    shipped = tab.thresholds.rowCount()
    assert shipped > 0 and {tab.thresholds.item(r, 5).text() for r in range(shipped)} == {"程序自带"}
    assert "2027" not in tab.summary.text().split("。")[0]  # no 2027 line yet
    assert tab.params.rowCount() > 0
    sources = {tab.thresholds.item(r, 4).text() for r in range(shipped)}
    assert "程序自带，把握不大，请按文件核实" in sources and not any(s.startswith("K") for s in sources)

    tab.year.setValue(2027)
    tab.amount.setText("7900")
    tab.set_button.click()  # no 依据: refused, nothing kept
    idle(qtbot)
    assert any("请写明依据" in t for t in error_texts()) and county_set(engine) == []
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
    tab.amount.setText("79000000")
    tab.source.setText("县扶贫办〔2027〕1号")
    tab.set_button.click()  # an amount nobody means: refused
    idle(qtbot)
    assert any("金额“79000000”不对" in t for t in error_texts()) and county_set(engine) == []
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()

    tab.amount.setText("7900")
    tab.set_button.click()
    idle(qtbot)
    said = "已设定 2027 年监测范围（监测线）：7900 元/人/年（全国默认）。"
    assert [b.text() for b in messages.open_boxes()] == [said]
    row = [tab.thresholds.item(0, c).text() for c in range(6)]
    assert row == ["2027", "全国默认", "监测范围（监测线）", "7900", "县扶贫办〔2027〕1号", "县里设定"]
    assert tab.thresholds.rowCount() == shipped + 1 and "2027" in tab.summary.text().split("。")[0]
    assert tab.amount.text() == ""
    for box in messages.open_boxes():
        box.close()

    tab.param_name.setCurrentText("arable_mu_max")
    tab.param_value.setText("很多")
    tab.param_source.setText("县扶贫办〔2027〕2号")
    tab.param_button.click()  # not a number: refused
    idle(qtbot)
    assert any("规则参数 arable_mu_max 应为数字" in t for t in error_texts())
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox):
            box.close()
    tab.param_value.setText("150")
    tab.param_from.setValue(2027)
    tab.param_button.click()
    idle(qtbot)
    assert [b.text() for b in messages.open_boxes()] == ["已设定规则参数 arable_mu_max = 150（2027 年起）。"]
    row = [tab.params.item(0, c).text() for c in (0, 1, 3, 4, 6)]  # the county's first
    assert row == ["arable_mu_max", "150", "2027", "—", "县里设定"]
    for box in messages.open_boxes():
        box.close()
    win.resize(1366, 768)
    qtbot.wait(300)
    assert win.grab().save(str(tmp_path / "county-reference.png"))
    for box in messages.open_boxes():
        box.close()

    device = laptop(tmp_path, "一号机", engine, keys)  # by USB: its hello up, the county's folder down
    import_all(engine, keys, export(device, tmp_path / "up"))
    export_down(engine, keys, tmp_path / "down")
    list(apply_files(device, [tmp_path / "down"]))
    line = _line(device, 2027)
    assert line is not None and line[:2] == (Decimal("7900"), "county")
    with device.engine.connect() as conn:
        rows = params_table(conn)
    assert rule_param("arable_mu_max", year=2027, rows=rows) == 150
    assert rule_param("arable_mu_max", year=2026, rows=rows) == 100  # the shipped value before
