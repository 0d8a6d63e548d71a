"""从上年复制: the choice of what to copy from last year into the editor's year; the copying itself
is the core's (services/carry_over.py). Nothing is saved: the tabs show the copy, marked 未保存."""

from __future__ import annotations

from fupin_desktop.services.carry_over import Available

from ..qt import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

SECTIONS = {"conditions": "生产生活条件", "guarantees": "两不愁三保障"}


class CarryOverDialog(QDialog):
    def __init__(self, parent: QWidget, offer: Available, year: int) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"从 {offer.source_year} 年复制到 {year} 年")
        there, here, source = offer.there, offer.here, offer.source_year
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"选择要从 {source} 年复制到 {year} 年的内容。"
                                "复制后请逐项核对、修改，再保存（Ctrl+S）。"))
        self.boxes: dict[str, QCheckBox] = {}
        income = f"收入明细（{source} 年共 {there['income']} 条）"
        if here["income"]:
            income += f"——本年已有 {here['income']} 条，勾选后将被替换"
        self._box("income", income, checked=not here["income"], enabled=bool(there["income"]))
        for part, title in SECTIONS.items():
            text = f"{title}（{source} 年已填 {there[part]} 项）"
            if here[part]:
                text += f"——本年已填的 {here[part]} 项保留不变"
            self._box(part, text, checked=bool(there[part]), enabled=bool(there[part]))
        self._box("measures", f"未完成的帮扶措施（{there['measures']} 项，复制为 {year} 年的措施）",
                  checked=bool(there["measures"]), enabled=bool(there["measures"]))
        self.overwrite_box = QCheckBox("覆盖本年已填写的生产生活条件、两不愁三保障", objectName="carryOverwrite")
        self.overwrite_box.setVisible(bool(here["conditions"] or here["guarantees"]))
        layout.addWidget(self.overwrite_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("复制")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _box(self, part: str, text: str, *, checked: bool, enabled: bool) -> None:
        box = QCheckBox(text, objectName=f"carry_{part}")
        box.setChecked(checked and enabled)
        box.setEnabled(enabled)
        self.boxes[part] = box
        self.layout().addWidget(box)

    def parts(self) -> set[str]:
        return {part for part, box in self.boxes.items() if box.isChecked()}

    def overwrite(self) -> bool:
        return self.overwrite_box.isChecked()
