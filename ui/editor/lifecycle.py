"""Saving, drafts and closing for the household editor.

Ctrl+S writes every tab in one unit of work on the worker thread, then reads the household again.
While someone types, a draft is written into the encrypted store about every 2 seconds; opening
the household again offers it. Closing with unsaved changes asks 保存 / 不保存 / 取消; locking the
screen writes the draft at once and closes without asking.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fupin_desktop.archive import decode_draft, draft_key
from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import EditState, column_label
from fupin_desktop.services.editing import Saved

from ..errors import show_exception
from ..operations import Op
from ..qt import QMessageBox, QTimer
from .members import COLUMNS as MEMBER_COLUMNS

log = logging.getLogger(__name__)
DRAFT_MS = 2000
OPEN_DRAFTS: set[str] = set()  # draft keys of the editors open now (not offered to another one)
Button = QMessageBox.StandardButton


class Lifecycle:
    """Mixed into HouseholdEditor (a QMainWindow); uses its tabs, ``state()`` and ``load()``."""

    def init_lifecycle(self) -> None:
        self.gone = self.saving = self.closing = False
        self.draft_written = False
        self.draft_timer = QTimer(self, singleShot=True, interval=DRAFT_MS)
        self.draft_timer.timeout.connect(self.write_draft)
        held = self.held_keys = set()
        self.destroyed.connect(lambda *_: OPEN_DRAFTS.difference_update(held))  # also when never closed
        self.use_draft_key(self.draft_key)

    def use_draft_key(self, key: str) -> None:
        for keys in (OPEN_DRAFTS, self.held_keys):
            keys.discard(self.draft_key)
            keys.add(key)
        self.draft_key = key

    def is_dirty(self) -> bool:
        return self.loaded and self.state() != self.base_state

    # ---- drafts -------------------------------------------------------------------------------
    def schedule_draft(self) -> None:
        # Not restarted by every key: a draft is at most DRAFT_MS old however fast someone types.
        if not self.draft_timer.isActive():
            self.draft_timer.start()

    def write_draft(self) -> None:
        if not self.loaded or self.saving or self.gone:
            return
        archive, key = self.archive, self.draft_key
        if not self.is_dirty():
            if self.draft_written:
                Op(self, lambda: archive.delete_draft(key)).failure(self._draft_failed).run()
                self.draft_written = False
            return
        state = self.state()
        self.draft_written = True
        Op(self, lambda: archive.write_draft(key, state)).success(self._draft_done).failure(self._draft_failed).run()

    def _draft_done(self, _result: Any) -> None:
        if not self.gone:
            self.state_label.setText(f"未保存 · 草稿 {datetime.now():%H:%M:%S}")

    def _draft_failed(self, err: BaseException) -> None:
        log.warning("draft not written: %s", type(err).__name__)
        if not self.gone:
            self.state_label.setText("草稿未能保存，请尽快按 Ctrl+S 保存")

    def offer_draft(self, text: str, key: str, *, ask: bool = True) -> None:
        state, saved_at = decode_draft(text)
        if state is None:
            return
        if not ask:  # already chosen in the list of drafts at unlock
            self._draft_answer(Button.Yes, state, key)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "恢复草稿", "恢复未保存的草稿？", Button.Yes | Button.No, self)
        box.setObjectName("draftBox")
        box.setInformativeText(f"上次编辑{'本户' if self.household_id else '新户'}时有未保存的修改"
                               f"（{saved_at.replace('T', ' ')}），可能是程序意外关闭或停电造成的。")
        box.button(Button.Yes).setText("恢复草稿")
        box.button(Button.No).setText("丢弃草稿")
        box.setDefaultButton(Button.Yes)
        box.finished.connect(lambda answer: self._draft_answer(answer, state, key))
        box.open()

    def _draft_answer(self, answer: int, state: EditState, key: str) -> None:
        if self.gone:
            return
        if answer == Button.Yes:
            self.use_draft_key(key)
            self.apply_state(state)
            self.draft_written = True
            self.on_changed()
            self.check_now()
            self.statusBar().showMessage("已恢复草稿；按 Ctrl+S 保存。", 8000)
        else:
            archive = self.archive
            Op(self, lambda: archive.delete_draft(key)).failure(self._draft_failed).run()
        self.activateWindow()  # back from the question, the cursor goes where it was
        self.focus_first()

    # ---- saving -------------------------------------------------------------------------------
    def save(self, then: Any = None) -> None:
        if not self.loaded or self.saving or self.gone:
            return
        archive, hh_id, year = self.archive, self.household_id, self.year
        base, state, photos = self.base_state, self.state(), dict(self.visits.pending_bytes)
        self.saving = True
        self.save_place = self._place()
        self.draft_timer.stop()
        self.centralWidget().setEnabled(False)
        self.state_label.setText("正在保存……")
        Op(self, lambda: archive.save_edits(hh_id, year, base, state, photos)).success(
            lambda saved: self._saved(saved, then)).failure(self._save_failed).run()

    def _saved(self, saved: Saved, then: Any) -> None:
        archive, old_key, household_id = self.archive, self.draft_key, saved.household_id
        Op(self, lambda: archive.delete_draft(old_key)).failure(self._draft_failed).run()
        if self.gone:
            return
        self.saving = self.draft_written = False
        self.household_id = household_id
        self.use_draft_key(draft_key(household_id, self.new_key))
        self.visits.pending_bytes.clear()
        self.centralWidget().setEnabled(True)
        self.state_label.setText(f"已保存 {datetime.now():%H:%M:%S}")
        self.saved.emit(household_id)
        if then is not None:
            then()
        else:
            self.load()

    def _save_failed(self, err: BaseException) -> None:
        self.saving = False
        if self.gone:
            return
        self.centralWidget().setEnabled(True)
        self.state_label.setText("未保存")
        show_exception(self, err)
        if isinstance(err, InvalidInput) and err.field:
            self.focus_label(err.field)

    def focus_label(self, label: str) -> None:
        """Put the cursor on the field a message names (by its Chinese label)."""
        for form in self.forms:
            for (table, name), widget in form.fields.items():
                if column_label(table, name) == label:
                    self.tabs.setCurrentWidget(form)
                    widget.setFocus()
                    return
        for table, name in MEMBER_COLUMNS:
            if column_label(table, name) == label:
                self.tabs.setCurrentWidget(self.members)
                self.members.table.setFocus()
                return

    def op_failed(self, err: BaseException) -> None:
        if not self.gone:
            show_exception(self, err)

    # ---- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if self.closing or not self.is_dirty():
            self._gone_now()
            event.accept()
            return
        event.ignore()
        if self.saving:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "关闭", "本户有未保存的修改，是否保存？",
                          Button.Save | Button.Discard | Button.Cancel, self)
        box.setObjectName("unsavedBox")
        for button, text in ((Button.Save, "保存"), (Button.Discard, "不保存"), (Button.Cancel, "取消")):
            box.button(button).setText(text)
        box.setDefaultButton(Button.Save)
        box.finished.connect(self._close_answer)
        box.open()

    def _close_answer(self, answer: int) -> None:
        if answer == Button.Save:
            self.save(then=self._close_now)
        elif answer == Button.Discard:
            archive, key = self.archive, self.draft_key
            Op(None, lambda: archive.delete_draft(key)).failure(lambda _e: None).run()
            self._close_now()

    def _close_now(self) -> None:
        self.closing = True
        self.close()

    def _gone_now(self) -> None:
        if self.settings is not None:
            self.settings.setValue("editor_geometry", self.saveGeometry())
        self.gone = True
        OPEN_DRAFTS.difference_update(self.held_keys)
        self.draft_timer.stop()
        self.check_timer.stop()

    def save_draft_and_close(self) -> None:
        """For locking: the draft is written before the store closes, then the window goes unasked."""
        if self.is_dirty() and not self.saving:
            self.archive.write_draft(self.draft_key, self.state())
        self._close_now()
