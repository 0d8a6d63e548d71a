"""The household editor: one window per household, tabs in the order of the paper form, the
validation findings beside them. Saving, drafts and closing are in ``lifecycle``."""

from __future__ import annotations

import copy
from typing import Any

from fupin_desktop.archive import Archive, draft_key
from fupin_desktop.errors import InvalidInput, NotFound
from fupin_desktop.queries.editor import EditorSnapshot
from fupin_desktop.queries.history import HistoryEntry
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.services.carry_over import available, carry_over
from fupin_desktop.services.edit_state import EditState, initial_state, new_id, to_text
from fupin_desktop.services.editing import check_state
from fupin_desktop.validation.engine import check_household
from fupin_desktop.yearstatus import layer_from_labour

from ..errors import show_exception
from ..operations import Op
from ..procedures import ProcedurePanel
from ..screen import fit
from ..qt import (
    QAction, QApplication, QKeySequence, QLabel, QMainWindow, QSettings, QSplitter, Qt, QTabWidget, QTimer,
    QVBoxLayout, QWidget, Signal,
)
from .findings import FindingsPanel, Locator
from .fields import on_change
from .forms import BASIC, CONDITIONS, GUARANTEES, HH, HY, FormTab
from .history import HistoryTab
from .income import IncomeTab
from .lifecycle import OPEN_DRAFTS, Lifecycle
from .measures import MeasuresTab
from .members import MembersTab
from .responsible import ResponsibleTab
from .visits import VisitsTab

CHECK_MS = 700  # findings follow typing after this pause


class HouseholdEditor(Lifecycle, QMainWindow):
    saved = Signal(str)  # the household's id after each save (a new household gets its id here)

    def __init__(self, archive: Archive, household_id: str | None, *, year: int,
                 settings: QSettings | None = None, take_draft: str | None = None) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.archive, self.household_id, self.year, self.settings = archive, household_id, year, settings
        self.new_key = new_id()  # a new household's id while it is being typed
        self.take_draft = take_draft  # a draft chosen at unlock: applied without asking again
        self.draft_key = draft_key(household_id, self.new_key)
        self.snapshot: EditorSnapshot | None = None
        self.loaded = self._filling = False
        self.base_state: EditState | None = None
        self.record_owner: dict[str, str] = {}
        self.save_place: tuple[Any, int, int] | None = None  # where the cursor was when Ctrl+S was pressed
        self.check_timer = QTimer(self, singleShot=True, interval=CHECK_MS)
        self.check_timer.timeout.connect(self.check_now)
        self.load()  # the worker reads while the widgets are built; the answer comes after __init__
        self._build()
        self._build_actions()
        self.init_lifecycle()
        self.setWindowTitle("户档案 — 正在读取……")
        fit(self, 1320, 880)
        if settings is not None and settings.value("editor_geometry"):
            self.restoreGeometry(settings.value("editor_geometry"))
        fit(self, self.width(), self.height(), maximise_when_small=True)  # a geometry from a larger screen too
        QApplication.instance().focusChanged.connect(self._focus_hint)
        self.members.table.currentItemChanged.connect(lambda item, _old: self._hint(item.toolTip() if item else ""))

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        changed = self.on_changed
        self.basic = FormTab(BASIC, self.year, changed)
        self.conditions = FormTab(CONDITIONS, self.year, changed)
        self.guarantees = FormTab(GUARANTEES, self.year, changed)
        self.forms = [self.basic, self.conditions, self.guarantees]
        form_fields = {key: field for form in self.forms for key, field in form.fields.items()}
        result, recorder = form_fields[(HY, "reassess_result")], form_fields[(HY, "reassessed_by")]
        on_change(result, lambda: self._name_recorder(result, recorder))
        self.members = MembersTab(self.year, changed)
        self.income = IncomeTab(self.year, changed, self.population, self.income_reference)
        self.measures = MeasuresTab(self.year, changed, self.member_choices)
        self.responsible = ResponsibleTab(changed, read_helpers=self.archive.helpers)
        self.visits = VisitsTab(changed, self.load_photo)
        self.history = HistoryTab(self.put_back)
        self.procedure_tab = QWidget()
        self.procedure_panel: ProcedurePanel | None = None
        QVBoxLayout(self.procedure_tab)
        self._procedures_for(self.household_id)
        self.saved.connect(self._procedures_for)
        self.tabs = QTabWidget(objectName="editorTabs")
        self.tabs.setDocumentMode(True)
        for n, (widget, title) in enumerate(((self.basic, "基本情况"), (self.members, "家庭成员"),
                                             (self.conditions, "生产生活条件"), (self.guarantees, "两不愁三保障"),
                                             (self.income, "收入核算"), (self.measures, "帮扶措施"),
                                             (self.responsible, "帮扶责任人"), (self.visits, "走访记录"),
                                             (self.history, "历史")), start=1):
            self.tabs.addTab(widget, f"&{n} {title}")  # Alt+digit opens a tab
        self.tabs.addTab(self.procedure_tab, "&0 监测程序")
        self.tabs.currentChanged.connect(lambda _i: self.focus_first())
        self.findings = FindingsPanel()
        self.findings.activated.connect(lambda f: self.locator.go(f))
        self.locator = Locator(self)
        split = QSplitter()
        split.addWidget(self.tabs)
        split.addWidget(self.findings)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([1000, 320])
        self.left_banner = QLabel(objectName="leftBanner")
        self.left_banner.setStyleSheet("background: #fdecea; color: #8a1c1c; padding: 6px;")
        self.left_banner.setVisible(False)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.left_banner)
        column.addWidget(split, 1)
        self.setCentralWidget(centre)
        self.state_label = QLabel(objectName="editorState")
        self.statusBar().addPermanentWidget(self.state_label)

    def _procedures_for(self, household_id: str | None) -> None:
        """The procedures are saved step by step, apart from the editor's save: they need the household saved."""
        layout = self.procedure_tab.layout()
        if self.procedure_panel is not None and self.procedure_panel.household_id == household_id:
            return
        while layout.count():
            item = layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if household_id is None:
            self.procedure_panel = None
            layout.addWidget(QLabel("保存本户后即可在此记录识别纳入、风险消除和退出程序。"))
            return
        self.procedure_panel = ProcedurePanel(self.archive, household_id)
        layout.addWidget(self.procedure_panel)

    def _build_actions(self) -> None:
        bar = self.addToolBar("编辑")
        bar.setObjectName("editorToolbar")
        for text, keys, slot in (("保存", "Ctrl+S", self.save), ("添加成员", "Ctrl+M", self.add_member),
                                 ("核查结果", "F8", self.focus_findings), ("成员详细信息", "F4", self.member_details),
                                 ("打印本户", "Ctrl+P", self.print_forms), ("关闭", "Ctrl+W", self.close)):
            action = QAction(f"{text}（{keys}）", self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            bar.addAction(action)
            self.addAction(action)
        self.carry_action = QAction("从上年复制…", self, objectName="carryOver")
        self.carry_action.setToolTip("把上年的收入明细、生产生活条件、两不愁三保障和未完成的帮扶措施复制到本年度，再逐项修改")
        self.carry_action.triggered.connect(lambda _c=False: self.carry_over())
        bar.addAction(self.carry_action)
        self.leave_action = QAction("注销本户…", self, objectName="leaveHousehold")
        self.leave_action.triggered.connect(lambda _c=False: self.leave_household())
        self.restore_action = QAction("恢复本户", self, objectName="restoreHousehold")
        self.restore_action.triggered.connect(lambda _c=False: self.restore_household())
        for action in (self.leave_action, self.restore_action):
            bar.addAction(action)
            action.setEnabled(False)

    # ---- loading -------------------------------------------------------------------------------
    def load(self) -> None:
        archive, hh_id, year, in_use = self.archive, self.household_id, self.year, frozenset(OPEN_DRAFTS)
        wanted = self.take_draft if not self.loaded else None
        Op(self, lambda: archive.editor_snapshot(hh_id, year, in_use, wanted)).success(self.loaded_snapshot).failure(
            self.op_failed).run()

    def loaded_snapshot(self, snap: EditorSnapshot) -> None:
        if self.gone:
            return
        if self.household_id and snap.household is None:
            self.setWindowTitle("户档案 — 找不到这一户")
            self.centralWidget().setEnabled(False)
            show_exception(self, NotFound("找不到这一户，可能已被合并或数据库已更换。",
                                          hint="请关闭本窗口，回到户列表重新查找。"))
            return
        first, place = not self.loaded, self.save_place or self._place()
        self.save_place = None
        self.snapshot = snap
        self.responsible.helpers = None  # read again when needed: a save may have added someone
        self.apply_state(initial_state(snap.household, self.year))
        self.base_state = self.state()
        self.history.load(snap.history)
        self.loaded = True
        self._show_leaving()
        self.refresh_title()
        self.check_now()
        if snap.draft and snap.draft_key:
            self.offer_draft(snap.draft, snap.draft_key, ask=not (first and self.take_draft))
        if first:
            self.focus_first()
        else:  # read again after a save: the cursor stays where it was
            self._restore_place(place)

    def _place(self) -> tuple[Any, int, int]:
        page = self.tabs.currentWidget()
        table = getattr(page, "table", None)
        return (self.focusWidget(), table.currentRow(),
                table.currentColumn()) if table else (self.focusWidget(), -1, -1)

    def _restore_place(self, place: tuple[Any, int, int]) -> None:
        widget, row, col = place
        table = getattr(self.tabs.currentWidget(), "table", None)
        if table is not None and 0 <= row < table.rowCount():
            table.setFocus()
            table.setCurrentCell(row, col)
        elif widget is not None and self.isAncestorOf(widget):
            widget.setFocus()

    def apply_state(self, state: EditState) -> None:
        """Show ``state`` in every tab (after loading, or from a draft)."""
        state = copy.deepcopy(state)
        snap = self.snapshot
        hh = snap.household if snap else None
        self._filling = True
        for form in self.forms:
            form.set_values(HH, state.household)
            form.set_values(HY, state.year)
        left = {m.fields["id"]: f"已注销：{m.fields.get('left_reason') or ''} {to_text(m.fields.get('left_on'))}"
                for m in (hh.members if hh else []) if not m.active}
        self.members.load(state.members, left)
        self.income.load(state.incomes, self.year)
        self.measures.load(state.measures)
        self.responsible.load(hh.assignments if hh else [], hh.helpers if hh else {}, state.assign)
        self.visits.helpers = [(h_id, h["name"]) for h_id, h in (hh.helpers if hh else {}).items()]
        self.visits.load(hh.visits if hh else [], snap.photos if snap else {}, state.visits, state.visit_changes,
                         state.removed_visits)
        self._filling = False

    def state(self) -> EditState:
        household: dict[str, str] = {}
        year: dict[str, str] = {}
        for form in self.forms:
            household.update(form.values(HH))
            year.update(form.values(HY))
        return copy.deepcopy(EditState(household, year, self.members.rows, self.income.state(), self.measures.rows,
                                       self.responsible.pending, self.visits.pending, self.visits.changes,
                                       self.visits.removed))

    # ---- 注销 / 恢复 ---------------------------------------------------------------------------------
    def left(self) -> bool:
        hh = self.snapshot.household if self.snapshot else None
        return hh is not None and hh.fields.get("record_status", "在册") != "在册"

    def _show_leaving(self) -> None:
        hh = self.snapshot.household if self.snapshot else None
        self.leave_action.setEnabled(hh is not None and not self.left())
        self.restore_action.setEnabled(self.left())
        self.left_banner.setVisible(self.left())
        if hh is not None and self.left():
            f = hh.fields
            self.left_banner.setText(f"本户已注销：{f.get('left_reason') or ''}，{to_text(f.get('left_on'))}"
                                     + (f"（{f['left_note']}）" if f.get("left_note") else "")
                                     + "。如注销有误，可点“恢复本户”。")

    def _label(self) -> str:
        head = next((ms.fields.get("name") for ms in self.members.rows if ms.fields.get("relation") == "户主"), "")
        number = self.basic.fields[(HH, "national_hh_no")].value()
        return f"{head or '本户'}" + (f"（{number}）" if number else "")

    def _saved_first(self) -> bool:
        if self.is_dirty():
            show_exception(self, InvalidInput("本户有未保存的修改，请先保存（Ctrl+S）再注销或恢复。"))
            return False
        return self.household_id is not None and self.loaded

    def leave_household(self) -> None:
        from ..leaving import leave_household  # noqa: PLC0415

        if self._saved_first():
            self.leave_dialog = leave_household(self, self.archive, self.household_id, self._label(),
                                                lambda _c: self._after_change("已注销本户。"))

    def restore_household(self) -> None:
        from ..leaving import restore_household  # noqa: PLC0415

        if self._saved_first():
            restore_household(self, self.archive, self.household_id, self._label(),
                              lambda _c: self._after_change("已恢复本户为在册户。"))

    def _after_change(self, message: str) -> None:
        if not self.gone:
            self.statusBar().showMessage(message, 8000)
            self.load()

    # ---- printing this household's forms ------------------------------------------------------------
    def print_forms(self) -> None:
        """The print dialog of the list, for this household's own forms; it prints what is saved."""
        from ..print_dialog import PrintDialog  # noqa: PLC0415

        if self.household_id is None or not self.loaded:
            show_exception(self, InvalidInput("新户还没有保存，请先保存（Ctrl+S）再打印。"))
            return
        if self.is_dirty():
            show_exception(self, InvalidInput("本户有未保存的修改，打印的是已保存的内容。请先保存（Ctrl+S）再打印。"))
            return
        settings = self.settings if self.settings is not None else QSettings()
        self.print_dialog = PrintDialog(self.archive, selected=[], query=SearchQuery(), year=self.year,
                                        settings=settings, parent=self, household=(self.household_id, self._label()))
        self.print_dialog.open()

    # ---- 从上年复制 ----------------------------------------------------------------------------------
    def carry_over(self) -> None:
        from .. import messages  # noqa: PLC0415
        from .carry_over import CarryOverDialog  # noqa: PLC0415

        if not self.loaded:
            return
        offer = available(self.snapshot.household if self.snapshot else None, self.state(), self.year)
        if offer.source_year is None or not any(offer.there.values()):
            messages.inform(self, f"{self.year} 年以前没有可复制的收入明细、生产生活条件或未完成的帮扶措施。")
            return
        dialog = self.carry_dialog = CarryOverDialog(self, offer, self.year)
        dialog.accepted.connect(lambda: self._carry(dialog.parts(), dialog.overwrite()))
        dialog.open()

    def _carry(self, parts: set[str], overwrite: bool) -> None:
        if not parts or self.gone:
            return
        hh = self.snapshot.household if self.snapshot else None
        self.apply_state(carry_over(hh, self.state(), self.year, parts, overwrite=overwrite))
        self.on_changed()
        self.statusBar().showMessage("已复制上年的内容，请逐项核对、修改后保存（Ctrl+S）。", 15_000)

    # ---- the history's 恢复此原值 ---------------------------------------------------------------------
    def put_back(self, entry: HistoryEntry) -> None:
        from .. import messages  # noqa: PLC0415

        if self.is_dirty():
            show_exception(self, InvalidInput("本户有未保存的修改，请先保存（Ctrl+S）再恢复历史中的原值。"))
            return
        whose = f"{entry.subject}的" if entry.subject and entry.subject != "本户" else ""
        if not self.household_id or not messages.confirm(
                self, f"把{whose}“{entry.field}”恢复为 {entry.old}？",
                f"这一行记录的是 {entry.old} → {entry.new}。恢复作为一条新的修改保存，会记入历史并同步到县里。",
                yes="恢复"):
            return
        archive, hh_id = self.archive, self.household_id
        Op(self, lambda: archive.put_back(hh_id, entry)).success(
            lambda _c: self._after_change(f"已把“{entry.field}”恢复为 {entry.old}。")).run()

    # ---- what the tabs ask ---------------------------------------------------------------------
    def population(self, year: int) -> int | None:
        if year == self.year:
            typed = self.basic.fields[(HY, "population")].value()
            if typed.isdigit() and int(typed):
                return int(typed)
        elif self.snapshot and self.snapshot.household and self.snapshot.household.years.get(year):
            declared = self.snapshot.household.years[year].get("population")
            if declared:
                return declared
        return self.members.active_count() or None

    def income_reference(self, year: int) -> Any:
        """The year's 监测范围, 刚性支出 formula and 收入参考范围: of the 监测对象类别 as typed for the
        editor's year, as stored for the others."""
        if self.snapshot is None:
            return None
        typed: str | None = None
        if year == self.year:
            for form in self.forms:
                field = form.fields.get((HY, "monitoring_category"))
                if field is not None:
                    typed = field.value() or ""
        return self.snapshot.income_reference(year, typed)

    def member_choices(self) -> list[tuple[str, str]]:
        return [(ms.key, ms.fields.get("name") or "（未填姓名）") for ms in self.members.rows]

    def load_photo(self, attachment_id: str, show: Any) -> None:
        archive = self.archive
        Op(self, lambda: archive.photo(attachment_id)).success(lambda data: None if self.gone else show(data)).run()

    # ---- typing and checking ---------------------------------------------------------------------
    def on_changed(self) -> None:
        if self._filling or not self.loaded:
            return
        self.income.refresh()
        self.refresh_title()
        if not self.is_dirty():
            self.state_label.setText("")
        elif not self.state_label.text().startswith("未保存"):
            self.state_label.setText("未保存")
        self.schedule_draft()
        self.check_timer.start()

    def _name_recorder(self, result: QWidget, recorder: QWidget) -> None:
        """A 评估结果 chosen with no 评估记录人 yet names the person signed in: in the field, to be seen and
        changed before saving (the record of an assessment says who made it)."""
        if self.loaded and self.snapshot and not self._filling and result.value() and not recorder.value():
            recorder.set_value(self.snapshot.signed_in)

    def check_now(self) -> None:
        """Run the rules over what is typed now (no database needed: the context was read on load)."""
        if not self.loaded or self.gone:
            return
        snap = self.snapshot
        hh, unreadable = check_state(self.state(), snap.household, self.year, self.archive.village_code,
                                     self.household_id or self.new_key)
        self.record_owner = {}
        for m in hh.members:
            for row in [m.fields, *m.years.values(), *m.work_records]:
                self.record_owner[row.get("id", "")] = m.fields["id"]
        for year, inc in hh.incomes.items():
            for row in [inc.fields, *inc.lines]:
                self.record_owner[row.get("id", "")] = str(year)
        found = check_household(hh, snap.context) + unreadable + snap.cross_findings
        self.findings.show_findings(found)
        self.locator.mark(found)
        self._show_layer_hint(hh.active_members())

    def _show_layer_hint(self, members: list[Any]) -> None:
        """A blank 帮扶层级 is decided by the members' 劳动技能 of the year: the field says which."""
        field = self.basic.fields.get((HY, "support_layer"))
        if field is None:
            return
        derived = layer_from_labour((m.years.get(self.year) or {}).get("labour_skill") for m in members)
        field.lineEdit().setPlaceholderText(f"不填则按劳动技能：{derived}" if derived else "不填则按成员劳动技能判定")

    def refresh_title(self) -> None:
        head = next((ms.fields.get("name") for ms in self.members.rows if ms.fields.get("relation") == "户主"), "")
        number = self.basic.fields[(HH, "national_hh_no")].value()
        title = f"{head or '新户'} — 户档案" + (f"（{number}）" if number else "") + f" · {self.year}年度"
        self.setWindowTitle(("* " if self.is_dirty() else "") + title)

    def _focus_hint(self, _old: Any, new: Any) -> None:
        """A finding is read out in the status bar when the cursor reaches its field."""
        if not self.gone and new is not None and self.isAncestorOf(new):
            self._hint(new.property("finding") or "")

    def _hint(self, message: str) -> None:
        if message:
            self.statusBar().showMessage(message.replace("\n", "；"), 15_000)
        else:
            self.statusBar().clearMessage()

    # ---- keyboard ---------------------------------------------------------------------------------
    def add_member(self) -> None:
        self.tabs.setCurrentWidget(self.members)
        self.members.add_member()

    def member_details(self) -> None:
        if self.tabs.currentWidget() is self.members:
            self.members.edit_details()

    def focus_findings(self) -> None:
        self.findings.focus_list()

    def focus_first(self) -> None:
        page = self.tabs.currentWidget()
        if page in self.forms:
            page.first_field().setFocus()
        elif hasattr(page, "table"):
            page.table.setFocus()
            if page.table.currentRow() < 0 and page.table.rowCount():
                page.table.setCurrentCell(0, 0)
