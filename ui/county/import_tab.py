"""导入: packages from a folder, chosen files, or dropped on the window; the report; acknowledgments
written to a folder (the USB stick goes back to the village with them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fupin_desktop.county.acks import write_acks
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.report import STATUS_LABELS, ImportReport, render_text, summary
from fupin_desktop.removable import eject_advice

from .. import messages
from ..operations import Op
from ..qt import (
    QCheckBox, QColor, QFrame, QGuiApplication, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, Qt,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)
from .window import CountyContext, package_paths

COLUMNS = ("文件 / 说明", "结果", "村代码", "设备", "包号", "新建", "更新", "未变", "冲突", "暂存", "拒绝")
STATUS_COLOURS = {"imported": "#2e7d32", "rejected": "#b00020", "held": "#a05a00", "already_held": "#a05a00"}


class ImportTab(QWidget):
    def __init__(self, ctx: CountyContext, *, on_imported: Callable[[], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_imported = on_imported
        self.reports: list[ImportReport] = []
        self.acks: list[Path] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self._drop_zone())
        layout.addLayout(self._ack_row())
        self.summary = QLabel(objectName="importSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(objectName="importReport")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i in range(1, len(COLUMNS)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree, 1)
        self.copy_button = QPushButton("复制报告文字", objectName="copyReport")
        self.copy_button.clicked.connect(self._copy_report)
        self.copy_button.setEnabled(False)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignRight)

    def _drop_zone(self) -> QFrame:
        frame = QFrame(objectName="dropZone")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setStyleSheet("#dropZone { border: 2px dashed #8aa; border-radius: 6px; background: #f6fafa; }")
        row = QHBoxLayout(frame)
        hint = QLabel("把各村的变更包（.fupinpkg）或U盘上的文件夹拖到这个窗口里，或者：")
        row.addWidget(hint, 1)
        folder = QPushButton("选择文件夹…", objectName="chooseFolder")
        folder.clicked.connect(self._choose_folder)
        files = QPushButton("选择文件…", objectName="chooseFiles")
        files.clicked.connect(self._choose_files)
        row.addWidget(folder)
        row.addWidget(files)
        return frame

    def _ack_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.write_acks = QCheckBox("导入后把回执写到文件夹：", objectName="writeAcks")
        self.ack_folder = QLineEdit(str(self.ctx.settings.value("county/ack_folder") or ""), objectName="ackFolder")
        self.ack_folder.setPlaceholderText("例如U盘上的文件夹；回执带回村里，在“同步 → 处理回执”中导入")
        choose = QPushButton("选择…")
        choose.clicked.connect(self._choose_ack_folder)
        self.write_acks.setChecked(bool(self.ack_folder.text()))
        row.addWidget(self.write_acks)
        row.addWidget(self.ack_folder, 1)
        row.addWidget(choose)
        return row

    # ---- choosing ------------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        folder = messages.choose_folder(self, "选择放有变更包的文件夹（例如U盘）")
        if folder:
            self.import_paths([folder])

    def _choose_files(self) -> None:
        files = messages.choose_files(self, "选择变更包", "变更包 (*.fupinpkg);;所有文件 (*)")
        if files:
            self.import_paths(files)

    def _choose_ack_folder(self) -> None:
        folder = messages.choose_folder(self, "回执写到哪个文件夹")
        if folder:
            self.ack_folder.setText(str(folder))
            self.write_acks.setChecked(True)

    # ---- importing -----------------------------------------------------------------------------
    def import_paths(self, paths: list[Path]) -> None:
        files = package_paths(paths)
        if not files:
            messages.inform(self, "没有找到变更包。", "变更包的文件名以 .fupinpkg 结尾。")
            return
        typed = self.ack_folder.text().strip()
        ack_folder = Path(typed) if self.write_acks.isChecked() and typed else None
        if ack_folder is not None:
            self.ctx.settings.setValue("county/ack_folder", str(ack_folder))
        engine, keys = self.ctx.engine, self.ctx.keys

        def work(progress: Any) -> tuple[list[ImportReport], list[Path]]:
            reports: list[ImportReport] = []
            for i, path in enumerate(files):
                if progress.cancelled():
                    break  # each package is its own transaction: the ones done so far stay done
                progress.report(i, len(files))
                reports.extend(import_file(engine, keys, path))
            progress.report(len(files), len(files))
            devices = {r.device_id for r in reports if r.device_id and r.status != "rejected"}
            acks = write_acks(engine, keys, devices, ack_folder) if ack_folder and devices else []
            return reports, acks

        Op(self, work).with_progress(f"正在导入 {len(files)} 个变更包……").success(self._show).run()

    def _show(self, result: tuple[list[ImportReport], list[Path]]) -> None:
        self.reports, self.acks = result
        self.tree.clear()
        for r in self.reports:
            item = _report_item(r)
            self.tree.addTopLevelItem(item)
            for i in range(item.childCount()):  # only once in the tree can a row span the columns
                item.child(i).setFirstColumnSpanned(True)
        self.tree.expandAll()
        self.summary.setText(_summary_text(self.reports, self.acks))
        self.copy_button.setEnabled(bool(self.reports))
        self.on_imported()

    def _copy_report(self) -> None:
        QGuiApplication.clipboard().setText(render_text(self.reports))

    def refresh(self) -> None:
        """Nothing to re-read: the report stays until the next import."""


def _report_item(r: ImportReport) -> QTreeWidgetItem:
    c = r.counts
    where = r.device_label or (r.device_id or "")[:8]
    values = [r.file, STATUS_LABELS.get(r.status, r.status), r.village_code or "", where,
              str(r.number) if r.number else "", *(str(v) if v else "" for v in
                                                    (c.created, c.updated, c.unchanged, c.conflicts, c.held,
                                                     c.rejected))]
    item = QTreeWidgetItem(values)
    if r.status in STATUS_COLOURS:
        item.setForeground(1, QColor(STATUS_COLOURS[r.status]))
    for m in r.messages:
        item.addChild(QTreeWidgetItem([f"[{m['code']}] {m['message']}"]))
    return item


def _summary_text(reports: list[ImportReport], acks: list[Path]) -> str:
    t = summary(reports)
    by_status: dict[str, int] = {}
    for r in reports:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    states = "，".join(f"{STATUS_LABELS.get(s, s)} {n}" for s, n in by_status.items())
    text = (f"共 {len(reports)} 个包（{states}）：新建 {t.created}，更新 {t.updated}，未变 {t.unchanged}，"
            f"冲突 {t.conflicts}，暂存 {t.held}，拒绝 {t.rejected}。")
    if acks:
        text += f"\n已写回执 {len(acks)} 份到 {acks[0].parent}，带回村里导入。{eject_advice()}"
    return text
