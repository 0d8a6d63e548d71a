"""At unlock: the drafts a crash or a power cut left behind, each with what it holds, to take up
(the household opens with the draft applied) or to drop."""

from __future__ import annotations

from collections.abc import Callable

from fupin_desktop.archive import WaitingDraft

from .qt import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, Qt, QVBoxLayout, QWidget


class DraftsDialog(QDialog):
    def __init__(self, parent: QWidget | None, drafts: list[WaitingDraft],
                 on_restore: Callable[[list[WaitingDraft]], None],
                 on_discard: Callable[[list[WaitingDraft]], None]) -> None:
        super().__init__(parent, objectName="draftsDialog")
        self.drafts, self.on_restore, self.on_discard = drafts, on_restore, on_discard
        self.setWindowTitle("未保存的草稿")
        layout = QVBoxLayout(self)
        intro = QLabel(f"上次使用时有 {len(drafts)} 户的修改没有保存，可能是程序意外关闭或停电造成的。"
                       "勾选要恢复的草稿，点“恢复所选”打开这些户并填入草稿内容，检查后按 Ctrl+S 保存。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget(objectName="draftList")
        for draft in drafts:
            when = draft.saved_at.replace("T", " ")
            item = QListWidgetItem("\n".join([f"{draft.label}　草稿时间 {when}", *("　· " + h for h in draft.holds)]))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        box = QDialogButtonBox()
        self.restore_button = box.addButton("恢复所选", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = box.addButton("丢弃所选", QDialogButtonBox.ButtonRole.DestructiveRole)
        later = box.addButton("以后再说", QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(lambda: self._finish(self.on_restore))
        self.discard_button.clicked.connect(lambda: self._finish(self.on_discard))
        later.clicked.connect(self.reject)
        layout.addWidget(box)
        self.resize(640, 420)

    def chosen(self) -> list[WaitingDraft]:
        return [d for n, d in enumerate(self.drafts) if self.list.item(n).checkState() == Qt.CheckState.Checked]

    def _finish(self, then: Callable[[list[WaitingDraft]], None]) -> None:
        chosen = self.chosen()
        self.accept()
        if chosen:
            then(chosen)
