"""The county workspace window: one tab per job; package files can be dropped anywhere on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fupin_desktop.county.keys import CountyKeys
from fupin_desktop.county_desk import display_url

from ..qt import QLabel, QMainWindow, QPushButton, QSettings, QTabWidget
from ..screen import fit

PACKAGE_SUFFIX = ".fupinpkg"


@dataclass
class CountyContext:
    """What every tab needs: the open county database, the unlocked keys, per-user settings."""

    engine: Any  # the county database's engine, handed whole to the county functions
    keys: CountyKeys
    settings: QSettings
    db_url: str
    user: str = "县扶贫办"


def package_paths(paths: list[Path]) -> list[Path]:
    """Dropped or chosen paths → package files (a folder stands for the packages in it), in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob(f"*{PACKAGE_SUFFIX}")))
        elif path.is_file():
            files.append(path)
    return files


class CountyWindow(QMainWindow):
    def __init__(self, ctx: CountyContext, *, on_lock: Callable[[], None] | None = None) -> None:
        super().__init__()
        # Here, not at the top: every tab imports CountyContext from this module.
        from .conflicts_tab import ConflictsTab  # noqa: PLC0415
        from .devices_tab import DevicesTab  # noqa: PLC0415
        from .figures_tab import FiguresTab  # noqa: PLC0415
        from .held_tab import HeldTab  # noqa: PLC0415
        from .import_tab import ImportTab  # noqa: PLC0415
        from .reference_tab import ReferenceTab  # noqa: PLC0415

        self.ctx = ctx
        self.setWindowTitle(f"扶贫档案 — 县级工作台：{ctx.keys.county_name}")
        self.setObjectName("countyWindow")
        self.setAcceptDrops(True)
        self.tabs = QTabWidget(objectName="countyTabs")
        self.import_tab = ImportTab(ctx, on_imported=self.refresh_all)
        self.held_tab = HeldTab(ctx, on_changed=self.refresh_all)
        self.conflicts_tab = ConflictsTab(ctx, on_changed=self.refresh_all)
        self.devices_tab = DevicesTab(ctx)
        self.figures_tab = FiguresTab(ctx)
        self.reference_tab = ReferenceTab(ctx)
        for tab, title in ((self.import_tab, "导入"), (self.held_tab, "暂存"), (self.conflicts_tab, "冲突"),
                           (self.devices_tab, "设备"), (self.figures_tab, "全县数字"),
                           (self.reference_tab, "标准和参数")):
            self.tabs.addTab(tab, title)
        self.held_tab.counted.connect(lambda _n: self._update_titles())
        self.conflicts_tab.counted.connect(lambda _n: self._update_titles())
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())
        self.setCentralWidget(self.tabs)
        status = self.statusBar()
        status.addWidget(QLabel(f"县级数据库：{display_url(ctx.db_url)}", objectName="countyDbLabel"))
        if on_lock is not None:
            lock = QPushButton("锁定", objectName="countyLock")
            lock.clicked.connect(on_lock)
            status.addPermanentWidget(lock)
        fit(self, 1280, 800, maximise_when_small=True)
        self.refresh_all()

    def _refresh_current(self) -> None:
        tab = self.tabs.currentWidget()
        if hasattr(tab, "refresh"):
            tab.refresh()

    def refresh_all(self) -> None:
        """An import, a release or a decision changes the backlog, conflicts, devices and figures."""
        for tab in (self.held_tab, self.conflicts_tab, self.devices_tab, self.figures_tab):
            tab.refresh()

    def _update_titles(self) -> None:
        self.tabs.setTabText(1, f"暂存（{self.held_tab.count}）" if self.held_tab.count else "暂存")
        self.tabs.setTabText(2, f"冲突（{self.conflicts_tab.count}）" if self.conflicts_tab.count else "冲突")

    # ---- drag and drop: package files or a USB folder ------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        self.import_paths(paths)

    def import_paths(self, paths: list[Path]) -> None:
        self.tabs.setCurrentWidget(self.import_tab)
        self.import_tab.import_paths(paths)
