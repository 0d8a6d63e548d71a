"""Windows fit the screen they open on: a cadre's laptop is often 1366×768, and at 125 % scaling
that is 1093×614 logical pixels, less the taskbar.

``fit`` gives a window its preferred size cut to the available area (and maximises the main window
and the editor on such a screen); ``install`` adds one application-wide filter that, whenever any
top-level window or dialog is shown, shrinks it to the available area and moves it inside, so a
dialog made anywhere (a message box, a file dialog, a window restored from a larger monitor)
never runs off the screen. What a window cannot shrink below (its minimum size) is kept within
1093×614 by the layouts themselves (scroll areas); tests/test_ui_screens.py checks every window.
"""

from __future__ import annotations

from .qt import QApplication, QEvent, QGuiApplication, QObject, QRect, QSize, Qt, QWidget

SMALL = QSize(1366, 768)  # at or below this the main window and the editor open maximised
FRAME = QSize(16, 40)  # what a window frame adds (title bar, borders) before the system tells us
FITTED = (Qt.WindowType.Window, Qt.WindowType.Dialog)  # not popups, tool tips or splash screens


def available(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def is_small(area: QRect) -> bool:
    return area.width() <= SMALL.width() or area.height() <= SMALL.height()


def frame_extra(window: QWidget) -> QSize:
    """Frame width and height around ``window``: measured once shown, estimated before."""
    frame, inner = window.frameGeometry(), window.geometry()
    return QSize(max(frame.width() - inner.width(), FRAME.width() if not window.isVisible() else 0),
                 max(frame.height() - inner.height(), FRAME.height() if not window.isVisible() else 0))


def fit(window: QWidget, width: int, height: int, *, maximise_when_small: bool = False) -> None:
    """Size ``window`` to width×height, or to the screen's available area when that is smaller."""
    area, extra = available(window), frame_extra(window)
    window.resize(max(1, min(width, area.width() - extra.width())),
                  max(1, min(height, area.height() - extra.height())))
    if maximise_when_small and is_small(area):
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def keep_inside(window: QWidget) -> None:
    """Shrink ``window`` to the available area (never below its minimum size) and move it inside."""
    if window.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        return
    area, extra = available(window), frame_extra(window)
    width = min(window.width(), area.width() - extra.width())
    height = min(window.height(), area.height() - extra.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, window.minimumWidth()), max(height, window.minimumHeight()))
    frame = QRect(window.frameGeometry().topLeft(), window.size() + extra)
    x = min(max(frame.x(), area.left()), area.left() + area.width() - frame.width())
    y = min(max(frame.y(), area.top()), area.top() + area.height() - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, area.left()), max(y, area.top()))


class ScreenFit(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if (event.type() == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow()
                and obj.windowType() in FITTED):
            keep_inside(obj)
        return False


_fit: ScreenFit | None = None


def install(app: QApplication) -> ScreenFit:
    """Install the filter on ``app`` (once; later calls return the same one)."""
    global _fit  # one per process, like the application itself
    if _fit is None:
        _fit = ScreenFit()
        app.installEventFilter(_fit)
    return _fit
