"""Real 6-digit region codes for ID numbers, from python-stdnum's ``cn/loc.dat``.

A number carries the code in force where the person was registered when the number was first
given (at birth, or in 1985 for people born earlier), so a code is asked for "as of" a year. Where
the village's county had no code in that year, the county of the same name is used, or failing
that the nearest code of the prefecture or province.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from random import Random

import stdnum.cn

Ranges = tuple[tuple[int, int, str], ...]


@lru_cache(maxsize=1)
def table() -> dict[str, Ranges]:
    """{6-digit code: ((from_year, to_year, name), ...)} for every province, prefecture and county."""
    text = (Path(stdnum.cn.__file__).parent / "loc.dat").read_text("utf-8")
    codes: dict[str, Ranges] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.strip().partition(" ")
        value = rest.partition('"')[2].rpartition('"')[0]
        if not line.startswith(" "):
            province = head
            codes[province + "0000"] = ((0, 9999, value),)
            continue
        ranges = []
        for part in value.split(","):
            if part.startswith("["):
                span, _, name = part[1:].partition("]")
                start, _, end = span.partition("-")
                ranges.append((int(start) if start else 0, int(end) if end else 9999, name))
            else:
                ranges.append((0, 9999, part))
        codes[province + head] = tuple(ranges)
    return codes


def name_at(code: str, year: int) -> str | None:
    for start, end, name in table().get(code, ()):
        if start <= year <= end:
            return name
    return None


def current_name(code: str) -> str:
    ranges = table().get(code, ())
    return max(ranges)[2] if ranges else ""


def _county_level(code: str) -> bool:
    return not code.endswith("00") and all(name != "市辖区" for *_, name in table()[code])


@lru_cache(maxsize=1)
def _counties() -> tuple[str, ...]:
    return tuple(c for c in sorted(table()) if _county_level(c))


@lru_cache(maxsize=4096)
def counties_at(prefix: str, year: int) -> tuple[str, ...]:
    """County-level codes starting with ``prefix`` that were in force in ``year``."""
    return tuple(c for c in _counties() if c.startswith(prefix) and name_at(c, year))


class Regions:
    """Codes for people of one village: born locally, or married in from near or far."""

    def __init__(self, village_code: str) -> None:
        county = (village_code or "")[:6]
        if county not in table():
            # Unknown code: borrow the first county of its province (or of 贵州) so IDs stay valid.
            province = county[:2] if counties_at(county[:2], 2020) else "52"
            county = counties_at(province, 2020)[0]
        self.county = county
        self.prefecture = county[:4]
        self.province = county[:2]
        self._local: dict[int, str] = {}
        stem = current_name(county)[:2]
        self._stem = stem

    def local(self, year: int) -> str:
        """The village's county code as it was in ``year``."""
        code = self._local.get(year)
        if code is None:
            code = self._local[year] = self._find_local(year)
        return code

    def _find_local(self, year: int) -> str:
        if name_at(self.county, year) and _county_level(self.county):
            return self.county
        same_name = [c for c in counties_at(self.province, year) if (name_at(c, year) or "")[:2] == self._stem]
        if same_name:
            return same_name[0]
        target = int(self.county)
        for prefix in (self.prefecture, self.province, ""):
            found = counties_at(prefix, year)
            if found:
                return min(found, key=lambda c: abs(int(c) - target))
        return self.county

    def married_in(self, rng: Random, year: int) -> str:
        """Where a spouse from outside the village was born: mostly nearby, a few from afar."""
        r = rng.random()
        if r < 0.35:
            return self.local(year)
        prefix = self.prefecture if r < 0.75 else self.province if r < 0.95 else ""
        found = counties_at(prefix, year) or counties_at(self.province, year)
        return rng.choice(found) if found else self.local(year)

    def other_prefecture(self, rng: Random, year: int) -> str | None:
        found = [c for c in counties_at(self.province, year) if not c.startswith(self.prefecture)]
        return rng.choice(found) if found else None

    # ---- names for addresses ------------------------------------------------------------------
    def province_name(self) -> str:
        return current_name(self.province + "0000")

    def prefecture_name(self) -> str:
        name = current_name(self.prefecture + "00")
        return "" if name in ("市辖区", "县", self.province_name()) else name

    def county_name(self) -> str:
        return current_name(self.county)


def short_province(name: str) -> str:
    for long, short in (("内蒙古", "内蒙古"), ("广西", "广西"), ("西藏", "西藏"), ("宁夏", "宁夏"), ("新疆", "新疆")):
        if name.startswith(long):
            return short
    return name.removesuffix("省").removesuffix("市")
