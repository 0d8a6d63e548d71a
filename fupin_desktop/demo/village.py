"""One demo village: its places, clans, ethnic mix, cadres and helpers, and the identities already
handed out (ID numbers and phone numbers are unique within the village unless a flaw says otherwise)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random
from typing import Any

from ..validation.idnumber import make_id, normalize
from ._data import MOBILE_PREFIXES, Table, day_in, demo_file, label, labels_for, line_for, new_id
from .regions import Regions, short_province

GROUPS = ("第一组", "第二组", "第三组", "第四组", "第五组", "第六组", "第七组", "第八组")
HOUSEHOLDS_PER_HELPER = 5


class Village:
    def __init__(self, seed: int, village_code: str, year: int, flaws: float, households: int,
                 village_name: str | None = None) -> None:
        if year < 2014:
            raise ValueError("演示数据从 2014 年（建档立卡）起生成。")
        self.seed, self.code, self.year, self.flaws = seed, village_code, year, max(0.0, float(flaws))
        self.households = households
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()
        self.last_adult_woman: tuple[str, date, str] | None = None
        self._helper: tuple[int, dict[str, Any]] | None = None
        self.e4 = year >= 2021
        # Traits of the village itself (places, clans, ethnic mix, cadres) follow its code, not the
        # seed, so households added later with another seed belong to the same village.
        self.rng = rng = Random(f"fupin-demo:{village_code}:village")
        self.regions = Regions(village_code)
        self.province_code = self.regions.province
        self.line = line_for(self.province_code, year)
        self.growth = 1.075 ** (year - 2024)
        names, vocab = demo_file("names.json"), demo_file("vocab.json")
        self.vocab = vocab
        # Places.
        self.province = self.regions.province_name()
        self.prefecture = self.regions.prefecture_name()
        self.county = self.regions.county_name()
        self.province_short = short_province(self.province)
        self.township = self.place_name(rng) + rng.choice(vocab["township_suffix"])
        self.name = village_name or (self.place_name(rng) + "村")
        self.address_prefix = f"{self.province}{self.prefecture}{self.county}{self.township}{self.name}"
        lat, lng = vocab["centroids"].get(self.province_code, [26.6, 106.7])
        self.gps = (lat + rng.uniform(-1.2, 1.2), lng + rng.uniform(-1.2, 1.2))
        # Groups: contiguous runs of households, uneven sizes.
        weights = [rng.uniform(0.6, 1.4) for _ in GROUPS]
        total, run, self.group_starts = sum(weights), 0.0, []
        for w in weights:
            self.group_starts.append(int(round(run / total * households)))
            run += w
        self.house_no = [0] * len(GROUPS)
        # Surnames: national frequencies, plus a few village clans, one leading in each group.
        self.surnames: Table[str] = Table(names["surnames"])
        clans: list[str] = []
        wanted = rng.randint(3, 6)
        while len(clans) < wanted:
            s = self.surnames.pick(rng)
            if s not in clans:
                clans.append(s)
        self.clans = clans
        self.clan_share = rng.uniform(0.3, 0.55)
        self.group_clan = [Table([(c, (6.0 if c == clans[g % len(clans)] else 1.0) / (k + 1))
                                  for k, c in enumerate(clans)]) for g in range(len(GROUPS))]
        self.given: dict[str, dict[str, str]] = {  # sex → era → the characters to pick from
            sex: {era: chars for era, chars in by_era.items()} for sex, by_era in names["given"].items()}
        # Ethnic mix: the province's, leaning to one group for the whole village.
        ethnic = [(e, w) for e, w in vocab["ethnic"].get(self.province_code, vocab["ethnic"]["default"])
                  if e in labels_for("民族", year)]
        self.ethnic: Table[str] = Table(ethnic)
        self.main_ethnicity = self.ethnic.pick(rng)
        self.main_share = rng.uniform(0.7, 0.98) if self.main_ethnicity == "汉族" else rng.uniform(0.35, 0.85)
        self.cadres = [(self.person_name(rng, "男" if k < 2 else "女", 1975), self.mobile(rng)) for k in range(3)]

    # ---- names ------------------------------------------------------------------------------------
    def place_name(self, rng: Random) -> str:
        first: str = self.vocab["place_first"]  # strings of characters
        second: str = self.vocab["place_second"]
        return rng.choice(first) + rng.choice(second)

    def family_surname(self, rng: Random, group: int) -> str:
        if rng.random() < self.clan_share:
            return self.group_clan[group].pick(rng)
        return self.surnames.pick(rng)

    def any_surname(self, rng: Random, group: int) -> str:
        return self.family_surname(rng, group) if rng.random() < 0.4 else self.surnames.pick(rng)

    def given_name(self, rng: Random, gender: str, born_year: int, first: str | None = None) -> str:
        era = "old" if born_year < 1965 else "mid" if born_year < 1990 else "young"
        chars = self.given[gender][era]
        two = rng.random() < (0.85 if era != "young" else 0.72)
        if first:
            return first + rng.choice(chars)
        return rng.choice(chars) + rng.choice(chars) if two else rng.choice(chars)

    def person_name(self, rng: Random, gender: str, born_year: int) -> str:
        return self.surnames.pick(rng) + self.given_name(rng, gender, born_year)

    def ethnicity(self, rng: Random) -> str:
        return self.main_ethnicity if rng.random() < self.main_share else self.ethnic.pick(rng)

    # ---- numbers ----------------------------------------------------------------------------------
    def reserve(self, numbers) -> None:
        """ID numbers (18/20 characters) and phone numbers already in use: never handed out again."""
        for raw in numbers:
            number = normalize(raw)
            if len(number) == 11 and number.isdigit():
                self.used_phones.add(int(number))
            elif len(number) >= 17 and number[:17].isdigit():
                self.used_ids.add(int(number[:6]) * 100_000_000_000 + int(number[6:14]) * 1000 + int(number[14:17]))

    def mobile(self, rng: Random) -> str:
        while True:
            number = int(rng.choice(MOBILE_PREFIXES)) * 100_000_000 + rng.randrange(100_000_000)
            if number not in self.used_phones:
                self.used_phones.add(number)
                return str(number)

    def id_number(self, rng: Random, region: str, born: date, male: bool) -> str:
        """A unique 18-digit number (the sequence's last digit is odd for men)."""
        base = (int(region) * 100_000_000 + born.year * 10_000 + born.month * 100 + born.day) * 1000
        for _ in range(50):
            seq = rng.randrange(500) * 2 + (1 if male else 0)
            if base + seq not in self.used_ids:
                break
        self.used_ids.add(base + seq)
        return make_id(region, born, seq)

    # ---- groups and houses --------------------------------------------------------------------------
    def group_of(self, index: int) -> int:
        group = 0
        for g, start in enumerate(self.group_starts):
            if index >= start:
                group = g
        return group

    def next_house(self, rng: Random, group: int) -> int:
        self.house_no[group] += rng.randint(1, 3)
        return self.house_no[group]

    # ---- helpers (帮扶责任人): helper j looks after households 5j … 5j+4 --------------------------------
    def helper(self, index: int) -> dict[str, Any]:
        j = index // HOUSEHOLDS_PER_HELPER
        if self._helper is not None and self._helper[0] == j:
            return self._helper[1]
        rng = Random(f"fupin-demo:{self.seed}:{self.code}:helper:{j}")
        gender = "男" if rng.random() < 0.68 else "女"
        r = rng.random()
        if r < 0.62:
            dept, _ = rng.choice(self.vocab["departments"])
            place, unit, affiliation = self.county, f"{self.county}{dept}", "县"
        elif r < 0.85:
            place, unit, affiliation = self.township, f"{self.township}人民政府", "乡镇"
        elif r < 0.95:
            dept, _ = rng.choice(self.vocab["departments"])
            place = self.prefecture or self.province
            unit, affiliation = f"{place}{dept}", "市"
        else:
            place = self.province
            unit, affiliation = f"{place}{rng.choice(['农业农村厅', '财政厅', '教育厅', '卫生健康委员会'])}", "省"
        political = Table([("中共党员", 80), ("中共预备党员", 3), ("共青团员", 5), ("群众", 12)]).pick(rng)
        row = {
            "id": new_id(rng),
            "name": self.surnames.pick(rng) + self.given_name(rng, gender, rng.randint(1965, 1998)),
            "gender": gender,
            "political_status": label("政治面貌", self.year, political),
            "unit_name": unit,
            "unit_affiliation": label("单位隶属关系", self.year, affiliation),
            "unit_address": f"{place}{rng.choice(self.vocab['streets'])}{rng.randint(1, 180)}号",
            "position": rng.choice(self.vocab["positions"]),
            "phone": self.mobile(rng),
        }
        self._helper = (j, row)
        return row

    def helper_start(self, rng: Random) -> date:
        first = 2021 if self.e4 else max(2014, self.year - 2)
        return day_in(rng, date(first, 1, 1), date(self.year, 3, 31))

    def amount(self, base: float) -> Decimal:
        return Decimal(int(round(base * self.growth)))
