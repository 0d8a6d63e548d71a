"""The document machinery: a canvas that numbers pages "第 x 页 共 y 页" per section, and a doc
template that pulls its flowables from a generator.

Sections: a per-household form is numbered within the household (a family's 登记表 is 共 3 页
however many families the batch holds); a roster is one section. The canvas keeps only the pages
of the open section; an ``EndSection`` mark at the end of a household's story closes it, and its
pages are then numbered, footed and handed to the PDF. So memory does not grow with the batch,
unlike the usual NumberedCanvas recipe, which keeps every page until the end.

Streaming: ``BaseDocTemplate.build`` takes a list; ``StreamingDoc`` keeps that list topped up from
a generator a few flowables at a time, so a chunk of households is never held as flowables at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

# footer(canvas, page_no, page_total, section_label)
Footer = Callable[[Canvas, int, int, str], None]
MARGIN = 12 * mm
# Page streams are Flate-compressed; the ASCII85 layer ReportLab adds on top makes them 25% larger
# and costs as much time as laying out a table. This app has no other ReportLab user to disturb.
rl_config.useA85 = 0
BOTTOM = 16 * mm  # room for the footer line


class SectionCanvas(Canvas):
    def __init__(self, *args: Any, footer: Footer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._buffered: list[dict[str, Any]] = []
        self._section_label = ""
        self._section_ends = False
        self.pages_written = 0

    def end_section(self, label: str) -> None:
        """Called by ``EndSection`` on the section's last page: number them when that page ends."""
        self._section_label = label
        self._section_ends = True

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._buffered.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own, absent from types-reportlab
        if self._section_ends:
            self._flush()

    def _flush(self) -> None:
        label, pages, written = self._section_label, self._buffered, self.pages_written
        for number, state in enumerate(pages, 1):
            # Restoring a page's state also restores this object's own bookkeeping as it was then;
            # it is set again below.
            self.__dict__.update(state)
            self._footer(self, number, len(pages), label)
            Canvas.showPage(self)
        self._buffered = []
        self._section_ends = False
        self.pages_written = written + len(pages)

    def save(self) -> None:
        if self._buffered:
            self._flush()
        super().save()


class EndSection(Flowable):
    """Zero-size mark at the end of a section; also where progress and Cancel are checked."""

    def __init__(self, label: str, on_done: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.label, self.on_done = label, on_done

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        canvas = self.canv
        if isinstance(canvas, SectionCanvas):
            canvas.end_section(self.label)
        if self.on_done:
            self.on_done()


class StreamingDoc(BaseDocTemplate):
    LOOKAHEAD = 6  # enough for keepWithNext chains; the rest stays in the generator

    def __init__(self, filename: str | IO[bytes], pagesize: tuple[float, float], *, title: str, font: str,
                 author: str = "Fupin Desktop") -> None:
        # initialFontName: otherwise every page also names Helvetica, a font no form uses.
        super().__init__(filename, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                         bottomMargin=BOTTOM, title=title, author=author, creator="Fupin Desktop",
                         pageCompression=1, invariant=0, initialFontName=font, initialFontSize=9,
                         initialLeading=12)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", [frame])])
        self._feed: Iterator[Flowable] = iter(())
        self._story: list[Flowable] = []

    def _top_up(self, flowables: list[Flowable]) -> None:
        # build() also calls handle_flowable on its private "hanging" list: leave that one alone.
        if flowables is not self._story:
            return
        while len(flowables) < self.LOOKAHEAD:
            item = next(self._feed, None)
            if item is None:
                return
            flowables.append(item)

    def handle_flowable(self, flowables: list[Flowable]) -> None:
        self._top_up(flowables)
        super().handle_flowable(flowables)
        self._top_up(flowables)

    def build_from(self, story: Iterator[Flowable], footer: Footer) -> int:
        """Lay out the story; returns the number of pages written."""
        self._feed = iter(story)
        self._story = []
        self._top_up(self._story)
        made: list[SectionCanvas] = []

        def make_canvas(*args: Any, **kwargs: Any) -> SectionCanvas:
            made.append(SectionCanvas(*args, footer=footer, **kwargs))
            return made[-1]

        self.build(self._story, canvasmaker=make_canvas)
        return made[-1].pages_written if made else 0
