"""What to tell someone who is about to pull a USB stick out.

Writing a package and reading it back proves it reached the system, not the stick: Windows may still
hold part of it in its cache (a stick set to "better performance" does for sure), and so may Linux.
Pulling the stick out then loses the file or damages the stick's folder, and a flush of the file does
nothing for the folder entry on Windows. Only ejecting it (Windows: 安全删除硬件并弹出媒体, or 弹出 in
此电脑) makes the system finish writing and say when the stick may go, so every message after a write
to a stick says to eject it, in the words the person sees on their system.
"""

from __future__ import annotations

from . import paths

_WINDOWS = ("拔出U盘前请先安全弹出：点任务栏右下角的U盘图标（“安全删除硬件并弹出媒体”），选这个U盘，"
            "看到“安全地移除硬件”的提示后再拔；也可以在“此电脑”里右键U盘，选“弹出”。")
_OTHER = "拔出U盘前请先在文件管理器里“弹出”（卸载）它，等它从列表里消失后再拔。"


def eject_advice() -> str:
    """How to take the stick out safely on this system."""
    return _WINDOWS if paths.PLATFORM == "win32" else _OTHER


def written(what: str) -> str:
    """"已写入并校验 3 个变更包。" and the advice: the message after a write to a stick."""
    return f"{what}。{eject_advice()}"
