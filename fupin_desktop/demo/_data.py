"""What the demo generator draws from: weighted tables, code labels, thresholds, names and words.

Every coded value the generator writes is a label of ``resources/codes`` (checked once per era in
``labels_for``); names and places come from ``resources/demo``.
"""

from __future__ import annotations

import json
from bisect import bisect
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from random import Random
from typing import Any, Generic, Sequence, TypeVar

from ..paths import resources_dir
from ..reference import CodeTables, load_thresholds

T = TypeVar("T")


class Table(Generic[T]):
    """A weighted choice: ``Table([(item, weight), ...]).pick(rng)``."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]] | Sequence[list[Any]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum = list(accumulate(float(p[1]) for p in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.total)]


@lru_cache(maxsize=None)
def demo_file(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((resources_dir() / "demo" / name).read_text("utf-8"))
    return doc


@lru_cache(maxsize=None)
def labels_for(field: str, year: int) -> tuple[str, ...]:
    return tuple(CodeTables.default().labels(field, year))


def label(field: str, year: int, wanted: str | None) -> str:
    """``wanted`` after checking it is a label of the code table in ``year`` (fails loudly if the
    code tables change under the generator)."""
    if wanted is None or wanted not in labels_for(field, year):
        raise LookupError(f"demo: “{wanted}” is not a {field} label in {year}")
    return wanted


@lru_cache(maxsize=None)
def _threshold_rows() -> tuple[tuple[str, int, str, Decimal], ...]:
    return tuple((p, int(y), k, Decimal(str(a))) for p, y, k, a, _s in load_thresholds()["rows"])


def threshold(province: str, year: int, kind: str) -> Decimal:
    """The province's figure for the year, else the national one, else the nearest earlier year."""
    rows = _threshold_rows()
    for wanted in (province, "00"):
        for p, y, k, a in rows:
            if p == wanted and y == year and k == kind:
                return a
    earlier = [(y, a) for p, y, k, a in rows if p == "00" and k == kind and y <= year]
    if earlier:
        return max(earlier)[1]
    later = [(y, a) for p, y, k, a in rows if p == "00" and k == kind]
    return min(later)[1] if later else Decimal(4000)


def line_for(province: str, year: int) -> Decimal:
    """The income line a household is measured against: 监测范围 from 2020, else the exit line."""
    return threshold(province, year, "监测" if year >= 2020 else "退出")


def money(value: float) -> Decimal:
    """Whole yuan (amounts on the forms are whole yuan; cents only where the line says so)."""
    return Decimal(int(round(value)))


def area(value: float) -> Decimal:
    return Decimal(int(round(value * 10))) / 10


def day_in(rng: Random, start: date, end: date) -> date:
    a, b = start.toordinal(), end.toordinal()
    return date.fromordinal(a + rng.randrange(b - a + 1)) if b > a else start


def new_id(rng: Random) -> str:
    """A UUID-shaped hex id from the seeded generator (same seed, same ids)."""
    return "%032x" % rng.getrandbits(128)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "195", "198", "199",
)
