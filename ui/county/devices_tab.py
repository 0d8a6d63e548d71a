"""设备: the county's device register — issue enrollment files, revoke a device, see when each was last heard of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fupin_desktop.county.devices import issue_enrollment, list_devices, revoke_device

from .. import messages
from ..operations import Op
from ..qt import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout,
    QWidget,
)
from .tables import fill, make_table, selected_key, when
from .window import CountyContext

HEADERS = ("设备编号", "村代码", "设备名称", "状态", "入网时间", "最近联系", "已导入到")


class DevicesTab(QWidget):
    def __init__(self, ctx: CountyContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.devices: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="devicesSummary")
        layout.addWidget(self.summary)
        self.table = make_table(HEADERS, "deviceTable")
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        issue = QPushButton("发放入网文件…", objectName="issueEnrollment")
        issue.clicked.connect(self.issue)
        self.revoke_button = QPushButton("注销所选设备…", objectName="revokeDevice")
        self.revoke_button.clicked.connect(self.revoke_selected)
        row.addWidget(issue)
        row.addStretch(1)
        row.addWidget(self.revoke_button)
        layout.addLayout(row)

    def refresh(self) -> None:
        Op(self, lambda: list_devices(self.ctx.engine)).success(self._show).run()

    def _show(self, devices: list[dict[str, Any]]) -> None:
        self.devices = devices
        revoked = sum(d["status"] == "revoked" for d in devices)
        self.summary.setText(f"共 {len(devices)} 台设备，已注销 {revoked} 台。设备第一次送交变更包时登记到这里。")
        fill(self.table, [(d["id"][:8], d["village_code"], d["label"], "已注销" if d["status"] == "revoked" else "正常",
                           when(d["enrolled_at"]), when(d["last_seen"]), f"第 {d['last_number']} 包")
                          for d in devices], [d["id"] for d in devices])

    # ---- enrollment files ----------------------------------------------------------------------
    def issue(self) -> None:
        dialog = EnrollmentDialog(self, server_url=str(self.ctx.settings.value("county/server_url") or ""))
        dialog.accepted.connect(lambda: self._issue(dialog.values()))
        dialog.open()
        self.enrollment_dialog = dialog

    def _issue(self, values: dict[str, Any]) -> None:
        out = messages.choose_save(self, "保存入网文件", f"入网-{values['village_code']}-{values['label']}.fupinenroll",
                                   "入网文件 (*.fupinenroll)")
        if out is not None:
            self.issue_to(values, out)

    def issue_to(self, values: dict[str, Any], out: Path) -> None:
        if values.get("server_url"):
            self.ctx.settings.setValue("county/server_url", values["server_url"])

        def done(e: Any) -> None:
            messages.inform(self, f"已生成入网文件：{out.name}",
                            f"给“{e.label}”（村代码 {e.village_code}）用，{e.expires[:10]} 前有效，只能用一次。"
                            "请用U盘交给驻村工作队，在“同步 → 导入入网文件…”中导入。")

        Op(self, lambda: issue_enrollment(self.ctx.engine, self.ctx.keys, out=out, **values)).success(done).run()

    # ---- revocation ----------------------------------------------------------------------------
    def revoke_selected(self) -> None:
        device_id = selected_key(self.table)
        device = next((d for d in self.devices if d["id"] == device_id), None)
        if device is None:
            messages.inform(self, "请先在表中选一台设备。")
            return
        if device["status"] == "revoked":
            messages.inform(self, f"设备“{device['label']}”已经注销过了。")
            return
        if not messages.confirm(self, f"注销设备“{device['label']}”（{device['village_code']}）？",
                                "注销后它送来的变更包都会被拒绝，其他设备会在回执中得知。笔记本丢失或被盗时这样做。",
                                yes="注销"):
            return
        Op(self, lambda: revoke_device(self.ctx.engine, device["id"])).success(lambda _d: self.refresh()).run()


class EnrollmentDialog(QDialog):
    def __init__(self, parent: QWidget, *, server_url: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("发放入网文件")
        form = QFormLayout(self)
        self.village_code = QLineEdit(objectName="enrollVillage")
        self.village_code.setMaxLength(12)
        self.village_code.setPlaceholderText("12位村代码")
        self.label = QLineEdit(objectName="enrollLabel")
        self.label.setPlaceholderText("例如：某某村第一书记笔记本")
        self.server_url = QLineEdit(server_url, objectName="enrollServer")
        self.server_url.setPlaceholderText("可不填：没有网络时用U盘送交")
        self.days = QSpinBox(objectName="enrollDays", minimum=1, maximum=365, value=30)
        self.days.setSuffix(" 天")
        form.addRow("村代码：", self.village_code)
        form.addRow("设备名称：", self.label)
        form.addRow("县级服务器地址：", self.server_url)
        form.addRow("有效期：", self.days)
        buttons = QDialogButtonBox()
        buttons.addButton("保存入网文件…", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {"village_code": self.village_code.text().strip(), "label": self.label.text().strip(),
                "server_url": self.server_url.text().strip(), "days": self.days.value()}
