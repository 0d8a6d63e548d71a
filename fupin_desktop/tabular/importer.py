"""Importing a roster file: read and clean every row, group into households, match against the
store, and only then write, in one unit of work. By default a file with any error writes nothing;
``partial`` writes the good households and puts the rejected rows in a new xlsx with a 问题 column."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bundle import HouseholdData, MemberData
from ..errors import Cancelled
from ..queries.years import current_year
from ..services.households import (
    add_member,
    create_households,
    refresh_households,
    save_household_year,
    save_member_year,
    update_household,
    update_member,
)
from ..services.uow import UnitOfWork
from ..store.store import Store
from ..validation.engine import Context, Finding, mark_households_in_batches
from .grouping import Group, check_groups, group_rows
from . import income_columns
from .linked import LinkedResult, apply_linked
from .plan import MemberChange, Planned, new_records, plan
from .problem import INFO, WARNING, Problem
from .report import ImportReport
from .rows import RowRecord, ValueMap
from .sheets import SheetsRead, read_sheets
from .verify import attach
from .villagegroups import village_groups

__all__ = ["ImportOptions", "ImportReport", "prepare", "run_import"]

Progress = Callable[[int, int], None]
WRITE_BATCH = 500
MAX_ROUNDS = 5  # leaving households out rarely changes the others' findings twice


@dataclass
class ImportOptions:
    mapping: Mapping[str, str] | None = None  # header text → field key or name ("" ignores the column)
    sheet: str | None = None
    dry_run: bool = False
    partial: bool = False
    rejected_path: Path | None = None  # where rejected rows go with ``partial`` (default: next to the file)
    year: int | None = None  # the year of 家庭人口数 / 致贫原因 columns (default: the store's current year)
    values: ValueMap | None = None  # header or field key → {value as typed: code table label}


@dataclass
class FileRead:
    sheets: SheetsRead
    groups: list[Group]
    loose: list[Problem]  # of no household: skipped rows and sheets, columns not imported


def read_groups(path: Path, options: ImportOptions, year: int = 0) -> FileRead:
    """The file's households, each with its problems (rows are streamed, cells are not kept);
    coded cells are read with the code numbers of ``year``'s era."""
    sheets = read_sheets(Path(path), options.mapping, options.sheet, year, options.values)
    groups = group_rows(sheets.records)
    sheets.records = []  # grouped: the rows live on in their households only
    return FileRead(sheets, groups, check_groups(groups, sheets.problems))


def prepare(store: Store, path: Path, options: ImportOptions) -> ImportReport:
    """Everything up to writing: what would be created, updated or left, and the problems found
    in the file (the store's rules run on the written households: ``run_import``)."""
    with store.engine.connect() as conn:
        year = options.year or current_year(conn)
    read = read_groups(path, options, year)
    with store.engine.connect() as conn:
        loose = read.loose + village_groups(conn, read.groups)  # before planning: it rewrites the names
        planned = plan(conn, read.groups, store.village_code, year)
    first = next(iter(read.sheets.columns.values()), None)
    names = [*read.sheets.columns, *read.sheets.linked.sheets]
    values = list(read.sheets.choices.entries.values())
    loose += [Problem(0, v.header, str(v), INFO, v.sheet) for v in values if v.chosen is not None]
    return ImportReport(str(path), "、".join(names), first.header_row if first else 0,
                        read.sheets.mapping(), planned, year=year, file_problems=loose, values=values,
                        headers=read.sheets.headers(), sheets=list(read.sheets.labels.values()),
                        sheet_labels=dict(read.sheets.labels), linked=read.sheets.linked.rows,
                        linked_headers=dict(read.sheets.linked.header_rows))


def run_import(store: Store, path: Path, options: ImportOptions | None = None, *,
               progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> ImportReport:
    """Read, plan, write in one transaction and check what was written with the store's rules;
    commit only when it is not a dry run and nothing (or, with ``partial``, nothing kept) is wrong."""
    options = options or ImportOptions()
    report = prepare(store, path, options)
    report.partial = options.partial
    if not options.dry_run and (_to_write(report) or report.linked):  # an unusable backup folder stops the import first
        from ..store.backups import auto_backup  # noqa: PLC0415

        auto_backup(store, "import")
    for attempt in range(MAX_ROUNDS):
        todo = _to_check(report) if attempt == 0 else _to_write(report)
        if not _round(store, path, options, report, todo, progress, cancel):
            break
    return report


def _to_write(report: ImportReport) -> list[Planned]:
    return [p for p in report.planned if not p.group.rejected and _writes(p)]


def _writes(p: Planned) -> bool:
    """Something to write: the household's own fields, or its income columns (compared when written)."""
    return p.action != "unchanged" or bool(p.group.household("income_item"))


def _to_check(report: ImportReport) -> list[Planned]:
    """The first round writes (to check, then roll back) the households already refused for what
    their rows say as well, so the preview lists their other errors too — all but those that cannot
    be written at all (no one, a person without a name, two households of the file on one of the store)."""
    return [p for p in report.planned if _writes(p) and (not p.group.rejected or _writable(p))]


def _writable(p: Planned) -> bool:
    people = p.group.members()
    return bool(people) and not p.shared and all(r.get("member.name") for r in people)


class _UndoError(Exception):
    """Leaves the import's transaction without committing (a dry run, or errors found)."""


def _round(store: Store, path: Path, options: ImportOptions, report: ImportReport, todo: list[Planned],
           progress: Progress | None, cancel: Callable[[], bool] | None) -> bool:
    """One write-and-check; True when households were left out and a partial import must try again
    without them (leaving one out can change what the cross-household rules find)."""
    for p in todo:
        p.group.checked = []
    try:
        with UnitOfWork(store, check=False) as uow:
            assert uow.conn is not None
            apply(uow, todo, progress=progress, cancel=cancel)
            linked = _apply_linked(uow, report, todo)
            groups = {p.household_id: p.group for p in todo if p.household_id}
            roster = set(groups)
            for findings in _check(uow, todo, linked.households):  # placed a batch at a time, then let go
                attach(groups, {k: v for k, v in findings.items() if k in groups}, report.headers)
                report.linked_problems += _linked_findings(linked, findings, roster)
            newly = any(p.group.rejected for p in todo)
            if options.dry_run or report.blocked or newly:
                raise _UndoError()
            _write_rejected(path, options, report)
            report.applied = True
        report.changes = uow.changes
    except _UndoError:
        _forget_new_ids(todo)
        return newly and options.partial
    except BaseException:
        _forget_new_ids(todo)
        raise
    return False


def _write_rejected(path: Path, options: ImportOptions, report: ImportReport) -> None:
    """Written before the commit: a file that cannot be written stops the import before it changes anything."""
    if report.rejected or report.linked_left_out():
        from .rejected import write_rejected  # noqa: PLC0415

        target = options.rejected_path or Path(path).with_name(Path(path).stem + "-未导入.xlsx")
        report.rejected_file = str(write_rejected(path, options, report, target))


def apply(uow: UnitOfWork, planned: list[Planned], *, progress: Progress | None = None,
          cancel: Callable[[], bool] | None = None) -> None:
    """Write the planned households in batches; a new household's id is kept on its plan (for the
    check that follows) until the round ends."""
    for start in range(0, len(planned), WRITE_BATCH):
        if cancel is not None and cancel():
            raise Cancelled()
        batch = planned[start:start + WRITE_BATCH]
        new = [p for p in batch if p.household_id is None]
        # Values were parsed with the columns' own parsers (values.coerce) while reading.
        for p, household_id in zip(new, create_households(uow, [_bundle(p) for p in new], trusted=True), strict=True):
            p.household_id, p.created = household_id, True
        for p in batch:
            if not p.created:
                _update(uow, p)
        if progress is not None:
            progress(min(start + WRITE_BATCH, len(planned)), len(planned))


def _check(uow: UnitOfWork, planned: list[Planned], linked: Iterable[str] = ()) -> Iterator[dict[str, list[Finding]]]:
    """The touched households' findings, as the whole-store check will give them, a batch at a
    time; their marks are written."""
    assert uow.conn is not None
    updated = [p.household_id for p in planned if p.household_id and not p.created]
    if updated:
        refresh_households(uow, updated)  # head's name and member count
    ids = list(dict.fromkeys([*(p.household_id for p in planned if p.household_id), *linked]))
    return mark_households_in_batches(uow.conn, ids, Context.for_store(uow.conn, current_year(uow.conn)))


def _apply_linked(uow: UnitOfWork, report: ImportReport, todo: list[Planned]) -> LinkedResult:
    """The 收入明细 and 帮扶措施 rows, after the roster's households are written (they may be new),
    with the income columns of the roster's households."""
    left_out = {k for p in report.planned if p.group.rejected for k in _keys(p)}
    result = apply_linked(uow, report.linked, report.year, left_out, _roster_income(todo))
    report.linked_problems, report.linked_counts, report.linked_written = result.problems, result.counts, result.written
    return result


def _roster_income(todo: list[Planned]) -> list[tuple[str, RowRecord]]:
    """Each written household's income columns as the year's lines (one record a line, on the
    row that gave the values: the head's first)."""
    found: list[tuple[str, RowRecord]] = []
    for p in todo:
        items = p.group.household("income_item")
        if not items or p.household_id is None or p.group.rejected:  # refused: its lines are not counted
            continue
        row = next(r for r in sorted(p.group.rows, key=lambda r: r.get("member.relation") != "户主")
                   if any(k.startswith(income_columns.PREFIX) for k in r.keys))
        found += [(p.household_id, line) for line in income_columns.line_records(row, items, p.year)]
    return found


def _keys(p: Planned) -> set[str]:
    """The 户编号 and head's ID number by which linked rows may name this household of the file."""
    keys = {p.group.household().get("national_hh_no")}
    for r in p.group.rows:
        keys.add(r.get("group.head_id_no"))
        if r.get("member.relation") == "户主":
            keys.add(r.get("member.id_no"))
    return {str(k) for k in keys if k}


def _linked_findings(linked: LinkedResult, findings: dict[str, list[Finding]],
                     roster: set[str]) -> list[Problem]:
    """What the store's check finds on a household the linked rows touched and the roster did not:
    listed on its first row, so the preview shows every error the import leaves (reported, not refused:
    the household's other records are not the file's)."""
    return [record.problem("", f"导入后检查该户：{f.message}", WARNING)
            for household_id, record in linked.households.items() if household_id not in roster
            for f in findings.get(household_id, []) if f.severity == "error"]


def _forget_new_ids(planned: list[Planned]) -> None:
    for p in planned:
        if p.created:
            p.household_id, p.created = None, False


def _bundle(p: Planned) -> HouseholdData:
    fields, facts, members = new_records(p)
    return HouseholdData(fields=fields, years={p.year: facts} if facts else {},
                         members=[MemberData(m.changes, _years(p, m)) for m in members])


def _years(p: Planned, m: MemberChange) -> dict[int, dict[str, Any]]:
    return {p.year: dict(m.year_changes)} if m.year_changes else {}


def _update(uow: UnitOfWork, p: Planned) -> None:
    assert p.household_id is not None
    if p.household_changes:
        update_household(uow, p.household_id, p.household_changes)
    if p.year_changes:
        save_household_year(uow, p.household_id, p.year, p.year_changes)
    for m in p.members:
        if m.member_id is None:
            add_member(uow, p.household_id, m.changes, _years(p, m))
            continue
        if m.changes:
            update_member(uow, m.member_id, m.changes)
        if m.year_changes:
            save_member_year(uow, m.member_id, p.year, m.year_changes)
