"""Ops: how the UI calls the core. Build one, say what happens on success and failure, run it.

    Op(parent, lambda: services.something(...)).success(refresh).run()

The function runs on the database worker thread; callbacks run on the GUI thread. Never touch a
widget inside the function. When the core returns what it changed (an ``OpChanges``, or a result
carrying one as ``.changes``), the op broadcasts it on the hub so that open screens can decide for
themselves whether to refresh (no window reaches into another).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fupin_desktop.opchanges import OpChanges

from .errors import show_exception
from .qt import QObject, QProgressDialog, Qt, QWidget, Signal, isValid
from .collector import MainThreadCollector
from .taskman import Cancelled, Progress, Worker, database_worker, network_worker

log = logging.getLogger(__name__)


class Hub(QObject):
    """The app-wide signals and the worker. One instance per application."""

    changed = Signal(object)  # OpChanges
    tasks: Worker

    def __init__(self) -> None:
        super().__init__()
        # Before the first worker thread exists: from now on only the GUI thread collects cycles.
        self.collector = MainThreadCollector(self)
        self.tasks = database_worker()
        self.network = network_worker()

    def busy(self) -> bool:
        return bool(self.tasks.pending or self.network.pending)


_hub: Hub | None = None


def hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


class Op:
    def __init__(self, parent: QWidget | None, fn: Callable[..., Any], *, network: bool = False) -> None:
        self._parent = parent
        self._network = network  # network work runs on its own thread, never on the database worker
        self._fn = fn
        self._on_success: Callable[[Any], None] = lambda _result: None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._progress_label: str | None = None

    def success(self, fn: Callable[[Any], None]) -> "Op":
        self._on_success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> "Op":
        self._on_failure = fn
        return self

    def with_progress(self, label: str) -> "Op":
        """Show a progress dialog with Cancel; ``fn`` receives a Progress as its only argument."""
        self._progress_label = label
        return self

    def _alive(self) -> bool:
        # A window closed while its job ran has been deleted by Qt; its callbacks would touch freed widgets.
        return self._parent is None or isValid(self._parent)

    def run(self) -> None:
        h = hub()
        dialog: QProgressDialog | None = None
        fn = self._fn
        if self._progress_label is not None:
            progress = Progress(h.tasks.progress)
            dialog = QProgressDialog(self._progress_label, "取消", 0, 0, self._parent)
            dialog.setWindowTitle("请稍候")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)
            dialog.canceled.connect(progress.cancel)

            def update(done: int, total: int) -> None:
                dialog.setMaximum(total)
                dialog.setValue(done)

            h.tasks.progress.connect(update)
            fn = lambda: self._fn(progress)  # noqa: E731

        def finish() -> None:
            if dialog is not None:
                h.tasks.progress.disconnect()
                dialog.reset()
                dialog.deleteLater()

        def done(result: Any) -> None:
            finish()
            changes = result if isinstance(result, OpChanges) else getattr(result, "changes", None)
            if isinstance(changes, OpChanges) and changes:
                h.changed.emit(changes)
            if self._alive():
                self._on_success(result)

        def failed(err: BaseException) -> None:
            finish()
            if isinstance(err, Cancelled):
                return
            if not self._alive():
                log.warning("a job of a closed window failed: %s", type(err).__name__)
            elif self._on_failure is not None:
                self._on_failure(err)
            else:
                show_exception(self._parent, err)

        (h.network if self._network else h.tasks).submit(fn, done, failed)
