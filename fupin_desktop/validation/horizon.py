"""Today as the rules see it, and how long a household's answer holds.

A household's findings depend on its rows and on the day: ages, deadlines, dates in the future. So
that the first check of a later day re-checks only the households whose answer can have changed, the
rules see today as ``Today``, a date that notes, for the household being checked, the first later day
on which something they asked of it would answer differently (its *horizon*):
- a comparison notes exactly that day (``today > due``: the day after ``due``);
- an age (``Today.age_of``) notes the next birthday;
- anything else (arithmetic, its year or month, formatting it) the next year, month or day, to be safe.

Notes go to the innermost ``recording`` of this thread (one per household checked, one around the
cross-household rules); outside one they are dropped. Time is taken to move forward: a store checked
on a later day than today is checked in full (``validation.incremental``).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

_state = threading.local()


class Horizon:
    """The earliest day noted while recording (None: no answer changes with the day)."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until: date | None = None


@contextmanager
def recording() -> Iterator[Horizon]:
    stack: list[Horizon] = _state.__dict__.setdefault("stack", [])
    horizon = Horizon()
    stack.append(horizon)
    try:
        yield horizon
    finally:
        stack.pop()


def note(day: date | None) -> None:
    """An answer given today differs from ``day`` on (None: never)."""
    stack: list[Horizon] | None = _state.__dict__.get("stack")
    if stack and day is not None:
        top = stack[-1]
        if top.until is None or day < top.until:
            top.until = day


def _after(day: date) -> date | None:
    return None if day == date.max else day + timedelta(days=1)


def plain_day(day: date) -> date:
    """The date itself, not noted (a ``Today`` as a plain date)."""
    return date.fromordinal(date.toordinal(day))


def _other(value: Any) -> date | None:
    """The plain date to compare with, or None when a date would not compare with it."""
    if not isinstance(value, date) or isinstance(value, datetime):
        return None
    return plain_day(value) if isinstance(value, Today) else value


def _birthday(born: date, year: int) -> date:
    """The day a person born on ``born`` is a year older in ``year`` (29 February: 1 March)."""
    try:
        return date(year, born.month, born.day)
    except ValueError:
        return date(year, 3, 1)


def _ordered(strict: bool, op: Callable[[date, date], bool]) -> Any:
    """A comparison of today with another date. Whichever way it is asked, its answer is that of
    ``today < other`` (``strict``) or ``today <= other``: true until ``other`` (or the day after), then
    false for ever; so while true, that day is noted."""
    def compare(self: Today, other: Any) -> Any:  # a bool, or NotImplemented
        o = _other(other)
        if o is None:
            return NotImplemented
        p = self.plain
        if p < o if strict else p <= o:
            note(o if strict else _after(o))
        return op(p, o)

    return compare


class Today(date):
    """Today, noting what the rules ask of it (see the module's note). Outside a check it is a date."""

    __slots__ = ()

    @classmethod
    def of(cls, day: date) -> Today:
        return day if isinstance(day, Today) else cls(day.year, day.month, day.day)

    @classmethod
    def today(cls) -> Today:
        return cls.of(date.today())

    # Any other day made from this class is a plain date: only today notes what is asked of it.
    @classmethod
    def fromordinal(cls, n: int) -> date:  # type: ignore[override]
        return date.fromordinal(n)

    @classmethod
    def fromisoformat(cls, text: str) -> date:  # type: ignore[override]
        return date.fromisoformat(text)

    @classmethod
    def fromtimestamp(cls, t: float) -> date:  # type: ignore[override]
        return date.fromtimestamp(t)

    @classmethod
    def fromisocalendar(cls, year: int, week: int, day: int) -> date:  # type: ignore[override]
        return date.fromisocalendar(year, week, day)

    @property
    def plain(self) -> date:
        return plain_day(self)

    # A comparison's answer holds until the day it would differ; time only moves forward (see _ordered).
    __lt__ = _ordered(True, operator.lt)
    __ge__ = _ordered(True, operator.ge)
    __le__ = _ordered(False, operator.le)
    __gt__ = _ordered(False, operator.gt)

    def __eq__(self, other: object) -> bool:
        o = _other(other)
        if o is None:
            return NotImplemented
        p = self.plain
        note(_after(p) if p == o else o if o > p else None)
        return p == o

    def __ne__(self, other: object) -> bool:
        answer = self.__eq__(other)
        return answer if answer is NotImplemented else not answer

    def __hash__(self) -> int:
        note(_after(self.plain))
        return hash(self.plain)

    @property
    def year(self) -> int:
        p = self.plain
        note(date(p.year + 1, 1, 1) if p.year < date.max.year else None)
        return p.year

    @property
    def month(self) -> int:
        p = self.plain
        note(date(p.year + p.month // 12, p.month % 12 + 1, 1) if p < date(date.max.year, 12, 1) else None)
        return p.month

    @property
    def day(self) -> int:
        note(_after(self.plain))
        return self.plain.day

    def age_of(self, born: date) -> int:
        """Completed years at today, noting the next birthday."""
        p = self.plain
        this_year = _birthday(born, p.year)
        note(this_year if this_year > p else _birthday(born, p.year + 1) if p.year < date.max.year else None)
        return p.year - born.year - ((p.month, p.day) < (born.month, born.day))


def _day_by_day(name: str) -> Any:
    """A method whose answer may change with the day: noted as changing tomorrow."""
    method = getattr(date, name)

    def wrapped(self: Today, *args: Any, **kwargs: Any) -> Any:
        plain = self.plain
        note(_after(plain))
        return method(plain, *args, **kwargs)

    wrapped.__name__ = name
    return wrapped


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__str__", "__repr__", "__format__", "isoformat",
              "strftime", "ctime", "timetuple", "toordinal", "weekday", "isoweekday", "isocalendar", "replace"):
    setattr(Today, _name, _day_by_day(_name))
