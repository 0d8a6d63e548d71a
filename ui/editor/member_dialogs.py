"""A member's full record (every field of the form and of the year), and 人员变更 (leaving)."""

from __future__ import annotations

from datetime import date

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import Leave, MemberEdit, column_label, editable
from fupin_desktop.reference import CodeTables
from fupin_desktop.values import parse_date

from ..errors import show_exception
from ..qt import QDialog, QDialogButtonBox, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget
from .fields import CodeField, DateField, grid, make_field

JOINING = {"嫁入", "新生儿", "其他转入"}  # 人员变更 reasons that add a person, not remove one


def buttons(dialog: QDialog, ok: str = "确定") -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def scrolled_form(dialog: QDialog, inner: QWidget, width: int, height: int) -> None:
    """A long form in a scroll area above 确定/取消: nothing is cut off on a small laptop screen."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(inner)
    outer = QVBoxLayout(dialog)
    outer.addWidget(scroll, 1)
    outer.addWidget(buttons(dialog))
    dialog.resize(width, height)


class MemberDialog(QDialog):
    """Every field of one member; writes back into the member's state on 确定."""

    def __init__(self, parent: QWidget, ms: MemberEdit, year: int, *, read_only: bool = False,
                 focus: str = "") -> None:
        super().__init__(parent, objectName="memberDialog")
        self.ms = ms
        self.setWindowTitle(f"成员详细信息 — {ms.fields.get('name') or '新成员'}")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.fields: dict[tuple[str, str], QWidget] = {}
        for title, table, key in (("基本信息", "member", "fields"), (f"{year}年度情况", "member_year", "year")):
            box = QGroupBox(title)
            items = []
            for name in editable(table):
                field = make_field(table, name, year)
                field.set_value(getattr(ms, key).get(name, ""))
                field.setEnabled(not read_only)
                self.fields[(key, name)] = field
                items.append((column_label(table, name), field))
            QVBoxLayout(box).addWidget(grid(items))
            layout.addWidget(box)
        scrolled_form(self, inner, 980, 720)
        wanted = self.fields.get(("fields", focus)) or self.fields.get(("year", focus))
        (wanted or next(iter(self.fields.values()))).setFocus()

    def accept(self) -> None:
        for (key, name), field in self.fields.items():
            getattr(self.ms, key)[name] = field.value()
        super().accept()


class LeaveDialog(QDialog):
    """死亡, 迁出, 嫁出…: the member stays in the file, marked with why and when (applied on save)."""

    def __init__(self, parent: QWidget, ms: MemberEdit) -> None:
        super().__init__(parent, objectName="leaveDialog")
        self.ms = ms
        self.setWindowTitle("成员变更（注销）")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{ms.fields.get('name')}：成员不会被删除，档案中保留并注明变更原因和日期。"))
        self.reason = CodeField("left_reason", [r for r in CodeTables.default().labels("人员变更") if r not in JOINING])
        self.on = DateField("left_on", "变更日期")
        self.on.set_value(date.today().isoformat())
        layout.addWidget(grid([("变更原因", self.reason), ("变更日期", self.on)], pairs=1))
        layout.addWidget(buttons(self, "注销该成员"))
        self.reason.setFocus()

    def accept(self) -> None:
        try:
            if not self.reason.value():
                raise InvalidInput("请填写成员变更原因（如死亡、迁出、嫁出）。", field="变更原因")
            on = parse_date(self.on.value(), "变更日期")
            if on is None:
                raise InvalidInput("请填写变更日期。", field="变更日期")
        except InvalidInput as err:
            show_exception(self, err)
            return
        self.ms.leave = Leave(self.reason.value(), on.isoformat())
        super().accept()

