"""Python's cycle collector runs only on the GUI thread.

Left to itself, the collector runs on whichever thread happens to allocate when a threshold is
crossed — often the database worker. If the cycle it frees holds a Qt object (a dialog, a QPixmap
of a photo thumbnail), Shiboken defers the C++ deletion to the GUI thread, where a QPaintDevice
already gone crashed the process (seen in the test suite: SIGSEGV in
``BindingManager::runDeletionInMainThread``). Anki does the same for the same reason: automatic
collection off, and the GUI thread collects on a timer with Python's own generation thresholds.
The core's explicit collections (forms/merge.py) follow ``gc.isenabled()`` and so stay off too."""

from __future__ import annotations

import gc

from .qt import QObject, QTimer

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self, interval=INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> None:
        """The generation Python would have collected by now, if any (its thresholds, its order)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return
