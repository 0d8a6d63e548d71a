"""Issue 15 over a 300-household demo village: public forms tie no health, disability or 低保 fact to
a name and show no number beyond what masking allows (item 1); no page holds only signatures, every
明白卡 within 10 members and 20 measures is one sheet, footers stay apart, counts are integers (item 3)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from fupin_desktop.bundle import MeasureData
from fupin_desktop.demo import fill_store
from fupin_desktop.forms import FORM_NAMES, Scope, render
from fupin_desktop.model import Household, Measure, Member, MemberYear
from fupin_desktop.queries.years import current_year
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.procedures import record_step, start_procedure
from fupin_desktop.store.store import Store
from tests.conftest import PASSWORD, VILLAGE
from tests.factories import household, member
from tests.test_forms import page_texts, write

# Health, disability, medical-aid and 低保 words that must never share a line with a person's name.
PRIVATE_WORDS = ("病", "残疾", "医疗救助", "救治", "低保", "最低生活保障", "特困", "视力", "听力", "言语", "肢体",
                 "智力", "精神", "长期慢性")
BIG, LONG = "5201020030049301", "5201020030049302"
LONG_HEAD, LONG_GROUP = "欧阳司马长孙慕容夏侯诸葛东方皇甫尉迟公羊", "第十八村民小组（原新寨片区上坝自然村）"
CERT_TAIL = "42"  # category and grade digits appended to a member's ID number


def big_family(year: int):
    """10 members and 20 measures of kinds a public card lists one by one: the card's limit."""
    hh = household("周满堂", hh_no=BIG, extra_members=3)
    for i in range(6):
        hh.members.append(member(f"周{'甲乙丙丁戊己'[i]}生", "之孙子", date(2005 + i, 2, 3), "男", 5 + i))
    hh.years = {year: {**hh.years[2024], "population": 10}}
    hh.measures = [MeasureData({"year": year, "category": "产业帮扶", "subcategory": "种植业",
                                "name": f"第{i + 1}期高山冷凉蔬菜种植技术培训与种苗补贴", "scale": Decimal(3),
                                "unit": "亩",
                                "amount": Decimal(1200 + i), "status": "完成"}) for i in range(20)]
    return hh


def long_named(year: int):
    hh = household(LONG_HEAD, hh_no=LONG, group=LONG_GROUP)
    hh.years = {year: hh.years[2024]}
    return hh


def certify_the_disabled(store: Store, year: int) -> list[str]:
    """Give members with a disability a 20-digit 残疾人证号; returns those numbers."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(Member.id, Member.household_id, Member.id_no).join(MemberYear)
                            .where(MemberYear.year == year, MemberYear.health.like("%残疾%"),
                            func.length(Member.id_no) == 18)
                            .limit(8)).all()
    with unit_of_work(store) as uow:
        for mid, hid, id_no in rows:
            uow.update(Member, mid, {"id_type": "残疾人证", "id_no": f"{id_no}{CERT_TAIL}"}, household_id=hid)
    return [f"{id_no}{CERT_TAIL}" for _m, _h, id_no in rows]


PUBLICITY_FROM = date.today() - timedelta(days=20)


def put_up_for_publicity(store: Store) -> list[str]:
    """Twenty households through 民主评议 and 村内公示, of each kind, their notes naming illness and 低保."""
    with store.engine.connect() as conn:
        ids = list(conn.execute(select(Household.id).order_by(Household.national_hh_no).limit(20)).scalars())
    kinds = ("识别纳入", "风险消除", "退出")
    with unit_of_work(store) as uow:
        for n, hid in enumerate(ids):
            kind = kinds[n % 3]
            found = PUBLICITY_FROM + timedelta(days=n % 5)
            pid = start_procedure(uow, hid, kind, found, channel="干部排查",
                                  note="因病住院，低保边缘" if n % 2 else "务工收入下降")
            record_step(uow, pid, "入户核实", found)
            record_step(uow, pid, "民主评议", found + timedelta(days=1), result="同意")
            record_step(uow, pid, "村内公示", found + timedelta(days=2), end_on=found + timedelta(days=7))
    return ids


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("village300")
    store, _ = Store.create(folder / "store", village_code=VILLAGE, village_name="示范村", username="admin",
                            password=PASSWORD)
    fill_store(store, 300, seed=15)
    with store.engine.connect() as conn:
        year = current_year(conn)
    write(store, [big_family(year), long_named(year)])
    certs = certify_the_disabled(store, year)
    put_up_for_publicity(store)
    pdfs = {form: folder / f"{form}.pdf" for form in FORM_NAMES}
    for form, pdf in pdfs.items():
        render(form, store, scope=Scope.village(VILLAGE), out=pdf,
               period=(PUBLICITY_FROM, date.today()) if form == "publicity" else None)
    yield store, pdfs, certs, year
    store.close()


@lru_cache(maxsize=16)
def raw_lines(pdf: Path) -> tuple[str, ...]:
    """Every line of text as extracted (a table row; the parts of a footer), cells apart."""
    return tuple(line for page in PdfReader(str(pdf)).pages for line in page.extract_text().splitlines())


def lines(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in raw_lines(pdf)]


@lru_cache(maxsize=16)
def pages_of(pdf: Path) -> tuple[str, ...]:
    return tuple(page_texts(pdf))


def secrets(store: Store) -> tuple[set[str], list[str]]:
    """Member names (two characters or more), and every ID, phone and bank number held in clear."""
    with store.engine.connect() as conn:
        members = conn.execute(select(Member.name, Member.id_no, Member.phone)).all()
        homes = conn.execute(select(Household.phone, Household.bank_account)).all()
    names = {n for n, _i, _p in members if n and len(n) >= 2}
    numbers = [v for row in (*members, *homes) for v in row[1:] if v] + [n for n, _ in homes if n]
    return names, [n for n in numbers if len(n) >= 7]


@pytest.mark.parametrize("form", ["card", "roster", "publicity"])
def test_public_forms_tie_no_private_fact_to_a_name(village, form: str):
    store, pdfs, certs, _year = village
    names, numbers = secrets(store)
    joined = "".join(lines(pdfs[form]))
    masked: list[str] = []
    for line in raw_lines(pdfs[form]):
        squeezed = re.sub(r"\s+", "", line)
        named = [n for n in names if n in squeezed]
        said = [w for w in PRIVATE_WORDS if w in squeezed]
        assert not (named and said), f"{said} next to {named}: {line}"
        masked += [token for token in line.split() if "***" in token]
    for token in masked:
        head, tail = re.fullmatch(r"([0-9X]*)\*+([0-9X]*)", token).groups()
        assert len(head) <= 4 and len(tail) <= 4, token  # masking keeps at most 4 + 4 characters
    assert not [n for n in numbers if n in joined]
    assert "公示用（已打码）" in joined
    if form == "publicity":  # no number of any kind: the list names, groups and family sizes only
        assert masked == [] and "（不公开）" in joined and "务工收入下降" in joined
        assert [re.sub(r"\s+", "", ln) for ln in raw_lines(pdfs[form]) if "公示名单（" in ln] == [
            "识别纳入公示名单（7户）", "风险消除公示名单（7户）", "退出公示名单（6户）"]
        return
    # 残疾人证号 wholly masked: its last digits (category and grade) never show.
    assert certs and "*" * 20 in masked and not [t for t in masked if len(t) == 20 and t != "*" * 20]
    if form == "card":
        assert "健康帮扶" in joined and "项（明细不公开）" in joined  # the category and sum still print


def test_internal_ledger_prints_in_full_and_says_so(village):
    _store, pdfs, _certs, _year = village
    joined = "".join(lines(pdfs["ledger"]))
    assert "内部资料" in joined and re.search("大病专项救治|慢病签约服务", joined)


def signature_only(page: str) -> bool:
    body = re.sub(r"日期：_+年_+月_+日|[^\s：]{1,12}：_{4,}", "", page)
    return "____" in page and not body.strip()


def test_a_page_of_signatures_alone_is_recognised():
    assert signature_only(
        "户主签字：________信息采集人：________审核人：______村委会（盖章）：______日期：____年__月__日")
    assert not signature_only("七、帮扶措施（本年度无帮扶措施）户主签字：________日期：____年__月__日")


@pytest.mark.parametrize("form", FORM_NAMES)
def test_no_page_holds_only_signatures(village, form: str):
    _store, pdfs, _certs, _year = village
    alone = [n for n, page in enumerate(pages_of(pdfs[form]), 1) if signature_only(page)]
    assert not alone, f"{form}: pages {alone[:10]} hold only signatures"
    decimals = [ln for ln in raw_lines(pdfs[form]) if re.search(r"\d\.\d\d(人|户|项|只|亩)", ln)]
    assert not decimals, f"a count printed as a decimal: {decimals[:3]}"


def card_pages(pdf: Path) -> dict[str, int]:
    """Pages of each household's card, by 户编号 (read from the card, as the footer may be shortened)."""
    counts: dict[str, int] = {}
    for page in page_texts(pdf, keep_furniture=True):  # read once: the test that uses it runs once
        number, total = re.search(r"第(\d+)页共(\d+)页", page).groups()
        if number == "1":
            counts[re.search(r"户编号(\d{16})", page).group(1)] = int(total)
    return counts


def test_every_card_within_the_limits_is_one_sheet(village):
    store, pdfs, _certs, year = village
    with store.engine.connect() as conn:
        members = Counter(dict(conn.execute(select(Household.national_hh_no, func.count()).join(Member)
                                            .where(Member.record_status == "在册").group_by(Household.id)).all()))
        measures = Counter(dict(conn.execute(select(Household.national_hh_no, func.count()).join(Measure)
                                             .where(Measure.year == year).group_by(Household.id)).all()))
    pages = card_pages(pdfs["card"])
    assert len(pages) == 302 and pages[BIG] == 1
    within = [hh for hh in pages if members[hh] <= 10 and measures[hh] <= 20]
    assert len(within) >= 290
    assert [hh for hh in within if pages[hh] != 1] == []


def test_long_names_are_shortened_in_the_footer(village):
    _store, pdfs, _certs, _year = village
    for form in ("registration", "card", "income"):
        # The footer's label (who) is its own line of text, left of the page number.
        text = lines(pdfs[form])
        assert [ln for ln in text if ln.startswith(f"{LONG_HEAD}户") and ln.endswith("…")]
        # Never drawn in full in the footer, over the page number; the continuation header at the top has
        # the page's width to itself (cut there too when it would not fit).
        assert not [ln for ln in text if f"{LONG}·{LONG_GROUP}" in ln and "（续）" not in ln]
