"""The import's own check is the store's: the file's households are written inside the import's
transaction and checked there by the rules the whole-store check runs (``households_findings``),
relation against gender and age, gender against the ID number and one person in two households
(against the file and the store) included. A dry run then rolls back; so the preview lists every
finding the imported store will show, and ``partial`` leaves out exactly the households with errors.

An error about a value the file gave (a 之子 marked 女, a 7-digit phone) keeps the household out.
An error about a value the file does not give (no 民族 column, a blank 脱贫年度) is listed as 待补
and does not: a half-filled household may be saved (DESIGN contract 2), and a roster seldom
carries every field the checks want; ``check`` will list it again until someone fills it in."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from ..model import Base
from ..validation.engine import Finding
from .grouping import Group
from .problem import ERROR, MISSING, WARNING, Problem
from .rows import RowRecord


def attach(groups: Mapping[str, Group], findings: Mapping[str, list[Finding]], headers: Mapping[str, str]) -> None:
    """Each household's findings as problems on the rows they are about; ``headers``: field key →
    the file's header for it (findings name a column as the file does)."""
    for household_id, found in findings.items():
        group = groups[household_id]
        said = {(p.place, p.column): p.severity for p in group.problems}
        checked = _Household(group, headers).problems(found)
        group.checked = [p for p in checked if not _said_already(p, said.get((p.place, p.column)))]


def _said_already(problem: Problem, read: str | None) -> bool:
    """The same fault of the same cell, found while reading (a 17-digit ID number) and by the check:
    said once. A different fault of that cell (one person in two households) is still said."""
    return read is not None and (read == ERROR or read == problem.severity)


class _Household:
    """One household of the file as its findings are placed: who is on which row, what it gave."""

    def __init__(self, group: Group, headers: Mapping[str, str]) -> None:
        self.group, self.headers = group, headers
        self.rows = {r.get("member.name"): r for r in reversed(group.members())}  # the first of a name
        self.given = {**{f"household.{k}": v for k, v in group.household().items()},
                      **{f"household_year.{k}": v for k, v in group.household("household_year").items()}}

    def problems(self, found: list[Finding]) -> list[Problem]:
        return [self.problem(f) for f in found]

    def problem(self, finding: Finding) -> Problem:
        row = self.rows.get(finding.member) if finding.member else None
        key = f"{finding.record}.{finding.field}"
        # A large file's report keeps ~160,000 of these, most saying what many rows say ("民族未填写"):
        # one string for each message.
        column, severity = self.headers.get(key) or _label(finding), self.severity(finding, row, key)
        return (row or self.group.rows[0]).problem(column, sys.intern(finding.message), severity)

    def severity(self, finding: Finding, row: RowRecord | None, key: str) -> str:
        if finding.severity != ERROR:
            return WARNING
        given = row.get(key) if row is not None and finding.record.startswith("member") else self.given.get(key)
        return ERROR if given not in (None, "") else MISSING


def _label(finding: Finding) -> str:
    table = Base.metadata.tables.get(finding.record)
    if table is None or finding.field not in table.c:
        return ""
    return str(table.c[finding.field].info.get("label", finding.field))
