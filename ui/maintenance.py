"""The main window's housekeeping: 设置, 立即备份, 从备份恢复, 导出诊断信息, and the backup state in
the status bar (red when the newest backup is older than the setting says).

Restoring replaces the current store in place after keeping it whole beside it (``<name>.恢复前-时间``):
the app keeps its one store folder (so the next start opens the restored store, not the old one),
and nothing is lost if the backup turns out to be the wrong one — the old folder can be put back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupin_desktop.diagnostics import write_diagnostics

from . import messages
from .operations import Op
from .qt import (
    QAction, QDialog, QDialogButtonBox, QFileDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox, QObject,
    QPushButton, Qt, QVBoxLayout, QWidget, Signal,
)

if TYPE_CHECKING:
    from fupin_desktop.archive import BackupInfo

    from .app import FupinApp
    from .main_window import MainWindow


def install(window: "MainWindow", app: "FupinApp") -> None:
    """Add the actions to the window's menus and the backup label to its status bar."""
    def add(menu, text: str, slot) -> QAction:
        act = QAction(text, window)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    window.file_menu.addSeparator()
    add(window.file_menu, "立即备份", lambda: backup_now(window, app))
    add(window.file_menu, "从备份恢复…", lambda: RestoreDialog(window, app).open())
    window.tools_menu.addSeparator()
    add(window.tools_menu, "设置…", app.edit_settings)
    add(window.tools_menu, "导出诊断信息…", lambda: export_diagnostics(window))
    window.backup_label = QLabel(objectName="backupLabel")
    window.statusBar().addWidget(window.backup_label)
    refresh_backup_state(window, app)


class _Relay(QObject):
    """Carries a thread's result to the GUI thread: connected to its own method (a QObject living in
    the GUI thread), so the delivery is queued; a bare lambda would run in the emitting thread."""

    finished = Signal(object, object)  # result, error

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
        super().__init__()
        self.on_done, self.on_error = on_done, on_error
        self.finished.connect(self.deliver)

    def deliver(self, result: Any, error: BaseException | None) -> None:
        _running.discard(self)
        if error is not None:
            self.on_error(error)
        else:
            self.on_done(result)


_running: set[_Relay] = set()


def run_beside(fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None]) -> None:
    """Run ``fn`` on a thread of its own, not the database worker: the day's backup of a township
    store (1 GB, about 20 s) must not hold up the searches and saves queued behind it. SQLCipher's
    WAL lets it read on its own connection while the worker writes."""
    relay = _Relay(on_done, on_error)
    _running.add(relay)

    def work() -> None:
        try:
            relay.finished.emit(fn(), None)
        except BaseException as err:  # noqa: BLE001 - reported on the GUI thread
            relay.finished.emit(None, err)

    threading.Thread(target=work, name="daily-backup", daemon=True).start()


def start_daily_backup(window: "MainWindow", app: "FupinApp") -> None:
    archive, prefs = window.archive, app.prefs
    run_beside(lambda: archive.daily_backup(prefs),
               lambda out: out and refresh_backup_state(window, app),
               lambda err: daily_backup_failed(window, err))


def tell(parent: QWidget | None, title: str, text: str, name: str) -> QMessageBox:
    """An information box that does not block (the worker's results keep arriving)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(name)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def daily_backup_failed(window: "MainWindow", err: BaseException) -> None:
    """A full USB stick must not greet the user with an error box on every unlock: the status bar says it."""
    window.backup_label.setText("今天的自动备份没有完成")
    window.backup_label.setStyleSheet("color: #b00020; font-weight: bold")
    window.backup_label.setToolTip(str(err))
    window.statusBar().showMessage(f"今天的自动备份没有完成：{getattr(err, 'message', '')}", 30_000)


def refresh_backup_state(window: "MainWindow", app: "FupinApp") -> None:
    archive, prefs = window.archive, app.prefs

    def show(result: tuple[BackupInfo | None, str | None]) -> None:
        newest, warning = result
        label = window.backup_label
        if warning:  # stays in the status bar (a temporary message would hide it after a while)
            label.setText(f"⚠ {warning}")
        else:
            label.setText(f"上次备份：{newest.made:%m-%d %H:%M}" if newest else "上次备份：无")
        label.setStyleSheet("color: #b00020; font-weight: bold" if warning else "")
        label.setToolTip(f"备份文件夹：{archive.backup_folder(prefs)}。“档案 → 立即备份”马上备份一次。")

    Op(window, lambda: archive.backup_state(prefs)).success(show).run()


def backup_now(window: "MainWindow", app: "FupinApp") -> None:
    archive, prefs = window.archive, app.prefs

    def done(out: Path) -> None:
        window.statusBar().showMessage(f"已备份：{out}", 10_000)
        refresh_backup_state(window, app)

    Op(window, lambda: archive.backup_now(prefs)).success(done).run()


def export_diagnostics(window: QWidget) -> None:
    # Versions for the diagnostics file only; Qt is reached through ui.qt everywhere else.
    from PySide6 import __version__ as pyside  # noqa: PLC0415
    from PySide6.QtCore import qVersion  # noqa: PLC0415

    default = str(messages.documents_folder() / f"扶贫档案诊断信息-{datetime.now():%Y%m%d-%H%M}.zip")
    path, _ = QFileDialog.getSaveFileName(window, "导出诊断信息", default, "压缩文件 (*.zip)")
    if not path:
        return
    extra = {"qt": qVersion(), "pyside6": pyside}

    def done(out: Path) -> None:
        tell(window, "导出诊断信息", f"已导出：{out}\n\n里面只有程序日志和版本信息，没有户和人员的信息。"
                                 "请把这个文件交给技术支持。", "diagnosticsBox")

    Op(window, lambda: write_diagnostics(Path(path), extra=extra)).success(done).run()


class RestoreDialog(QDialog):
    """Choose an automatic backup (or any .fupinbak file) and put the store back to it."""

    def __init__(self, window: "MainWindow", app: "FupinApp") -> None:
        super().__init__(window)
        self.window_, self.app = window, app
        self.setWindowTitle("从备份恢复")
        layout = QVBoxLayout(self)
        folder = window.archive.backup_folder(app.prefs)
        layout.addWidget(QLabel(f"备份文件夹：{folder}"))
        self.list = QListWidget(objectName="backupList")
        for info in window.archive.backups(app.prefs):
            item = QListWidgetItem(info.label)
            item.setData(Qt.ItemDataRole.UserRole, str(info.path))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        layout.addWidget(self.list, 1)
        other = QPushButton("选择其他备份文件…")
        other.clicked.connect(self._choose_file)
        layout.addWidget(other)
        note = QLabel("恢复后，当前数据库会原样保留在旁边的“恢复前”文件夹里。"
                      "请用备份时的密码（或恢复码）解锁恢复后的数据库。")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("恢复")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self._restore)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择备份文件", "", "扶贫档案备份 (*.fupinbak)")
        if path:
            item = QListWidgetItem(Path(path).name)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.list.insertItem(0, item)
            self.list.setCurrentRow(0)

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _restore(self) -> None:
        backup = self.chosen()
        if backup is None:
            QMessageBox.warning(self, "提示", "请先选择一个备份。")
            return
        answer = QMessageBox.question(self, "从备份恢复", f"用这个备份替换当前数据库？\n{backup.name}\n\n"
                                      "备份之后录入的内容不在备份里；当前数据库会完整保留在“恢复前”文件夹。")
        if answer == QMessageBox.StandardButton.Yes:
            self.accept()
            self.app.restore_from(backup)
