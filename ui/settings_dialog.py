"""设置: the settings of this store and user (``fupin_desktop.settings``), checked before saving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fupin_desktop.settings import Settings
from fupin_desktop.sync.transport import ALLOW_HTTP_LABEL

from .qt import (
    QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

_FILE_KINDS = {"font": ("选择中文字体文件", "字体文件 (*.ttf *.ttc *.otf)"),
               "ca": ("选择县级 CA 证书", "证书文件 (*.pem *.crt *.cer)")}


def _spin(value: int, low: int, high: int, suffix: str, name: str) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, on_save: Callable[[Settings], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("设置")
        self.settings, self.on_save = settings, on_save
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.autolock = _spin(round(settings.autolock_minutes), 1, 240, " 分钟", "autolockMinutes")
        self.backup_dir = QLineEdit(settings.backup_dir, objectName="backupDir")
        self.backup_dir.setPlaceholderText("（默认：数据库文件夹里的 backups）")
        self.backup_keep = _spin(settings.backup_keep, 1, 365, " 份", "backupKeep")
        self.warn_days = _spin(settings.backup_warn_days, 1, 365, " 天", "backupWarnDays")
        self.font_points = _spin(settings.ui_font_points, 0, 24, " 磅", "uiFontPoints")
        self.font_points.setSpecialValueText("跟随系统")
        self.font_path = QLineEdit(settings.font_path, objectName="fontPath")
        self.font_path.setPlaceholderText("（默认：自动查找系统中文字体）")
        self.server = QLineEdit(settings.county_server_url, objectName="countyServer")
        self.server.setPlaceholderText("例如 https://fupin.xx县.gov.cn（不联网时留空，用U盘交换）")
        self.allow_http = QCheckBox(ALLOW_HTTP_LABEL + "（不安全，仅用于测试网络）", objectName="countyAllowHttp")
        self.allow_http.setChecked(settings.county_server_allow_http)
        self.ca_file = QLineEdit(settings.county_server_ca_file, objectName="countyCaFile")
        self.ca_file.setPlaceholderText("（县里自建 CA 时选择县里发的 CA 证书；留空用系统证书）")
        self.mask_public = QCheckBox("公示用表（明白卡、花名册、台账）", objectName="maskPublic")
        self.mask_public.setChecked(settings.mask_public_forms)
        self.mask_internal = QCheckBox("内部用表（登记表、收入核算表、村情统计表）", objectName="maskInternal")
        self.mask_internal.setChecked(settings.mask_internal_forms)
        form.addRow("无操作自动锁定：", self.autolock)
        form.addRow("备份文件夹：", self._with_browse(self.backup_dir, folder=True))
        form.addRow("每种自动备份保留：", self.backup_keep)
        form.addRow("超过多久未备份时提醒：", self.warn_days)
        form.addRow("中文字体文件：", self._with_browse(self.font_path, folder=False))
        form.addRow("界面字号：", self.font_points)
        form.addRow("县级服务器地址：", self.server)
        form.addRow("县级 CA 证书：", self._with_browse(self.ca_file, folder=False, kind="ca"))
        form.addRow("", self.allow_http)
        form.addRow("打印时默认遮盖证件号等：", self.mask_public)
        form.addRow("", self.mask_internal)
        layout.addLayout(form)
        layout.addWidget(QLabel("字体用于界面和打印的表格；解锁前的界面用系统中找到的中文字体。",
                                objectName="settingsNote"))
        self.problems = QLabel(objectName="settingsProblems")
        self.problems.setStyleSheet("color: #b00020")
        self.problems.setWordWrap(True)
        layout.addWidget(self.problems)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 0)  # ui/screen.py keeps it within the screen

    def _with_browse(self, line: QLineEdit, *, folder: bool, kind: str = "font") -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(line, 1)
        button = QPushButton("选择…")
        button.clicked.connect(lambda: self._browse(line, folder, kind))
        row.addWidget(button)
        return holder

    def _browse(self, line: QLineEdit, folder: bool, kind: str = "font") -> None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, "选择备份文件夹", line.text())
        else:
            title, patterns = _FILE_KINDS[kind]
            chosen, _ = QFileDialog.getOpenFileName(self, title, line.text(), patterns)
        if chosen:
            line.setText(chosen)

    def edited(self) -> Settings:
        return replace(self.settings, autolock_minutes=float(self.autolock.value()),
                       backup_dir=self.backup_dir.text().strip(), backup_keep=self.backup_keep.value(),
                       backup_warn_days=self.warn_days.value(), font_path=self.font_path.text().strip(),
                       ui_font_points=self.font_points.value(),
                       county_server_url=self.server.text().strip(),
                       county_server_ca_file=self.ca_file.text().strip(),
                       county_server_allow_http=self.allow_http.isChecked(),
                       mask_public_forms=self.mask_public.isChecked(),
                       mask_internal_forms=self.mask_internal.isChecked())

    def save(self) -> None:
        settings = self.edited()
        if problems := settings.validate():
            self.problems.setText("\n".join(problems))
            return
        self.on_save(settings)
        self.accept()
