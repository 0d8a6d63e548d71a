"""Unexpected errors anywhere in the GUI: one Chinese dialog, the open editors' drafts written at
once, the details (type and code position, nothing personal) in the log. The program goes on:
an error in one click must not close a window with an hour's typing in it.

``sys.excepthook`` catches errors in slots, event handlers and timers (PySide6 reports them there);
``threading.excepthook`` catches them in other threads and hands them to the GUI thread. Errors in
ops already come back through ``Op.failure`` → ``show_exception``.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

from fupin_desktop.logs import exception_summary

from .errors import show_exception
from .qt import QApplication, QObject, QtMsgType, Signal, qInstallMessageHandler

log = logging.getLogger(__name__)


class CrashHandler(QObject):
    raised = Signal(object)  # an exception from any thread, delivered on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.raised.connect(self.handle)
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> "CrashHandler":
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _sys_hook(self, kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        err.__traceback__ = tb
        if threading.current_thread() is threading.main_thread():
            self.handle(err)
        else:
            self.raised.emit(err)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.raised.emit(args.exc_value.with_traceback(args.exc_traceback))

    def handle(self, err: BaseException) -> None:
        self.count += 1
        log.error("uncaught %s (%d since start)", exception_summary(err), self.count)
        if self.count > 1 and _crash_box_open():
            save_all_drafts()  # one dialog at a time; a burst of the same error is counted in the log
            return
        show_exception(_active_window(), err)  # writes the drafts too (its message says so)


def save_all_drafts() -> int:
    """Ask every open household editor to write its draft now; returns how many were asked."""
    from .editor import HouseholdEditor  # noqa: PLC0415 (errors.py imports this module at start)

    n = 0
    for widget in QApplication.topLevelWidgets() if QApplication.instance() else []:
        if isinstance(widget, HouseholdEditor) and not widget.gone:
            try:
                widget.write_draft()
                n += 1
            except Exception as exc:  # noqa: BLE001 - the editor itself may be what broke
                log.error("draft not written after an error: %s", exception_summary(exc))
    if n:
        log.info("drafts written after an unexpected error: %d editors", n)
    return n


def _active_window():
    return QApplication.activeWindow()


def _crash_box_open() -> bool:
    return any(w.objectName() == "errorBox" and w.isVisible() for w in QApplication.topLevelWidgets())


_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
_qt_log = logging.getLogger("qt")


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    # As an argument: the scrubbing filter treats it as data (Qt may quote a file name or a value).
    _qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def route_qt_messages() -> None:
    """Qt's own warnings (a missing plugin, a font) go to the log file, where support can see them."""
    qInstallMessageHandler(_qt_message)
