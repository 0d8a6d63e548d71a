"""The filter bar above the household list: 监测对象类别, 风险, 脱贫状态, 属性, 农村低收入人口 (类别, 帮扶层级)
and the former 建档立卡 households not yet assessed this year, combined with each
other, with the village tree's choice and with the search text; a combination can be saved under a
name (kept per store in the settings) and comes back under 保存的筛选 in the tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fupin_desktop.reference import CodeTables
from fupin_desktop.yearstatus import MONITORED_OBJECT, PENDING

from .qt import QComboBox, QGridLayout, QLabel, QPushButton, QSettings, QWidget, Signal

SAVED_KEY = "list/saved_filters"
ANY = "全部"
RISK_CHOICES = {ANY: None, "风险未消除": True, "风险已消除": False}
# The fields this bar sets; a tree choice leaves them as they are.
FIELDS = ("monitoring_category", "risk_open", "poverty_status", "attribute", "low_income", "layer",
          "reassess_pending")
FLAGS = {"reassess_pending": PENDING}
PER_ROW = 4  # a yes/no filter shown as one named choice


class FilterBar(QWidget):
    """Emits ``changed`` with the filters chosen (keys of SearchQuery; only those set)."""

    changed = Signal(dict)

    def __init__(self, settings: QSettings, ask_name: Callable[[], str | None],
                 on_saved: Callable[[], None]) -> None:
        super().__init__(objectName="filterBar")
        self.settings = settings
        self.ask_name = ask_name
        self.on_saved = on_saved  # the list of saved filters changed
        codes = CodeTables.default()
        layout = QGridLayout(self)  # two rows of four: one row would not fit a 1366-pixel laptop screen
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QComboBox] = {}
        for n, (name, title, choices) in enumerate((
            ("monitoring_category", "监测对象类别", [ANY, *codes.labels("监测对象类别")]),
            ("risk_open", "风险", list(RISK_CHOICES)),
            ("poverty_status", "脱贫状态", [ANY, "未脱贫类", *codes.labels("脱贫状态")]),
            ("attribute", "属性", [ANY, *codes.labels("贫困户属性")]),
            ("low_income", "低收入人口", [ANY, *codes.labels("社会救助类别"), MONITORED_OBJECT]),
            ("layer", "帮扶层级", [ANY, *codes.labels("帮扶层级")]),
            ("reassess_pending", "评估", [ANY, PENDING]),
        )):
            box = QComboBox(objectName=f"filter_{name}")
            box.addItems(choices)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # 本年未评估的原建档立卡户 whole
            box.currentIndexChanged.connect(lambda _i: self.changed.emit(self.filters()))
            row, col = divmod(n, PER_ROW)
            layout.addWidget(QLabel(title), row, col * 2)
            layout.addWidget(box, row, col * 2 + 1)
            self.boxes[name] = box
        self.save_button = QPushButton("保存筛选…", objectName="saveFilter")
        self.save_button.clicked.connect(self.save_current)
        layout.addWidget(self.save_button, 1, PER_ROW * 2 - 1)
        layout.setColumnStretch(PER_ROW * 2, 1)

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, box in self.boxes.items():
            text = box.currentText()
            if name == "risk_open":
                if RISK_CHOICES[text] is not None:
                    out[name] = RISK_CHOICES[text]
            elif name in FLAGS:
                if text != ANY:
                    out[name] = True
            elif text != ANY:
                out[name] = text
        return out

    def set_filters(self, filters: dict[str, Any]) -> None:
        """Show ``filters`` (a saved one) in the boxes, emitting ``changed`` once."""
        for name, box in self.boxes.items():
            box.blockSignals(True)
            value = filters.get(name)
            if name == "risk_open":
                text = {None: ANY, True: "风险未消除", False: "风险已消除"}[value]
            elif name in FLAGS:
                text = FLAGS[name] if value else ANY
            else:
                text = value if value is not None else ANY
            index = box.findText(str(text))
            box.setCurrentIndex(max(index, 0))
            box.blockSignals(False)
        self.changed.emit(self.filters())

    # ---- saved combinations ------------------------------------------------------------------------
    def saved(self) -> list[tuple[str, dict[str, Any]]]:
        try:
            rows = json.loads(str(self.settings.value(SAVED_KEY, "[]")))
            return [(str(r["name"]), dict(r["filters"])) for r in rows]
        except (ValueError, KeyError, TypeError):
            return []  # a damaged setting: no saved filters rather than a broken window

    def save_current(self) -> None:
        filters = self.filters()
        if not filters:
            from .messages import inform  # noqa: PLC0415

            inform(self, "请先选择至少一个筛选条件，再保存。")
            return
        name = self.ask_name()
        if not name or not name.strip():
            return
        rows = [(n, f) for n, f in self.saved() if n != name.strip()] + [(name.strip(), filters)]
        self._store(rows)

    def remove(self, name: str) -> None:
        self._store([(n, f) for n, f in self.saved() if n != name])

    def _store(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        self.settings.setValue(SAVED_KEY, json.dumps([{"name": n, "filters": f} for n, f in rows],
                                                     ensure_ascii=False))
        self.settings.sync()
        self.on_saved()
