"""First run: role, village, first user and password, then the recovery code (shown once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fupin_desktop.store.store import Store, check_password_strength, password_strength_hint

from .errors import show_exception
from .operations import Op
from .qt import (
    QCheckBox, QFont, QFormLayout, QLabel, QLineEdit, QPrintDialog, QPrinter, QPushButton, QRadioButton, Qt, QTextDocument,
    QVBoxLayout, QWizard, QWizardPage,
)

VILLAGE_CODE_HINT = "12位统计用区划代码，例如 520102003004"


class RolePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("欢迎使用扶贫档案")
        self.setSubTitle("请选择这台电脑的用途。")
        layout = QVBoxLayout(self)
        self.village = QRadioButton("村级采集（驻村工作队、第一书记、乡镇干事）")
        self.village.setChecked(True)
        self.county = QRadioButton("县级（导入各村变更包、处理冲突）")
        self.county.setEnabled(False)
        self.county.setToolTip("县级功能将随数据同步功能提供。")
        layout.addWidget(self.village)
        layout.addWidget(self.county)
        layout.addWidget(QLabel("县级功能将随数据同步功能提供。"))


class VillagePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("行政村")
        form = QFormLayout(self)
        self.code = QLineEdit(objectName="villageCode")
        self.code.setPlaceholderText(VILLAGE_CODE_HINT)
        self.code.setMaxLength(12)
        self.name = QLineEdit(objectName="villageName")
        form.addRow("村代码：", self.code)
        form.addRow("村名称：", self.name)
        self.error = QLabel(objectName="villageError")
        self.error.setStyleSheet("color: #b00020")
        form.addRow(self.error)
        self.code.textChanged.connect(self.completeChanged)
        self.name.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:  # noqa: N802 (Qt API)
        code = self.code.text().strip()
        ok = code.isdigit() and len(code) == 12 and bool(self.name.text().strip())
        self.error.setText("" if ok or not code else "村代码应为12位数字。")
        return ok


class UserPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第一个用户")
        self.setSubTitle("密码保护本机的全部档案。至少8位；丢失密码可用下一步显示的恢复码重设。")
        form = QFormLayout(self)
        self.user = QLineEdit("admin", objectName="username")
        self.password = QLineEdit(objectName="password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit(objectName="passwordAgain")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel(objectName="strength")
        form.addRow("用户名：", self.user)
        form.addRow("密码：", self.password)
        form.addRow("再次输入：", self.again)
        form.addRow("密码强度：", self.strength)
        for w in (self.user, self.password, self.again):
            w.textChanged.connect(self._changed)

    def _changed(self) -> None:
        pw = self.password.text()
        hint = password_strength_hint(pw) if pw else ""
        mismatch = self.again.text() and self.again.text() != pw
        self.strength.setText(hint + ("（两次输入不一致）" if mismatch else ""))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        pw = self.password.text()
        try:
            check_password_strength(pw)
        except Exception:  # noqa: BLE001 - the hint label says why
            return False
        return bool(self.user.text().strip()) and pw == self.again.text()


class RecoveryPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("恢复码")
        self.setSubTitle("恢复码只显示这一次。忘记密码时，凭它重设密码。请抄写或打印后锁在柜子里。")
        layout = QVBoxLayout(self)
        self.code = QLabel(objectName="recoveryCode")
        font = QFont(self.code.font())
        font.setPointSize(18)
        font.setFamilies(["DejaVu Sans Mono", "monospace", font.family()])
        self.code.setFont(font)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code)
        self.print_button = QPushButton("打印恢复码…")
        self.print_button.clicked.connect(self._print)
        layout.addWidget(self.print_button)
        self.confirm = QCheckBox("我已抄写/打印恢复码", objectName="confirmRecovery")
        self.confirm.toggled.connect(self.completeChanged)
        layout.addWidget(self.confirm)

    def isComplete(self) -> bool:  # noqa: N802
        return self.confirm.isChecked() and bool(self.code.text())

    def _print(self) -> None:
        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            doc = QTextDocument()
            doc.setHtml(f"<h2>扶贫档案 恢复码</h2><p style='font-size:20pt'>{self.code.text()}</p>"
                        "<p>凭此码可重设密码。请妥善保管，不要和电脑放在一起。</p>")
            doc.print_(printer)


class SetupWizard(QWizard):
    def __init__(self, store_path: Path, on_created: Callable[[Store], None]) -> None:
        super().__init__()
        self.setWindowTitle("扶贫档案 — 初次设置")
        self.store_path = store_path
        self.on_created = on_created
        self.store: Store | None = None
        self.role, self.village, self.user, self.recovery = RolePage(), VillagePage(), UserPage(), RecoveryPage()
        for page in (self.role, self.village, self.user, self.recovery):
            self.addPage(page)
        # Leaving the user page creates the store: there is no going back to change it afterwards.
        self.user.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "建立数据库")
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步")
        self.setButtonText(QWizard.WizardButton.BackButton, "上一步")
        self.setButtonText(QWizard.WizardButton.FinishButton, "完成")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.resize(640, 460)

    def validateCurrentPage(self) -> bool:  # noqa: N802
        if self.currentPage() is self.user and self.store is None:
            self._create_store()
            return False  # move on when the store exists
        return True

    def _create_store(self) -> None:
        self.button(QWizard.WizardButton.CommitButton).setEnabled(False)
        self.user.setSubTitle("正在建立加密数据库……")
        args = dict(village_code=self.village.code.text().strip(), village_name=self.village.name.text().strip(),
                    username=self.user.user.text().strip(), password=self.user.password.text())

        def created(result: tuple[Store, str]) -> None:
            self.store, code = result
            self.recovery.code.setText(code)
            self.next()

        def failed(err: BaseException) -> None:
            self.button(QWizard.WizardButton.CommitButton).setEnabled(True)
            show_exception(self, err)

        Op(self, lambda: Store.create(self.store_path, **args)).success(created).failure(failed).run()

    def accept(self) -> None:
        super().accept()
        if self.store is not None:
            self.on_created(self.store)
