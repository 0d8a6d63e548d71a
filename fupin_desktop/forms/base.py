"""The renderer base class every form extends (the pretix invoice-renderer pattern).

A form says what it is (title, page size, whether it is public, per household or per village)
and builds its story through hooks; the base supplies the page furniture (footer with
"第 x 页 共 y 页", the running head on continuation pages), the signature block and the printing
context (year, masking, problems found on the way).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Spacer, Table, TableStyle
from sqlalchemy import Connection, select

from ..bundle import HouseholdData, MemberData, Row
from ..income import below_line, judged_per_capita
from ..model import AdminArea, column_label
from ..reference import adds_claims, threshold_for
from . import fmt
from .chain import FontChain
from .disclosure import Audience, Disclosure
from .document import MARGIN
from .layout import KeepWithLast, Together
from .masking import Masker
from .scope import PRINTED_PARTS
from .styles import Item, Kit, kit

PORTRAIT = A4
LANDSCAPE = landscape(A4)


@dataclass(frozen=True)
class Judgement:
    label: str  # the line's name
    line: Decimal | None
    judged: Decimal | None  # the per-head income the line is compared with
    below: bool | None  # None when either is missing


@dataclass
class Context:
    """What one print job knows besides the households: shared by every form of the job."""

    conn: Connection | None
    year: int
    disclosure: Disclosure
    font: str
    blank: bool = False
    printed_on: date = field(default_factory=date.today)
    period: tuple[date, date] | None = None  # forms of a date range (公示名单); None: the form's default
    problems: list[tuple[str, str]] = field(default_factory=list)
    _places: dict[str, str] = field(default_factory=dict)
    _lines: dict[tuple[str, int], Decimal | None] = field(default_factory=dict)

    @property
    def masker(self) -> Masker:
        return self.disclosure.masker

    def problem(self, who: str, message: str) -> None:
        self.problems.append((who, message))

    def village_name(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self._places:
            name = None
            if self.conn is not None:
                name = self.conn.execute(select(AdminArea.name).where(AdminArea.code == code)).scalar_one_or_none()
            self._places[code] = name or code
        return self._places[code]

    @staticmethod
    def line_kind(year: int) -> str:
        """Which line a year's income is judged against: 监测范围 from 2020, 退出标准 before."""
        return "监测" if year >= 2020 else "退出"

    def judge(self, row: Row, village_code: str | None, year: int) -> Judgement:
        """A household's income for ``year`` against its line, by the one formula (income.py) the
        editor and ``check`` use: the 刚性支出 taken off against the 监测范围."""
        label, line = self.threshold(village_code, year)
        population = row.get("population")
        judged = judged_per_capita(row, population if isinstance(population, int) else None, self.line_kind(year),
                                   adds_claims(year, village_code))
        below = None if judged is None or line is None else below_line(judged, line)
        return Judgement(label, line, judged, below)

    def threshold(self, village_code: str | None, year: int) -> tuple[str, Decimal | None]:
        """The line a household's income is judged against: 监测范围 from 2020, 退出标准 before."""
        kind = self.line_kind(year)
        label = "防止返贫监测范围" if kind == "监测" else "脱贫退出标准"
        if self.conn is None or not village_code:
            return label, None
        key = (village_code[:2], year)
        if key not in self._lines:  # one query per province and year, not per household
            self._lines[key] = threshold_for(self.conn, village_code[:2], year, kind)
        return label, self._lines[key]


def who(hh: HouseholdData) -> str:
    """How a household is named in footers and problem lists."""
    f = hh.fields
    member = hh.head()
    head = f.get("head_name") or (member.fields.get("name") if member else None) or "（无户主）"
    parts = [f"{head}户"]
    if f.get("national_hh_no"):
        parts.append(f"户编号 {f['national_hh_no']}")
    if f.get("group_name"):
        parts.append(f["group_name"])
    return " · ".join(parts)


def labelled(rows: Mapping[str, Row], columns: Sequence[tuple[str, str]], shown: dict[str, Any] | None = None
             ) -> list[Item]:
    """(label, print text) for these (table, column)s, read from ``rows`` by table, labels from the
    model; ``shown`` overrides values by column name."""
    shown = shown or {}
    return [(column_label(t, c), shown[c] if c in shown else fmt.text(rows[t].get(c))) for t, c in columns]


def member_year(m: MemberData, year: int) -> Row:
    return m.years.get(year, {})


class FormRenderer:
    key: ClassVar[str]
    title: ClassVar[str]
    pagesize: ClassVar[tuple[float, float]] = PORTRAIT
    audience: ClassVar[Audience] = Audience.INTERNAL  # the declaration: see disclosure.py
    public: ClassVar[bool] = False  # derived from ``audience`` (the print dialog reads it)
    per_household: ClassVar[bool] = True
    chunk: ClassVar[int] = 100  # households per chunk file (see merge.py)
    parts: ClassVar[frozenset[str]] = PRINTED_PARTS  # what is loaded of each household (queries/load.py)
    dated: ClassVar[bool] = False  # covers a date range (``Context.period``): the print dialog asks for one

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.public = cls.audience is Audience.PUBLIC

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.kit: Kit = kit(ctx.font, self.pagesize[0] - 2 * MARGIN)
        self.mask = ctx.masker
        self.shown = ctx.disclosure

    @property
    def chain(self) -> FontChain:
        return self.kit.chain

    # ---- hooks ----------------------------------------------------------------------------
    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        raise NotImplementedError

    def document_story(self, households: Iterable[HouseholdData]) -> Iterator[Flowable]:
        """Village-level forms: the whole document from the stream of households."""
        raise NotImplementedError

    def blank_story(self) -> list[Flowable]:
        """The empty form for filling in by hand; per-household forms reuse their layout."""
        return self.household_story(HouseholdData(fields={}))

    def subtitle(self, hh: HouseholdData | None = None) -> str:
        if self.ctx.blank:
            return "（______ 年度）"
        return f"（{self.ctx.year} 年度）"

    # ---- page furniture -------------------------------------------------------------------
    def footer(self, canvas: Canvas, page: int, total: int, label: str) -> None:
        width, height = self.pagesize
        canvas.saveState()
        canvas.setStrokeGray(0.5)
        canvas.setLineWidth(0.4)
        y, size, chain = 9 * mm, 8.0, self.chain
        canvas.line(MARGIN, y + 3.5 * mm, width - MARGIN, y + 3.5 * mm)
        centre, right = f"第 {page} 页 共 {total} 页", f"{self.shown.footer_note()}  打印日期：{self.ctx.printed_on}"
        # The three parts never overlap: the label gives way ("…") before the page number.
        room = width / 2 - chain.width(centre, size) / 2 - MARGIN - 3 * mm
        chain.draw(canvas, MARGIN, y, chain.fit(label, size, room), size)
        chain.draw(canvas, (width - chain.width(centre, size)) / 2, y, centre, size)
        chain.draw(canvas, width - MARGIN - chain.width(right, size), y, right, size)
        if page > 1:
            # A loose continuation page still says what it belongs to.
            head = chain.fit(f"{self.title}（续）  {label}", size, width - 2 * MARGIN)
            chain.draw(canvas, width - MARGIN - chain.width(head, size), height - 8 * mm, head, size)
        canvas.restoreState()

    def signatures(self, roles: Sequence[str], *, inline: bool = False, top: bool = False) -> Flowable:
        """Signature lines, kept on one page. ``inline``: the roles and the date on one line
        (the card, which should stay on one sheet). ``top``: placed under the title, so no
        space above and a little below."""
        table = self._signature_table(roles, inline)
        if top:
            return Together([table, Spacer(1, 2 * mm)])
        return Together([Spacer(1, 5 * mm * self.kit.size / 8.5), table])

    def signed(self, last: Sequence[Flowable], roles: Sequence[str], *, inline: bool = False) -> Flowable:
        """The last section (heading, table…) with the signature lines after it, never parted
        (layout.py): no page ever holds the signatures alone."""
        tail = [Spacer(1, 5 * mm * self.kit.size / 8.5), self._signature_table(roles, inline)]
        return KeepWithLast(last, tail)

    def _signature_table(self, roles: Sequence[str], inline: bool) -> Table:
        cells = [f"{role}：________________" for role in roles]
        date_line = "日期：________ 年 ____ 月 ____ 日"
        if inline:
            rows, columns = [cells + [date_line]], len(cells) + 1
        else:
            rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
            rows = [r + [""] * (2 - len(r)) for r in rows] + [["", date_line]]
            columns = 2
        size = 10.5 * self.kit.size / 8.5
        table = Table(rows, colWidths=[self.kit.width / columns] * columns, style=TableStyle([
            ("FONT", (0, 0), (-1, -1), self.ctx.font, size, size + 3.5),
            ("TOPPADDING", (0, 0), (-1, -1), 9 * self.kit.size / 8.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ]))
        return table

    def drain_unprintable(self, who: str) -> None:
        """Report the values with characters no font has, under the household (or form) that has them."""
        for line in dict.fromkeys(self.kit.unprintable):
            self.ctx.problem(who, line)
        self.kit.unprintable.clear()

    def note_if_missing(self, hh: HouseholdData, checks: Iterable[tuple[bool, str]]) -> None:
        """Record what is missing; the form still prints, with blanks (issue 4, batch rule)."""
        for missing, message in checks:
            if missing:
                self.ctx.problem(who(hh), message)
