"""After a write to a USB stick, every message says to eject it first, in the words of the system (issue 19)."""

from __future__ import annotations

from fupin_desktop import paths
from fupin_desktop.removable import eject_advice, written


def test_windows_says_to_eject_with_its_own_words(monkeypatch):
    monkeypatch.setattr(paths, "PLATFORM", "win32")
    text = written("已写入并校验 2 个变更包")
    assert text.startswith("已写入并校验 2 个变更包。拔出U盘前请先安全弹出")
    assert "安全删除硬件并弹出媒体" in text and "此电脑" in text and "可以安全拔出" not in text


def test_other_systems_say_to_eject_in_the_file_manager(monkeypatch):
    monkeypatch.setattr(paths, "PLATFORM", "linux")
    assert "文件管理器" in eject_advice() and "安全删除硬件" not in eject_advice()
