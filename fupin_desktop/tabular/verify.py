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
        read = {(p.place, p.column) for p in group.problems}
        checked = (as_problem(f, group, headers) for f in found)
        group.checked = [p for p in checked if p.severity == ERROR or (p.place, p.column) not in read]


def as_problem(finding: Finding, group: Group, headers: Mapping[str, str]) -> Problem:
    row = _row_of(finding, group)
    key = f"{finding.record}.{finding.field}"
    return (row or group.rows[0]).problem(headers.get(key) or _label(finding), finding.message,
                                          _severity(finding, group, row, key))


def _severity(finding: Finding, group: Group, row: RowRecord | None, key: str) -> str:
    if finding.severity != ERROR:
        return WARNING
    given = row.values if row is not None and finding.record.startswith("member") else _household_values(group)
    return ERROR if given.get(key) not in (None, "") else MISSING


def _household_values(group: Group) -> dict[str, object]:
    return {**{f"household.{k}": v for k, v in group.household().items()},
            **{f"household_year.{k}": v for k, v in group.household("household_year").items()}}


def _row_of(finding: Finding, group: Group) -> RowRecord | None:
    """The member's own row when the finding names a person of the file."""
    if finding.member:
        return next((r for r in group.members() if r.values.get("member.name") == finding.member), None)
    return None


def _label(finding: Finding) -> str:
    table = Base.metadata.tables.get(finding.record)
    if table is None or finding.field not in table.c:
        return ""
    return str(table.c[finding.field].info.get("label", finding.field))
