"""The print dialog: form, scope and options, an in-app preview of the pages, then print or save.

The preview and printing render into memory (``forms.render_bytes``): a clear PDF reaches the disk
only when the user saves one. Choices are remembered in the settings.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fupin_desktop.forms import FORMS, Scope, render, render_bytes, unprintable_characters
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.settings import for_store
from fupin_desktop.archive import Archive

from . import messages
from .errors import show_exception
from .operations import Op
from .qt import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QImage, QLabel, QMessageBox,
    QPainter, QPixmap, QPrintDialog, QPrinter, QPushButton, QRadioButton, QScrollArea, QSettings, QSpinBox, Qt,
    QVBoxLayout, QWidget,
)

PREVIEW_HOUSEHOLDS = 3
PRINT_LIMIT = 300  # more than this is printed from a saved PDF (memory, and a long spool)


def pdf_pages(data: bytes, scale: float) -> list[QImage]:
    import pypdfium2 as pdfium  # noqa: PLC0415 (a native library, loaded when a preview is drawn)

    pdf = pdfium.PdfDocument(data)
    images = []
    for page in pdf:
        bitmap = page.render(scale=scale, rev_byteorder=True)  # RGB, as QImage expects
        image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888)
        images.append(image.copy())  # own the pixels: the bitmap's buffer goes away with pdfium
    pdf.close()
    return images


class PrintDialog(QDialog):
    def __init__(self, archive: Archive, *, selected: list[str], query: SearchQuery, year: int,
                 settings: QSettings, parent: QWidget | None = None, household: tuple[str, str] | None = None) -> None:
        """``household`` (id, label): opened from a household's editor, for that household's own forms only."""
        super().__init__(parent)
        self.one = household
        self.setWindowTitle(f"打印本户表格 — {household[1]}" if household else "打印表格")
        self.store = archive.store  # handed whole to the form renderers
        self.selected = [household[0]] if household else selected
        self.query, self.settings = query, settings
        self.form_key = "print/household_form" if household else "print/form"  # the list's choice stays its own
        self.pdf: bytes | None = None
        self.unprintable: list[tuple[str, str]] = []  # found before the last preview, print or save
        layout = QHBoxLayout(self)
        side = QFormLayout()
        self.form = QComboBox(objectName="printForm")
        for key, cls in FORMS.items():
            if household is None or cls.per_household:  # a roster or village table of one household means nothing
                self.form.addItem(cls.title, key)
        self.form.setCurrentIndex(max(0, self.form.findData(settings.value(self.form_key, "registration"))))
        side.addRow("表格：", self.form)
        self.scope_selected = QRadioButton(f"本户：{household[1]}" if household else f"所选的 {len(selected)} 户",
                                           objectName="scopeSelected")
        self.scope_filter = QRadioButton("当前列表（筛选结果）", objectName="scopeFilter")
        self.scope_all = QRadioButton("全村在册户", objectName="scopeAll")
        self.scope_selected.setEnabled(bool(self.selected))
        remembered = "selected" if household else settings.value("print/scope", "selected")
        {"filter": self.scope_filter, "all": self.scope_all}.get(
            remembered, self.scope_selected if self.selected else self.scope_filter).setChecked(True)
        for button in (self.scope_selected, self.scope_filter, self.scope_all):
            side.addRow("" if button is not self.scope_selected else "范围：", button)
        self.scope_filter.setVisible(household is None)
        self.scope_all.setVisible(household is None)
        # The 公示名单's period: what was reviewed or posted in it (a month back by default).
        self.date_from = QDateEdit(objectName="printFrom")
        self.date_to = QDateEdit(objectName="printTo")
        for edit, day in ((self.date_from, date.today() - timedelta(days=30)), (self.date_to, date.today())):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(day)
        period = QHBoxLayout()
        period.addWidget(self.date_from)
        period.addWidget(QLabel("至"))
        period.addWidget(self.date_to)
        self.period_label = QLabel("公示起止：")
        side.addRow(self.period_label, period)
        self.blank = QCheckBox("空白表（手工填写）", objectName="printBlank")
        self.mask = QCheckBox("遮盖身份证号、银行账号、电话（公示用）", objectName="printMask")
        self._form_changed()
        self.year = QSpinBox(objectName="printYear")
        self.year.setRange(2014, 2100)
        self.year.setValue(year)
        side.addRow(self.blank)
        side.addRow(self.mask)
        side.addRow("年度：", self.year)
        self.status = QLabel(objectName="printStatus")
        self.status.setWordWrap(True)
        side.addRow(self.status)
        buttons = QVBoxLayout()
        for text, slot, name in (("预览", self.preview, "previewButton"), ("打印…", self.print_, "printButton"),
                                 ("保存为 PDF…", self.save, "saveButton"), ("关闭", self.reject, "closeButton")):
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        side.addRow(buttons)
        layout.addLayout(side)
        self.pages = QVBoxLayout()
        holder = QWidget()
        holder.setLayout(self.pages)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        scroll.setMinimumWidth(640)
        layout.addWidget(scroll, 1)
        self.form.currentIndexChanged.connect(self._form_changed)
        self.resize(1100, 780)

    # ---- choices -------------------------------------------------------------------------------
    def _form_changed(self) -> None:
        prefs = for_store(self.store)  # masking defaults from the settings: public forms masked unless changed
        public = FORMS[self.form.currentData()].public
        self.mask.setChecked(prefs.mask_public_forms if public else prefs.mask_internal_forms)
        dated = FORMS[self.form.currentData()].dated
        for widget in (self.period_label, self.date_from, self.date_to):
            widget.setEnabled(dated)

    def scope(self) -> Scope:
        if self.scope_selected.isChecked():
            return Scope.households(self.selected)
        if self.scope_filter.isChecked():
            return Scope.filtered(self.query)
        return Scope.village(self.store.village_code)

    def _options(self) -> dict:
        confirmed = self._unmasked_confirmed()  # first: a "no" ticks the mask box again
        period = ((self.date_from.date().toPython(), self.date_to.date().toPython())
                  if FORMS[self.form.currentData()].dated else None)
        return dict(scope=self.scope(), blank=self.blank.isChecked(), mask=self.mask.isChecked(),
                    year=self.year.value(), confirm_unmasked=confirmed, period=period)

    def _unmasked_confirmed(self) -> bool:
        """A public form printed unmasked needs the user's yes (forms/disclosure.py refuses it otherwise)."""
        if self.mask.isChecked() or not FORMS[self.form.currentData()].public:
            return False
        answer = QMessageBox.question(self, "不打码打印公开表",
                                      "明白卡、花名册、公示名单是张贴公示的表。不打码时将打印完整的身份证号、"
                                      "电话、银行账号和健康、残疾、低保情况，仅限内部使用。确定不打码吗？")
        if answer != QMessageBox.StandardButton.Yes:
            self.mask.setChecked(True)
            return False
        return True

    def _remember(self) -> None:
        scope = "selected" if self.scope_selected.isChecked() else "filter" if self.scope_filter.isChecked() else "all"
        self.settings.setValue(self.form_key, self.form.currentData())
        if self.one is None:
            self.settings.setValue("print/scope", scope)

    # ---- characters no font has ---------------------------------------------------------------
    def _when_printable(self, options: dict, limit: int | None, go, *, ask: bool = True) -> None:
        """Look for characters no font has before anything is rendered; if there are some, say
        which and let the user print anyway (they print as empty boxes) or stop and correct them.
        A preview only lists them under the pages."""
        self.unprintable = []
        if options["blank"]:
            go()
            return

        def scan() -> list[tuple[str, str]]:
            return unprintable_characters(self.store, scope=options["scope"], limit=limit)

        def decide(found: list[tuple[str, str]]) -> None:
            self.unprintable = found
            if found and ask and not self._print_anyway(found):
                self.status.setText("已停止：请先在软件中核对无法打印的字。")
                return
            go()

        Op(self, scan).success(decide).failure(self._failed).run()

    def _print_anyway(self, found: list[tuple[str, str]]) -> bool:
        shown = "\n".join(f"{who}：{what}" for who, what in found[:12])
        more = f"\n……共 {len(found)} 处" if len(found) > 12 else ""
        answer = QMessageBox.question(
            self, "有无法打印的字",
            f"以下文字含有本机字体都没有的字，打印出来会是空框：\n\n{shown}{more}\n\n仍然打印吗？（可打印后手工补写）")
        return answer == QMessageBox.StandardButton.Yes

    # ---- actions -------------------------------------------------------------------------------
    def preview(self) -> None:
        form, options = self.form.currentData(), self._options()
        self._remember()
        self.status.setText("正在生成预览……")
        self._when_printable(options, PREVIEW_HOUSEHOLDS, lambda: self._preview(form, options), ask=False)

    def _preview(self, form: str, options: dict) -> None:
        def work() -> tuple[list[QImage], object]:
            data, report = render_bytes(form, self.store, limit=PREVIEW_HOUSEHOLDS, **options)
            return pdf_pages(data, scale=1.0), report

        Op(self, work).success(self._show_preview).failure(self._failed).run()

    def _show_preview(self, result: tuple[list[QImage], object]) -> None:
        images, report = result
        while self.pages.count():
            item = self.pages.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for image in images:
            page = QLabel(objectName="previewPage")
            page.setPixmap(QPixmap.fromImage(image))
            page.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.pages.addWidget(page)
        self.status.setText(self._summary(report, preview=True))

    def _summary(self, report, preview: bool = False) -> str:
        lines = [f"{'预览：前' if preview else '共'} {report.households} 户，{report.pages or '若干'} 页。"]
        lines += report.warnings
        if self.unprintable:
            lines.append(f"{len(self.unprintable)} 处有本机字体都没有的字（打印为空框）：" +
                         "；".join(f"{who}：{what}" for who, what in self.unprintable[:5]))
        problems = [(who, what) for who, what in report.problems if not what.endswith("无法打印")]
        if problems:
            lines.append(f"{len(problems)} 户信息不全（空白处需手工补填）：" +
                         "；".join(f"{who}：{what}" for who, what in problems[:5]))
        return "\n".join(lines)

    def print_(self) -> None:
        form, options = self.form.currentData(), self._options()
        self._remember()
        self._when_printable(options, PRINT_LIMIT, lambda: self._print(form, options))

    def _print(self, form: str, options: dict) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return

        def work(progress) -> list[QImage]:
            data, _report = render_bytes(form, self.store, limit=PRINT_LIMIT, progress=progress.report,
                                         cancel=progress.cancelled, **options)
            return pdf_pages(data, scale=printer.resolution() / 72)

        def send(images: list[QImage]) -> None:
            painter = QPainter(printer)
            for n, image in enumerate(images):
                if n:
                    printer.newPage()
                target = painter.viewport()
                size = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(target.x(), target.y(), image.scaled(size))
            painter.end()
            self.status.setText(f"已发送到打印机：{len(images)} 页。")

        Op(self, work).with_progress("正在准备打印……").success(send).failure(self._failed).run()

    def save(self) -> None:
        form, options = self.form.currentData(), self._options()
        self._remember()
        folder = Path(self.settings.value("print/folder", str(messages.documents_folder())))
        name = f"{FORMS[form].title}-{self.one[1]}" if self.one else FORMS[form].title
        default = str(folder / f"{name}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "保存为 PDF", default, "PDF 文件 (*.pdf)")
        if not path:
            return
        self.settings.setValue("print/folder", str(Path(path).parent))
        self._when_printable(options, None, lambda: self._save(form, options, path))

    def _save(self, form: str, options: dict, path: str) -> None:
        def work(progress):
            return render(form, self.store, out=Path(path), progress=progress.report, cancel=progress.cancelled,
                          **options)

        def done(report) -> None:
            if report.cancelled:
                self.status.setText("已取消，没有生成文件。")
                return
            self.status.setText(f"已保存 {path}\n" + self._summary(report))
            QMessageBox.information(self, "已保存", f"已生成 {path}（{report.pages} 页）。")

        Op(self, work).with_progress("正在生成 PDF……").success(done).failure(self._failed).run()

    def _failed(self, err: BaseException) -> None:
        self.status.setText("")
        show_exception(self, err)
