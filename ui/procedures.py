"""The household's monitoring procedures (issue 18): each 识别纳入/风险消除/退出 with its state as of
today (待办/超期/已办结, the next step and its deadline) and its steps; new procedures, steps and the
county's result are recorded here, each saved at once (one unit of work per action)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fupin_desktop.archive import Archive
from fupin_desktop.procedure import CHANNELS, DEPARTMENTS, DISPOSITIONS, IDENTIFY, KINDS, PUBLICITY, RESULTS, STEPS

from .operations import Op, hub
from .qt import (
    QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
    QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox, QPushButton, Qt, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

PROCEDURE_COLUMNS = ("程序类型", "发现渠道", "发现日期", "办理状态", "下一环节", "应完成日期", "认定结果")
STEP_COLUMNS = ("环节", "日期", "公示结束", "结果", "公示异议", "记录人", "说明", "照片")
WARNING_COLUMNS = ("预警部门", "预警日期", "预警内容", "处置结果", "不纳入理由", "处置日期")
WARNING_KEYS = ("department", "warned_on", "warning", "disposition", "reason", "disposed_on")
FROM_FILE = "（按文件中的“预警部门”列）"


def _date_edit(value: date | None = None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(value or date.today())
    return edit


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class _Form(QDialog):
    """A small form: rows of (label, widget), OK/Cancel."""

    def __init__(self, parent: QWidget, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

    def finish(self) -> None:
        self.form.addRow(self.buttons)


class NewProcedureDialog(_Form):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "新建监测程序")
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.channel = QComboBox()
        self.channel.addItems(["", *CHANNELS])
        self.found = _date_edit()
        self.note = QLineEdit()
        self.note.setPlaceholderText("风险情况或启动原因（公示名单上含病、残、低保等字样的部分不公开）")
        self.form.addRow("程序类型", self.kind)
        self.form.addRow("发现渠道", self.channel)
        self.form.addRow("发现（启动）日期", self.found)
        self.form.addRow("情况说明", self.note)
        self.finish()

    def values(self) -> tuple[str, date, str | None, str | None]:
        return (self.kind.currentText(), self.found.date().toPython(), self.channel.currentText() or None,
                self.note.text().strip() or None)


class StepDialog(_Form):
    def __init__(self, parent: QWidget, kind: str, done: set[str]) -> None:
        super().__init__(parent, "记录环节")
        self.step = QComboBox()
        self.step.addItems(list(STEPS))
        missing = [s for s in STEPS if s not in done and (kind == IDENTIFY or STEPS.index(s) >= 2)]
        if missing:
            self.step.setCurrentText(missing[0])
        self.done_on = _date_edit()
        self.end_on = _date_edit()
        self.result = QLineEdit()
        self.result.setPlaceholderText("如：同意 / 不同意；核实情况")
        self.objections = QLineEdit()
        self.note = QLineEdit()
        self.form.addRow("环节", self.step)
        self.form.addRow("日期", self.done_on)
        self.form.addRow("公示结束日期", self.end_on)
        self.form.addRow("结果", self.result)
        self.form.addRow("公示异议", self.objections)
        self.form.addRow("说明", self.note)
        # The signed 申请书/承诺授权书, the 评议 record, the posted list: kept as photos with the step.
        self.photo_paths: list[str] = []
        self.photo_label = QLabel("未附照片")
        choose = QPushButton("附签字表照片…")
        choose.clicked.connect(self.choose_photos)
        row = QHBoxLayout()
        row.addWidget(choose)
        row.addWidget(self.photo_label, 1)
        self.form.addRow("照片", row)
        self.step.currentTextChanged.connect(self._step_changed)
        self._step_changed(self.step.currentText())
        self.finish()

    def choose_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "选择照片", "", "图片 (*.jpg *.jpeg *.png *.bmp *.gif)")
        self.add_photo_paths(paths)

    def add_photo_paths(self, paths: list[str]) -> None:
        self.photo_paths += [p for p in paths if p not in self.photo_paths]
        self.photo_label.setText("、".join(Path(p).name for p in self.photo_paths) or "未附照片")

    def _step_changed(self, step: str) -> None:
        publicity = step == PUBLICITY
        self.end_on.setEnabled(publicity)
        self.objections.setEnabled(publicity)

    def values(self) -> tuple[str, date, dict[str, Any]]:
        step = self.step.currentText()
        fields: dict[str, Any] = {"result": self.result.text().strip() or None,
                                  "note": self.note.text().strip() or None}
        if step == PUBLICITY:
            fields["end_on"] = self.end_on.date().toPython()
            fields["objections"] = self.objections.text().strip() or None
        return step, self.done_on.date().toPython(), fields


class CloseDialog(_Form):
    def __init__(self, parent: QWidget, kind: str) -> None:
        super().__init__(parent, "办结（县级审定结果）")
        self.result = QComboBox()
        self.result.addItems(list(RESULTS.get(kind, ())))
        self.form.addRow("认定结果", self.result)
        self.stop = QCheckBox("终止程序，不作认定（农户撤回申请、经核实线索不实等）")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("终止原因（必填）")
        self.reason.setEnabled(False)
        self.stop.toggled.connect(self.reason.setEnabled)
        self.stop.toggled.connect(lambda on: self.result.setEnabled(not on))
        self.form.addRow(self.stop)
        self.form.addRow("终止原因", self.reason)
        self.finish()

    def values(self) -> tuple[str, bool]:
        if self.stop.isChecked():
            reason = self.reason.text().strip()
            return (f"终止：{reason}" if reason else ""), True  # an empty reason is refused by the service
        return self.result.currentText(), False


class DisposeDialog(_Form):
    def __init__(self, parent: QWidget, warning: dict[str, Any]) -> None:
        super().__init__(parent, "处置部门预警")
        said = f"{warning.get('department')}（{warning.get('warned_on')}）：{warning.get('warning')}"
        self.form.addRow("预警", QLabel(said))
        self.disposition = QComboBox()
        self.disposition.addItems(list(DISPOSITIONS))
        self.on = _date_edit()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("核实不纳入时必填")
        self.form.addRow("处置结果", self.disposition)
        self.form.addRow("处置日期", self.on)
        self.form.addRow("不纳入理由", self.reason)
        self.form.addRow(QLabel("选“核实后纳入”将为本户启动识别纳入程序（发现渠道：部门筛查预警）。"))
        self.finish()


class ProcedurePanel(QWidget):
    """One household's procedures and the steps of the one selected."""

    def __init__(self, archive: Archive, household_id: str) -> None:
        super().__init__()
        self.archive = archive
        self.household_id = household_id
        self.rows: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.procedures = self._table(PROCEDURE_COLUMNS)
        self.procedures.itemSelectionChanged.connect(self._show_steps)
        layout.addWidget(self.procedures, 1)
        self.steps = self._table(STEP_COLUMNS)
        layout.addWidget(QLabel("所选程序的环节："))
        layout.addWidget(self.steps, 2)
        layout.addWidget(QLabel("部门预警："))
        self.warnings = self._table(WARNING_COLUMNS)
        self.warnings.itemSelectionChanged.connect(self._warning_selected)
        self.warning_rows: list[dict[str, Any]] = []
        layout.addWidget(self.warnings, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("新建程序…")
        self.step_button = QPushButton("记录环节…")
        self.close_button = QPushButton("办结…")
        self.dispose_button = QPushButton("处置预警…")
        self.remove_button = QPushButton("删除所选环节")
        for button, slot in ((self.new_button, self.new_procedure), (self.step_button, self.record_step),
                             (self.remove_button, self.remove_step), (self.close_button, self.close_procedure),
                             (self.dispose_button, self.dispose)):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        hub().changed.connect(self._changed)
        self.reload()

    @staticmethod
    def _table(columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _changed(self, changes: Any) -> None:
        if self.household_id in getattr(changes, "households", ()):
            self.reload()

    def reload(self) -> None:
        archive, hid = self.archive, self.household_id
        Op(self, lambda: (archive.procedures(hid), archive.household_warnings(hid))).success(self._show_all).run()

    def _show_all(self, loaded: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        procedures, warnings = loaded
        self._show(procedures)
        self.warning_rows = warnings
        self.warnings.setRowCount(len(warnings))
        for r, warning in enumerate(warnings):
            for c, key in enumerate(WARNING_KEYS):
                text = _text(warning.get(key)) or ("待处置" if key == "disposition" else "")
                self.warnings.setItem(r, c, QTableWidgetItem(text))
        self.warnings.resizeColumnsToContents()
        self._warning_selected()

    def selected_warning(self) -> dict[str, Any] | None:
        row = self.warnings.currentRow()
        return self.warning_rows[row] if 0 <= row < len(self.warning_rows) else None

    def _warning_selected(self) -> None:
        warning = self.selected_warning()
        self.dispose_button.setEnabled(bool(warning and not warning.get("disposition")))

    def _show(self, rows: list[dict[str, Any]]) -> None:
        keep = self.selected()
        self.rows = rows
        self.procedures.setRowCount(len(rows))
        overdue = 0
        for r, proc in enumerate(rows):
            state = proc["state"]
            overdue += state.state == "超期"
            shown = "已终止" if proc.get("status") == "已终止" else state.state  # the judge counts both as closed
            values = (proc.get("kind"), proc.get("channel"), proc.get("discovered_on"), shown,
                      state.next_step, state.due, proc.get("result"))
            for c, value in enumerate(values):
                item = QTableWidgetItem(_text(value))
                if c == 3 and state.state == "超期":
                    item.setForeground(Qt.GlobalColor.red)
                self.procedures.setItem(r, c, item)
        self.procedures.resizeColumnsToContents()
        open_ = sum(1 for p in rows if p["state"].open)
        late = f"，其中超期 {overdue} 个" if overdue else ""
        self.summary.setText(f"共 {len(rows)} 个程序，办理中 {open_} 个{late}" if rows
                             else "本户没有监测程序。发现风险线索后点“新建程序…”。")
        ids = [p["id"] for p in rows]
        self.procedures.selectRow(ids.index(keep["id"]) if keep and keep["id"] in ids else 0)
        self._show_steps()

    def selected(self) -> dict[str, Any] | None:
        row = self.procedures.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show_steps(self) -> None:
        proc = self.selected()
        steps = proc["steps"] if proc else []
        self.steps.setRowCount(len(steps))
        for r, step in enumerate(steps):
            for c, key in enumerate(("step", "done_on", "end_on", "result", "objections", "recorded_by", "note")):
                self.steps.setItem(r, c, QTableWidgetItem(_text(step.get(key))))
            photos = step.get("photos") or []
            self.steps.setItem(r, 7, QTableWidgetItem(f"{len(photos)} 张" if photos else ""))
        self.steps.resizeColumnsToContents()
        is_open = bool(proc and proc["state"].open)
        self.step_button.setEnabled(is_open)
        self.close_button.setEnabled(is_open)
        self.remove_button.setEnabled(is_open and bool(steps))

    # ---- actions (each one write, then the hub reloads every view of the household) ----------------
    def new_procedure(self) -> None:
        dialog = NewProcedureDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        kind, found, channel, note = dialog.values()
        archive, hid = self.archive, self.household_id
        Op(self, lambda: archive.start_procedure(hid, kind, found, channel, note)).run()

    def record_step(self) -> None:
        proc = self.selected()
        if proc is None:
            return
        dialog = StepDialog(self, proc["kind"], {s["step"] for s in proc["steps"]})
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        step, done_on, fields = dialog.values()
        archive, pid, paths = self.archive, proc["id"], list(dialog.photo_paths)

        def save() -> Any:  # the photos are read on the worker, as the visits tab reads its own
            from .editor.visits import read_photo  # noqa: PLC0415 (ui.editor imports this module)

            return archive.record_step(pid, step, done_on, fields, tuple(read_photo(p) for p in paths))

        Op(self, save).run()

    def close_procedure(self) -> None:
        proc = self.selected()
        if proc is None:
            return
        dialog = CloseDialog(self, proc["kind"])
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        archive, pid, (result, stopped) = self.archive, proc["id"], dialog.values()
        Op(self, lambda: archive.close_procedure(pid, result, stopped)).run()

    def remove_step(self) -> None:
        proc, row = self.selected(), self.steps.currentRow()
        if proc is None or not 0 <= row < len(proc["steps"]):
            return
        step = proc["steps"][row]
        photos = len(step.get("photos") or [])
        answer = QMessageBox.question(self, "删除环节", f"删除“{step['step']}”（{step['done_on']}）这条记录"
                                      + (f"及其 {photos} 张照片" if photos else "") + "吗？")
        if answer != QMessageBox.StandardButton.Yes:
            return
        archive, sid = self.archive, step["id"]
        Op(self, lambda: archive.remove_step(sid)).run()


    def dispose(self) -> None:
        warning = self.selected_warning()
        if warning is None or warning.get("disposition"):
            return
        dialog = DisposeDialog(self, warning)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        archive, wid = self.archive, warning["id"]
        disposition, on = dialog.disposition.currentText(), dialog.on.date().toPython()
        reason = dialog.reason.text().strip() or None
        Op(self, lambda: archive.dispose_warning(wid, disposition, on, reason)).run()


def import_warning_list(parent: QWidget, archive: Archive, path: str | None = None,
                        department: str | None = None) -> None:
    """Ask for the file and the department (unless given), import, then say what was and was not imported."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "导入部门预警名单", "", "预警名单 (*.xlsx *.csv)")
        if not path:
            return
        department, ok = QInputDialog.getItem(parent, "预警部门", "这份名单来自哪个部门？", [FROM_FILE, *DEPARTMENTS],
                                              0, False)
        if not ok:
            return
    dept = None if department in (None, FROM_FILE) else department

    def done(report: Any) -> None:
        lines = [report.summary()]
        if report.skipped:
            lines.append("")
            lines += [f"第 {s.row} 行 {s.name} {s.id_masked}：{s.reason}" for s in report.skipped[:30]]
            if len(report.skipped) > 30:
                lines.append(f"……另有 {len(report.skipped) - 30} 行，见导入报告。")
        QMessageBox.information(parent, "部门预警导入完成", "\n".join(lines))

    Op(parent, lambda: archive.import_warnings(Path(path), dept)).success(done).run()


class ProcedureWindow(QWidget):
    """The panel in a window of its own, opened from the main window for the selected household."""

    def __init__(self, archive: Archive, household_id: str, title: str) -> None:
        super().__init__()
        self.setWindowTitle(f"监测程序 — {title}")
        layout = QVBoxLayout(self)
        self.panel = ProcedurePanel(archive, household_id)
        layout.addWidget(self.panel)
        self.resize(900, 560)
