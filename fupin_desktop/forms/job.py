"""``render``: one print job, from a form name and a scope to one PDF file.

Per-household forms are rendered in chunks of households, each chunk its own small PDF in a
temporary folder next to the output, then joined by streaming (merge.py), so memory stays flat
however many households the batch holds. The output appears only at the end, by rename: a crash
or a Cancel leaves no half-written PDF under the wanted name.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable, PageBreak, Paragraph
from sqlalchemy import Connection, Engine

from .. import fsutil
from ..bundle import HouseholdData
from ..errors import FupinError, InvalidInput
from ..queries.years import current_year
from .base import Context, FormRenderer, who
from .card import CardForm
from .disclosure import Disclosure
from .document import EndSection, StreamingDoc
from .fonts import form_chain, form_font
from .income_form import IncomeForm
from .ledger import LedgerForm
from .merge import concatenate, free_cycles, older_objects_set_aside
from .preflight import check_output, check_scope, unprintable
from .procedure_forms import ConsentForm, ProcedureForm, PublicityForm
from .registration import RegistrationForm
from .roster import RosterForm
from .scope import Scope, chunks, in_file_order, resolve
from .village import VillageForm

if TYPE_CHECKING:
    from ..store.store import Store

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass
class RenderReport:
    form: str
    out: Path | None
    pages: int = 0
    households: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (household, what is missing)
    font: str = ""
    embedded: bool = False
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0


class PrintCancelled(FupinError):  # noqa: N818 (see errors.py)
    def __init__(self) -> None:
        super().__init__("已取消打印。")


# The CLI's FORM argument and the print dialog's choices, in this order.
FORMS: dict[str, type[FormRenderer]] = {
    c.key: c for c in (RegistrationForm, CardForm, IncomeForm, RosterForm, LedgerForm, VillageForm, PublicityForm,
                       ConsentForm, ProcedureForm)
}


@contextmanager
def _connection(source: Store | Engine | Connection | None) -> Iterator[Connection | None]:
    """A Store, an Engine or an open Connection; None is allowed for blank forms."""
    if source is None or isinstance(source, Connection):
        yield source
        return
    engine: Engine = source if isinstance(source, Engine) else source.engine
    with engine.connect() as conn:
        yield conn


def render_bytes(form: str, source: Store | Engine | Connection | None, *, scope: Scope | None = None,
                 blank: bool = False, mask: bool | None = None, year: int | None = None, limit: int | None = None,
                 progress: Progress | None = None, cancel: Cancel | None = None,
                 confirm_unmasked: bool = False, period: tuple[date, date] | None = None
                 ) -> tuple[bytes, RenderReport]:
    """The same job as ``render`` but into memory, for at most ``limit`` households: the print
    dialog's preview and printing. Nothing is written to disk, so nothing personal is left in clear."""
    cls = _form(form)
    shown = Disclosure.choose(cls.audience, mask, confirm_unmasked)
    font = form_font()
    report = RenderReport(form, None, font=font.description, embedded=font.embedded, warnings=list(font.warnings))
    started = time.perf_counter()
    with _connection(source) as conn:
        ctx = _context(conn, scope, shown, font.name, blank, year, period)
        data = _Job(cls(ctx), report, progress, cancel).in_memory(conn, scope or Scope.all(), limit)
    report.problems = ctx.problems
    report.seconds = time.perf_counter() - started
    return data, report


def unprintable_characters(source: Store | Engine | Connection | None, *, scope: Scope | None = None,
                           blank: bool = False, limit: int | None = None) -> list[tuple[str, str]]:
    """(household, "李𠀾喆：第2个字无法打印") for the households a job would print, found before it
    renders: the CLI and the print dialog say so first, then print (the character prints as an
    empty box). A bad scope is refused here as it would be by ``render``."""
    if blank or source is None:
        return []
    chain = form_chain(form_font().name)
    scope = scope or Scope.all()
    with _connection(source) as conn:
        assert conn is not None
        check_scope(conn, scope)
        ids = resolve(conn, scope)
        return unprintable(conn, ids[:limit] if limit else ids, chain)


def _context(conn: Connection | None, scope: Scope | None, shown: Disclosure, font: str, blank: bool,
             year: int | None, period: tuple[date, date] | None = None) -> Context:
    """The job's context, after the checks that need the store (before any rendering)."""
    if conn is None and not blank:
        raise InvalidInput("打印已填写的表需要打开数据库。")
    if conn is not None and scope is not None and not blank:
        check_scope(conn, scope)
    if period is not None and period[0] > period[1]:
        raise InvalidInput(f"起止日期颠倒：{period[0]} 晚于 {period[1]}。")
    return Context(conn, year or current_year(conn), shown, font, blank=blank, period=period)


def _form(form: str) -> type[FormRenderer]:
    if form not in FORMS:
        raise InvalidInput(f"没有这种表：{form}", hint=f"可选：{'、'.join(FORMS)}")
    return FORMS[form]


def render(form: str, source: Store | Engine | Connection | None, *, out: Path | str, scope: Scope | None = None,
           blank: bool = False, mask: bool | None = None, year: int | None = None,
           progress: Progress | None = None, cancel: Cancel | None = None,
           confirm_unmasked: bool = False, period: tuple[date, date] | None = None) -> RenderReport:
    """Print ``form`` for the households in ``scope`` (or an empty form with ``blank``) to ``out``.

    ``scope`` defaults to every active household. ``mask``: None follows the form's declaration
    (public forms masked, disclosure.py); ``mask=False`` on a public form needs ``confirm_unmasked``.
    Bad input (form, output path, village code) is refused before any rendering. ``year`` defaults to the
    store's current year. ``period``: the date range of forms that cover one (公示名单).
    ``progress(done, total)`` is called per household; ``cancel()`` returning True stops the job,
    deletes what was written and returns a report with ``cancelled`` set. Households with missing
    data print with blanks and are listed in ``report.problems``.
    """
    cls = _form(form)
    out = Path(out)
    check_output(out)
    shown = Disclosure.choose(cls.audience, mask, confirm_unmasked)
    started = time.perf_counter()
    font = form_font()
    report = RenderReport(form, out, font=font.description, embedded=font.embedded, warnings=list(font.warnings))
    with _connection(source) as conn:
        ctx = _context(conn, scope, shown, font.name, blank, year, period)
        job = _Job(cls(ctx), report, progress, cancel)
        try:
            job.run(conn, scope or Scope.all(), out)
        except PrintCancelled:
            report.cancelled, report.out = True, None
        except OSError as err:
            raise FupinError(f"无法写入 PDF 文件：{out}",
                             hint=f"请检查文件夹是否存在、是否有写入权限、磁盘是否已满。（{err}）"
                             ) from err
    report.problems = ctx.problems
    report.seconds = time.perf_counter() - started
    return report


class _Job:
    def __init__(self, renderer: FormRenderer, report: RenderReport, progress: Progress | None,
                 cancel: Cancel | None) -> None:
        self.renderer, self.report = renderer, report
        self.progress, self.cancel = progress, cancel
        self.done = self.total = 0

    def tick(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)
        self.check()

    def check(self) -> None:
        if self.cancel and self.cancel():
            raise PrintCancelled()

    def run(self, conn: Connection | None, scope: Scope, out: Path) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.stem}-", dir=out.parent))
        try:
            with older_objects_set_aside():
                final = work / "out.pdf"
                if self.renderer.ctx.blank:
                    # Per-village forms end their own section; a per-household blank is one section.
                    end = [EndSection("空白表（手工填写）")] if self.renderer.per_household else []
                    self._document(chain(self.renderer.blank_story(), end), final)
                elif self.renderer.per_household:
                    self._per_household(conn, scope, work, final)
                else:
                    self._per_village(conn, scope, final)
                fsutil.replace(final, out)  # a PDF open in a viewer: retried, then FileHeldError
        finally:
            fsutil.try_rmtree(work)

    def _document(self, story: Iterator[Flowable], path: Path | io.BytesIO) -> int:
        r = self.renderer
        doc = StreamingDoc(path if isinstance(path, io.BytesIO) else str(path), r.pagesize, title=r.title,
                           font=r.ctx.font)
        pages = doc.build_from(story, r.footer)
        self.report.pages += pages
        return pages

    def _per_household(self, conn: Connection | None, scope: Scope, work: Path, final: Path) -> None:
        assert conn is not None
        ids = resolve(conn, scope)
        if not ids:
            raise InvalidInput(f"{scope.describe()}中没有可打印的户。")
        self.total = len(ids)
        parts: list[Path] = []
        for n, households in enumerate(chunks(conn, ids, self.renderer.chunk, self.renderer.parts)):
            self.check()
            parts.append(work / f"part-{n:05d}.pdf")
            self._document(self._stories(households), parts[-1])
            self.report.households += len(households)
            # A finished ReportLab document is a web of cycles (doc, canvas, frames) holding every
            # page of its chunk: free it now, not whenever the cyclic collector next gets round to it.
            del households
            free_cycles()
        if len(parts) == 1:
            fsutil.replace(parts[0], final)
            return
        self.check()
        with open(final, "wb") as fh:
            concatenate(parts, fh, self.renderer.title)

    def _stories(self, households: list[HouseholdData]) -> Iterator[Flowable]:
        r = self.renderer
        for n, hh in enumerate(households):
            if n:
                yield PageBreak()  # every household's form starts on a page of its own
            try:
                story = r.household_story(hh)
            except PrintCancelled:
                raise
            except Exception as exc:  # noqa: BLE001  one household's bad data must not stop the batch
                r.ctx.problem(who(hh), f"无法生成此表：{exc}")
                story = [*r.kit.title(r.title), Paragraph("本户数据有误，未能生成，请在软件中检查后重新打印。",
                                                          r.kit.styles["note"])]
            r.drain_unprintable(who(hh))
            yield from story
            yield EndSection(who(hh), self.tick)

    def in_memory(self, conn: Connection | None, scope: Scope, limit: int | None) -> bytes:
        """The job as PDF bytes, never touching the disk (a preview, or a print of a few households)."""
        buffer = io.BytesIO()
        r = self.renderer
        if r.ctx.blank:
            end = [EndSection("空白表（手工填写）")] if r.per_household else []
            self._document(chain(r.blank_story(), end), buffer)
            return buffer.getvalue()
        assert conn is not None
        ids = resolve(conn, scope)
        if not ids:
            raise InvalidInput(f"{scope.describe()}中没有可打印的户。")
        # A list or table of the whole scope (公示名单, 村情统计表) is a few pages however many households it
        # covers, and cut short it would be wrong: ``limit`` bounds only one-sheet-per-household forms.
        ids = ids[:limit] if limit and r.per_household else ids
        self.total = len(ids)
        if r.per_household:
            households = [hh for part in chunks(conn, ids, r.chunk, r.parts) for hh in part]
            self._document(self._stories(households), buffer)
            self.report.households = len(households)
        else:
            self._per_village(conn, Scope.households(ids), buffer)
        return buffer.getvalue()

    def _per_village(self, conn: Connection | None, scope: Scope, final: Path | io.BytesIO) -> None:
        assert conn is not None
        ids = in_file_order(conn, resolve(conn, scope))
        self.total = len(ids)

        def stream() -> Iterator[HouseholdData]:
            for households in chunks(conn, ids, self.renderer.chunk, self.renderer.parts):
                for hh in households:
                    yield hh
                    self.report.households += 1
                    self.tick()

        self._document(self.renderer.document_story(stream()), final)
        self.renderer.drain_unprintable(self.renderer.title)
