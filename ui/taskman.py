"""Worker threads: one for all database work, so the window never freezes and writes never overlap,
and one for the network, so a slow server never holds up the database."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from fupin_desktop.errors import Cancelled  # noqa: F401  (re-exported for ops)

from .qt import QObject, Signal, Slot


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


class Worker(QObject):
    """One thread taking jobs in order; each job's result or error comes back to the GUI thread,
    and its callback runs there. The database worker is joined at shutdown (a write must finish);
    the network worker is a daemon, so a dead server never holds up quitting.

    Results travel in a plain queue and the signal that wakes the GUI thread carries nothing:
    a queued signal with Python-object arguments emitted from a non-Qt thread crashed the test
    run once (SIGSEGV in the emit, PySide6 6.11; cf. PYSIDE-3124), an argument-less one has no
    Python object to marshal between threads."""

    _ready = Signal()
    progress = Signal(int, int)

    def __init__(self, name: str, *, daemon: bool) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable[[Any], None], Callable[[Any], None]] | None]
        self._queue = queue.Queue()
        self._results: queue.SimpleQueue[tuple[Callable[[Any], None], Any]] = queue.SimpleQueue()
        self._ready.connect(self._deliver)
        self.pending = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=daemon)
        self._thread.start()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None]) -> None:
        self.pending += 1
        self._queue.put((fn, on_done, on_error))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, on_done, on_error = item
            try:
                self._results.put((on_done, fn()))
            except BaseException as err:  # noqa: BLE001 - every failure goes back to the GUI
                self._results.put((on_error, err))
            self._ready.emit()

    @Slot()
    def _deliver(self) -> None:
        # Each result is put before its wake-up is emitted, one wake-up per result, so every
        # wake-up finds the next result waiting.
        callback, value = self._results.get_nowait()
        self.pending -= 1
        callback(value)

    def shutdown(self) -> None:
        self._queue.put(None)
        self._thread.join(10)


def database_worker() -> Worker:
    return Worker("fupin-database", daemon=False)


def network_worker() -> Worker:
    return Worker("fupin-network", daemon=True)
