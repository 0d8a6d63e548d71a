"""Realistic demo villages for the demo command, tests and benchmarks.

``generate`` streams households one at a time (memory stays flat however many are asked for) and is
deterministic: the same seed and village give the same rows, ids included. ``fill_store`` writes
them in batches, one transaction per batch, with the 帮扶责任人 each batch refers to.

What is realistic: real region codes in valid ID numbers, surname frequencies with village clans,
family structures and ages, schooling/labour/work consistent with age and health, 致贫原因 shares
as published, 监测 risks matching the household, income lines that add up, about ten measures per
household. ``flaws`` (default 2%) adds a small share of the errors validation is meant to find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from ..bundle import HouseholdData
from .household import CAUSES, MONITORING_SHARE, make_household
from .village import HOUSEHOLDS_PER_HELPER, Village

if TYPE_CHECKING:
    from ..store.store import Store

DEMO_USER = "演示数据"

__all__ = ["CAUSES", "DEMO_USER", "HOUSEHOLDS_PER_HELPER", "MONITORING_SHARE", "fill_store", "generate"]


def generate(households: int, *, seed: int = 1, village_code: str, year: int | None = None, flaws: float = 0.02,
             village_name: str | None = None, first_number: int = 1,
             taken: Iterable[str] = ()) -> Iterator[HouseholdData]:
    """``households`` demo households of one village for ``year`` (2014 on; E4 fields from 2021; this
    year when not given).

    Each bundle's ``helpers`` holds the 帮扶责任人 its assignment names (one helper per five
    households); write those rows before the households (``fill_store`` does). ``first_number``
    is the first 户编号 sequence number and ``taken`` lists ID and phone numbers already in use,
    for adding to a village that has households.
    """
    if households < 0:
        raise ValueError("户数不能为负。")
    village = Village(seed, village_code, year or date.today().year, flaws, households, village_name)
    village.reserve(taken)
    first = max(1, first_number) - 1
    return (make_household(village, index, first + index) for index in range(households))


def fill_store(store: "Store", households: int, *, seed: int = 1, batch: int = 500, year: int | None = None,
               flaws: float = 0.02, progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> int:
    """Write ``households`` demo households into ``store`` (its own village code and name), one unit
    of work per batch; returns how many were written. ``cancel()`` is asked before each batch.

    Households already in the store keep their 户编号 and people: numbering continues after them and
    their ID and phone numbers are not reused. Validation marks are not refreshed here (the unit of
    work runs with ``check=False``); run the whole-store check afterwards, as the callers do.
    """
    # The store side loads only here: ``generate`` runs without it (a benchmark step measures its memory).
    from sqlalchemy import func, select  # noqa: PLC0415

    from ..model import Helper, Household, Member  # noqa: PLC0415
    from ..services.households import create_households  # noqa: PLC0415
    from ..services.uow import UnitOfWork  # noqa: PLC0415

    batch = max(1, batch)
    with store.engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(Household)).scalar_one()
        taken = [*conn.execute(select(Member.id_no).where(Member.id_no.is_not(None))).scalars(),
                 *conn.execute(select(Member.phone).where(Member.phone.is_not(None))).scalars(),
                 *conn.execute(select(Household.phone).where(Household.phone.is_not(None))).scalars()]
        helpers_written = set(conn.execute(select(Helper.id)).scalars())
    stream = generate(households, seed=seed, village_code=store.village_code, year=year, flaws=flaws,
                      village_name=getattr(store, "village_name", None) or None, first_number=existing + 1,
                      taken=taken)
    del taken
    written = 0
    while written < households:
        if cancel is not None and cancel():
            break
        bundles = [next(stream) for _ in range(min(batch, households - written))]
        helpers = []
        for bundle in bundles:
            for helper_id, row in bundle.helpers.items():
                if helper_id not in helpers_written:
                    helpers_written.add(helper_id)
                    helpers.append(dict(row))
        # One transaction per batch; validation marks are left to the caller's whole-store check.
        with UnitOfWork(store, user=DEMO_USER, check=False) as uow:
            if helpers:
                uow.insert_many(Helper, helpers, trusted=True)
            create_households(uow, bundles, trusted=True)
        written += len(bundles)
        if progress is not None:
            progress(written, households)
    return written
