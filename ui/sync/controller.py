"""The 同步 menu of the main window and the automatic packaging after saves; downloads from the county
(a new laptop's whole scope, with progress, resumable) and what was received.

Database work (enrol, pack, export, apply acknowledgments, status) runs as ops on the database
worker; uploads run on the network thread. A failed automatic upload is only a line in the status
bar: the packages stay in the outbox and go with the next upload or USB export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupin_desktop.archive import Downloaded, OpChanges, Packed
from fupin_desktop.errors import FupinError
from fupin_desktop.removable import eject_advice
from fupin_desktop.sync.client import send
from fupin_desktop.sync_state import IN_FLIGHT, SyncState

from .. import messages
from ..errors import show_exception
from ..operations import Op, hub
from ..qt import QAction, QEvent, QObject, QProgressDialog, Qt, QTimer, isValid

if TYPE_CHECKING:
    from ..main_window import MainWindow

AUTO_PACK_DELAY_MS = 8000  # after the last save: a burst of edits becomes one package
QUIET_ATTEMPTS = 2  # background uploads give up quickly; the next save tries again
MANUAL_ATTEMPTS = 4  # with back-off: about 4 s before saying the server cannot be reached
DOWNLOAD = "从县里下载本村档案…"
RECEIVED = "收到的更新和冲突…"


def unconfirmed(changes: dict[str, int]) -> int:
    return sum(changes.get(s, 0) for s in IN_FLIGHT)


def status_text(changes: dict[str, int]) -> str:
    text = f"未发送 {changes.get(SyncState.UNSENT, 0)} 条 · 未确认 {unconfirmed(changes)} 条"
    if changes.get(SyncState.CONFLICT):
        text += f" · 冲突 {changes[SyncState.CONFLICT]} 条"
    return text


class SyncController(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.archive = window.archive
        self.auto_timer = QTimer(self, singleShot=True, interval=AUTO_PACK_DELAY_MS)
        self.auto_timer.timeout.connect(self.auto_pack)
        self.uploading = False
        self.download_run: Any = None
        self.last_result = ""  # what the last sync job said, for the status bar and tests
        self._build_menu()
        # Files from the county dropped on the window: a USB folder, down packages, acknowledgments, an
        # enrollment file. A filter, so that the main window itself needs to know nothing of sync.
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        hub().changed.connect(self._on_changed)  # a bound slot: disconnected when the window goes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.window and event.type() in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            paths = _county_files(event.mimeData())  # type: ignore[attr-defined]
            if not paths:
                return False
            event.acceptProposedAction()  # type: ignore[attr-defined]
            if event.type() == QEvent.Type.Drop:
                self.take_dropped(paths)
            return True
        return super().eventFilter(watched, event)

    def take_dropped(self, paths: list[Path]) -> None:
        enrollments = [p for p in paths if p.suffix == ENROLL_SUFFIX]
        if enrollments:
            self.enroll_file(enrollments[0])
        if rest := [p for p in paths if p.suffix != ENROLL_SUFFIX]:
            self.apply_received(rest)

    def _on_changed(self, changes: OpChanges) -> None:
        # Records changed: pack them. Sync states alone (an acknowledgment) must not start another
        # round of packing and uploading.
        if changes.tables or changes.everything:
            self.auto_timer.start()

    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("同步(&S)")
        for text, slot in (("导入入网文件…", self.enroll), ("导出到U盘…", self.export), ("上传到县里", self.upload),
                           ("处理回执…", self.apply_acks), (DOWNLOAD, self.download),
                           ("导入县里的下发包（U盘）…", self.apply_down_folder), (RECEIVED, self.show_received),
                           ("同步状态…", self.show_status)):
            act = QAction(text, self.window)
            act.triggered.connect(slot)
            menu.addAction(act)
        self.menu = menu
        self.received_action = next(a for a in menu.actions() if a.text() == RECEIVED)
        self.refresh_received()

    def refresh_received(self) -> None:
        """The menu entry says how many fields wait for the county's decision; an open 收到的更新和冲突
        dialog follows too."""
        dialog = getattr(self, "received_dialog", None)
        if dialog is not None and isValid(dialog) and dialog.isVisible():
            dialog.refresh()
        def show(waiting: int) -> None:
            self.received_action.setText(f"{RECEIVED}（{waiting} 处冲突）" if waiting else RECEIVED)

        # A menu label is no reason to interrupt anyone: a failure here shows again in the dialog.
        Op(self.window, self.archive.conflicts_waiting).success(show).failure(lambda _e: None).run()

    # ---- server address ------------------------------------------------------------------------
    def server_url(self, status: dict[str, Any]) -> str:
        override = self.archive.settings().county_server_url  # the settings dialog's 县级服务器地址
        county = status.get("county") or {}
        return str(override or county.get("server_url") or "")

    # ---- menu actions --------------------------------------------------------------------------
    def enroll(self) -> None:
        files = messages.choose_files(self.window, "选择县里发的入网文件", "入网文件 (*.fupinenroll);;所有文件 (*)")
        if files:
            self.enroll_file(files[0])

    def enroll_file(self, path: Path) -> None:
        def done(result: tuple[Any, list[tuple[str, int]], str]) -> None:
            e, groups, server = result
            self._say(f"已加入 {e.county_name} 的同步，本机登记为“{e.label}”。")
            if any(count for _g, count in groups) or not (server or e.server_url):
                messages.inform(self.window, f"已加入 {e.county_name} 的同步：本机登记为“{e.label}”。",
                                "第一次上传或用U盘送交变更包时，县里会确认本机。")
                return
            # A new laptop that can reach the county: its records are there (the village's other laptops, or
            # the villages of a township); offer them now rather than leave an empty list. (Without a server
            # address the county's USB folder is the way, said in the 同步 menu.)
            where = "本乡镇各村" if len(e.scope) == 9 else "本村"
            if messages.confirm(self.window, f"已加入 {e.county_name} 的同步：本机登记为“{e.label}”。\n"
                                f"本机还没有档案。现在从县里下载{where}的全部档案吗？",
                                "需要连上县里的服务器；每个包导入后即保存，中断后可以接着下载。没有网络时，先用“同步 → "
                                "导出到U盘…”把本机的登记送到县里，县扶贫办再把下发包写到U盘，用“同步 → 导入县里的"
                                "下发包（U盘）…”导入。", yes="现在下载"):
                self.download()

        archive = self.archive
        Op(self.window, lambda: (archive.enroll(path), archive.groups_and_counts()[0],
                                 archive.settings().county_server_url)).success(done).run()

    def export(self) -> None:
        folder = messages.choose_folder(self.window, "选择U盘（或要写入的文件夹）")
        if folder:
            self.export_to(folder)

    def export_to(self, folder: Path) -> None:
        def done(paths: list[Path]) -> None:
            self.refresh_view()
            if not paths:
                self._say("没有需要导出的变更。")
                messages.inform(self.window, "没有需要导出的变更：县里已经确认了全部变更包。")
                return
            self._say(f"已导出 {len(paths)} 个变更包，请先安全弹出U盘再拔。")
            messages.inform(self.window, f"已写入并校验 {len(paths)} 个变更包。请先安全弹出U盘再拔。",
                            f"{eject_advice()}\n位置：{folder}\n请把U盘交给县扶贫办；县里导入后会给回执。",
                            title="导出完成")

        Op(self.window, lambda: self.archive.export_packages(folder)).success(done).run()

    def upload(self) -> None:
        self._upload(quiet=False)

    def apply_acks(self) -> None:
        files = messages.choose_files(self.window, "选择县里的回执文件", "回执文件 (*.fupinack);;所有文件 (*)")
        if files:
            self.apply_files(files)

    def apply_files(self, files: list[Path]) -> None:
        archive = self.archive

        def done(results: list[tuple[str, Any]]) -> None:
            lines = [f"{name}：{_ack_line(ack)}" for name, ack in results]
            extra = [m for _n, ack in results for m in ack.messages]
            changes = OpChanges()
            for _n, ack in results:
                changes |= ack.changes
            if changes:  # county corrections change records; acknowledgments, sync states
                hub().changed.emit(changes)
            self.refresh_view()
            self.refresh_received()
            self._say(lines[-1])
            messages.inform(self.window, "\n".join(lines), "\n".join(extra), title="回执已处理")

        Op(self.window, lambda: archive.apply_acks(files)).success(done).run()

    def download(self) -> None:
        """A new laptop (or one long offline) takes its whole scope from the county over the network."""
        from .download import DownloadRun  # noqa: PLC0415 (on first use)

        if self.uploading:  # an upload (or a download) is on its way: one exchange at a time
            return

        def failed(err: BaseException) -> None:
            self.uploading = False
            self.refresh_view()
            self.refresh_received()
            self._say(f"下载没有完成：{_message(err)}")
            messages.inform(self.window, f"下载没有完成：{_message(err)}",
                            "已经下载的包都已保存在本机；再点“从县里下载本村档案…”会从断开的地方继续。",
                            title="下载中断")

        run = DownloadRun(self.window, self.archive, attempts=MANUAL_ATTEMPTS)
        run.finished.connect(lambda got: self._downloaded(got))
        run.failed.connect(failed)
        self.download_run, self.uploading = run, True
        run.start()

    def _downloaded(self, got: Downloaded) -> None:
        self.uploading = False
        self._received(got, "下载完成")

    def apply_down_folder(self) -> None:
        folder = messages.choose_folder(self.window, "选择县里写好的U盘文件夹（下发包和回执）")
        if folder:
            self.apply_received([folder])

    def apply_received(self, paths: list[Path]) -> None:
        Op(self.window, lambda: self.archive.apply_received(paths)).success(
            lambda got: self._received(got, "导入完成")).run()

    def _received(self, got: Downloaded, title: str) -> None:
        self.refresh_view()
        self.refresh_received()
        text = f"已先上传本机的 {got.uploaded} 个变更包。" if got.uploaded else ""
        if got.cancelled:
            text += (f"已取消：取消前收到的 {got.packages} 个下发包已保存（{got.households} 户），"
                     "再点“从县里下载本村档案…”会接着下载。")
        elif got.packages:
            text += (f"收到 {got.packages} 个下发包：{got.households} 户有更新" if got.households
                     else f"收到 {got.packages} 个下发包，没有改动本机的档案")
            text += f"，{got.conflicts} 处本机的改动与县里不同（本机先保留，等县里决定）。" if got.conflicts else "。"
            if got.reference:
                text += f"县里更新了 {got.reference} 项标准或规则参数，已按新标准重新检查。"
        else:
            text += "县里没有新的档案：本机已是最新。"
        if got.confirmed or got.refused:
            text += f"回执：县里确认了本机 {got.confirmed} 条变更"
            text += f"，{got.refused} 条成为冲突或被拒。" if got.refused else "。"
        self._say(text)
        detail = "\n".join(got.lines[-20:]) + ("\n" if got.lines else "") + "详见“同步 → 收到的更新和冲突…”。"
        messages.inform(self.window, text, detail, title=title)

    def show_received(self) -> None:
        from .received_dialog import ReceivedDialog  # noqa: PLC0415 (on first use)

        dialog = getattr(self, "received_dialog", None)
        if dialog is None or not isValid(dialog):
            dialog = self.received_dialog = ReceivedDialog(self.archive, parent=self.window,
                                                           open_household=self.window.open_household)
        else:  # one dialog, shown again with what is new
            dialog.refresh()
        dialog.show()
        dialog.raise_()

    def show_status(self) -> None:
        from .status_dialog import SyncStatusDialog  # noqa: PLC0415 (on first use)

        self.status_dialog = SyncStatusDialog(self.archive, parent=self.window)
        self.status_dialog.show()

    # ---- automatic packaging and upload --------------------------------------------------------
    def auto_pack(self) -> None:
        """Pack what the last saves changed; upload in the background if a server is known."""
        def done(packed: Packed | None) -> None:
            if packed is None:
                return
            self.refresh_view()
            if packed.packages:
                self._say(f"已自动打包 {packed.packages} 个变更包。")
            url = self.server_url({"county": {"server_url": packed.server_url}})
            if unconfirmed(packed.counts) and url and not packed.revoked:
                self._upload(quiet=True, url=url)

        Op(self.window, self.archive.pack_pending).success(done).failure(
            lambda err: self._say(f"自动打包没有完成：{_message(err)}")).run()

    def _upload(self, *, quiet: bool, url: str | None = None) -> None:
        if self.uploading:
            return
        self.uploading = True
        dialog = None
        if not quiet:
            dialog = QProgressDialog("正在上传到县里……", "", 0, 0, self.window)
            dialog.setCancelButton(None)
            dialog.setWindowTitle("上传")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)
        attempts = QUIET_ATTEMPTS if quiet else MANUAL_ATTEMPTS

        def finish() -> None:
            self.uploading = False
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()
            self.refresh_view()
            self.refresh_received()  # an acknowledgment may have brought conflicts

        def done(result: Any) -> None:
            finish()
            text = (f"已上传 {len(result.sent)} 个变更包到县里。" if result.sent else "没有需要上传的变更包。")
            if result.ack is not None and not result.ack.already:
                text += f"回执：确认 {result.ack.confirmed} 条，冲突 {result.ack.conflicts} 处。"
                if result.ack.changes:
                    hub().changed.emit(result.ack.changes)
            self._say(text)
            if not quiet:
                messages.inform(self.window, text, title="上传完成")

        def failed(err: BaseException) -> None:
            finish()
            self._say(f"上传没有完成：{_message(err)}变更包都还在本机。")
            if not quiet:
                show_exception(self.window, err)

        # The store is touched only on the database worker; the network thread sends and waits.
        def record(sent: Any) -> None:
            Op(self.window, lambda: self.archive.record_push(sent)).success(done).failure(failed).run()

        def upload(outgoing: Any) -> None:
            Op(self.window, lambda: send(outgoing, attempts=attempts, timeout=15.0),
               network=True).success(record).failure(failed).run()

        Op(self.window, lambda: self.archive.prepare_push(url)).success(upload).failure(failed).run()

    # ---- what the window shows -----------------------------------------------------------------
    def refresh_view(self) -> None:
        """States moved on: re-read the visible rows' 同步 column and the status bar counts."""
        self.window.model.invalidate()
        self.window.pending_timer.start()

    def _say(self, text: str) -> None:
        self.last_result = text
        self.window.statusBar().showMessage(text, 15_000)


def _ack_line(ack: Any) -> str:
    if ack.already:
        return f"回执 {ack.number} 以前已经处理过，没有改动。"
    return f"确认 {ack.confirmed} 条变更，冲突 {ack.conflicts} 处，县级更正 {ack.corrections} 处。"


ENROLL_SUFFIX = ".fupinenroll"
_DROPPED = (".fupinack", ".fupindown", ENROLL_SUFFIX)


def _county_files(mime: Any) -> list[Path]:
    """What of a drag is the county's: folders (a USB stick) and its files; nothing for anything else."""
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.is_dir() or p.suffix in _DROPPED]


def _message(err: BaseException) -> str:
    return err.message if isinstance(err, FupinError) else "程序遇到了意外错误。"
