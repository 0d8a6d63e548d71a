"""Keeping what belongs together on one sheet (issue 15 item 3).

``KeepWithLast`` holds a block (the signature lines) to the last rows of the table before it: when
both do not fit where they stand, the table is split early so that its last rows move to the next
page with the block. ReportLab's KeepTogether cannot do this for a table longer than a page: it
splits the table where the page ends and the signatures can be left alone on a page of their own.
``height`` measures a story before it is laid out, so a form can choose a condensed layout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph

UNBOUNDED = 1e7  # points: more than any story's height


class Together(KeepTogether):
    """ReportLab's KeepTogether (a heading with its table), measured without the deep copy of the
    page's frame ReportLab makes at every measure for content that adds to the frame as it is laid
    out. Headings, tables and spacers add nothing; the copies were 2 % of a 登记表 batch's time."""

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        doc: Any = getattr(self.canv, "_doctemplate", None)
        frame = getattr(doc, "frame", None)
        if frame is None:
            return super().wrap(aw, ah)
        doc.frame = None  # _listWrapOn copies the frame only when the document has one
        try:
            return super().wrap(aw, ah)
        finally:
            doc.frame = frame


class KeepWithLast(Flowable):
    """``body`` (flowables: a heading, a table…) then ``tail`` (the signature lines), drawn one
    under the other; split so that the tail always goes with at least the body's last part."""

    def __init__(self, body: Sequence[Flowable], tail: Sequence[Flowable]) -> None:
        super().__init__()
        self.body, self.tail = list(body), list(tail)
        self._heights: list[float] = []

    def _measure(self, items: Sequence[Flowable], aw: float) -> list[float]:
        return [unbounded_height(f, self.canv, aw) for f in items]

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self._heights = self._measure(self.body + self.tail, aw)
        self.width, self.height = aw, sum(self._heights)
        return aw, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        # Leave the tail's room empty on this page: what the body cannot place there goes on with it.
        room = ah - sum(self._measure(self.tail, aw))
        first: list[Flowable] = []
        for n, (item, h) in enumerate(zip(self.body, self._measure(self.body, aw))):
            if h <= room:
                first.append(item)
                room -= h
                continue
            parts = item.splitOn(self.canv, aw, room) if room > 0 else []
            rest = [parts[-1], *self.body[n + 1:]] if len(parts) > 1 else self.body[n:]
            first += parts[:-1]
            while first and isinstance(first[-1], Paragraph) and first[-1].style.keepWithNext:
                rest.insert(0, first.pop())  # a heading goes with what it heads
            return [*first, KeepWithLast(rest, self.tail)] if first else []
        return []

    def draw(self) -> None:
        y = self.height
        for item, h in zip(self.body + self.tail, self._heights):
            y -= h
            item.drawOn(self.canv, 0, y)


def unbounded_height(flowable: Flowable, canvas: Canvas, width: float) -> float:
    """Height as if the page had no end (KeepTogether says 0xffffff, "too tall", to be split)."""
    _w, h = flowable.wrapOn(canvas, width, UNBOUNDED)
    return getattr(flowable, "_H", h) if isinstance(flowable, KeepTogether) else h


def height(story: Sequence[Flowable], width: float, room: float) -> float:
    """The story's height laid out in one column ``width`` wide (with paragraphs' space before
    and after), as if the page had no end."""
    total, canvas = 0.0, Canvas(io.BytesIO())  # some flowables measure on a canvas
    for flowable in story:
        _w, h = flowable.wrapOn(canvas, width, room)
        total += h + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total
