"""Households from the county's merged records, as ``HouseholdData`` bundles, so the village forms
(fupin_desktop.forms) print from county data too: a village's roster (花名册) at the county office.

County records keep each entity's fields as JSON; they are parsed back to Python values with the
same column types the village store uses.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from .. import fsutil
from ..bundle import HouseholdData, MemberData, Row
from ..errors import InvalidInput
from ..model import Base
from ..queries.register import changes_of_year
from ..queries.stats import group_order
from ..values import from_json
from .model import Record

ENTITIES = ("household", "member", "household_year", "helper_assignment")


def parse_fields(entity: str, entity_id: str, data: dict[str, Any]) -> Row:
    table = Base.metadata.tables.get(entity)
    row: Row = {"id": entity_id}
    for key, value in data.items():
        column = table.c.get(key) if table is not None else None
        try:
            row[key] = from_json(column, value) if column is not None else value
        except (ValueError, TypeError, KeyError, InvalidInput):
            row[key] = value  # shown as it came; the village's own checks are where it gets fixed
    return row


def village_households(engine: Engine, village_code: str) -> list[HouseholdData]:
    """Every household of one village on the register (在册), in file order (group, household number)."""
    return _village(engine, village_code)[0]


def _village(engine: Engine, village_code: str) -> tuple[list[HouseholdData], list[Row], dict[str, str]]:
    """The village's households on the register; every household record (any status) and the head's
    name of each household (whatever the head's status), for the roster's change list."""
    by_entity: dict[str, list[Row]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(select(Record.entity, Record.entity_id, Record.data).where(
            Record.village_code == village_code, Record.deleted.is_(False), Record.entity.in_(ENTITIES)))
        for entity, entity_id, data in rows:
            by_entity[entity].append(parse_fields(entity, entity_id, json.loads(data)))
        helper_ids = {a.get("helper_id") for a in by_entity["helper_assignment"]} - {None}
        helpers = {entity_id: parse_fields("helper", entity_id, json.loads(data)) for entity_id, data in conn.execute(
            select(Record.entity_id, Record.data).where(Record.entity == "helper", Record.entity_id.in_(helper_ids)))}
    households = {f["id"]: HouseholdData(fields=f) for f in by_entity["household"]
                  if f.get("record_status", "在册") == "在册"}
    for m in sorted(by_entity["member"], key=lambda m: m.get("seq") or 0):
        if m.get("household_id") in households:
            households[m["household_id"]].members.append(MemberData(fields=m))
    for y in by_entity["household_year"]:
        if y.get("household_id") in households and y.get("year"):
            households[y["household_id"]].years[int(y["year"])] = y
    for a in by_entity["helper_assignment"]:
        if (hh := households.get(a.get("household_id"))) is not None:
            hh.assignments.append(a)
            if a.get("helper_id") in helpers:
                hh.helpers[a["helper_id"]] = helpers[a["helper_id"]]
    heads = {m["household_id"]: str(m.get("name") or "") for m in sorted(
        by_entity["member"], key=lambda m: -(m.get("seq") or 0)) if m.get("relation") == "户主"}
    listed = sorted(households.values(), key=lambda h: (group_order(str(h.fields.get("group_name") or "")),
                                                        str(h.fields.get("national_hh_no") or ""), h.id))
    return listed, by_entity["household"], heads


def latest_year(households: list[HouseholdData]) -> int:
    years = [y for hh in households for y in hh.years]
    return max(years) if years else date.today().year


def render_roster(engine: Engine, village_code: str, out: Path, *, mask: bool = True,
                  year: int | None = None) -> dict[str, Any]:
    """A village's 花名册 from county records into ``out`` (PDF, written whole then renamed)."""
    from ..forms.base import Context  # noqa: PLC0415  (ReportLab only when printing)
    from ..forms.document import StreamingDoc  # noqa: PLC0415
    from ..forms.fonts import form_font  # noqa: PLC0415
    from ..forms.disclosure import Audience, Disclosure  # noqa: PLC0415
    from ..forms.roster import RosterForm  # noqa: PLC0415

    households, every_household, heads = _village(engine, village_code)
    if not households:
        raise InvalidInput(f"县级数据库里没有村代码 {village_code} 的在册户。")
    font = form_font()
    # County staff asked for it: an unmasked roster here is their own, not one for posting.
    ctx = Context(None, year or latest_year(households), Disclosure(Audience.PUBLIC, mask), font.name)
    renderer = RosterForm(ctx)
    renderer.changes = changes_of_year(every_household, heads, ctx.year)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".pdf", dir=out.parent)
    os.close(fd)
    try:
        doc = StreamingDoc(tmp, renderer.pagesize, title=renderer.title, font=ctx.font)
        pages = doc.build_from(renderer.document_story(households), renderer.footer)
        fsutil.replace(Path(tmp), out)
    finally:
        fsutil.try_remove(Path(tmp))
    return {"out": out, "pages": pages, "households": len(households), "problems": ctx.problems}


def household_labels(engine: Engine, household_ids: set[str]) -> dict[str, str]:
    """How staff recognise a household in a list: its head's name and household number."""
    ids = sorted(i for i in household_ids if i)
    if not ids:
        return {}
    numbers: dict[str, str] = {}
    heads: dict[str | None, str] = {}  # by Record.household_id, a nullable column
    with engine.connect() as conn:
        for entity, entity_id, household_id, data in conn.execute(
                select(Record.entity, Record.entity_id, Record.household_id, Record.data).where(
                    Record.household_id.in_(ids), Record.entity.in_(("household", "member")))):
            d = json.loads(data)
            if entity == "household":
                numbers[entity_id] = d.get("national_hh_no") or ""
            elif d.get("relation") == "户主" and d.get("record_status", "在册") == "在册":
                heads[household_id] = d.get("name") or ""
    return {i: "".join(filter(None, (heads.get(i), f"（{numbers[i]}）" if numbers.get(i) else ""))) or i[:8]
            for i in ids}
