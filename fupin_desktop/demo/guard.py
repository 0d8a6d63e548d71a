"""Generated households go only where they belong: a store created as a demo store that holds no
household a person entered (or the county sent). A real village's store that took 300 fake
households could not be cleaned and would send them to the county."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..errors import InvalidInput
from ..model import ChangeLog, Household
from . import DEMO_USER

if TYPE_CHECKING:
    from ..store.store import Store

WHY = "演示数据只能写入“演示数据库”，以免假数据混入真实档案并被同步到县里。"
HOW = "没有做任何改动。如需演示，请用 fupin demo --store <新文件夹> 建立一个新的演示数据库。"


def real_households(store: "Store") -> int:
    """Households not written by the demo generator (typed, imported, or received from the county)."""
    made_by_demo = select(ChangeLog.entity_id).where(
        ChangeLog.entity == "household", ChangeLog.op == "insert", ChangeLog.user == DEMO_USER)
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Household)
                                .where(Household.id.not_in(made_by_demo))).scalar_one())


def require_demo_store(store: "Store") -> None:
    """Raise, changing nothing, unless demo households may be added to ``store``."""
    if not store.demo:
        raise InvalidInput(f"这个数据库（{store.village_name or store.village_code}）不是演示数据库，不能生成演示数据。"
                           f"{WHY}", hint=HOW)
    if (real := real_households(store)) > 0:
        raise InvalidInput(f"这个演示数据库里已有 {real} 户不是演示程序生成的档案（手工录入、导入或从县里收到），"
                           f"不能再生成演示数据。{WHY}", hint=HOW)
