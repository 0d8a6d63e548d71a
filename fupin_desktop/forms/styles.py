"""The stylesheet and the table builders every form shares, built once per font.

Tables are data: rows of text plus column widths, given as fractions of the frame width (forms,
whose layout must not change from one household to the next) or fitted to the content (rosters,
ledgers). A cell whose text fits its column is passed to ReportLab as a plain string (fast, one
line); only text that would overflow becomes a Paragraph with ``wordWrap='CJK'``, so long names and
addresses wrap inside their cell instead of running over the border. That split keeps a
500-household batch close to plain ReportLab's speed (bench/forms_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table
from reportlab.platypus.tables import CellStyle

from .chain import FontChain, problem_text
from .fonts import form_chain
from .tables import BLOCK, PagedTable, grid_table

CELL_SIZE = 8.5
# A TableStyle command: ("SPAN", (col, row), (col, row)), ("FONTSIZE", (col, row), (col, row), size), …
Command = tuple[Any, ...]
PAD = 2.5  # left/right cell padding, in points
LABEL_BG = colors.Color(0.93, 0.93, 0.93)
HEADER_BG = colors.Color(0.86, 0.86, 0.86)
LINE = colors.Color(0.25, 0.25, 0.25)
WRITE_ROW = 6 * mm  # height of a row meant for handwriting


@dataclass(frozen=True)
class Span:
    """A value that takes the rest of its row in a label/value grid (addresses, notes)."""

    label: str
    value: str


Item = tuple[str, str] | Span  # a (label, value) pair or a Span, as Kit.pairs lays them out



class FixedParagraph(Paragraph):
    """A paragraph placed in many tables at one width (a column header, a label): broken into
    lines once, not at every table's every measure."""

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab's names)
        if self._wrapped is None or self._wrapped[0] != availWidth:
            self._wrapped = (availWidth, super().wrap(availWidth, availHeight))
        return self._wrapped[1]


@dataclass
class Kit:
    """One form's stylesheet. ``size``: the cell text size (the card condenses to fit one sheet);
    ``unprintable``: report lines for values with characters no font has, drained by the job."""

    chain: FontChain
    width: float  # frame width in points
    size: float = CELL_SIZE
    styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    unprintable: list[str] = field(default_factory=list)
    _widths: dict[str, float] = field(default_factory=dict)
    _fixed: dict[tuple[str, float, str], Any] = field(default_factory=dict)  # a form's few headers and labels

    def __post_init__(self) -> None:
        style = partial(ParagraphStyle, fontName=self.font, wordWrap="CJK")
        size, big = self.size, self.size / CELL_SIZE
        self.styles = {
            "title": style("title", fontSize=17, leading=22, alignment=TA_CENTER, spaceAfter=2),
            "subtitle": style("subtitle", fontSize=9.5, leading=13, alignment=TA_CENTER),
            "heading": style("heading", fontSize=11 * big, leading=14 * big, spaceBefore=5 * big,
                             spaceAfter=2.5 * big, keepWithNext=1),
            "cell": style("cell", fontSize=size, leading=size + 2, alignment=TA_LEFT),
            "head": style("head", fontSize=size, leading=size + 2, alignment=TA_CENTER),
            "words": ParagraphStyle("words", fontSize=size, leading=size + 2, alignment=TA_CENTER,
                                    fontName=self.font),  # wraps at spaces only: header words stay whole
            "boxes": ParagraphStyle("boxes", fontSize=size, leading=size + 2, alignment=TA_LEFT,
                                    fontName=self.font),  # "□因病 □因残": breaks between options only
            "note": style("note", fontSize=8, leading=11, spaceBefore=3),
        }

    @property
    def font(self) -> str:
        return self.chain.main

    # ---- text -----------------------------------------------------------------------------
    def para(self, text: str, style: str = "cell", kind: type[Paragraph] = Paragraph) -> Paragraph:
        self.check(text)
        return kind(self.chain.markup(text).replace("\n", "<br/>"), self.styles[style])

    def check(self, text: str) -> None:
        """Note a value with characters no font of the chain has, to report before printing."""
        if missing := self.chain.missing(text):
            self.unprintable.append(problem_text(text, missing))

    def cell(self, text: str, width: float, style: str = "cell", kind: type[Paragraph] = Paragraph) -> Any:
        """Plain text when the main font has it and it fits on one line of the column, else a
        wrapping paragraph (which also draws rare characters with their fallback font)."""
        if not text:
            return ""
        if "\n" not in text and self.chain.plain(text) and self.text_width(text) <= width - 2 * PAD + 0.01:
            return text
        # Boxes to tick and amounts to write in ("种植业______元") break only between their entries.
        boxes = style == "cell" and (text.startswith("□") or "____" in text)
        return self.para(text, "boxes" if boxes else style, kind)

    def head_cell(self, text: str, width: float) -> Any:
        """A column header: on one line if it fits, else broken only between its words ("现役|军人")."""
        return self._form_text(text, width, "words")

    def label_cell(self, text: str, width: float) -> Any:
        """A label of the form's own (not data): the same on every household's page."""
        return self._form_text(text, width, "head")

    def _form_text(self, text: str, width: float, style: str) -> Any:
        # Every household's page repeats the form's headers and labels: each is laid out once and
        # the one object is placed in every table (``FixedParagraph``).
        key = (text, width, style)
        if (made := self._fixed.get(key)) is None:
            made = self._head_cell(text, width) if style == "words" else self.cell(text, width, style, FixedParagraph)
            self._fixed[key] = made
        return made

    def _head_cell(self, text: str, width: float) -> Any:
        words = header_words(text)
        if self.text_width("".join(words)) <= width - 2 * PAD + 0.01:
            return "".join(words)
        if max(self.text_width(w) for w in words) > width - 2 * PAD + 0.01:
            # A word wider than its column: wrap as CJK after all.
            return self.para("".join(words), "head", FixedParagraph)
        return FixedParagraph(" ".join(self.chain.markup(w) for w in words), self.styles["words"])

    def text_width(self, text: str) -> float:
        # Forms repeat the same few values (是, 否, 汉族, 健康…) thousands of times in a batch.
        width = self._widths.get(text)
        if width is None:
            width = self.chain.width(text, self.size)
            if len(self._widths) < 4000:  # bounded: names and ID numbers are not worth keeping
                self._widths[text] = width
        return width

    def title(self, text: str, subtitle: str = "") -> list[Flowable]:
        out: list[Flowable] = [self.para(text, "title")]
        if subtitle:
            out.append(self.para(subtitle, "subtitle"))
        out.append(Spacer(1, 3 * mm))
        return out

    def heading(self, text: str) -> Paragraph:
        return self.para(text, "heading")

    # ---- tables ---------------------------------------------------------------------------
    def widths(self, fractions: Sequence[float]) -> list[float]:
        total = sum(fractions)
        return [self.width * f / total for f in fractions]

    def fit(self, header: Sequence[str], rows: Sequence[Sequence[str]], flexible: Sequence[int],
            extra: Sequence[Command] = ()) -> list[float]:
        """Column widths from the content (rosters, ledgers): each column as wide as its widest
        value on one line; if that is more than the page, the widest ``flexible`` columns (free
        text that may wrap) are narrowed to a common width until the table fits."""
        n = len(header)
        spanned = {(cmd[1][1] - 1, c) for cmd in extra if cmd[0] == "SPAN"  # body row, column
                   for c in range(cmd[1][0] % n, cmd[2][0] % n + 1)}
        # Headers may wrap between words: the widest word sets the least width.
        need = [max(self.text_width(w) for w in header_words(h)) + 2 * PAD + 1 for h in header]
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if text and (r, c) not in spanned:
                    need[c] = max(need[c], self.text_width(text) + 2 * PAD + 1)
        room = self.width - sum(w for c, w in enumerate(need) if c not in flexible)
        cap = _water_level(sorted(need[c] for c in flexible), room)
        for c in flexible:
            # The widest give way first; none narrower than four characters.
            need[c] = min(need[c], max(cap, self.text_width("四个汉字") + 2 * PAD))
        return self.widths(need)

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[str]], fractions: Sequence[float] | None, *,
             extra: Sequence[Command] = (), align: dict[int, str] | None = None, min_rows: int = 0,
             long: bool = False, empty: str = "", write_room: bool = False, flexible: Sequence[int] = ()
             ) -> Flowable:
        """A grid with a shaded header row that repeats on every page the table continues to.
        ``fractions``: column widths relative to each other; None fits them to the content, the
        ``flexible`` columns wrapping if need be. ``long``: thousands of rows (rosters, ledgers),
        laid out block by block (tables.py). ``empty``: the row shown when there are no rows (and
        none are left for handwriting), so "none" is printed rather than implied."""
        widths = self.widths(fractions) if fractions else self.fit(header, rows, flexible, extra)
        if not rows and not min_rows and empty:
            rows = [[empty] + [""] * (len(header) - 1)]
            extra = [*extra, ("SPAN", (0, 1), (-1, 1)), ("ALIGN", (0, 1), (-1, 1), "CENTER")]
        body = list(rows) + [[""] * len(header)] * max(0, min_rows - len(rows))
        data = [[self.head_cell(h, w) for h, w in zip(header, widths)]]
        data += [[self.cell(v, w) for v, w in zip(row, widths)] for row in body]
        style = grid_lines() + [("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                                                    ("ALIGN", (0, 0), (-1, 0), "CENTER")]
        for col, how in (align or {}).items():
            style.append(("ALIGN", (col, 1), (col, -1), how))
        # Rows left empty for filling in by hand get room for handwriting (all rows: ``write_room``).
        heights = [0.0] + [WRITE_ROW if write_room else 0.0] * len(rows) + [WRITE_ROW] * (len(body) - len(rows))
        cells = grid_cells(self.font, self.size)
        if long and len(body) > BLOCK:
            return PagedTable(data[0], data[1:], widths, style + list(extra), heights, cells)
        return grid_table(data, widths, style + list(extra), cells, repeatRows=1, minRowHeights=heights)

    def pairs(self, items: Sequence[Item], per_row: int = 2, label_frac: float = 0.42, *,
              write_room: bool = False) -> Table:
        """Label/value pairs laid out ``per_row`` to a row; a ``Span`` takes a whole row.
        ``write_room``: rows tall enough to fill in by hand (blank forms)."""
        pair_w = self.width / per_row
        lw, vw = pair_w * label_frac, pair_w * (1 - label_frac)
        data: list[list[Any]] = []
        spans: list[Command] = []
        row: list[Any] = []

        def flush() -> None:
            nonlocal row
            if row:
                data.append(row + [""] * (2 * per_row - len(row)))
                row = []

        for item in items:
            if isinstance(item, Span):
                flush()
                data.append([self.label_cell(item.label, lw), self.cell(item.value, self.width - lw)]
                            + [""] * (2 * per_row - 2))
                r = len(data) - 1
                # After the label columns' shading, so the spanned value cell stays white.
                spans += [("SPAN", (1, r), (-1, r)), ("BACKGROUND", (1, r), (-1, r), colors.white)]
                continue
            label, value = item
            row += [self.label_cell(label, lw), self.cell(value, vw)]
            if len(row) == 2 * per_row:
                flush()
        flush()
        style = grid_lines()
        for c in range(0, 2 * per_row, 2):
            style += [("BACKGROUND", (c, 0), (c, -1), LABEL_BG), ("ALIGN", (c, 0), (c, -1), "CENTER")]
        style += spans
        return grid_table(data, [lw, vw] * per_row, style, grid_cells(self.font, self.size),
                          minRowHeights=[WRITE_ROW if write_room else 0.0] * len(data))


def _water_level(needs: list[float], room: float) -> float:
    """The cap L with sum(min(n, L)) == room: columns asking less than L keep what they ask."""
    for i, need in enumerate(needs):
        share = room / (len(needs) - i)
        if need > share:
            return share
        room -= need
    return float("inf")


def header_words(text: str) -> list[str]:
    """A header's words: marked with "|" where a label may break ("与户主|关系"), and after a
    slash or before a bracket ("务工时间|(月)"); a label without marks is one word."""
    marked = text.replace("/", "/|").replace("(", "|(").replace("（", "|（")
    return [w for w in marked.split("|") if w]


def grid_lines() -> list[Command]:
    """The grid's lines; its cells' font, padding and centring are ``grid_cells``."""
    return [("GRID", (0, 0), (-1, -1), 0.5, LINE), ("BOX", (0, 0), (-1, -1), 0.9, LINE)]


@cache
def grid_cells(font: str, size: float = CELL_SIZE) -> type[CellStyle]:
    """The grid's cell defaults as a cell-style class. Given as table-wide commands, ReportLab
    applied them cell by cell to every table of every form (a twentieth of a batch's time)."""
    pad = 1.8 * min(1.0, size / CELL_SIZE) ** 2  # condensed tables lose padding first
    return type("GridCell", (CellStyle,), {
        "fontname": font, "fontsize": size, "leading": size + 2, "valign": "MIDDLE",
        "leftPadding": PAD, "rightPadding": PAD, "topPadding": pad, "bottomPadding": pad,
    })


def kit(font: str, width: float, size: float = CELL_SIZE) -> Kit:
    """A stylesheet for the registered main font ``font`` and its chain; one per renderer, so the
    characters it could not print are reported for its own job."""
    return Kit(form_chain(font), width, size)
