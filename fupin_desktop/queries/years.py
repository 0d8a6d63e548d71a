"""The accounting year in use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, select

from ..model import HouseholdYear, Meta


def current_year(conn: Connection | None) -> int:
    """The year set in the store, else the latest year with data, else this year."""
    if conn is None:
        return date.today().year
    configured = conn.execute(select(Meta.value).where(Meta.key == "current_year")).scalar_one_or_none()
    if configured:
        return int(configured)
    latest = conn.execute(select(func.max(HouseholdYear.year))).scalar_one_or_none()
    return latest or date.today().year
