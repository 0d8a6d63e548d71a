"""What the household editor reads in one go, and the drafts it keeps while someone types.

Read-only: the editor's writes go through the services (records) or, for drafts, through the
``meta`` table (drafts are not records and are not change-logged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ..bundle import HouseholdData
from ..model import AppUser, Attachment, Helper
from ..drafts import DRAFT_PREFIX, new_draft_keys, read_draft
from ..validation.engine import Context, Finding, check_household, store_findings
from ..validation.rules.expense import IncomeReference, reference_for
from ..yearstatus import status_of
from .history import HistoryEntry, household_history
from .load import load_households



@dataclass
class EditorSnapshot:
    household: HouseholdData | None
    context: Context
    history: list[HistoryEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # of the stored household, cross-household rules too
    cross_findings: list[Finding] = field(default_factory=list)  # only those needing other households
    photos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # visit id → photos (no data)
    draft: str | None = None
    draft_key: str | None = None
    signed_in: str = ""  # who is at the keyboard, as a record names them (姓名, else the user name)

    def threshold(self, year: int, kind: str = "监测") -> Decimal | None:
        return self.context.threshold(kind, year)

    def income_reference(self, year: int, category: str | None = None) -> IncomeReference:
        """The 监测范围, the 刚性支出 formula and the category's 收入参考范围 of the year (reference data);
        the category stored for the year unless one is given ("" = none)."""
        if category is None and self.household is not None:
            category = status_of(self.household.years, year).get("monitoring_category")
        return reference_for(self.context, year, category or None)


def editor_snapshot(conn: Connection, household_id: str | None, year: int,
                    in_use: frozenset[str] = frozenset(), draft_key: str | None = None,
                    username: str = "") -> EditorSnapshot:
    """Everything the editor shows. For a new household, the draft ``draft_key`` or else the latest
    draft of a new household not ``in_use`` by another open editor is offered."""
    ctx = Context.for_store(conn, year)
    # Not everyone who can be assigned (thousands in a township store, read when the assign dialog
    # opens: ``all_helpers``): opening a household must stay quick.
    name = conn.execute(select(AppUser.display_name).where(AppUser.username == username)).scalar()
    snap = EditorSnapshot(household=None, context=ctx, signed_in=name or username)
    if household_id is not None:
        found = load_households(conn, [household_id])
        snap.household = found[0] if found else None
    if snap.household is not None and household_id is not None:  # (a household was found by its id)
        snap.history = household_history(conn, household_id)
        snap.cross_findings = list(store_findings(conn, ctx, {household_id}))
        snap.findings = check_household(snap.household, ctx) + snap.cross_findings
        snap.photos = visit_photos(conn, [v["id"] for v in snap.household.visits])
        snap.draft_key = DRAFT_PREFIX + household_id
        snap.draft = read_draft(conn, snap.draft_key)
    else:
        keys = [draft_key] if draft_key else [k for k in new_draft_keys(conn) if k not in in_use]
        if keys:
            snap.draft_key = keys[-1]
            snap.draft = read_draft(conn, snap.draft_key)
    return snap


def all_helpers(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(Helper).order_by(Helper.name)).mappings()]


def visit_photos(conn: Connection, visit_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not visit_ids:
        return {}
    rows = conn.execute(
        select(Attachment.id, Attachment.owner_id, Attachment.filename, Attachment.mime, Attachment.size)
        .where(Attachment.owner_table == "visit", Attachment.owner_id.in_(visit_ids))
        .order_by(Attachment.filename)
    ).mappings()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["owner_id"], []).append(dict(row))
    return out


def photo_data(conn: Connection, attachment_id: str) -> bytes | None:
    return conn.execute(select(Attachment.data).where(Attachment.id == attachment_id)).scalar_one_or_none()


