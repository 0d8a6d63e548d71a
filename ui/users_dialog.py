"""用户管理: who is signed in, the store's users, adding a user (管理员 only) and changing one's own
password. Key derivation takes a moment, so the writes run as ops; refusals come back in Chinese."""

from __future__ import annotations

from fupin_desktop.archive import ROLES, Archive, UserInfo, password_strength_hint

from .errors import show_exception
from .operations import Op
from .qt import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

HEADERS = ["用户名", "姓名", "角色", "状态"]
ADMIN = "管理员"


def password_field(name: str) -> QLineEdit:
    field = QLineEdit(objectName=name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class UsersDialog(QDialog):
    def __init__(self, archive: Archive, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.archive = archive
        self.setWindowTitle("用户管理")
        layout = QVBoxLayout(self)
        self.signed_in = QLabel(objectName="signedIn")
        layout.addWidget(self.signed_in)
        self.table = QTableWidget(0, len(HEADERS), objectName="usersTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self._add_box())
        row.addWidget(self._password_box())
        layout.addLayout(row)
        self.message = QLabel(objectName="usersMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(760, 520)
        self.refresh()

    def _add_box(self) -> QGroupBox:
        box = self.add_box = QGroupBox("添加用户")
        form = QFormLayout(box)
        self.new_name = QLineEdit(objectName="newUsername")
        self.new_display = QLineEdit(objectName="newDisplayName")
        self.new_role = QComboBox(objectName="newRole")
        self.new_role.addItems(list(ROLES))
        self.new_password, self.new_again = password_field("newUserPassword"), password_field("newUserAgain")
        self.new_strength = QLabel()
        self.new_password.textChanged.connect(lambda t: self.new_strength.setText(
            f"密码强度：{password_strength_hint(t)}" if t else ""))
        self.add_button = QPushButton("添加", objectName="addUser")
        self.add_button.clicked.connect(lambda _c=False: self.add_user())
        for label, widget in (("用户名：", self.new_name), ("姓名：", self.new_display), ("角色：", self.new_role),
                              ("密码：", self.new_password), ("再输一次：", self.new_again), ("", self.new_strength),
                              ("", self.add_button)):
            form.addRow(label, widget)
        return box

    def _password_box(self) -> QGroupBox:
        box = QGroupBox("修改我的密码")
        form = QFormLayout(box)
        self.old_password = password_field("oldPassword")
        self.password, self.password_again = password_field("newPassword"), password_field("newPasswordAgain")
        self.change_button = QPushButton("修改密码", objectName="changePassword")
        self.change_button.clicked.connect(lambda _c=False: self.change_password())
        for label, widget in (("原密码：", self.old_password), ("新密码：", self.password),
                              ("再输一次：", self.password_again), ("", self.change_button)):
            form.addRow(label, widget)
        return box

    # ---- reading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        archive = self.archive
        Op(self, archive.users).success(self._show).run()

    def _show(self, result: tuple[str, list[UserInfo]]) -> None:
        role, people = result
        me = next((u for u in people if u.username == self.archive.username), None)
        name = f"{me.display_name}，" if me and me.display_name else ""
        self.signed_in.setText(f"当前登录：{self.archive.username}（{name}{role or '未登记角色'}）")
        self.table.setRowCount(len(people))
        for r, u in enumerate(people):
            state = "当前登录" if u.username == self.archive.username else (
                "可登录" if u.active and u.can_unlock else "已停用" if not u.active else "无密钥，不能登录")
            for c, text in enumerate((u.username, u.display_name, u.role, state)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        admin = role == ADMIN
        self.add_box.setEnabled(admin)
        self.add_box.setToolTip("" if admin else "只有管理员可以添加用户。")

    # ---- writing -----------------------------------------------------------------------------
    def add_user(self) -> None:
        name, password = self.new_name.text().strip(), self.new_password.text()
        if password != self.new_again.text():
            self.message.setText("两次输入的密码不一致，没有添加。")
            return
        archive, display, role = self.archive, self.new_display.text(), self.new_role.currentText()
        self.add_button.setEnabled(False)

        def done(_r: object) -> None:
            for field in (self.new_name, self.new_display, self.new_password, self.new_again):
                field.clear()
            self.message.setText(f"已添加用户“{name}”。该用户可用自己的密码解锁本机数据。")
            self.add_button.setEnabled(True)
            self.refresh()

        Op(self, lambda: archive.add_user(name, password, display, role)).success(done).failure(
            lambda err: self._failed(err, self.add_button)).run()

    def change_password(self) -> None:
        old, new = self.old_password.text(), self.password.text()
        if new != self.password_again.text():
            self.message.setText("两次输入的新密码不一致，密码没有修改。")
            return
        archive = self.archive
        self.change_button.setEnabled(False)

        def done(_r: object) -> None:
            for field in (self.old_password, self.password, self.password_again):
                field.clear()
            self.message.setText("密码已修改。下次解锁请用新密码。")
            self.change_button.setEnabled(True)

        Op(self, lambda: archive.change_own_password(old, new)).success(done).failure(
            lambda err: self._failed(err, self.change_button)).run()

    def _failed(self, err: BaseException, button: QPushButton) -> None:
        button.setEnabled(True)
        self.message.setText(getattr(err, "message", "没有完成。"))
        show_exception(self, err)
