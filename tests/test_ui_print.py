"""The print dialog: preview in the app, save as PDF, print, and remembered choices."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from pypdf import PdfReader

from fupin_desktop.archive import Archive
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from ui import messages, print_dialog
from ui.app import install_cjk_font
from ui.operations import hub
from ui.qt import QApplication, QDialog, QLabel, QSettings

from .factories import household


@pytest.fixture
def dialog(qtbot, new_store, tmp_path):
    install_cjk_font(QApplication.instance())
    with unit_of_work(new_store) as uow:
        ids = create_households(uow, [household(f"打印{i}", hh_no=f"PR{i}") for i in range(4)])
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    d = print_dialog.PrintDialog(Archive(new_store), selected=ids[:2], query=SearchQuery(), year=2024,
                                 settings=settings)
    qtbot.addWidget(d)
    d.show()
    return d


def idle(qtbot):
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=30_000)


def test_preview_shows_pages_in_the_app(qtbot, dialog):
    dialog.preview()
    idle(qtbot)
    pages = dialog.findChildren(QLabel, "previewPage")
    assert pages and not pages[0].pixmap().isNull()
    assert "预览：前 2 户" in dialog.status.text()
    dialog.grab().save("/tmp/print-dialog.png")


def test_save_as_pdf_and_remember_choices(qtbot, dialog, tmp_path, monkeypatch):
    out = tmp_path / "roster.pdf"
    dialog.form.setCurrentIndex(dialog.form.findData("roster"))
    assert dialog.mask.isChecked()  # a public form masks by default
    dialog.scope_all.setChecked(True)
    offered = []
    monkeypatch.setattr(print_dialog.QFileDialog, "getSaveFileName",
                        lambda *a, **k: offered.append(a[2]) or (str(out), ""))
    monkeypatch.setattr(print_dialog.QMessageBox, "information", lambda *a, **k: None)
    dialog.save()
    idle(qtbot)
    # The first save is offered in 文档 (Documents), not the home folder nobody opens on Windows.
    assert Path(offered[0]) == messages.documents_folder() / "花名册.pdf" and messages.documents_folder() != Path.home()
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "打印3" in text and "花名册" in text
    assert dialog.settings.value("print/form") == "roster" and dialog.settings.value("print/scope") == "all"


def test_print_sends_pages_to_the_printer(qtbot, dialog, tmp_path, monkeypatch):
    target = tmp_path / "printed.pdf"

    class Accepting:  # the system print dialog cannot run offscreen: choose "print to file"
        def __init__(self, printer, parent):
            printer.setOutputFormat(print_dialog.QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(target))

        def exec(self):
            return QDialog.DialogCode.Accepted

    monkeypatch.setattr(print_dialog, "QPrintDialog", Accepting)
    dialog.form.setCurrentIndex(dialog.form.findData("card"))
    dialog.print_()
    idle(qtbot)
    qtbot.waitUntil(lambda: "已发送到打印机" in dialog.status.text(), timeout=30_000)
    assert target.exists() and len(PdfReader(target).pages) >= 2  # two households' cards


def test_an_unmasked_public_form_needs_a_yes(dialog, monkeypatch):
    dialog.form.setCurrentIndex(dialog.form.findData("card"))
    dialog.mask.setChecked(False)
    answers = iter([print_dialog.QMessageBox.StandardButton.No, print_dialog.QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(print_dialog.QMessageBox, "question", lambda *a, **k: next(answers))
    refused = dialog._options()
    assert refused["mask"] is True and not refused["confirm_unmasked"] and dialog.mask.isChecked()
    dialog.mask.setChecked(False)
    assert dialog._options()["confirm_unmasked"] is True


NOBODY_HAS = "\U00030000"  # CJK Extension G: in none of the fonts of the chain


def test_a_character_no_font_has_is_told_before_printing(qtbot, dialog, monkeypatch):
    with unit_of_work(dialog.store) as uow:
        hid = create_households(uow, [household(f"李{NOBODY_HAS}喆", hh_no="PRX")])[0]
    dialog.selected = [hid]
    asked: list[str] = []

    def answer(_parent, _title, text, *a, **k):
        asked.append(text)
        return print_dialog.QMessageBox.StandardButton.No

    monkeypatch.setattr(print_dialog.QMessageBox, "question", answer)
    monkeypatch.setattr(print_dialog, "render_bytes", lambda *a, **k: pytest.fail("rendered before asking"))
    monkeypatch.setattr(print_dialog, "QPrintDialog", lambda *a, **k: pytest.fail("printed after a no"))
    dialog.print_()
    idle(qtbot)
    assert asked and f"李{NOBODY_HAS}喆：第2个字无法打印" in asked[0]
    assert "已停止" in dialog.status.text()
    monkeypatch.undo()
    dialog.preview()  # the preview lists them under the pages without asking
    idle(qtbot)
    assert "第2个字无法打印" in dialog.status.text() and dialog.findChildren(QLabel, "previewPage")
