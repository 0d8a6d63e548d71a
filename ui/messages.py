"""Small, non-blocking messages and the file choosers, in one place so tests can stand in for them.

Information boxes open without blocking (like ui/errors.py); a confirmation has to block, since
the caller needs the answer.
"""

from __future__ import annotations

from pathlib import Path

from .qt import QFileDialog, QInputDialog, QMessageBox, QStandardPaths, QWidget, isValid

_open_boxes: set[QMessageBox] = set()  # a box must outlive the function that opened it


def inform(parent: QWidget | None, text: str, detail: str = "", *, title: str = "提示") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("infoBox")
    if detail:
        box.setInformativeText(detail)
    _open_boxes.add(box)
    box.finished.connect(lambda _r: _open_boxes.discard(box))
    box.open()
    return box


def open_boxes() -> list[QMessageBox]:
    """The boxes still open; one deleted with its window (it never said finished) is let go."""
    _open_boxes.difference_update([box for box in _open_boxes if not isValid(box)])
    return list(_open_boxes)


def confirm(parent: QWidget | None, text: str, detail: str = "", *, yes: str = "确定") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "请确认", text, QMessageBox.StandardButton.Cancel, parent)
    if detail:
        box.setInformativeText(detail)
    ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.button(QMessageBox.StandardButton.Cancel).setText("取消")
    box.exec()
    return box.clickedButton() is ok


def documents_folder() -> Path:
    """文档 (Documents): where people look for what they saved, wherever the system keeps it (on Windows
    also a 文档 moved to OneDrive or another disk). The home folder, which on Windows nobody opens, only
    when the system names none."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, title)
    return Path(folder) if folder else None


def choose_files(parent: QWidget | None, title: str, pattern: str) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(parent, title, "", pattern)
    return [Path(n) for n in names]


def choose_save(parent: QWidget | None, title: str, name: str, pattern: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(documents_folder() / name), pattern)
    return Path(path) if path else None


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text from the user (a name), or None when cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None
