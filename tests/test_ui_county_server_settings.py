"""The settings dialog's two county-server settings (issue 12): plain http accepted on purpose, and
the county CA file — refused when the file is not there."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from fupin_desktop.settings import Settings
from ui.settings_dialog import SettingsDialog


def test_settings_dialog_sets_plain_http_and_the_county_ca(qtbot, tmp_path):
    saved: list[Settings] = []
    dialog = SettingsDialog(Settings(), saved.append)
    qtbot.addWidget(dialog)
    assert "明文 http" in dialog.allow_http.text() and not dialog.allow_http.isChecked()
    dialog.allow_http.setChecked(True)
    dialog.ca_file.setText(str(tmp_path / "missing-ca.pem"))
    dialog.save()
    assert "找不到县级 CA 证书文件" in dialog.problems.text() and not saved
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    dialog.ca_file.setText(str(tmp_path / "ca.pem"))
    dialog.save()
    assert saved and saved[0].county_server_allow_http and saved[0].county_server_ca_file == str(tmp_path / "ca.pem")
