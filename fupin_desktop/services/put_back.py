"""Putting a past value back from the history: a new change like any other (logged, sent to the
county), never a rewrite of the log. The history offers it only for an ordinary field of a record
that still exists; this checks again, since the record may have changed since the history was read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..model import Base, IncomeLine, IncomeYear
from ..opchanges import OpChanges
from ..queries.history import HIDDEN_COLUMNS, NOT_PUT_BACK, PUT_BACK_TABLES, display
from ..values import from_json
from .households import recompute_income, unit_of_work, update_member
from .uow import UnitOfWork

if TYPE_CHECKING:
    from ..store.store import Store


def put_back(store: "Store", household_id: str, table: str, record_id: str, column: str, value: object) -> OpChanges:
    """Set ``column`` of ``record_id`` to the logged ``value`` again, in one unit of work."""
    t = Base.metadata.tables.get(table)
    if (t is None or table not in PUT_BACK_TABLES or column not in t.c or column in NOT_PUT_BACK
            or column in HIDDEN_COLUMNS or t.c[column].info.get("derived")):
        raise InvalidInput("这一项不能从历史中恢复（注销、恢复等请用各自的功能）。")
    label = t.c[column].info.get("label", column)
    with unit_of_work(store) as uow:
        try:
            uow.get(t, record_id)
        except NotFound:
            raise InvalidInput(f"这条记录已被删除，不能恢复“{label}”的原值。") from None
        wanted = from_json(t.c[column], value)
        if table == "member":
            changed = update_member(uow, record_id, {column: wanted})
        else:
            changed = uow.update(t, record_id, {column: wanted}, household_id=household_id)
        if not changed:
            raise InvalidInput(f"“{label}”现在已经是 {display(value)}，不需要恢复。")
        if table in ("income_line", "income_year"):
            recompute_income(uow, household_id, _income_year(uow, table, record_id))
        elif table == "household_year" and column == "population":  # the per-capita figure divides by it
            year = uow.get(t, record_id)["year"]
            if uow.conn is not None and uow.conn.execute(select(IncomeYear.id).where(
                    IncomeYear.household_id == household_id, IncomeYear.year == year)).first():
                recompute_income(uow, household_id, year)
    return uow.changes


def _income_year(uow: UnitOfWork, table: str, record_id: str) -> int:
    income_id = uow.get(IncomeLine, record_id)["income_id"] if table == "income_line" else record_id
    year: int = uow.get(IncomeYear, income_id)["year"]
    return year
