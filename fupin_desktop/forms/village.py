"""村情统计表 (SPEC §3.3, §5): the village's figures for the year, A4 portrait.

Part one is the village's own 出列 indicators (``village_year``); the rest is counted from the
households in scope while they stream past, so the figures match exactly what the roster of the
same scope lists (``village_stats`` counts the whole store, whatever the scope).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy import select

from ..yearstatus import status_of
from ..bundle import HouseholdData
from ..model import VillageYear, column_label
from ..reference import CodeTables
from . import fmt
from .base import FormRenderer
from .document import EndSection
from .layout import Together

INDICATORS = tuple(c.name for c in VillageYear.__table__.c
                   if c.name not in {"id", "updated_at", "village_code", "year"})
UNSET = "未填写"
# (title, code table for the blank form, how a household is classed; blank 监测对象类别 = not monitored)
# (heading, code table, the household's label in the year)
DIMENSIONS: tuple[tuple[str, str, Callable[[HouseholdData, int], str | None]], ...] = (
    ("按脱贫状态", "脱贫状态", lambda hh, y: hh.fields.get("poverty_status")),
    ("按贫困户属性", "贫困户属性", lambda hh, y: status_of(hh.years, y)["attribute"]),
    ("按户类型", "户类型", lambda hh, y: status_of(hh.years, y)["household_type"]),
    ("按监测对象类别", "监测对象类别", lambda hh, y: status_of(hh.years, y)["monitoring_category"] or "非监测对象"),
    ("按主要致贫原因", "致贫原因", lambda hh, y: hh.years.get(y, {}).get("main_cause")),
)


class _Tally:
    def __init__(self) -> None:
        self.households: Counter[str] = Counter()
        self.people: Counter[str] = Counter()

    def add(self, key: str | None, people: int) -> None:
        self.households[key or UNSET] += 1
        self.people[key or UNSET] += people


class VillageForm(FormRenderer):
    key = "village"
    title = "村情统计表"
    per_household = False

    def document_story(self, households: Iterable[HouseholdData]) -> Iterator[Flowable]:
        year, k = self.ctx.year, self.kit
        tallies = [_Tally() for _ in DIMENSIONS]
        facts: Counter[str] = Counter()
        measures: dict[str, list[Decimal]] = defaultdict(list)
        net, population, village = Decimal(0), 0, None
        line_label, line = "", None
        for hh in households:
            village = village or hh.fields.get("village_code")
            people = len(hh.active_members())
            facts["在册户数"] += 1
            facts["在册人口"] += people
            for tally, (_t, _f, classify) in zip(tallies, DIMENSIONS):
                tally.add(classify(hh, year), people)
            y = hh.years.get(year, {})
            facts["危房户数"] += y.get("dilapidated") is True
            facts["饮水不安全户数"] += y.get("drinking_safe") is False
            facts["无卫生厕所户数"] += y.get("sanitary_toilet") is False
            facts["有帮扶责任人的户数"] += any(not a.get("end_on") for a in hh.assignments)
            inc = hh.incomes.get(year)
            if inc and inc.fields.get("per_capita_net") is not None:
                judged = self.ctx.judge(inc.fields, village, year)
                line_label, line = judged.label, judged.line
                facts["有收入核算的户数"] += 1
                net += inc.fields.get("net_income") or 0
                population += inc.fields.get("population") or 0
                facts["人均纯收入低于标准的户数"] += judged.below is True
            for x in hh.measures:
                if x.fields.get("year") == year:
                    measures[x.fields.get("category") or UNSET].append(x.fields.get("amount") or Decimal(0))
        name = self.ctx.village_name(village) if village else ""
        yield from k.title(f"{name}{self.title}", self.subtitle())
        yield k.heading("一、村级基本情况")
        yield k.pairs(self._indicators(village), 2, 0.6, write_room=self.ctx.blank)
        yield Together([k.heading("二、户数、人口与收入"), k.pairs(self._facts(facts, net, population, line_label,
                                                                             line), 2, 0.6,
                                                                  write_room=self.ctx.blank)])
        for n, (tally, (title, table, _c)) in enumerate(zip(tallies, DIMENSIONS), 3):
            yield Together([k.heading(f"{_cn(n)}、{title}"), self._tally(tally, table)])
        last = [k.heading(f"{_cn(3 + len(DIMENSIONS))}、{'____' if self.ctx.blank else year} 年度帮扶措施"),
                self._measures(measures)]
        yield self.signed(last, ("填报人", "审核人", "村委会（盖章）"))
        yield EndSection(f"{name}{self.title}" if name else self.title)

    def blank_story(self) -> list[Flowable]:
        return list(self.document_story([]))

    def _indicators(self, village: str | None) -> list[tuple[str, str]]:
        row: dict[str, Any] = {}
        if village and self.ctx.conn is not None:
            this_year = select(VillageYear).where(VillageYear.village_code == village,
                                                  VillageYear.year == self.ctx.year)
            found = self.ctx.conn.execute(this_year).mappings().first()
            row = dict(found) if found else {}
            if not found:
                self.ctx.problem(self.ctx.village_name(village), f"缺少 {self.ctx.year} 年度村级指标（第一部分留空）")
        return [(column_label("village_year", c), fmt.text(row.get(c))) for c in INDICATORS]

    def _facts(self, facts: Counter[str], net: Decimal, population: int, label: str, line: Decimal | None
               ) -> list[tuple[str, str]]:
        if self.ctx.blank:
            keys = ["在册户数", "在册人口", "有收入核算的户数", "全村人均纯收入(元)", "人均纯收入低于标准的户数",
                    "危房户数", "饮水不安全户数", "无卫生厕所户数", "有帮扶责任人的户数", "收入标准(元/人/年)"]
            return [(key, "") for key in keys]
        average = fmt.money(net / population) if population else ""
        items = [(key, str(facts[key])) for key in ("在册户数", "在册人口", "有收入核算的户数")]
        items.append(("全村人均纯收入(元)", average))
        items += [(key, str(facts[key])) for key in ("人均纯收入低于标准的户数", "危房户数", "饮水不安全户数",
                                                     "无卫生厕所户数", "有帮扶责任人的户数")]
        items.append((f"{label or '收入标准'}(元/人/年)", fmt.money(line)))
        return items

    def _tally(self, tally: _Tally, table: str) -> Flowable:
        if self.ctx.blank:
            keys = CodeTables.default().labels(table) + (["非监测对象"] if table == "监测对象类别" else [])
            rows = [[key, "", ""] for key in keys + ["合计"]]
        else:
            rows = [[key, str(n), str(tally.people[key])] for key, n in tally.households.most_common()]
            rows.append(["合计", str(sum(tally.households.values())), str(sum(tally.people.values()))])
        return self.kit.grid(["类别", "户数", "人数"], rows, [10, 4, 4], align={1: "RIGHT", 2: "RIGHT"})

    def _measures(self, measures: dict[str, list[Decimal]]) -> Flowable:
        if self.ctx.blank:
            rows = [[key, "", ""] for key in CodeTables.default().labels("措施大类") + ["合计"]]
        else:
            rows = [[c, str(len(a)), fmt.money(sum(a, Decimal(0)))]
                    for c, a in sorted(measures.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
            total = [a for amounts in measures.values() for a in amounts]
            rows.append(["合计", str(len(total)), fmt.money(sum(total, Decimal(0)))])
        return self.kit.grid(["措施大类", "措施项数", "扶持资金(元)"], rows, [10, 4, 4], align={1: "RIGHT", 2: "RIGHT"})


def _cn(n: int) -> str:
    return "零一二三四五六七八九十"[n] if n <= 10 else str(n)
