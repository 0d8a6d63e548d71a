"""The Qt binding must not leak references to None (PySide6 6.12.0 did, and crashed the app after a
few thousand widget calls under Python 3.11)."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("pytestqt")

from ui.qt import QLabel, QTableWidget, QTableWidgetItem


def test_void_calls_keep_none_alive(qtbot):
    table = QTableWidget(10, 7)
    qtbot.addWidget(table)
    label = QLabel()
    qtbot.addWidget(label)
    item = QTableWidgetItem("x")
    before = sys.getrefcount(None)
    for i in range(3000):
        item.setToolTip("提示")
        label.setText("文字")
        table.setItem(i % 10, i % 7, QTableWidgetItem("甲"))
    assert sys.getrefcount(None) - before > -100
