"""The unlock screen, and "忘记密码": a new password from the recovery code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store (SQLAlchemy, the model) loads while the unlock screen is already up
    from fupin_desktop.store.store import Store

from .errors import show_exception
from .operations import Op
from .qt import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QSettings, QVBoxLayout,
)


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit(objectName=name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class UnlockDialog(QDialog):
    def __init__(self, store_path: Path, settings: QSettings, on_unlocked: Callable[[Store], None]) -> None:
        super().__init__()
        self.setWindowTitle("扶贫档案 — 解锁")
        self.store_path = store_path
        self.settings = settings
        self.on_unlocked = on_unlocked
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"数据库：{store_path}"))
        form = QFormLayout()
        self.user = QLineEdit(str(settings.value("last_user", "admin")), objectName="unlockUser")
        self.password = _password_field("unlockPassword")
        form.addRow("用户名：", self.user)
        form.addRow("密码：", self.password)
        layout.addLayout(form)
        self.status = QLabel(objectName="unlockStatus")
        self.status.setStyleSheet("color: #b00020")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton("解锁", QDialogButtonBox.ButtonRole.AcceptRole)
        self.unlock_button.setObjectName("unlockButton")
        forgot = QPushButton("忘记密码")
        forgot.setObjectName("forgotButton")
        buttons.addButton(forgot, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.try_unlock)
        forgot.clicked.connect(self.recover)
        layout.addWidget(buttons)
        self.password.setFocus()
        self.resize(460, 200)

    def try_unlock(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        self.unlock_button.setEnabled(False)
        self.status.setText("正在解锁……")

        def opened(store: Store) -> None:
            self.settings.setValue("last_user", user)
            self.password.clear()
            self.accept()
            self.on_unlocked(store)

        def failed(err: BaseException) -> None:
            self.unlock_button.setEnabled(True)
            self.status.setText(str(getattr(err, "message", "解锁失败")))
            self.password.selectAll()
            self.password.setFocus()

        def open_store() -> "Store":
            from fupin_desktop.store.store import Store  # noqa: PLC0415 (see TYPE_CHECKING above)

            return Store.open(self.store_path, user, password)

        Op(self, open_store).success(opened).failure(failed).run()

    def recover(self) -> None:
        dialog = RecoveryDialog(self.store_path, self.user.text().strip(), self)
        dialog.open()


class RecoveryDialog(QDialog):
    """Recovery code + new password; shows the new recovery code afterwards (the old one is retired)."""

    def __init__(self, store_path: Path, user: str, parent: QDialog) -> None:
        super().__init__(parent)
        self.setWindowTitle("用恢复码重设密码")
        self.store_path = store_path
        form = QFormLayout(self)
        self.code = QLineEdit(objectName="recoveryInput")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.user = QLineEdit(user or "admin", objectName="recoveryUser")
        self.password = _password_field("recoveryPassword")
        self.again = _password_field("recoveryAgain")
        form.addRow("恢复码：", self.code)
        form.addRow("用户名：", self.user)
        form.addRow("新密码：", self.password)
        form.addRow("再次输入：", self.again)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _submit(self) -> None:
        if self.password.text() != self.again.text():
            QMessageBox.warning(self, "提示", "两次输入的新密码不一致。")
            return
        code, user, password = self.code.text(), self.user.text().strip(), self.password.text()

        def reset() -> str:
            from fupin_desktop.store.store import Store  # noqa: PLC0415 (see TYPE_CHECKING above)

            with Store.open_with_recovery_code(self.store_path, code) as store:
                store.change_password(user, password)
                return store.new_recovery_code()

        def done(new_code: str) -> None:
            self.accept()
            QMessageBox.information(self.parent(), "密码已重设",
                                    f"已为 {user} 设置新密码。旧恢复码已作废，新的恢复码（请抄写保存）：\n\n{new_code}")

        Op(self, reset).success(done).failure(lambda err: show_exception(self, err)).run()
