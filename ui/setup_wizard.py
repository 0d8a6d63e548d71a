"""First run: the role, then either the village (village, first user and password, the recovery code
shown once, optionally the county's enrollment file) or the county (its database and passphrase)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fupin_desktop.archive import Archive, check_password_strength, create_archive, password_strength_hint

from . import messages
from .errors import show_exception
from .operations import Op
from .qt import (
    QCheckBox, QFont, QFormLayout, QLabel, QLineEdit, QPrintDialog, QPrinter, QPushButton, QRadioButton, Qt,
    QTextDocument,
    QVBoxLayout, QWizard, QWizardPage,
)

VILLAGE_CODE_HINT = "12位统计用区划代码，例如 520102003004"
PAGE_ROLE, PAGE_VILLAGE, PAGE_USER, PAGE_RECOVERY, PAGE_ENROLL, PAGE_COUNTY = range(6)


class RolePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("欢迎使用扶贫档案")
        self.setSubTitle("请选择这台电脑的用途。")
        layout = QVBoxLayout(self)
        self.village = QRadioButton("村级采集（驻村工作队、第一书记、乡镇干事）")
        self.village.setChecked(True)
        self.county = QRadioButton("县级（导入各村变更包、处理冲突、全县数字）", objectName="countyRole")
        layout.addWidget(self.village)
        layout.addWidget(self.county)

    def nextId(self) -> int:  # noqa: N802 (Qt API)
        return PAGE_COUNTY if self.county.isChecked() else PAGE_VILLAGE


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
        # A store for training and trying out: it takes generated households, never real ones.
        self.demo = QCheckBox("这是演示/培训用数据库（可生成演示数据，不录入真实档案）", objectName="demoStore")
        form.addRow(self.demo)
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
    def __init__(self, store_path: Path, on_created: Callable[[Archive], None],
                 on_county: Callable[[Any, Any, str], None] | None = None) -> None:
        super().__init__()
        self.setWindowTitle("扶贫档案 — 初次设置")
        self.store_path = store_path
        self.on_created = on_created
        self.on_county = on_county
        self.archive: Archive | None = None
        self.county_opened: tuple[Any, Any, str] | None = None
        self.role, self.village, self.user, self.recovery = RolePage(), VillagePage(), UserPage(), RecoveryPage()
        self.enroll = EnrollPage(self)
        self.county = CountyPage()
        for page_id, page in ((PAGE_ROLE, self.role), (PAGE_VILLAGE, self.village), (PAGE_USER, self.user),
                              (PAGE_RECOVERY, self.recovery), (PAGE_ENROLL, self.enroll), (PAGE_COUNTY, self.county)):
            self.setPage(page_id, page)
        self.role.county.setEnabled(on_county is not None)
        # Leaving the user page creates the store: there is no going back to change it afterwards.
        self.user.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "建立数据库")
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步")
        self.setButtonText(QWizard.WizardButton.BackButton, "上一步")
        self.setButtonText(QWizard.WizardButton.FinishButton, "完成")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.resize(640, 460)

    def validateCurrentPage(self) -> bool:  # noqa: N802
        if self.currentPage() is self.user and self.archive is None:
            self._create_store()
            return False  # move on when the store exists
        if self.currentPage() is self.county and self.county_opened is None:
            self._open_county()
            return False  # finish when the county database is open
        return True

    def _open_county(self) -> None:
        from .county.setup import open_or_create_county  # noqa: PLC0415 (county side only)

        finish = self.button(QWizard.WizardButton.FinishButton)
        finish.setEnabled(False)
        values = self.county.values()
        self.county.status.setText("正在打开县级数据库……")

        def opened(result: tuple[Any, Any]) -> None:
            self.county_opened = (*result, values["url"])
            self.accept()

        def failed(err: BaseException) -> None:
            finish.setEnabled(True)
            self.county.status.setText("")
            show_exception(self, err)

        Op(self, lambda: open_or_create_county(**values)).success(opened).failure(failed).run()

    def _create_store(self) -> None:
        self.button(QWizard.WizardButton.CommitButton).setEnabled(False)
        self.user.setSubTitle("正在建立加密数据库……")
        args = dict(village_code=self.village.code.text().strip(), village_name=self.village.name.text().strip(),
                    username=self.user.user.text().strip(), password=self.user.password.text(),
                    demo=self.village.demo.isChecked())

        def created(result: tuple[Archive, str]) -> None:
            self.archive, code = result
            self.recovery.code.setText(code)
            self.next()

        def failed(err: BaseException) -> None:
            self.button(QWizard.WizardButton.CommitButton).setEnabled(True)
            show_exception(self, err)

        Op(self, lambda: create_archive(self.store_path, **args)).success(created).failure(failed).run()

    def accept(self) -> None:
        super().accept()
        if self.archive is not None:
            self.on_created(self.archive)
        elif self.county_opened is not None and self.on_county is not None:
            self.on_county(*self.county_opened)


class EnrollPage(QWizardPage):
    """Optional: join the county's sync now with the enrollment file (or later from the 同步 menu)."""

    def __init__(self, wizard: "SetupWizard") -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("加入县里的同步（可选）")
        self.setSubTitle("如果县扶贫办已经给了入网文件（.fupinenroll），现在就可以导入；也可以以后在“同步”菜单中导入。")
        layout = QVBoxLayout(self)
        self.button = QPushButton("导入入网文件…", objectName="wizardEnroll")
        self.button.clicked.connect(self._choose)
        self.result = QLabel(objectName="wizardEnrollResult", wordWrap=True)
        layout.addWidget(self.button)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def nextId(self) -> int:  # noqa: N802 (Qt API)
        return -1

    def _choose(self) -> None:
        files = messages.choose_files(self, "选择县里发的入网文件", "入网文件 (*.fupinenroll);;所有文件 (*)")
        if files:
            self.enroll_file(files[0])

    def enroll_file(self, path: Path) -> None:
        archive = self.wizard_.archive
        assert archive is not None

        def done(e: Any) -> None:
            self.result.setText(f"已加入 {e.county_name} 的同步：本机登记为“{e.label}”。")
            self.button.setEnabled(False)

        Op(self, lambda: archive.enroll(path)).success(done).run()


class CountyPage(QWizardPage):
    """The county's database (SQLite in the user data folder, or a PostgreSQL address) and its passphrase."""

    def __init__(self) -> None:
        super().__init__()
        from fupin_desktop.county.db import default_db_url  # noqa: PLC0415 (county page only)

        self.setTitle("县级数据库")
        self.setSubTitle("县级数据库存放全县各村送来的档案。一台电脑的县可以用默认的本机文件；"
                         "有服务器时填写 PostgreSQL 地址，例如 postgresql://用户:密码@主机/数据库。")
        form = QFormLayout(self)
        self.url = QLineEdit(default_db_url(), objectName="countyDbUrl")
        self.new = QRadioButton("新建县级数据库和密钥", objectName="countyNew")
        self.new.setChecked(True)
        self.existing = QRadioButton("打开已有的县级数据库", objectName="countyExisting")
        self.name = QLineEdit(objectName="countyName")
        self.name.setPlaceholderText("例如：某某县")
        self.password = QLineEdit(objectName="countyPassphrase")
        self.again = QLineEdit(objectName="countyPassphraseAgain")
        for w in (self.password, self.again):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("数据库地址：", self.url)
        form.addRow(self.new)
        form.addRow(self.existing)
        form.addRow("县名称：", self.name)
        form.addRow("县级密钥口令：", self.password)
        form.addRow("再次输入：", self.again)
        note = QLabel("口令保护县里的私钥，不会被记住；丢失后无法解开收到的变更包，请妥善保管。", wordWrap=True)
        note.setStyleSheet("color: #555")
        form.addRow(note)
        self.status = QLabel(objectName="countySetupStatus")
        form.addRow(self.status)
        for w in (self.url, self.name, self.password, self.again):
            w.textChanged.connect(self.completeChanged)
        self.new.toggled.connect(self._mode_changed)

    def _mode_changed(self, new: bool) -> None:
        self.name.setEnabled(new)
        self.again.setEnabled(new)
        self.completeChanged.emit()

    def nextId(self) -> int:  # noqa: N802 (Qt API)
        return -1

    def isComplete(self) -> bool:  # noqa: N802 (Qt API)
        if not (self.url.text().strip() and self.password.text()):
            return False
        confirmed = self.password.text() == self.again.text()
        return not self.new.isChecked() or (bool(self.name.text().strip()) and confirmed)

    def values(self) -> dict[str, Any]:
        return {"url": self.url.text().strip(), "passphrase": self.password.text(),
                "name": self.name.text().strip() if self.new.isChecked() else None}
