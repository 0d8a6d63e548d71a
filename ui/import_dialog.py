"""Importing a spreadsheet: the column mapping (remembered for next time), a preview of what will
be created or updated and every problem with its place, then the import on the worker thread."""

from __future__ import annotations

import json
from pathlib import Path

from fupin_desktop.archive import Archive
from fupin_desktop.tabular.codes import KEEP
from fupin_desktop.tabular.importer import ImportOptions, ImportReport
from fupin_desktop.tabular.layout import import_fields
from fupin_desktop.tabular.report import digest

from .errors import show_exception
from .operations import Op
from .qt import (
    QBrush, QCheckBox, QColor, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
    QListWidget, QListWidgetItem, QMessageBox, QPushButton, QSettings, QSplitter, Qt, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

MAPPING_KEY = "import/mapping"
ACTIONS = {"create": "新建", "update": "更新", "unchanged": "无变化"}
PREVIEW_LIMIT = 2000  # households listed in the preview table (the summary counts them all)


def saved_mapping(settings: QSettings) -> dict[str, str]:
    try:
        data = json.loads(str(settings.value(MAPPING_KEY, "{}")))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class ImportDialog(QDialog):
    def __init__(self, archive: Archive, path: Path, *, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.archive, self.path, self.settings = archive, Path(path), settings
        self.report: ImportReport | None = None
        self.setWindowTitle(f"导入花名册 — {self.path.name}")
        self.setObjectName("importDialog")
        self._build()
        self.resize(1180, 720)
        self.preview(saved_mapping(settings))

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.summary = QLabel("正在读取文件……", objectName="importSummary")
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)  # two lines, never clipped
        layout.addWidget(self.summary)
        split = QSplitter()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("列对应（表头 → 字段，下次导入时记住）："))
        self.mapping = QTableWidget(0, 2, objectName="importMapping")
        self.mapping.setHorizontalHeaderLabels(["文件中的表头", "对应字段"])
        self.mapping.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping.verticalHeader().hide()
        left_layout.addWidget(self.mapping, 3)
        self.values_label = QLabel("值对应（代码表里没有的写法 → 代码表中的名称，对所有这样写的行生效）：")
        self.values_label.setWordWrap(True)
        left_layout.addWidget(self.values_label)
        self.values = QTableWidget(0, 4, objectName="importValues")
        self.values.setHorizontalHeaderLabels(["列", "文件中的写法", "行数", "对应为"])
        header = self.values.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.values.verticalHeader().hide()
        left_layout.addWidget(self.values, 2)
        recheck = QPushButton("按此对应重新检查", objectName="importRecheck")
        recheck.clicked.connect(lambda: self.preview(self.current_mapping(), self.current_values()))
        left_layout.addWidget(recheck)
        split.addWidget(left)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        self.households = QTableWidget(0, 5, objectName="importPreview")
        self.households.setHorizontalHeaderLabels(["起始行", "户编号", "户主", "人数", "将要"])
        self.households.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.households.horizontalHeader().setStretchLastSection(True)
        self.households.verticalHeader().hide()
        right.addWidget(self.households)
        self.problems = QListWidget(objectName="importProblems")
        self.problems.setWordWrap(True)  # a long message wraps rather than hiding its end
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right.addWidget(self.problems)
        split.addWidget(right)
        split.setSizes([420, 760])
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        self.partial = QCheckBox("只导入没有问题的户（有问题的行另存为“…-未导入.xlsx”）", objectName="importPartial")
        self.partial.toggled.connect(lambda _on: self._update_buttons())
        bottom.addWidget(self.partial, 1)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton("导入", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("importRun")
        self.buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.ok.setEnabled(False)

    # ---- preview ------------------------------------------------------------------------------
    def preview(self, mapping: dict[str, str], values: dict[str, dict[str, str]] | None = None) -> None:
        self.ok.setEnabled(False)
        self.summary.setText("正在检查文件……")
        Op(self, lambda: self.archive.preview_import(self.path, mapping, values)).success(
            self.show_report).failure(self._failed).run()

    def _failed(self, err: BaseException) -> None:
        self.summary.setText(f"无法导入：{err}")
        show_exception(self, err)

    def show_report(self, report: ImportReport) -> None:
        self.report = report
        self._fill_mapping(report.mapping)
        self._fill_values(report)
        errors = len(report.errors)
        self.summary.setText(
            f"工作表“{report.sheet}”，表头在第{report.header_row}行。将新建 {report.count('create')} 户，"
            f"更新 {report.count('update')} 户，无变化 {report.count('unchanged')} 户；"
            f"有问题的 {report.rejected} 户（{errors} 个错误，{len(report.problems) - errors} 个提示）。"
            + "".join(f"\n{line}" for line in report.linked_lines())
            + ("\n有错误时默认不导入任何内容：请改正文件，或勾选下方“只导入没有问题的户”。" if errors else ""))
        self._fill_households(report)
        self.problems.clear()
        for line in digest(report.problems):
            item = QListWidgetItem(line)
            if line.startswith("[错误]"):
                item.setForeground(QBrush(QColor("#b00020")))
            self.problems.addItem(item)
        self._update_buttons()

    def _fill_households(self, report: ImportReport) -> None:
        shown = report.planned[:PREVIEW_LIMIT]
        self.households.setRowCount(len(shown))
        for row, p in enumerate(shown):
            head = next((r for r in p.group.members() if r.get("member.relation") == "户主"), None)
            action = "有问题" if p.group.rejected else ACTIONS[p.action]
            values = [str(p.group.first_row), p.group.household().get("national_hh_no") or "",
                      (head or p.group.rows[0]).get("member.name", ""), str(len(p.group.members())), action]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if p.group.rejected:
                    item.setForeground(QBrush(QColor("#b00020")))
                self.households.setItem(row, col, item)

    def _fill_mapping(self, mapping: dict[str, str]) -> None:
        self.mapping.setRowCount(len(mapping))
        for row, (header, key) in enumerate(mapping.items()):
            self.mapping.setItem(row, 0, QTableWidgetItem(header))
            combo = QComboBox()
            combo.addItem("（不导入）", "")
            for f in import_fields():
                combo.addItem(f.label, f.key)
            combo.setCurrentIndex(max(0, combo.findData(key)))
            self.mapping.setCellWidget(row, 1, combo)

    def _fill_values(self, report: ImportReport) -> None:
        """Every value not in its code table, and every value mapped, with the rows it is on."""
        entries = report.values
        self.values.setRowCount(len(entries))
        self.values_label.setVisible(bool(entries))
        self.values.setVisible(bool(entries))
        for row, entry in enumerate(entries):
            where = f"{entry.sheet}：{entry.header}" if entry.sheet else entry.header
            for col, text in enumerate((where, entry.typed, str(entry.rows))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.header)
                if entry.chosen is None:
                    item.setForeground(QBrush(QColor("#b00020")))
                self.values.setItem(row, col, item)
            combo = QComboBox()
            combo.addItem("（不对应：这些行报错）", None)
            for label in entry.labels:
                combo.addItem(label, label)
            combo.addItem("保留原值（逐行标出，仍由检查判断）", KEEP)
            combo.setCurrentIndex(max(0, combo.findData(entry.chosen)) if entry.chosen else 0)
            self.values.setCellWidget(row, 3, combo)

    def current_values(self) -> dict[str, dict[str, str]]:
        """header → {value as typed: label or KEEP}, for the values given a mapping."""
        chosen: dict[str, dict[str, str]] = {}
        for r in range(self.values.rowCount()):
            target = self.values.cellWidget(r, 3).currentData()
            if target:
                header = self.values.item(r, 0).data(Qt.ItemDataRole.UserRole)
                chosen.setdefault(header, {})[self.values.item(r, 1).text()] = target
        return chosen

    def current_mapping(self) -> dict[str, str]:
        return {self.mapping.item(r, 0).text(): self.mapping.cellWidget(r, 1).currentData()
                for r in range(self.mapping.rowCount())}

    def _update_buttons(self) -> None:
        report = self.report
        self.ok.setEnabled(report is not None and (not report.errors or self.partial.isChecked()))

    # ---- import -------------------------------------------------------------------------------
    def run(self) -> None:
        mapping = self.current_mapping()
        self.settings.setValue(MAPPING_KEY, json.dumps({**saved_mapping(self.settings), **mapping},
                                                       ensure_ascii=False))
        options = ImportOptions(mapping=mapping, values=self.current_values() or None,
                                partial=self.partial.isChecked())
        archive, path = self.archive, self.path
        Op(self, lambda progress: archive.import_table(path, options, progress.report, progress.cancelled)
           ).with_progress("正在导入……").success(self._done).run()

    def _done(self, report: ImportReport) -> None:
        if report.blocked:
            self.show_report(report)  # the file or the store changed since the preview
            return
        text = (f"已新建 {report.count('create')} 户，更新 {report.count('update')} 户，"
                f"无变化 {report.count('unchanged')} 户。")
        text += "".join(f"\n{line}" for line in report.linked_lines())
        if report.rejected_file:
            text += f"\n{report.left_out_line()}，这些行已另存为：\n{report.rejected_file}"
        QMessageBox.information(self, "导入完成", text)
        self.accept()
