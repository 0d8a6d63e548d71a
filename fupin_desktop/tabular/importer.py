"""Importing a roster file: read and clean every row, group into households, match against the
store, and only then write, in one unit of work. By default a file with any error writes nothing;
``partial`` writes the good households and puts the rejected rows in a new xlsx with a 问题 column."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bundle import HouseholdData, MemberData
from ..errors import Cancelled
from ..queries.years import current_year
from ..services.households import (
    add_member, create_households, refresh_households, save_household_year,
    update_household, update_member,
)
from ..services.uow import UnitOfWork
from ..store.store import Store
from ..validation.engine import Context, mark_households
from .grouping import Group, Problem, check_groups, group_rows, read_records
from .header import ColumnMap, find_header
from .plan import Planned, plan
from .reader import Workbook

Progress = Callable[[int, int], None]
WRITE_BATCH = 500


@dataclass
class ImportOptions:
    mapping: Mapping[str, str] | None = None  # header text → field key or name ("" ignores the column)
    sheet: str | None = None
    dry_run: bool = False
    partial: bool = False
    rejected_path: Path | None = None  # where rejected rows go with ``partial`` (default: next to the file)
    year: int | None = None  # the year of 家庭人口数 / 致贫原因 columns (default: the store's current year)


@dataclass
class ImportReport:
    file: str
    sheet: str
    header_row: int
    mapping: dict[str, str]
    planned: list[Planned] = field(default_factory=list)
    year: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    rejected_file: str | None = None
    partial: bool = False

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if not p.group.rejected and p.action == action)

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.planned if p.group.rejected)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def blocked(self) -> bool:
        """All-or-nothing and something is wrong: nothing was (or would be) written."""
        return bool(self.errors) and not self.partial

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "header_row": self.header_row, "year": self.year,
                "applied": self.applied,
                "created": self.count("create"), "updated": self.count("update"),
                "unchanged": self.count("unchanged"), "rejected": self.rejected,
                "rejected_file": self.rejected_file, "mapping": self.mapping,
                "problems": [p.as_dict() for p in self.problems]}


def read_groups(path: Path, options: ImportOptions, year: int = 0) -> tuple[str, ColumnMap, list[Group]]:
    """The file's households, each with its problems (rows are streamed, cells are not kept);
    coded cells are read with the code numbers of ``year``'s era."""
    with Workbook(path) as book:
        sheet = book.sheet(options.sheet)
        columns, early = find_header(sheet.rows, options.mapping, file_name=Path(path).name)
        problems: list[Problem] = []

        def all_rows():
            yield from early
            yield from enumerate(sheet.rows, start=early[-1][0] + 1 if early else columns.header_row + 1)

        groups = group_rows(read_records(all_rows(), columns, problems, year))
    check_groups(groups, problems)
    return sheet.name, columns, groups


def prepare(store: Store, path: Path, options: ImportOptions) -> ImportReport:
    """Everything up to writing: what would be created, updated or left, and every problem."""
    with store.engine.connect() as conn:
        year = options.year or current_year(conn)
    sheet, columns, groups = read_groups(path, options, year)
    with store.engine.connect() as conn:
        planned = plan(conn, groups, store.village_code, year)
    report = ImportReport(str(path), sheet, columns.header_row, columns.mapping(), planned, year=year)
    report.problems = sorted((p for g in groups for p in g.problems), key=lambda p: (p.row, p.column))
    return report


def run_import(store: Store, path: Path, options: ImportOptions | None = None, *,
               progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> ImportReport:
    options = options or ImportOptions()
    report = prepare(store, path, options)
    report.partial = options.partial
    if options.dry_run or (report.errors and not options.partial):
        return report
    good = [p for p in report.planned if not p.group.rejected and p.action != "unchanged"]
    from ..store.backups import auto_backup  # noqa: PLC0415

    if report.rejected:  # written first: a file that cannot be written stops the import before it changes anything
        from .rejected import write_rejected  # noqa: PLC0415

        target = options.rejected_path or Path(path).with_name(Path(path).stem + "-未导入.xlsx")
        report.rejected_file = str(write_rejected(path, options, report, target))
    if good:  # an unusable backup folder stops the import before anything is written
        auto_backup(store, "import")
    apply(store, good, progress=progress, cancel=cancel)
    report.applied = True
    return report


def apply(store: Store, planned: list[Planned], *, progress: Progress | None = None,
          cancel: Callable[[], bool] | None = None) -> None:
    """One unit of work for the whole import: it commits completely or not at all. New households
    are checked in bulk at the end (the per-save check would run the cross-household rules once
    per household); updated ones get the usual refresh."""
    created: list[str] = []
    updated: list[str] = []
    with UnitOfWork(store, check=False) as uow:
        for start in range(0, len(planned), WRITE_BATCH):
            if cancel is not None and cancel():
                raise Cancelled()
            batch = planned[start:start + WRITE_BATCH]
            # Values were parsed with the columns' own parsers (values.coerce) while reading.
            created += create_households(uow, [_bundle(p) for p in batch if p.household_id is None],
                                         trusted=True)
            for p in batch:
                if p.household_id is not None:
                    _update(uow, p)
                    updated.append(p.household_id)
            if progress is not None:
                progress(min(start + WRITE_BATCH, len(planned)), len(planned))
        _refresh(uow, created, updated)


def _refresh(uow: UnitOfWork, created: list[str], updated: list[str]) -> None:
    assert uow.conn is not None
    if updated:
        refresh_households(uow, updated)
    if created:
        mark_households(uow.conn, created, Context.for_store(uow.conn, current_year(uow.conn)))


def _bundle(p: Planned) -> HouseholdData:
    return HouseholdData(fields=dict(p.household_changes), years={p.year: dict(p.year_changes)} if p.year_changes else {},
                         members=[MemberData(dict(m.changes)) for m in p.members])


def _update(uow: UnitOfWork, p: Planned) -> None:
    assert p.household_id is not None
    if p.household_changes:
        update_household(uow, p.household_id, p.household_changes)
    if p.year_changes:
        save_household_year(uow, p.household_id, p.year, p.year_changes)
    for m in p.members:
        if m.member_id is None:
            add_member(uow, p.household_id, m.changes)
        elif m.changes:
            update_member(uow, m.member_id, m.changes)
