"""KeepWithLast (issue 15 item 3): the signature lines move to the next page with the table's last
rows, where ReportLab's KeepTogether would leave them on a page of their own."""

from __future__ import annotations

import io
from collections.abc import Callable

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fupin_desktop.forms.fonts import form_font
from fupin_desktop.forms.layout import KeepWithLast, height

ROWS = [[f"第{i:02d}行", "内容"] for i in range(1, 31)]
FONT = TableStyle([("FONT", (0, 0), (-1, -1), form_font().name, 9)])
SIGNATURE = [Spacer(1, 14), Table([["户主签字：________________", "日期：________"]], style=FONT)]


def pages(story: Callable[[], list[Flowable]]) -> list[str]:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story())
    return [page.extract_text() for page in PdfReader(buffer).pages]


def filler(table: Table) -> Spacer:
    """Space that leaves room on the first page for the table but not for the signatures."""
    doc = SimpleDocTemplate(io.BytesIO(), pagesize=A4)
    return Spacer(1, doc.height - height([table], doc.width, doc.height) - 12)


def test_keep_together_leaves_the_signatures_alone():
    def story() -> list[Flowable]:
        table = Table(ROWS, style=FONT)
        return [filler(table), table, KeepTogether(SIGNATURE)]

    last = pages(story)[-1]
    assert "签字" in last and "第30行" not in last  # the behaviour the issue reported


def test_keep_with_last_takes_the_last_rows_along():
    def story() -> list[Flowable]:
        table = Table(ROWS, style=FONT)
        return [filler(table), KeepWithLast([table], SIGNATURE)]

    texts = pages(story)
    assert len(texts) == 2
    assert "第30行" in texts[1] and "签字" in texts[1] and "第01行" in texts[0]
