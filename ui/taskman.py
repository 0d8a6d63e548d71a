"""One worker thread for all database work, so the window never freezes and writes never overlap.

Results and errors come back to the GUI thread through a queued signal; callbacks run there.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from fupin_desktop.errors import Cancelled  # noqa: F401  (re-exported for ops)

from .qt import QObject, QThread, Signal


class Progress:
    """Handed to long tasks: ``report(done, total)`` and ``cancelled()`` (the core's protocol)."""

    def __init__(self, signal: Any) -> None:
        self._signal = signal
        self._cancel = threading.Event()

    def report(self, done: int, total: int) -> None:
        self._signal.emit(done, total)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class TaskManager(QThread):
    _finished = Signal(object, object, object)  # callback, result, error
    progress = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable, Callable] | None] = queue.Queue()
        self._finished.connect(self._deliver)
        self.pending = 0
        self.start()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None]) -> None:
        self.pending += 1
        self._queue.put((fn, on_done, on_error))

    def run(self) -> None:  # the worker thread
        while (item := self._queue.get()) is not None:
            fn, on_done, on_error = item
            try:
                self._finished.emit(on_done, fn(), None)
            except BaseException as err:  # noqa: BLE001 - every failure goes back to the GUI
                self._finished.emit(on_error, None, err)

    def _deliver(self, callback: Callable, result: Any, error: BaseException | None) -> None:
        self.pending -= 1
        callback(error if error is not None else result)

    def shutdown(self) -> None:
        self._queue.put(None)
        self.wait(10_000)


class NetworkWorker(QObject):
    """Network work (uploads to the county server) on its own daemon thread, so a slow or dead
    server never holds up the database worker; results come back to the GUI thread by signal."""

    _finished = Signal(object, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable, Callable]] = queue.Queue()
        self._finished.connect(self._deliver)
        self.pending = 0
        threading.Thread(target=self._run, name="fupin-network", daemon=True).start()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None]) -> None:
        self.pending += 1
        self._queue.put((fn, on_done, on_error))

    def _run(self) -> None:
        while True:
            fn, on_done, on_error = self._queue.get()
            try:
                self._finished.emit(on_done, fn(), None)
            except BaseException as err:  # noqa: BLE001 - every failure goes back to the GUI
                self._finished.emit(on_error, None, err)

    def _deliver(self, callback: Callable, result: Any, error: BaseException | None) -> None:
        self.pending -= 1
        callback(error if error is not None else result)
