"""Nothing changes by accident: the mouse wheel over a drop-down, a number box or a date box that
does not have the cursor scrolls the page instead of changing the answer.

One filter on the application covers every window, dialogs included, and widgets made later: a
combo box or spin box is switched from wheel focus to StrongFocus when it is first polished (so the
wheel no longer gives it the cursor), and a wheel turned over it while it lacks focus goes to the
scroll area around it. ``install`` is called once at start-up (ui/app.py).
"""

from __future__ import annotations

from .qt import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QEvent, QObject, Qt, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)  # QSpinBox, QDoubleSpinBox, QDateEdit, QTimeEdit are spin boxes


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and isinstance(obj, GUARDED) and not obj.hasFocus():
            area = scroll_area_of(obj)
            if area is not None:
                QApplication.sendEvent(area.viewport(), event)
            return True  # never to the field itself
        return False


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, QComboBox):
            return parent
        parent = parent.parentWidget()
    return None


_guard: WheelGuard | None = None


def install(app: QApplication) -> WheelGuard:
    """Install the guard on ``app`` (once; later calls return the same one)."""
    global _guard  # one guard per process, like the application itself
    if _guard is None:
        _guard = WheelGuard()
        app.installEventFilter(_guard)
    return _guard
