"""The desktop program's ``--self-test``: the core's steps, then Qt's own — the platform plugin
loads, a window can be drawn, every UI module imports, and a Chinese font draws Chinese."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

from fupin_desktop.selftest import STEPS, Context, Step, run


def _app():
    from .qt import QApplication  # noqa: PLC0415

    return QApplication.instance() or QApplication([sys.argv[0]])


def qt_platform(_ctx: Context) -> str:
    from PySide6 import __version__ as pyside  # noqa: PLC0415

    from .qt import QLabel  # noqa: PLC0415

    app = _app()
    label = QLabel("扶贫档案 自检")
    label.show()
    app.processEvents()
    image = label.grab().toImage()
    label.close()
    if image.isNull() or image.width() == 0:
        raise RuntimeError("nothing was drawn")
    return f"Qt {pyside}，平台插件 {app.platformName()}"


def ui_modules(_ctx: Context) -> str:
    import ui  # noqa: PLC0415

    names = [m.name for m in pkgutil.walk_packages(ui.__path__, "ui.")]
    for name in names:
        importlib.import_module(name)
    return f"{len(names)} 个界面模块"


def ui_font(_ctx: Context) -> str:
    from .app import install_cjk_font  # noqa: PLC0415
    from .qt import QFontMetrics  # noqa: PLC0415

    app = _app()
    family = install_cjk_font(app)
    metrics = QFontMetrics(app.font())
    # By code point: the QChar overloads misread characters above U+7000 in PySide6.
    missing = [ch for ch in "扶贫档案登记表" if not metrics.inFontUcs4(ord(ch))]
    if missing or metrics.horizontalAdvance("扶贫") <= 0:
        raise RuntimeError(f"font {family} cannot draw {''.join(missing)}")
    return family


def program_icon(_ctx: Context) -> str:
    """The windows' icon loads: the .ico travelled with the build and Qt's ico plugin with it."""
    from .app import install_icon  # noqa: PLC0415

    icon = install_icon(_app())
    sizes = sorted({s.width() for s in icon.availableSizes()})
    if icon.isNull() or not {16, 32, 256} <= set(sizes):
        raise RuntimeError(f"icon sizes {sizes}")
    return f"{len(sizes)} 种尺寸（{sizes[0]}–{sizes[-1]} 像素）"


# Each step imports what it checks (noqa: PLC0415 above): a module missing from a build fails that step.
QT_STEPS = [Step("Qt 界面（平台插件）", qt_platform), Step("界面模块齐全", ui_modules), Step("界面中文字体", ui_font),
            Step("程序图标", program_icon)]


def main() -> int:
    if not _has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run([*STEPS, *QT_STEPS])


def _has_display() -> bool:
    """A desktop session (Windows, macOS, X11, Wayland) tests its real platform plugin; a headless
    Linux box (CI, a server) uses offscreen."""
    return sys.platform in ("win32", "darwin") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
