"""The editor's state: what people typed, as text, in plain dataclasses (no Qt, no database).

Text stays exactly as typed: the core parses it on save (one place decides what a date or an
amount may look like), drafts store it as JSON, and ``editing.check_state`` parses it leniently so
the rules can run while someone types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Column
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from ..bundle import HouseholdData, IncomeData, MeasureData, MemberData, Row
from .. import model
from ..model import MEASURE_DETAILS, Base
from ..model import fields as places
from ..model import income as income_model
from ..model import layouts

# The editor's vocabulary from the model, so that ui/ needs nothing from fupin_desktop.model.
column_label = model.column_label
new_id = model.new_id
INCOME_CATEGORIES: tuple[str, ...] = income_model.CATEGORIES
# The form tabs' sections, code tables and wide fields, derived from the columns' declarations.
FORM_TABS: tuple[str, ...] = (places.BASIC, places.CONDITIONS, places.GUARANTEES)
editor_sections = layouts.editor_sections
code_table = layouts.code_table
long_names = layouts.long_names

Texts = dict[str, str]

# Kept by the core or by dedicated actions (leaving), never typed into a form.
NOT_TYPED = frozenset({"id", "updated_at", "household_id", "member_id", "income_id", "year", "record_status",
                       "left_reason", "left_on", "seq", "sort", "name_initials", "village_code"})
INCOME_FIELDS = ("population", "period_start", "period_end", "claims_income", "compliant_oop_expense", "note")


@dataclass
class Leave:
    reason: str
    on: str


@dataclass
class MemberEdit:
    key: str
    new: bool
    fields: Texts  # member columns
    year: Texts  # member_year columns of the editor's year
    year_id: str
    leave: Leave | None = None

    def typed(self) -> bool:
        """Anything typed beyond the relation a new row starts with."""
        return any(v for k, v in self.fields.items() if k != "relation") or any(self.year.values())


@dataclass
class IncomeLineEdit:
    id: str
    category: str = ""
    item: str = ""
    amount: str = ""
    note: str = ""
    counts: str = "是"  # counts toward income


@dataclass
class IncomeEdit:
    id: str
    fields: Texts
    lines: list[IncomeLineEdit] = field(default_factory=list)

    def empty(self) -> bool:
        return not self.lines and not nonblank(self.fields)


@dataclass
class MeasureEdit:
    key: str
    new: bool
    kind: str | None
    fields: Texts  # measure columns
    detail: Texts  # columns of the kind's detail table


@dataclass
class Assignment:
    """A helper to assign: an existing one (``helper_id``) or a new person (``helper``)."""
    helper_id: str | None
    helper: Texts
    start_on: str


@dataclass
class PhotoRef:
    filename: str
    path: str
    mime: str


@dataclass
class VisitEdit:
    key: str
    fields: Texts
    photos: list[PhotoRef] = field(default_factory=list)


@dataclass
class EditState:
    household: Texts
    year: Texts  # household_year of the editor's year
    members: list[MemberEdit] = field(default_factory=list)
    incomes: dict[int, IncomeEdit] = field(default_factory=dict)
    measures: list[MeasureEdit] = field(default_factory=list)
    assign: Assignment | None = None
    visits: list[VisitEdit] = field(default_factory=list)  # not yet saved
    visit_changes: dict[str, Texts] = field(default_factory=dict)  # saved visit id → its fields as edited
    removed_visits: list[str] = field(default_factory=list)  # saved visits to delete
    # Measures are deleted by leaving them out of ``measures`` (as income lines are).


def columns(table: str) -> ReadOnlyColumnCollection[str, Column[Any]]:
    """A table's columns: the editor makes its input widgets from their types and ``info``."""
    return Base.metadata.tables[table].c


def editable(table: str, *, keep: tuple[str, ...] = ()) -> list[str]:
    return [c.name for c in columns(table)
            if c.name in keep or (c.name not in NOT_TYPED and not c.info.get("derived"))]


def detail_table(kind: str) -> str:
    """The table holding the details of a measure of this kind."""
    return str(MEASURE_DETAILS[kind].__tablename__)


def to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value.isoformat() if isinstance(value, date) else str(value)


def texts(row: Row | None, cols: list[str] | tuple[str, ...]) -> Texts:
    return {c: to_text((row or {}).get(c)) for c in cols}


def nonblank(values: Texts) -> Texts:
    return {k: v for k, v in values.items() if v}


def changed(before: Texts, after: Texts) -> Texts:
    return {k: v for k, v in after.items() if before.get(k, "") != v}


# ---- from a loaded household --------------------------------------------------------------------
def new_member(relation: str = "") -> MemberEdit:
    fields = {c: "" for c in editable("member")} | {"relation": relation}
    return MemberEdit(new_id(), True, fields, {c: "" for c in editable("member_year")}, new_id())


def new_measure(year: int) -> MeasureEdit:
    return MeasureEdit(new_id(), True, None, {"year": str(year)}, {})


VISIT_FIELDS = ("visited_on", "visit_type", "helper_id", "content", "problems", "needs", "follow_up", "gps", "signed")


def visit_texts(visit: Row) -> Texts:
    """A saved visit's fields as the editor shows them (for editing it)."""
    return texts(visit, VISIT_FIELDS)


def member_edit(m: MemberData, year: int) -> MemberEdit:
    y = m.years.get(year)
    return MemberEdit(m.fields["id"], False, texts(m.fields, editable("member")),
                      texts(y, editable("member_year")), (y or {}).get("id") or new_id())


def income_edit(inc: IncomeData | None) -> IncomeEdit:
    if inc is None:
        return IncomeEdit(new_id(), {c: "" for c in INCOME_FIELDS})
    lines = [IncomeLineEdit(ln["id"], to_text(ln.get("category")), to_text(ln.get("item")), to_text(ln.get("amount")),
                            to_text(ln.get("note")), to_text(ln.get("counts_toward_income", True))) for ln in inc.lines]
    return IncomeEdit(inc.fields["id"], texts(inc.fields, INCOME_FIELDS), lines)


def measure_edit(m: MeasureData) -> MeasureEdit:
    detail_cols = editable(detail_table(m.kind)) if m.kind else []
    return MeasureEdit(m.fields["id"], False, m.kind, texts(m.fields, editable("measure", keep=("year", "member_id"))),
                       texts(m.detail, detail_cols))


def initial_state(hh: HouseholdData | None, year: int) -> EditState:
    if hh is None:
        return EditState(texts(None, editable("household")), texts(None, editable("household_year")))
    return EditState(
        household=texts(hh.fields, editable("household")),
        year=texts(hh.years.get(year), editable("household_year")),
        members=[member_edit(m, year) for m in hh.members],
        incomes={y: income_edit(inc) for y, inc in sorted(hh.incomes.items())},
        measures=[measure_edit(m) for m in hh.measures],
    )


# ---- JSON (drafts) --------------------------------------------------------------------------------
def state_to_json(state: EditState) -> dict[str, Any]:
    doc = asdict(state)
    doc["incomes"] = {str(y): inc for y, inc in doc["incomes"].items()}  # JSON keys are text
    return doc


def state_from_json(doc: dict[str, Any]) -> EditState:
    return EditState(
        household=dict(doc["household"]), year=dict(doc["year"]),
        members=[MemberEdit(**{**m, "leave": Leave(**m["leave"]) if m.get("leave") else None}) for m in doc["members"]],
        incomes={int(y): IncomeEdit(inc["id"], dict(inc["fields"]), [IncomeLineEdit(**ln) for ln in inc["lines"]])
                 for y, inc in doc["incomes"].items()},
        measures=[MeasureEdit(**m) for m in doc["measures"]],
        assign=Assignment(**doc["assign"]) if doc.get("assign") else None,
        visits=[VisitEdit(v["key"], dict(v["fields"]), [PhotoRef(**p) for p in v["photos"]]) for v in doc["visits"]],
        visit_changes={k: dict(v) for k, v in doc.get("visit_changes", {}).items()},
        removed_visits=list(doc.get("removed_visits", [])),
    )


def upgrade_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """A version 1 draft kept members as {m, y, y_id} and measures as {m, d}: renamed, not lost."""
    members = [{"key": m["key"], "new": m["new"], "fields": m["m"], "year": m["y"], "year_id": m["y_id"],
                "leave": m.get("leave")} for m in doc["members"]]
    measures = [{"key": m["key"], "new": m["new"], "kind": m.get("kind"), "fields": m["m"], "detail": m["d"]}
                for m in doc["measures"]]
    return {**doc, "members": members, "measures": measures}
