"""The main window: the village and saved filters on the left, the household list in the centre,
search as you type above it, the store, user and pending changes in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.archive import Archive, OpChanges
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.reference import CodeTables

from .household_table import COLUMNS, HouseholdTableModel
from .operations import Op, hub
from .screen import fit
from .qt import (
    QAbstractItemView, QAction, QCheckBox, QHBoxLayout, QHeaderView, QKeySequence, QLabel, QLineEdit, QMainWindow,
    QMenu, QPushButton, QSettings, QSplitter, Qt, QTableView, QTimer, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
    QWidget,
)

# Dialogs and windows opened from the menus load on first use (the late imports marked noqa: PLC0415):
# the main window shows sooner after unlocking.
SAVED_ROLE = Qt.ItemDataRole.UserRole + 1  # the name of a filter the user saved
SEARCH_DELAY_MS = 40  # long enough to skip the letters of a fast typist, short enough to feel instant


def saved_filters() -> list[tuple[str, dict[str, Any]]]:
    return [("全部", {}), ("未脱贫", {"poverty_status": "未脱贫类"}), ("监测对象", {"monitoring": True}),
            ("有错误", {"has_errors": True}), ("信息不完整", {"incomplete": True}),
            # The monitoring procedure's deadlines (queries.procedures.FILTERS), judged as of today.
            ("程序待办", {"procedure": "待办"}), ("程序超期", {"procedure": "超期"}),
            ("部门预警待处置", {"procedure": "预警待处置"})]


DEMO_MARK = "【演示数据】"


def window_title(archive: Archive) -> str:
    """A demo store says so first, so that nobody takes its households for a real village's."""
    mark = DEMO_MARK + " " if archive.is_demo else ""
    return f"{mark}扶贫档案 — {archive.village_name}（{archive.village_code}）"


class MainWindow(QMainWindow):
    def __init__(self, archive: Archive, *, settings: QSettings, on_lock: Callable[[], None]) -> None:
        super().__init__()
        self.archive = archive
        self.settings = settings
        self.on_lock = on_lock
        self.editors: dict[str, QWidget] = {}
        # On the GUI thread: the window cannot be built without its year, and this one-row read
        # takes 0.7 ms (median of 30; 13 ms the first time) on a 10 000-household demo store,
        # measured on a shared 2-core machine (Archive.current_year, December 2026).
        self.year = archive.current_year()
        self.setWindowTitle(window_title(archive))
        self.query = SearchQuery(year=self.year)
        self.tree_filters: dict[str, Any] = {}  # the village tree's choice; the filter bar's are added
        self.model = HouseholdTableModel(archive.list_rows, self.year, states_loader=self._load_sync_states)
        self._build()
        self._build_actions()
        self._restore_columns()
        hub().changed.connect(self._on_changed)
        self.pending_timer = QTimer(self, singleShot=True, interval=2000)
        self.pending_timer.timeout.connect(self.refresh_tree)
        self.refresh_tree()
        self.run_search()
        fit(self, 1280, 800, maximise_when_small=True)

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter()
        self.tree = QTreeWidget(objectName="villageTree")
        self.tree.setHeaderHidden(True)
        self.tree.itemClicked.connect(self._tree_clicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._tree_menu)
        splitter.addWidget(self.tree)

        centre = QWidget()
        layout = QVBoxLayout(centre)
        bar = QHBoxLayout()
        self.search = QLineEdit(objectName="searchBox")
        self.search.setPlaceholderText("查找：姓名、拼音首字母（如 zs）、证件号码或末几位、户编号")
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self._search_text_changed)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        bar.addWidget(self.search, 1)
        self.show_ids = QCheckBox("显示完整证件号码", objectName="showIds")
        self.show_ids.toggled.connect(lambda on: self.model.set_mask(not on))
        bar.addWidget(self.show_ids)
        self.show_left = QCheckBox("显示已注销", objectName="showLeft")
        self.show_left.toggled.connect(self._toggle_left)
        bar.addWidget(self.show_left)
        self.count_label = QLabel(objectName="countLabel")
        bar.addWidget(self.count_label)
        layout.addLayout(bar)
        from .list_filters import FilterBar  # noqa: PLC0415

        self.filter_bar = FilterBar(self.settings, self._ask_filter_name, lambda: self.refresh_tree())
        self.filter_bar.changed.connect(lambda _f: self.apply_filter(self.tree_filters))
        layout.addWidget(self.filter_bar)

        self.table = QTableView(objectName="householdTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sectionClicked.connect(self._sort_by)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._choose_columns)
        header.setStretchLastSection(True)
        self.model.modelReset.connect(self._apply_widths)
        self.table.doubleClicked.connect(lambda index: self.open_household(self.model.household_id(index.row())))
        layout.addWidget(self.table, 1)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([240, 1040])
        self.setCentralWidget(splitter)

        status = self.statusBar()
        self.store_label = QLabel(f"数据库：{self.archive.path.name}")
        self.user_label = QLabel(f"用户：{self.archive.username}")
        self.pending_label = QLabel(objectName="pendingLabel")
        lock = QPushButton("锁定", objectName="lockButton")
        lock.clicked.connect(self.on_lock)
        for w in (self.store_label, self.user_label, self.pending_label):
            status.addWidget(w)
        status.addPermanentWidget(lock)

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = self.file_menu = menu.addMenu("档案(&F)")
        tools = self.tools_menu = menu.addMenu("工具(&T)")
        toolbar = self.addToolBar("常用")
        toolbar.setObjectName("mainToolbar")

        def action(menu_: QMenu, text: str, slot: Callable[[], None], shortcut: str | None = None,
                   on_toolbar: bool = True) -> QAction:
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            menu_.addAction(act)
            if on_toolbar:
                toolbar.addAction(act)
            return act

        self.new_action = action(file_menu, "新增户", self.new_household, "Ctrl+N")
        action(file_menu, "打开所选户", self._open_selected, "Return", on_toolbar=False)
        action(file_menu, "查找", lambda: (self.search.setFocus(), self.search.selectAll()), "Ctrl+F", False)
        action(file_menu, "打印表格…", self.print_forms, "Ctrl+P")
        action(file_menu, "导入花名册（Excel）…", self.import_roster, on_toolbar=False)
        action(file_menu, "导出当前列表（Excel）…", self.export_list, on_toolbar=False)
        action(file_menu, "注销所选户…", self.leave_selected, on_toolbar=False)
        action(file_menu, "恢复所选户", self.restore_selected, on_toolbar=False)
        action(file_menu, "删除误建户…", self.delete_selected, on_toolbar=False)
        action(file_menu, "导入部门预警名单…", self.import_warnings, on_toolbar=False)
        action(tools, "全面核查", self.run_check)
        action(tools, "村情看板", self.show_dashboard, "Ctrl+D")
        action(tools, "生成演示数据…", self.generate_demo, on_toolbar=False)
        action(tools, "用户管理…", self.manage_users, on_toolbar=False)
        action(file_menu, "锁定", self.on_lock, "Ctrl+L")
        from .sync.controller import SyncController  # noqa: PLC0415

        self.sync = SyncController(self)  # the 同步 menu and packaging after saves

    # ---- the tree of groups and filters ------------------------------------------------------
    def refresh_tree(self) -> None:
        def fill(result: tuple[list[tuple[str, int]], dict[str, int]]) -> None:
            group_list, pending = result
            self.tree.clear()
            root = QTreeWidgetItem([f"{self.archive.village_name}"])
            root.setData(0, Qt.ItemDataRole.UserRole, {})
            for name, n in group_list:
                item = QTreeWidgetItem([f"{name}（{n}户）"])
                item.setData(0, Qt.ItemDataRole.UserRole, {"group_name": name})
                root.addChild(item)
            filters = QTreeWidgetItem(["保存的筛选"])
            for title, query in saved_filters():
                item = QTreeWidgetItem([title])
                item.setData(0, Qt.ItemDataRole.UserRole, query)
                filters.addChild(item)
            for title, query in self.filter_bar.saved():
                item = QTreeWidgetItem([title])
                item.setData(0, Qt.ItemDataRole.UserRole, query)
                item.setData(0, SAVED_ROLE, title)
                item.setToolTip(0, "保存的筛选条件；右键可删除")
                filters.addChild(item)
            causes = QTreeWidgetItem(["按主要致贫原因"])
            causes.setData(0, Qt.ItemDataRole.UserRole, {})
            for cause in CodeTables.default().labels("致贫原因"):
                item = QTreeWidgetItem([cause])
                item.setData(0, Qt.ItemDataRole.UserRole, {"main_cause": cause})
                causes.addChild(item)
            filters.addChild(causes)
            self.tree.addTopLevelItems([root, filters])
            self.tree.expandAll()
            from .sync.controller import status_text  # noqa: PLC0415

            self.pending_label.setText(f"同步：{status_text(pending)}")

        Op(self, self.archive.groups_and_counts).success(fill).run()

    def _load_sync_states(self, ids: list[str], done: Callable[[list[str], dict[str, str]], None]) -> None:
        archive = self.archive
        Op(self, lambda: archive.sync_states(ids)).success(lambda states: done(ids, states)).run()

    def _tree_clicked(self, item: QTreeWidgetItem) -> None:
        filters = item.data(0, Qt.ItemDataRole.UserRole) or {}
        if item.data(0, SAVED_ROLE):  # a combination the user saved: it goes back into the filter bar
            self.tree_filters = {}
            self.filter_bar.set_filters(filters)
            return
        self.apply_filter(filters)

    def _tree_menu(self, pos: Any) -> None:
        item = self.tree.itemAt(pos)
        name = item.data(0, SAVED_ROLE) if item is not None else None
        if not name:
            return
        menu = QMenu(self)
        remove = menu.addAction(f"删除筛选“{name}”")
        if menu.exec(self.tree.viewport().mapToGlobal(pos)) is remove:
            self.filter_bar.remove(name)

    def _ask_filter_name(self) -> str | None:
        from .messages import ask_text  # noqa: PLC0415

        return ask_text(self, "保存筛选", "筛选名称：")

    def apply_filter(self, filters: dict[str, Any]) -> None:
        """Show the households matching ``filters`` (keys of SearchQuery: the village tree's choice)
        and the filter bar's choices together; the search text stays."""
        self.tree_filters = dict(filters)
        self.query = SearchQuery(text=self.query.text, year=self.year, sort=self.query.sort,
                                 descending=self.query.descending, include_left=self.show_left.isChecked(),
                                 **{**filters, **self.filter_bar.filters()})
        self.run_search()

    # ---- search --------------------------------------------------------------------------------
    def _search_text_changed(self) -> None:
        self.query.text = self.search.text()
        self.run_search()

    def run_search(self) -> None:
        query = SearchQuery(**vars(self.query))

        def show(ids: list[str]) -> None:
            if query.text != self.query.text:
                return  # the user typed on; a newer search is on its way
            self.model.set_ids(ids)
            self.count_label.setText(f"共 {len(ids)} 户")

        archive = self.archive
        Op(self, lambda: archive.search(query)).success(show).run()

    def _toggle_left(self, on: bool) -> None:
        self.query.include_left = on
        self.run_search()

    def _sort_by(self, section: int) -> None:
        column = self.model.columns[section]
        if not column.sort_key:
            return
        self.query.descending = not self.query.descending if self.query.sort == column.sort_key else False
        self.query.sort = column.sort_key
        order = Qt.SortOrder.DescendingOrder if self.query.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(section, order)
        self.run_search()

    def _apply_widths(self) -> None:
        for i, column in enumerate(self.model.columns):
            self.table.horizontalHeader().resizeSection(i, column.width)

    def _choose_columns(self, pos) -> None:
        menu = QMenu(self)
        shown = {c.key for c in self.model.columns}
        for column in COLUMNS:
            act = menu.addAction(column.title)
            act.setCheckable(True)
            act.setChecked(column.key in shown)
            act.toggled.connect(lambda on, key=column.key: self._toggle_column(key, on))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _toggle_column(self, key: str, on: bool) -> None:
        keys = [c.key for c in self.model.columns]
        keys = [k for k in keys if k != key] + ([key] if on else [])
        keys = [c.key for c in COLUMNS if c.key in keys]
        self.model.set_columns(keys)
        self.settings.setValue("household_columns", keys)

    def _restore_columns(self) -> None:
        keys = self.settings.value("household_columns")
        if keys:
            self.model.set_columns(list(keys))

    def import_warnings(self) -> None:
        from .procedures import import_warning_list  # noqa: PLC0415

        import_warning_list(self, self.archive)

    # ---- households ----------------------------------------------------------------------------
    def _selected_ids(self) -> list[str]:
        return [self.model.household_id(i.row()) for i in self.table.selectionModel().selectedRows()]

    def _open_selected(self) -> None:
        """Enter opens the selected households, or the first match when nothing is selected."""
        selected = self._selected_ids()
        if self.search.hasFocus() or not selected:
            self._open_first()
            return
        for hh_id in selected[:5]:
            self.open_household(hh_id)

    def _open_first(self) -> None:
        if self.model.ids:
            self.table.selectRow(0)
            self.open_household(self.model.household_id(0))

    def open_household(self, household_id: str | None, take_draft: str | None = None) -> None:
        from .editor import HouseholdEditor  # noqa: PLC0415

        if household_id in self.editors:
            self.editors[household_id].raise_()
            self.editors[household_id].activateWindow()
            return
        editor = HouseholdEditor(self.archive, household_id, year=self.year, settings=self.settings,
                                 take_draft=take_draft)
        self.editors[household_id or f"new-{id(editor)}"] = editor
        editor.saved.connect(lambda new_id, ed=editor: self._rekey(ed, new_id))
        editor.destroyed.connect(lambda *_, ed=editor: self._forget(ed))
        editor.show()

    def _rekey(self, editor: QWidget, household_id: str) -> None:
        """A new household has its id once saved: opening it again raises this editor."""
        self._forget(editor)
        self.editors[household_id] = editor

    def _forget(self, editor: QWidget) -> None:
        for key in [k for k, e in self.editors.items() if e is editor]:
            del self.editors[key]

    # ---- 注销 / 恢复 / 删除误建户 (ui/leaving.py) -----------------------------------------------------
    def _one_selected(self, what: str) -> tuple[str, str] | None:
        from . import messages  # noqa: PLC0415

        rows = self.table.selectionModel().selectedRows()
        if len(rows) != 1:
            messages.inform(self, f"请先在户列表中选中一户，再{what}。")
            return None
        row = self.model.row(rows[0].row()) or {}
        label = (row.get("head_name") or "这一户") + (f"（{row['national_hh_no']}）" if row.get("national_hh_no")
                                                     else "")
        return self.model.household_id(rows[0].row()), label

    def leave_selected(self) -> None:
        from .leaving import leave_household  # noqa: PLC0415

        if chosen := self._one_selected("注销"):
            self.leave_dialog = leave_household(self, self.archive, *chosen, lambda _c: self.run_search())

    def restore_selected(self) -> None:
        from .leaving import restore_household  # noqa: PLC0415

        if chosen := self._one_selected("恢复（勾选“显示已注销”可看到已注销的户）"):
            restore_household(self, self.archive, *chosen, lambda _c: self.run_search())

    def delete_selected(self) -> None:
        from .leaving import delete_mistake  # noqa: PLC0415

        if chosen := self._one_selected("删除"):
            delete_mistake(self, self.archive, *chosen, lambda _c: self.run_search())

    # ---- drafts left by a crash or a power cut, offered once after unlocking ---------------------------
    def offer_waiting_drafts(self) -> None:
        from .editor.lifecycle import OPEN_DRAFTS  # noqa: PLC0415

        archive, year, in_use = self.archive, self.year, frozenset(OPEN_DRAFTS)
        Op(self, lambda: archive.waiting_drafts(year, in_use)).success(self._show_drafts).run()

    def _show_drafts(self, drafts: list[Any]) -> None:
        from .drafts_dialog import DraftsDialog  # noqa: PLC0415

        if drafts:
            self.drafts_dialog = DraftsDialog(self, drafts, self._restore_drafts, self._discard_drafts)
            self.drafts_dialog.open()

    def _restore_drafts(self, drafts: list[Any]) -> None:
        for draft in drafts:
            self.open_household(draft.household_id, take_draft=draft.key)

    def _discard_drafts(self, drafts: list[Any]) -> None:
        from . import messages  # noqa: PLC0415

        if messages.confirm(self, f"丢弃 {len(drafts)} 份草稿？", "草稿中的修改将不再保留。", yes="丢弃"):
            archive, keys = self.archive, [d.key for d in drafts]
            Op(self, lambda: [archive.delete_draft(k) for k in keys]).run()

    def new_household(self) -> None:
        self.open_household(None)

    def print_forms(self) -> None:
        from .print_dialog import PrintDialog  # noqa: PLC0415

        dialog = PrintDialog(self.archive, selected=self._selected_ids(), query=SearchQuery(**vars(self.query)),
                             year=self.year, settings=self.settings, parent=self)
        dialog.open()

    def manage_users(self) -> None:
        from .users_dialog import UsersDialog  # noqa: PLC0415

        self.users_dialog = UsersDialog(self.archive, self)
        self.users_dialog.open()

    def import_roster(self) -> None:
        from .tabular_actions import import_roster  # noqa: PLC0415

        import_roster(self, self.archive, self.settings)

    def export_list(self) -> None:
        from .tabular_actions import export_current  # noqa: PLC0415

        export_current(self, self.archive, self.query, self.settings)

    def show_dashboard(self) -> None:
        from .dashboard import Dashboard  # noqa: PLC0415

        self.dashboard = Dashboard(self.archive, self.year, on_filter=self._filter_from_dashboard)
        self.dashboard.show()

    def _filter_from_dashboard(self, filters: dict[str, Any]) -> None:
        self.search.clear()
        self.query.text = ""
        self.apply_filter(filters)
        self.raise_()
        self.activateWindow()

    # ---- long work -----------------------------------------------------------------------------
    def run_check(self) -> None:
        archive = self.archive
        Op(self, lambda progress: archive.check_all(progress.report, progress.cancelled)).with_progress(
            "正在核查全部档案……").success(
            lambda done: self.statusBar().showMessage(f"核查完成：共 {done.count} 条错误和提示。", 8000)).run()

    def generate_demo(self) -> None:
        archive, seed = self.archive, len(self.model.ids) + 1
        Op(self, lambda progress: archive.fill_demo(300, seed, progress.report, progress.cancelled)).with_progress(
            "正在生成演示数据……").success(
            lambda done: self.statusBar().showMessage(f"已生成 {done.count} 户演示数据。", 8000)).run()

    def _on_changed(self, changes: OpChanges) -> None:
        if changes.everything or not changes.households <= set(self.model.ids):  # e.g. a new household
            self.refresh_tree()
            self.run_search()
        else:
            self.model.invalidate(changes.households)
            self.pending_timer.start()  # counts and groups can wait a moment; the save cannot

    def save_drafts_and_close(self) -> None:
        for editor in list(self.editors.values()):
            editor.save_draft_and_close()
        if getattr(self, "dashboard", None) is not None:
            self.dashboard.close()
        self.close()
