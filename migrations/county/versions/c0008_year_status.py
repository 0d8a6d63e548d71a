"""the year's status on the county's household_year records, by the villages' own rule

Revision ID: c0008
Revises: c0005
Create Date: 2026-12-07 15:40:00

Store migration 0011 moved 属性, 户类型, 监测对象类别, 兜底保障 and 风险消除 from the household to the years
they were true in, without writing change entries. The county's records are moved here by the very
same rule (``spread`` of 0011, loaded from its file, with the same row ids), so that county figures
for data sent before the upgrade count what was true in each year, as the villages' do.

- A year record that a device already set a status field on (the field has a version) keeps it.
- Each value carries the version of the household field it came from: any later edit on a device
  is newer and wins.
- The household's own copies stay (the devices keep them for their lists): nothing is dropped.
- New and changed records get new revisions, so devices enrolled later receive them; devices that
  ran 0011 already hold the same rows with the same values.
"""
import importlib.util
import json
from datetime import date, datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'c0008'
down_revision = 'c0005'
branch_labels = None
depends_on = None


def _store_rule() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "versions" / "0011_year_status.py"
    spec = importlib.util.spec_from_file_location("store_0011_year_status", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    rule = _store_rule()
    conn = op.get_bind()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    this_year = date.today().year  # what 0011 uses on a store without a configured year
    years: dict[str, dict[int, tuple[str, dict[str, Any], dict[str, str]]]] = {}
    for entity_id, household_id, data, versions in conn.execute(sa.text(
            "SELECT entity_id, household_id, data, versions FROM record "
            "WHERE entity = 'household_year' AND NOT deleted")):
        d = json.loads(data)
        if household_id and isinstance(d.get("year"), int):
            years.setdefault(household_id, {})[d["year"]] = (entity_id, d, json.loads(versions))
    rev = int(conn.execute(sa.text("SELECT COALESCE(MAX(rev), 0) FROM record")).scalar() or 0)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    households = conn.execute(sa.text(
        "SELECT entity_id, village_code, data, versions FROM record WHERE entity = 'household' AND NOT deleted"))
    for hid, village, data, versions in households:
        h, hv = json.loads(data), json.loads(versions)
        have = years.get(hid, {})
        for y, values in rule.spread(h, list(have), this_year).items():
            # A derived value (False on the years before a removal) carries the version of its source.
            stamped = {k: v for k, v in values.items() if hv.get(k)}
            if y in have:
                entity_id, d, v = have[y]
                fresh = {k: value for k, value in stamped.items() if k not in v}
                if not fresh:
                    continue
                rev += 1
                changed.append({"id": entity_id, "rev": rev, "now": now,
                                "data": json.dumps(d | fresh, ensure_ascii=False),
                                "versions": json.dumps(v | {k: hv[k] for k in fresh})})
            else:
                rev += 1
                d = {"household_id": hid, "year": y, "updated_at": now, **stamped}
                new.append({"id": rule.year_row_id(hid, y), "hid": hid, "village": village, "rev": rev, "now": now,
                            "data": json.dumps(d, ensure_ascii=False),
                            "versions": json.dumps({k: hv[k] for k in stamped}  # the key: as old as the household
                                                   | dict.fromkeys(("household_id", "year"), min(hv.values())))})
    if new:
        conn.execute(sa.text(
            "INSERT INTO record (entity, entity_id, household_id, village_code, data, versions, deleted, updated_at, "
            "rev) VALUES ('household_year', :id, :hid, :village, :data, :versions, false, :now, :rev)"), new)
    if changed:
        conn.execute(sa.text(
            "UPDATE record SET data = :data, versions = :versions, rev = :rev, updated_at = :now "
            "WHERE entity = 'household_year' AND entity_id = :id"), changed)


def downgrade() -> None:
    pass  # the status values stay on the year records; the household's copies were never removed
