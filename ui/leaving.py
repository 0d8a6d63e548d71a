"""注销 / 恢复 a household, and deleting one typed by mistake that never left this laptop.

The dialog only gathers the reason, date and note; the core checks them and writes one unit of
work, so 注销 and 恢复 are ordinary logged changes that sync like any other edit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fupin_desktop.archive import Archive
from fupin_desktop.errors import InvalidInput

from . import messages
from .editor.fields import CodeField, DateField, grid
from .editor.member_dialogs import buttons
from .errors import show_exception
from .operations import Op
from .qt import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

Done = Callable[[Any], None]


class HouseholdLeaveDialog(QDialog):
    """注销本户: reason from the code table, date (today by default), and words when the reason is 其他."""

    def __init__(self, parent: QWidget | None, archive: Archive, household_id: str, label: str,
                 on_done: Done | None = None) -> None:
        super().__init__(parent, objectName="householdLeaveDialog")
        self.archive, self.household_id, self.on_done = archive, household_id, on_done
        self.setWindowTitle("注销本户")
        layout = QVBoxLayout(self)
        intro = QLabel(f"注销 {label}：本户不会被删除，档案中保留并注明原因和日期，从户列表中隐藏"
                       "（勾选“显示已注销”可见），可以恢复。注销会随下次同步报送县里。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.reason = CodeField("left_reason", archive.leave_reasons())
        self.on = DateField("left_on", "注销日期")
        self.on.set_value(date.today().isoformat())
        self.note = QPlainTextEdit(objectName="left_note")
        self.note.setPlaceholderText("原因为“其他”时必须填写；其他原因可补充说明（如死亡证明、迁入地）")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(72)
        layout.addWidget(grid([("注销原因", self.reason), ("注销日期", self.on), ("注销说明", self.note)], pairs=1))
        self.error = QLabel(objectName="leaveError")
        self.error.setStyleSheet("color: #b00020")
        layout.addWidget(self.error)
        layout.addWidget(buttons(self, "注销本户"))
        self.resize(560, 300)
        self.reason.setFocus()

    def accept(self) -> None:
        archive, hh = self.archive, self.household_id
        reason, on, note = self.reason.value(), self.on.value(), self.note.toPlainText().strip()
        self.setEnabled(False)
        Op(self, lambda: archive.leave_household(hh, reason, on, note)).success(self._left).failure(
            self._failed).run()

    def _left(self, changes: Any) -> None:
        super().accept()
        if self.on_done is not None:
            self.on_done(changes)

    def _failed(self, err: BaseException) -> None:
        self.setEnabled(True)
        if isinstance(err, InvalidInput):
            self.error.setText(err.message)  # the dialog stays open with what was typed
            if err.field == "注销说明":
                self.note.setFocus()
            elif err.field == "注销日期":
                self.on.setFocus()
            else:
                self.reason.setFocus()
        else:
            show_exception(self, err)


def leave_household(parent: QWidget, archive: Archive, household_id: str, label: str,
                    on_done: Done | None = None) -> HouseholdLeaveDialog:
    dialog = HouseholdLeaveDialog(parent, archive, household_id, label, on_done)
    dialog.open()
    return dialog


def restore_household(parent: QWidget, archive: Archive, household_id: str, label: str,
                      on_done: Done | None = None) -> None:
    if not messages.confirm(parent, f"恢复 {label}？", "本户重新列为在册户；注销原因和日期从档案中去掉"
                            "（历史中仍可查到），恢复会随下次同步报送县里。", yes="恢复本户"):
        return
    Op(parent, lambda: archive.restore_household(household_id)).success(on_done or (lambda _c: None)).run()


def delete_mistake(parent: QWidget, archive: Archive, household_id: str, label: str,
                   on_done: Done | None = None) -> None:
    """Only a household nothing of which has left this laptop; otherwise say why and suggest 注销."""
    def asked(reason: str | None) -> None:
        if reason is not None:
            messages.inform(parent, f"不能删除 {label}。", reason, title="删除误建户")
            return
        if messages.confirm(parent, f"彻底删除 {label}？", "本户是在本机新建的，还没有发送给县里。删除后本户的成员、"
                            "收入、措施、走访记录和照片都会被删除，无法恢复。", yes="彻底删除"):
            Op(parent, lambda: archive.delete_household(household_id)).success(on_done or (lambda _c: None)).run()

    Op(parent, lambda: archive.why_not_deletable(household_id)).success(asked).run()
