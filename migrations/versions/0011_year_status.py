"""the year's status on household_year; 刚性支出 on income_year

属性, 户类型, 监测对象类别, 整户无劳动能力兜底保障, 风险是否已消除, 风险消除方式 and 消除监测时间 move from
the household to household_year, into the years they were true in:
- 户类型 from 2021 (E4) on; 属性 from the 识别年度 on, in the labels of each year's era
  (一般脱贫户 was 一般贫困户 before 2021, 特困供养 was 五保 before 2019);
- 监测对象类别 and 兜底保障 from the year of 识别监测时间 on (the latest year when it is not known);
- 风险已消除 (with its way and month) from the year of 消除监测时间 on, 未消除 in the years before.
A year the dates need that has no household_year row gets one (a household with no rows at all, one
for the current year), with an id made from the household and the year, so that a county
migration can make the same rows. The household keeps a copy of the current status for its list
(household_type, attribute, monitoring_category, risk_removed). The new rows and values are not
in the change log: the county's records are moved by the same rule (county migration c0008 runs
``spread`` from this file).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 07:50:00
"""
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from alembic import op
import sqlalchemy as sa



revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NAMESPACE = uuid.UUID("5d6e1f0a-7c2b-4e49-9f3a-0007a11ce5e7")  # the same in c0004 (county)
E4_FROM = 2021
STATUS = ("household_type", "attribute", "monitoring_category", "no_labour_fallback", "risk_removed",
          "risk_removal_method", "risk_removed_at")
BEFORE_E4 = {"一般脱贫户": "一般贫困户", "低保脱贫户": "低保贫困户", "特困供养脱贫户": "特困供养贫困户"}
DROPPED = ("no_labour_fallback", "risk_removal_method", "risk_removed_at")  # the household keeps copies of the rest
CHINA = timezone(timedelta(hours=8))


def year_row_id(household_id: str, year: int) -> str:
    return uuid.uuid5(NAMESPACE, f"{household_id}:{year}").hex


def _year_of(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text[:4]) if len(text) >= 6 and text[:4].isdigit() else None


def _attribute_in(label: str, year: int) -> str:
    if year < E4_FROM:
        label = BEFORE_E4.get(label, label)
    if year <= 2018 and label == "特困供养贫困户":
        return "五保贫困户"
    if 2019 <= year < E4_FROM and label == "五保贫困户":
        return "特困供养贫困户"
    return label


def spread(h: dict[str, Any], years: list[int], this_year: int) -> dict[int, dict[str, Any]]:
    """The status values of each year (existing or to be made) for one household's fields ``h``."""
    if all(h.get(k) in (None, "") for k in STATUS):
        return {}
    category, removed = h.get("monitoring_category") or None, h.get("risk_removed") in (True, 1)  # 1: raw SQL
    since, removed_y = _year_of(h.get("monitoring_since")), _year_of(h.get("risk_removed_at")) if removed else None
    needed = set(years)
    for y in (since if category else None, removed_y):
        if y is not None and y <= this_year:
            needed.add(y)
    if not needed:
        needed.add(this_year)
    latest, identified = max(needed), h.get("identified_year")
    out: dict[int, dict[str, Any]] = {}
    for y in sorted(needed):
        v: dict[str, Any] = {}
        if h.get("household_type") and y >= E4_FROM:
            v["household_type"] = h["household_type"]
        if h.get("attribute") and (not isinstance(identified, int) or y >= identified):
            v["attribute"] = _attribute_in(h["attribute"], y)
        if category and y >= (since if since is not None and since <= latest else latest):
            v["monitoring_category"] = category
            v["no_labour_fallback"] = h.get("no_labour_fallback")
            if removed and y >= (removed_y if removed_y is not None else latest):
                v.update(risk_removed=True, risk_removal_method=h.get("risk_removal_method"),
                         risk_removed_at=h.get("risk_removed_at"))
            else:
                v["risk_removed"] = False if removed else h.get("risk_removed")
        elif not category and y == latest:  # odd data (no category): kept on the latest year, not lost
            v.update({k: h.get(k) for k in ("no_labour_fallback", "risk_removed", "risk_removal_method",
                                            "risk_removed_at") if h.get(k) not in (None, "")})
        out[y] = v
    return out


def _stamp_year(stamp: Any) -> int | None:
    """The year (China time) a hybrid-clock stamp was made in: its first 13 characters are epoch ms."""
    text = str(stamp or "")
    return datetime.fromtimestamp(int(text[:13]) / 1000, CHINA).year if len(text) >= 13 and text[:13].isdigit() \
        else None


def forward_entry(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A change from a program that predates this migration, as this schema holds it (the county runs it
    on such a device's packages, sync/schema_map.py). That program's status was "now": a change to it
    lands on the row of the year the change was made in (a new household's, on the years ``spread``
    gives, as this migration would have made them on the device); the household keeps its copies."""
    fields = entry.get("fields")
    hid, year = entry.get("id"), _stamp_year(entry.get("hlc"))
    if entry.get("entity") != "household" or not isinstance(fields, dict) \
            or not any(k in fields for k in STATUS) or not isinstance(hid, str) or year is None:
        return [entry]
    if entry.get("op") == "insert":
        h = {k: pair[1] for k, pair in fields.items() if isinstance(pair, list) and len(pair) == 2}
        years = {y: {k: [None, v] for k, v in values.items()} for y, values in spread(h, [year], year).items()}
    else:
        years = {year: {k: fields[k] for k in STATUS if k in fields}}
    kept = {**entry, "fields": {k: v for k, v in fields.items() if k not in DROPPED}}
    moved = [{**entry, "entity": "household_year", "id": year_row_id(hid, y), "hh": hid,
              "fields": {"household_id": [None, hid], "year": [None, y], **values}}
             for y, values in sorted(years.items())]
    return [kept, *moved]


def forward_record(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A down package's record of a household (its state: ``data`` and ``versions`` by field) from a
    county program that predates this migration, as this schema holds it (a device runs it on such
    packages, sync/schema_map.py). As in ``forward_entry``, that program's status was "now": each field
    was true from the year its version was stamped in (China time) and, unchanged since, in every later
    year the record speaks for. So each year a stamp falls in gets a row carrying the fields stamped in
    it or before (the newest year's row has the whole status, as a row made on a device starts from the
    latest earlier year's status, services.households.save_household_year); a field without a stamp is
    dated with the record's newest one. The household keeps none of the status: on this schema its
    copies are derived from the year rows."""
    data, hid = record.get("data"), record.get("id")
    if record.get("entity") != "household" or record.get("deleted") or not isinstance(data, dict) \
            or not any(k in data for k in STATUS) or not isinstance(hid, str):
        return [record]  # a deleted household's fields are never applied: nothing to place
    raw = record.get("versions")
    versions: dict[str, Any] = raw if isinstance(raw, dict) else {}
    stamps = sorted(str(v) for v in versions.values() if _stamp_year(v) is not None)
    newest = _stamp_year(stamps[-1]) if stamps else datetime.now(CHINA).year
    since = {k: _stamp_year(versions.get(k)) or newest for k in STATUS if k in data}
    kept = {**record, "data": {k: v for k, v in data.items() if k not in STATUS}}
    if isinstance(raw, dict):
        kept["versions"] = {k: v for k, v in raw.items() if k not in STATUS}
    key = dict.fromkeys(("household_id", "year"), stamps[0]) if stamps else {}  # as old as the household
    moved = [{**record, "entity": "household_year", "id": year_row_id(hid, y), "hh": hid, "deleted": False,
              "data": {"household_id": hid, "year": y, **{k: data[k] for k in since if since[k] <= y}},
              "versions": {**key, **{k: versions[k] for k in since if since[k] <= y and k in versions}}}
             for y in sorted(set(since.values()))]
    return [kept, *moved]


def _this_year(conn: sa.Connection) -> int:
    configured = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'current_year'")).scalar()
    return int(configured) if configured and str(configured).isdigit() else date.today().year


def upgrade() -> None:
    op.add_column('household_year', sa.Column('household_type', sa.String(length=16), nullable=True))
    op.add_column('household_year', sa.Column('attribute', sa.String(length=16), nullable=True))
    op.add_column('household_year', sa.Column('monitoring_category', sa.String(length=16), nullable=True))
    op.add_column('household_year', sa.Column('no_labour_fallback', sa.Boolean(), nullable=True))
    op.add_column('household_year', sa.Column('risk_removed', sa.Boolean(), nullable=True))
    op.add_column('household_year', sa.Column('risk_removal_method', sa.String(length=16), nullable=True))
    op.add_column('household_year', sa.Column('risk_removed_at', sa.String(length=6), nullable=True))
    op.add_column('income_year', sa.Column('rigid_expense', sa.BigInteger(), nullable=True))
    _move_status(op.get_bind())
    op.drop_column('household', 'risk_removal_method')
    op.drop_column('household', 'risk_removed_at')
    op.drop_column('household', 'no_labour_fallback')


def _move_status(conn: sa.Connection) -> None:
    this_year = _this_year(conn)
    years: dict[str, list[int]] = {}
    for hid, y in conn.execute(sa.text("SELECT household_id, year FROM household_year")):
        years.setdefault(hid, []).append(y)
    columns = ", ".join(("id", "identified_year", "monitoring_since", *STATUS))
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for row in conn.execute(sa.text(f"SELECT {columns} FROM household")).mappings().all():
        h = dict(row)
        have = years.get(h["id"], [])
        for y, values in spread(h, have, this_year).items():
            if y not in have:
                conn.execute(sa.text("INSERT INTO household_year (id, household_id, year, updated_at) "
                                     "VALUES (:id, :hid, :y, :now)"),
                             {"id": year_row_id(h["id"], y), "hid": h["id"], "y": y, "now": now})
            if values:
                sets = ", ".join(f"{k} = :{k}" for k in values)
                conn.execute(sa.text(f"UPDATE household_year SET {sets} WHERE household_id = :hid AND year = :y"),
                             {**values, "hid": h["id"], "y": y})


def downgrade() -> None:
    op.add_column('household', sa.Column('no_labour_fallback', sa.BOOLEAN(), nullable=True))
    op.add_column('household', sa.Column('risk_removed_at', sa.VARCHAR(length=6), nullable=True))
    op.add_column('household', sa.Column('risk_removal_method', sa.VARCHAR(length=16), nullable=True))
    conn = op.get_bind()
    # The newest year's status goes back on the household (the history of earlier years is lost).
    conn.execute(sa.text(
        "UPDATE household SET (no_labour_fallback, risk_removed_at, risk_removal_method) = "
        "(SELECT no_labour_fallback, risk_removed_at, risk_removal_method FROM household_year y "
        " WHERE y.household_id = household.id ORDER BY y.year DESC LIMIT 1)"))
    op.drop_column('income_year', 'rigid_expense')
    for name in reversed(STATUS):
        op.drop_column('household_year', name)
