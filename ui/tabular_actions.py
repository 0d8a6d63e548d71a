"""The main window's spreadsheet actions: import a roster, export the current list."""

from __future__ import annotations

from pathlib import Path

from fupin_desktop.archive import Archive
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.tabular.exporter import WHAT

from . import messages
from .operations import Op
from .qt import QFileDialog, QInputDialog, QMessageBox, QSettings, QWidget

# What the export offers: each kind with income lines one a row, and the two that hold income lines
# also with one column per item, as the national system's exports lay them out.
CHOICES = {**{title: (what, "lines") for what, title in WHAT.items()},
           "收入明细（一项一列，全国系统样式）": ("income_lines", "columns"),
           "花名册、收入（一项一列）、帮扶措施和评估记录": ("all", "columns")}


def import_roster(parent: QWidget, archive: Archive, settings: QSettings) -> None:
    from .import_dialog import ImportDialog  # noqa: PLC0415 (on first use: it loads the importer)

    start = str(settings.value("import/folder", str(messages.documents_folder())))
    name, _ = QFileDialog.getOpenFileName(parent, "选择要导入的花名册", start, "表格 (*.xlsx *.csv)")
    if not name:
        return
    settings.setValue("import/folder", str(Path(name).parent))
    dialog = ImportDialog(archive, Path(name), settings=settings, parent=parent)
    dialog.open()
    parent._import_dialog = dialog  # keep it alive while open


def export_current(parent: QWidget, archive: Archive, query: SearchQuery, settings: QSettings) -> None:
    titles = list(CHOICES)
    title, ok = QInputDialog.getItem(parent, "导出 Excel", "导出当前列表中各户的：", titles, 0, False)
    if not ok:
        return
    what, layout = CHOICES[title]
    start = Path(str(settings.value("export/folder", str(messages.documents_folder())))) / f"{title}.xlsx"
    name, _ = QFileDialog.getSaveFileName(parent, "保存为", str(start), "Excel 文件 (*.xlsx)")
    if not name:
        return
    target = Path(name).with_suffix(".xlsx")
    settings.setValue("export/folder", str(target.parent))
    snapshot = SearchQuery(**vars(query))
    said: list[str] = []  # filled on the worker before the result arrives; read after it

    Op(parent, lambda progress: archive.export(snapshot, target, what, progress.report, income_layout=layout,
                                               said=said)).with_progress(
        "正在导出……").success(
        lambda rows: QMessageBox.information(parent, "导出完成", "\n".join(
            [f"已导出 {rows} 行到\n{target}\n（明文文件，请妥善保管）", *said]))
    ).run()
