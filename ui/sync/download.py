"""从县里下载本村档案 as a chain of ops: first this device's own packages go up and the acknowledgment comes
back (an exchange, like `fupin sync push`), then down packages one at a time until the county has no more.

The store is touched only on the database worker and the network only on the network thread, so a county
server that does not answer never holds up the database (the list, saves, automatic packaging). Cancel
stops waiting at once; every package applied so far stays, and the next download resumes after it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fupin_desktop.archive import Downloaded, OpChanges
from fupin_desktop.sync.client import send
from fupin_desktop.sync.pull import fetch_down

from ..operations import Op
from ..qt import QObject, QProgressDialog, Qt, Signal

if TYPE_CHECKING:
    from fupin_desktop.archive import Archive

    from ..qt import QWidget

TIMEOUT = 60.0  # seconds a county server may keep silent before a try counts as failed
LABEL = "正在从县里下载本村档案……\n每个包导入后即保存，中断或取消后再下载会接着来。"


class DownloadRun(QObject):
    progressed = Signal(int)  # down packages applied so far
    finished = Signal(object)  # Downloaded, also after a cancel
    failed = Signal(object)  # the error that stopped it (what was applied before stays)

    def __init__(self, window: QWidget, archive: Archive, *, attempts: int) -> None:
        super().__init__(window)
        self.window, self.archive, self.attempts = window, archive, attempts
        self.downs: list[Any] = []
        self.acks: list[Any] = []
        self.uploaded = 0
        self.cancelled = False
        self.applying = False  # a package is being written: a cancel waits for it, so the count is true
        self.over = False
        self.dialog = QProgressDialog(LABEL, "取消", 0, 0, window)
        self.dialog.setWindowTitle("从县里下载")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self.cancel)

    def _op(self, fn: Any, then: Any, *, network: bool = False) -> None:
        Op(self.window, fn, network=network).success(then).failure(self._fail).run()

    def start(self) -> None:
        # No address given: the settings', else the enrollment file's (sync.client.server_address).
        self._op(lambda: self.archive.prepare_push(None), self._send)

    def _send(self, outgoing: Any) -> None:
        if not self.over:
            self._op(lambda: send(outgoing, attempts=self.attempts, timeout=TIMEOUT), self._record, network=True)

    def _record(self, sent: Any) -> None:
        if not self.over:
            self._op(lambda: self.archive.record_push(sent), self._pushed)

    def _pushed(self, result: Any) -> None:
        self.uploaded = len(result.sent)
        if result.ack is not None and not result.ack.already:
            self.acks.append(result.ack)
        self._next()

    def _next(self) -> None:
        if self.cancelled:
            self._finish()
        elif not self.over:
            self._op(lambda: self.archive.prepare_down(None), self._fetch)

    def _fetch(self, ask: Any) -> None:
        if not self.over:
            self._op(lambda: fetch_down(ask, attempts=self.attempts, timeout=TIMEOUT), self._apply, network=True)

    def _apply(self, data: bytes | None) -> None:
        if self.over:  # cancelled while it was on its way: not applied, asked for again next time
            return
        if data is None:  # the county has nothing more
            self._finish()
            return
        self.applying = True
        self._op(lambda: self.archive.apply_fetched(data), self._applied)

    def _applied(self, result: Any) -> None:
        self.applying = False
        if result.already:  # the server sent what we have: stop rather than loop
            self._finish()
            return
        self.downs.append(result)
        if result.held:  # from a newer county program: asking again would bring the same package
            self._finish()
            return
        self.dialog.setLabelText(f"{LABEL}\n已导入 {len(self.downs)} 个下发包。")
        self.progressed.emit(len(self.downs))
        self._next()

    def cancel(self) -> None:
        self.cancelled = True
        if not self.applying:
            self._finish()

    def _close(self) -> bool:
        if self.over:
            return False
        self.over = True
        self.dialog.canceled.disconnect(self.cancel)
        self.dialog.reset()
        self.dialog.deleteLater()
        return True

    def _finish(self) -> None:
        if not self._close():
            return
        downs, acks, uploaded, cancelled = list(self.downs), list(self.acks), self.uploaded, self.cancelled

        def finish() -> Downloaded:
            got = Downloaded.of(downs, acks, uploaded=uploaded, cancelled=cancelled)
            # marks left for the end of a big run: every household's
            if self.archive.finish_download(complete=not cancelled):
                got = replace(got, changes=got.changes | OpChanges(everything=True))
            return got

        Op(self.window, finish).success(self.finished.emit).failure(self.failed.emit).run()

    def _fail(self, err: BaseException) -> None:
        self.applying = False
        if not self._close():  # a late failure of a cancelled run is nobody's business
            return
        Op(self.window, lambda: self.archive.finish_download(complete=False)).success(
            lambda _r: self.failed.emit(err)).failure(lambda _e: self.failed.emit(err)).run()
