"""Everyday tools of the household editor with real widgets: printing this household's forms, copying last
year into the new one."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from pypdf import PdfReader
from PySide6.QtCore import QBuffer, QIODevice

from fupin_desktop.archive import Archive
from fupin_desktop.queries.load import load_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import create_households, unit_of_work
from ui import print_dialog
from ui.editor import HouseholdEditor
from ui.qt import QColor, QDialogButtonBox, QImage, QSettings, Qt, QWidget

from . import factories
from .test_ui_editor import YEAR, idle

CTRL = Qt.KeyboardModifier.ControlModifier


def two_households(store) -> list[str]:
    with unit_of_work(store) as uow:
        return create_households(uow, [factories.household("王大山", hh_no="5201020030040011"),
                                       factories.household("赵小河", hh_no="5201020030040012")])


def editor_for(qtbot, store, hh_id, settings=None) -> HouseholdEditor:
    editor = HouseholdEditor(Archive(store), hh_id, year=YEAR, settings=settings)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.loaded)
    return editor


def test_print_this_household_from_the_editor(qtbot, new_store, tmp_path, monkeypatch):
    first, _other = two_households(new_store)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("print/scope", "all")  # the list's choices are not the editor's
    editor = editor_for(qtbot, new_store, first, settings)
    qtbot.keyClick(editor, Qt.Key.Key_P, CTRL)
    dialog = editor.print_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert "王大山" in dialog.windowTitle() and dialog.scope_selected.isChecked()
    assert dialog.scope_selected.text() == "本户：王大山（5201020030040011）"
    assert not dialog.scope_all.isVisible() and not dialog.scope_filter.isVisible()
    forms = [dialog.form.itemText(i) for i in range(dialog.form.count())]
    assert "贫困户登记表" in forms and "花名册" not in forms and "村情统计表" not in forms
    out = tmp_path / "one.pdf"
    asked: list[str] = []
    monkeypatch.setattr(print_dialog.QFileDialog, "getSaveFileName",
                        lambda _p, _t, default, _f: asked.append(default) or (str(out), ""))
    monkeypatch.setattr(print_dialog.QMessageBox, "information", lambda *a, **k: None)
    dialog.form.setCurrentIndex(dialog.form.findData("registration"))
    dialog.save()
    idle(qtbot)
    qtbot.waitUntil(out.exists, timeout=30_000)
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "王大山" in text and "赵小河" not in text
    assert asked[0].endswith("贫困户登记表-王大山（5201020030040011）.pdf")
    assert settings.value("print/scope") == "all" and settings.value("print/household_form") == "registration"
    dialog.close()


def test_print_asks_for_a_save_first(qtbot, new_store, monkeypatch):
    first, _other = two_households(new_store)
    editor = editor_for(qtbot, new_store, first)
    shown: list[str] = []
    monkeypatch.setattr("ui.editor.window.show_exception", lambda _p, err: shown.append(str(err)))
    qtbot.keyClicks(editor.basic.first_field(), "x")
    qtbot.waitUntil(editor.is_dirty)
    qtbot.keyClick(editor, Qt.Key.Key_P, CTRL)
    assert shown and "未保存" in shown[0] and not hasattr(editor, "print_dialog")


def test_carry_over_last_year_into_the_new_year_then_save(qtbot, new_store):
    first, _other = two_households(new_store)
    with unit_of_work(new_store) as uow:
        svc.save_household_year(uow, first, YEAR + 1, {"arable_mu": "4"})  # typed already: stays
    editor = HouseholdEditor(Archive(new_store), first, year=YEAR + 1)
    qtbot.addWidget(editor)
    editor.show()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.loaded)
    assert not editor.is_dirty()
    editor.carry_action.trigger()
    dialog = editor.carry_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.boxes["income"].isChecked() and "4 条" in dialog.boxes["income"].text()
    assert dialog.overwrite_box.isVisibleTo(dialog) and not dialog.overwrite_box.isChecked()
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert editor.is_dirty() and editor.windowTitle().startswith("* ")
    copied = [ln.item for ln in editor.income.state()[YEAR + 1].lines]
    assert copied == ["务工收入", "养老保险金", "种植业", "种植业支出"]
    assert editor.conditions.fields[("household_year", "arable_mu")].value() == "4.00"
    with qtbot.waitSignal(editor.saved, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    with new_store.engine.connect() as conn:
        hh = load_households(conn, [first])[0]
    assert hh.incomes[YEAR + 1].fields["per_capita_net"] == hh.incomes[YEAR].fields["per_capita_net"]

    # Asked again: this year now has lines, so they are replaced only when ticked.
    qtbot.waitUntil(lambda: not editor.is_dirty())
    editor.carry_action.trigger()
    again = editor.carry_dialog
    qtbot.waitUntil(again.isVisible)
    assert not again.boxes["income"].isChecked() and "将被替换" in again.boxes["income"].text()
    again.reject()


def png(width: int, height: int, colour: str) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def test_visit_photos_show_as_thumbnails_and_open_in_a_viewer(qtbot, new_store, tmp_path):
    first, _other = two_households(new_store)
    with unit_of_work(new_store) as uow:
        svc.add_visit(uow, first, {"visited_on": "2024-05-06", "content": "入户了解"}, [
            ("门前.png", png(1600, 1200, "red"), "image/png"), ("屋内.png", png(900, 1600, "blue"), "image/png"),
            ("损坏.jpg", b"not an image at all", "image/jpeg")])
    editor = editor_for(qtbot, new_store, first)
    editor.tabs.setCurrentWidget(editor.visits)
    visits = editor.visits
    visits.table.setCurrentCell(0, 0)
    strip = visits.photo_list
    assert [strip.item(i).text() for i in range(strip.count())] == ["屋内.png", "损坏.jpg", "门前.png"]
    idle(qtbot)
    qtbot.waitUntil(lambda: len(strip.thumbs) == 3)
    sizes = {strip.item(i).text().split("\n")[0]: strip.item(i).icon().availableSizes() for i in range(3)}
    assert sizes["门前.png"] and sizes["门前.png"][0].width() <= 160 and sizes["门前.png"][0].height() <= 120
    assert sizes["屋内.png"][0].height() == 120  # a portrait photo keeps its shape
    assert sizes["损坏.jpg"] == [] and "无法显示" in strip.item(1).text()

    strip.setCurrentRow(0)
    strip.setFocus()
    qtbot.keyClick(strip, Qt.Key.Key_Return)
    viewer = strip.viewer
    qtbot.waitUntil(lambda: viewer is not None and viewer.isVisible())
    qtbot.waitUntil(lambda: not viewer.picture.pixmap().isNull())
    assert viewer.counter.text().endswith("第 1 张，共 3 张") and not viewer.previous.isEnabled()
    shown = viewer.picture.pixmap()
    assert shown.height() <= viewer.picture.height() and shown.width() < 900  # fitted to the window
    assert shown.toImage().pixelColor(shown.width() // 2, shown.height() // 2).blue() > 200
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.counter.text().startswith("损坏.jpg") and "无法显示" in viewer.picture.text()
    viewer.next.click()
    qtbot.waitUntil(lambda: not viewer.picture.pixmap().isNull())
    assert viewer.counter.text().endswith("第 3 张，共 3 张") and not viewer.next.isEnabled()
    assert viewer.picture.pixmap().toImage().pixelColor(5, 5).red() > 200
    if os.environ.get("FUPIN_SHOTS"):
        viewer.grab().save("/tmp/photo-viewer.png")
        editor.grab().save("/tmp/visit-thumbs.png")
    viewer.close()

    # A visit being added shows its photos as thumbnails before it is saved.
    photo = tmp_path / "新照片.png"
    photo.write_bytes(png(400, 300, "green"))
    visits.add()
    dialog = editor.findChild(QWidget, "visitDialog")
    dialog.add_photos([str(photo)])
    assert dialog.photo_list.count() == 1 and str(photo) in dialog.photo_list.thumbs
    assert not dialog.photo_list.item(0).icon().isNull()
    dialog.reject()
