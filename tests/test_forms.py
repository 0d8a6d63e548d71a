"""Printed forms (issue 4): what the PDFs say, where they say it, what they never say in clear,
the font they carry, how they continue over pages, and how a batch behaves."""

from __future__ import annotations

import argparse
import re
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from fupin_desktop.bundle import HouseholdData, MeasureData
from fupin_desktop.errors import InvalidInput, NotFound
from fupin_desktop.forms import FALLBACK_WARNING, FORM_NAMES, Scope, form_font, mask_bank, mask_id, mask_phone, render
from fupin_desktop.forms import fmt, fonts, registration
from fupin_desktop.forms.registration import RegistrationForm
from fupin_desktop.forms.scope import resolve
from fupin_desktop.queries.stats import group_order
from fupin_desktop.forms.styles import kit
from sqlalchemy import func, select

from fupin_desktop.demo import fill_store
from fupin_desktop.forms import (
    FORMS,
    render_bytes,
)
from fupin_desktop.forms.command import FORM_CHOICES, add_print_arguments, run_print
from fupin_desktop.model import Helper, Household, Measure, new_id
from fupin_desktop.queries.load import load_households
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.queries.stats import village_stats
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from tests.conftest import PASSWORD, VILLAGE
from tests.factories import household, member
from tests.factories import household as make_household

YEAR = 2024
LONG_ADDRESS = "贵州省贵阳市南明区后巢乡测试村第三村民小组山脚下靠近老水井旁边的那条小路往里走到头左手边第二户人家" * 2
LONG_NAME = "欧阳司马长孙慕容夏侯"


# ---- data ------------------------------------------------------------------------------------
def rich_household() -> HouseholdData:
    hh = household(LONG_NAME, hh_no="5201020030049001", group="第三组", extra_members=3)
    hh.fields.update(address=LONG_ADDRESS, collector_name="王采集", collector_phone="13900001111",
                     identify_standard="国家标准", identified_year=2014, exit_year=2019, plan_exit_year=2018,
                     monitoring_category="脱贫不稳定户", monitoring_since="202305", monitoring_contact="赵联系",
                     monitoring_contact_phone="13700002222", military_family=False, only_child=False)
    hh.years[YEAR].update(other_causes="缺资金", risks="因病", road_type="水泥路", housing_area_m2=Decimal("120.5"),
                          fuel_type="清洁能源", drinking_safe=True, dilapidated=False, sanitary_toilet=True,
                          forest_mu=Decimal("12"), relocated=False, food_secure=True, livestock="猪2头、鸡15只",
                          guarantee_evidence="入户核实，吃穿不愁")
    hh.members[1].years[YEAR].update(health="长期慢性病", dibao="农村低保", labour_skill="弱劳动力或半劳动力")
    hh.members[2].years[YEAR].update(work_status="省外务工", work_months=10, work_place="浙江省温州市",
                                     work_company="温州某某鞋业有限公司")
    helper = {"id": new_id(), "name": "刘帮扶", "gender": "女", "political_status": "中共党员",
              "unit_name": "南明区农业农村局", "position": "科员", "phone": "13600003333"}
    hh.helpers = {helper["id"]: helper}
    hh.assignments = [{"helper_id": helper["id"], "start_on": date(2021, 3, 1)}]
    hh.measures = [MeasureData({"year": YEAR, "category": "产业帮扶", "subcategory": "养殖业", "name": "发展山羊养殖",
                                "scale": Decimal(30), "unit": "只", "amount": Decimal("15000"),
                                "fund_source": "财政专项扶贫资金", "responsible": "刘帮扶", "status": "完成"}),
                   MeasureData({"year": YEAR, "category": "健康帮扶", "name": "家庭医生签约服务",
                                "amount": Decimal("300"), "status": "实施中"})]
    hh.incomes[YEAR].fields.update(claims_income=Decimal("800"), compliant_oop_expense=Decimal("2100"))
    return hh


def big_household() -> HouseholdData:
    hh = household("周大家", hh_no="5201020030049002", group="第二组", extra_members=1)
    for i in range(10):
        hh.members.append(member(f"周成员{i:02d}", "之孙子" if i % 2 else "之孙女", date(2005 + i, 2, 3),
                                 "男" if i % 2 else "女", 3 + i))
    hh.years[YEAR]["population"] = len(hh.members)
    return hh


def bad_household() -> HouseholdData:
    """Nothing but its place: no members, no year facts, no income."""
    return HouseholdData(fields={"village_code": VILLAGE, "group_name": "第一组", "national_hh_no": "5201020030049003"})


def write(store: Store, bundles: list[HouseholdData]) -> list[str]:
    helpers = {hid: row for b in bundles for hid, row in b.helpers.items()}
    with unit_of_work(store) as uow:
        if helpers:
            uow.insert_many(Helper, list(helpers.values()))
        return create_households(uow, bundles)


@pytest.fixture
def store(new_store: Store) -> Store:
    write(new_store, [rich_household(), big_household(), bad_household()])
    return new_store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("forms") / "demo"
    store, _ = Store.create(path, village_code=VILLAGE, village_name="示范村", username="admin", password=PASSWORD)
    fill_store(store, 500, seed=7, year=YEAR)
    yield store
    store.close()


# ---- reading PDFs back ------------------------------------------------------------------------
FURNITURE = re.compile(r"第\d+页共\d+页|打印日期：\d{4}-\d{2}-\d{2}|（续）|户·户编号\d+")


def page_texts(path: Path, *, keep_furniture: bool = False, last: int = 0) -> list[str]:
    """Each page's text (or the ``last`` few pages') with all whitespace removed (wrapped cells
    break lines anywhere)."""
    texts = []
    pages = PdfReader(str(path)).pages
    for page in (pages[-last:] if last else pages):
        text = page.extract_text()
        lines = text.splitlines()
        if not keep_furniture:
            # The footer (the household, the page number, the date) and the running head repeat on
            # every page; drop them so a value is found only where the form itself prints it.
            lines = [ln for ln in lines if not FURNITURE.search(re.sub(r"\s+", "", ln))]
        texts.append(re.sub(r"\s+", "", "\n".join(lines)))
    return texts


def stored(store: Store, number: str) -> HouseholdData:
    """The household as the store holds it (ID numbers are made fresh by each factory call)."""
    with store.engine.connect() as conn:
        return load_households(conn, resolve(conn, Scope.households([number])))[0]


def sections(text: str, headings: list[str]) -> dict[str, str]:
    found = [(text.index(h), h) for h in headings]
    assert [h for _, h in sorted(found)] == headings, "sections out of order"
    bounds = [i for i, _ in found] + [len(text)]
    return {h: text[bounds[n]:bounds[n + 1]] for n, h in enumerate(headings)}


def squeeze(value: str) -> str:
    """As printed, without spaces (text is stored as typed: ， stays ，)."""
    return re.sub(r"\s+", "", value)


# ---- the registration form ---------------------------------------------------------------------
def test_registration_prints_every_value_in_its_section(store: Store, tmp_path: Path):
    out = tmp_path / "reg.pdf"
    report = render("registration", store, scope=Scope.households(["5201020030049001"]), out=out, year=YEAR)
    assert report.households == 1 and report.pages >= 2 and not report.problems
    hh = stored(store, "5201020030049001")
    text = "".join(page_texts(out))
    heads = ["一、户基本情况", "二、家庭成员情况", "三、生产生活条件", "四、易地扶贫搬迁与两不愁三保障",
             "五、收入情况", "六、帮扶责任人", "七、帮扶措施"]
    part = sections(text, heads)
    f, y = hh.fields, hh.years[YEAR]
    expect = {heads[0]: [LONG_NAME, LONG_ADDRESS, f["phone"], f["bank_name"], f["bank_account"], f["national_hh_no"],
                         "王采集", "13900001111", "测试村第三组", "2023年05月", "13700002222", "缺资金", "因病"]
              + [fmt.text(f.get(c)) for t, c in registration.BASICS
                 if t == "household" and f.get(c) not in (None, "")
                 and c not in ("monitoring_since", "risk_removed_at")]
              + [fmt.text(y.get(c)) for t, c in registration.BASICS
                 if t == "household_year" and y.get(c) is not None],
              heads[2]: [fmt.text(y.get(c)) for _t, c in registration.CONDITIONS if y.get(c) is not None]
              + ["猪2头、鸡15只", "有"],
              heads[3]: ["入户核实，吃穿不愁"],
              heads[4]: ["24000.00", "5000.00", "1200.50", "1500.00", "30200.50", "28700.50", "800.00", "2100.00",
                         "7175.13"],
              heads[5]: ["刘帮扶", "南明区农业农村局", "中共党员", "13600003333", "2021-03-01"],
              heads[6]: ["产业帮扶", "养殖业", "发展山羊养殖", "30只", "15000.00", "财政专项扶贫资金",
              "家庭医生签约服务",
                         "300.00", "实施中"]}
    for m in hh.members:
        p, my = m.fields, m.years[YEAR]
        expect.setdefault(heads[1], []).extend(
            [p["name"], p["id_no"], p["birth_date"].isoformat(), p["relation"], p["ethnicity"], p["political_status"]]
            + [fmt.text(v) for k, v in my.items()
               if v is not None and not isinstance(v, bool) and k not in ("id", "member_id", "year", "updated_at")])
    for heading, values in expect.items():
        for value in values:
            assert squeeze(value) in part[heading], f"{value!r} missing from {heading}"
    assert "1970-05-06" not in part[heads[0]]  # member facts stay in the member tables


def test_a_twelve_member_household_continues_with_repeated_headers(store: Store, tmp_path: Path):
    out = tmp_path / "big.pdf"
    report = render("registration", store, scope=Scope.households(["5201020030049002"]), out=out, year=YEAR)
    pages = page_texts(out, keep_furniture=True)
    assert report.pages == len(pages) >= 2
    for n, text in enumerate(pages, 1):
        assert f"第{n}页共{len(pages)}页" in text
        assert "周大家户·户编号5201020030049002" in text
        assert (n > 1) == ("贫困户登记表（续）" in text)
    body = "".join(page_texts(out))
    names = [f"周成员{i:02d}" for i in range(10)]
    assert all(name in body for name in names)
    # A member table that runs over a page break starts the next page with its header row again.
    for text in pages[1:]:
        first_row = re.search(r"周成员\d\d", text)
        if first_row and text.find("序号") < first_row.start():
            break
    else:
        pytest.fail("no page continues a member table under a repeated header")


def test_page_numbers_restart_for_each_household_in_a_batch(store: Store, tmp_path: Path):
    out = tmp_path / "two.pdf"
    ids = ["5201020030049001", "5201020030049002"]
    report = render("registration", store, scope=Scope.households(ids), out=out, year=YEAR)
    footers = [re.search(r"第(\d+)页共(\d+)页", t).groups() for t in page_texts(out, keep_furniture=True)]
    firsts = [i for i, (page, _total) in enumerate(footers) if page == "1"]
    assert len(firsts) == 2 and report.pages == len(footers)
    for start, end in zip(firsts, firsts[1:] + [len(footers)]):
        assert [int(p) for p, _ in footers[start:end]] == list(range(1, end - start + 1))
        assert {int(t) for _, t in footers[start:end]} == {end - start}


# ---- masking ---------------------------------------------------------------------------------
def test_masking_rules():
    assert mask_id("620502199001011234") == "6205**********1234"
    assert mask_id("52010219700506001X12") == "*" * 20  # 残疾人证号: its last digits are category and grade
    assert mask_id("520102197005060011", "残疾人证") == "*" * 18
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0851-5551234") == "********1234"
    assert mask_bank("6217 0000 1000 1234 567") == "6217***********4567"
    assert mask_id(None) == "" and mask_id("123") == "***"


def secrets(hh: HouseholdData) -> list[str]:
    return ([m.fields["id_no"] for m in hh.members] + [hh.fields["phone"], hh.fields["bank_account"]])


@pytest.mark.parametrize("form", ["card", "roster"])
def test_public_forms_never_show_id_phone_or_bank_in_clear(store: Store, tmp_path: Path, form: str):
    out = tmp_path / f"{form}.pdf"
    render(form, store, scope=Scope.households(["5201020030049001"]), out=out, year=YEAR)
    text = "".join(page_texts(out, keep_furniture=True))
    hh = stored(store, "5201020030049001")
    for secret in secrets(hh):
        assert secret not in text
    head = hh.members[0].fields["id_no"]
    assert mask_id(head) in text and mask_phone(hh.fields["phone"]) in text
    if form == "card":
        assert mask_bank(hh.fields["bank_account"]) in text
        assert "长期慢性病" not in text and "健康状况" not in text  # health is never posted
        assert "13600003333" in text  # the helper's phone is the point of the card


def test_masking_can_be_turned_off_and_on(store: Store, tmp_path: Path):
    hh = stored(store, "5201020030049001")
    scope = Scope.households(["5201020030049001"])
    with pytest.raises(InvalidInput, match="不能不打码"):
        render("card", store, scope=scope, out=tmp_path / "clear.pdf", mask=False, year=YEAR)
    assert not (tmp_path / "clear.pdf").exists()
    render("card", store, scope=scope, out=tmp_path / "clear.pdf", mask=False, year=YEAR, confirm_unmasked=True)
    assert "未打码，仅限内部使用" in "".join(page_texts(tmp_path / "clear.pdf", keep_furniture=True))
    clear = "".join(page_texts(tmp_path / "clear.pdf"))
    assert all(secret in clear for secret in secrets(hh)) and "长期慢性病" in clear
    render("registration", store, scope=scope, out=tmp_path / "masked.pdf", mask=True, year=YEAR)
    masked = "".join(page_texts(tmp_path / "masked.pdf"))
    assert not any(secret in masked for secret in secrets(hh))


# ---- income, ledger, village -------------------------------------------------------------------
def test_income_form_lists_every_line_the_result_and_the_threshold(store: Store, tmp_path: Path):
    out = tmp_path / "income.pdf"
    render("income", store, scope=Scope.households(["5201020030049001"]), out=out, year=YEAR)
    text = "".join(page_texts(out))
    for line in stored(store, "5201020030049001").incomes[YEAR].lines:
        assert f"{line['item']}{fmt.money(line['amount'])}" in text
    assert "工资性收入小计24000.00" in text and "生产经营性支出小计1500.00" in text
    assert "家庭年人均纯收入7175.13" in text
    assert "防止返贫监测范围（元/人/年）7300.00" in text  # 2024, national default (resources/thresholds.json)
    # 刚性支出 without lines is the 合规自付支出 (2,100); (28,700.50 − 2,100 + 800 理赔) ÷ 4 = 6,850.13
    assert "刚性支出2100.00" in text and "扣除刚性支出后人均收入6850.13" in text
    assert "人均纯收入未高于防止返贫监测范围；扣除刚性支出后人均收入6850.13元，未高于防止返贫监测范围" in text


def test_ledger_totals_and_village_figures(demo_store: Store, tmp_path: Path):
    group = Scope.filtered(SearchQuery(village_code=VILLAGE, group_name="第一组"))  # the list's current filter
    ledger = render("ledger", demo_store, scope=group, out=tmp_path / "ledger.pdf", year=YEAR)
    with demo_store.engine.connect() as conn:
        in_group = len(resolve(conn, group))
        measures = conn.execute(select(func.count(), func.sum(Measure.amount)).join(Household)
                                .where(Household.group_name == "第一组", Measure.year == YEAR)).one()
    text = "".join(page_texts(tmp_path / "ledger.pdf", last=2))
    assert ledger.households == in_group and "按措施大类汇总" in text
    assert f"合计{measures[0]}" in text and fmt.money(measures[1]) in text
    render("village", demo_store, scope=Scope.village(VILLAGE), out=tmp_path / "village.pdf", year=YEAR)
    village = "".join(page_texts(tmp_path / "village.pdf"))
    with demo_store.engine.connect() as conn:
        stats = village_stats(conn, YEAR)
    assert f"在册户数{stats['households']}" in village and f"在册人口{stats['people']}" in village
    for status, n in stats["by_status"]["households"].items():
        assert f"{status}{n}{stats['by_status']['people'][status]}" in village


# ---- roster: 500 households -------------------------------------------------------------------
def test_a_500_household_roster_has_its_header_on_every_page(demo_store: Store, tmp_path: Path):
    out = tmp_path / "roster.pdf"
    report = render("roster", demo_store, scope=Scope.village(VILLAGE), out=out, year=YEAR)
    pages = page_texts(out, keep_furniture=True)
    assert report.households == 500 and len(pages) == report.pages >= 10
    assert PdfReader(str(out)).pages[0].mediabox.width > PdfReader(str(out)).pages[0].mediabox.height  # landscape
    for n, text in enumerate(pages, 1):
        assert "序号村民小组户编号户主姓名户主身份证号" in text, f"page {n} has no header"
        assert f"第{n}页共{len(pages)}页" in text
    body = "".join(pages)
    assert "合计：500户" in body and body.count("小计：") >= 2
    assert not re.search(r"\d{17}[\dX]", body)  # no ID number in clear


def test_groups_sort_by_their_number():
    names = ["第十组", "第二组", None, "第一组", "第十一组", "第三组"]
    assert sorted(names,
                  key=lambda n: group_order(n or "")) == ["第一组", "第二组", "第三组", "第十组", "第十一组", None]


# ---- fonts ---------------------------------------------------------------------------------
def pdf_fonts(path: Path) -> list[dict]:
    found = []
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object() if descriptor else {}
            found.append({"name": str(font["/BaseFont"]), "embedded": "/FontFile2" in descriptor})
    return found


def test_a_cjk_truetype_font_is_embedded_as_a_subset(store: Store, tmp_path: Path):
    choice = form_font()
    if not choice.embedded:
        pytest.skip("no CJK TrueType font on this machine")
    out = tmp_path / "font.pdf"
    report = render("card", store, scope=Scope.households(["5201020030049001"]), out=out)
    assert report.embedded and not report.warnings
    used = pdf_fonts(out)
    assert used and all(f["embedded"] and re.match(r"/[A-Z]{6}\+", f["name"]) for f in used)
    assert not any("STSong" in f["name"] for f in used)


def test_without_a_truetype_font_stsong_light_is_used_with_a_warning(store, tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font_candidates", lambda: [])
    try:
        assert not form_font(refresh=True).embedded
        out = tmp_path / "fallback.pdf"
        report = render("card", store, scope=Scope.households(["5201020030049001"]), out=out)
        assert FALLBACK_WARNING in report.warnings and not report.embedded
        assert any(f["name"].startswith("/STSong-Light") for f in pdf_fonts(out))
    finally:
        monkeypatch.undo()
        form_font(refresh=True)


def test_a_font_without_digits_is_skipped(monkeypatch):
    droid = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
    if not droid.exists():
        pytest.skip("DroidSansFallbackFull.ttf not installed")
    assert fonts._load(droid) is None  # it has no 0-9: ID numbers would print as blanks
    monkeypatch.setenv("FUPIN_FONT", str(droid))  # chosen on purpose: the report says why it is not used
    choice = fonts._choose([droid])
    assert choice.name == fonts.FALLBACK and any("DroidSansFallbackFull" in w for w in choice.warnings)


def test_long_text_wraps_inside_its_cell():
    k = kit(form_font().name, 500.0)
    assert k.cell("汉族", 40) == "汉族"
    wrapped = k.cell(LONG_ADDRESS, 200)
    assert not isinstance(wrapped, str) and wrapped.style.wordWrap == "CJK"
    _w, h = wrapped.wrap(200 - 5, 1000)
    assert h > 3 * wrapped.style.leading  # several lines, inside the column's width


# ---- batches ----------------------------------------------------------------------------------
def test_a_bad_household_prints_with_blanks_and_is_listed(store: Store, tmp_path: Path):
    out = tmp_path / "batch.pdf"
    seen: list[tuple[int, int]] = []
    report = render("registration", store, scope=Scope.village(VILLAGE), out=out, year=YEAR,
                    progress=lambda done, total: seen.append((done, total)))
    assert report.households == 3 and seen[-1] == (3, 3)
    bad = [message for who, message in report.problems if "5201020030049003" in who]
    assert any("户主" in m for m in bad) and any("收入核算" in m for m in bad)
    assert not [p for p in report.problems if "5201020030049001" in p[0]]
    starts = [t for t in page_texts(out, keep_furniture=True) if "第1页共" in t]
    assert len(starts) == 3


def test_cancel_stops_and_leaves_no_file(store: Store, tmp_path: Path):
    out = tmp_path / "cancelled.pdf"
    done: list[int] = []
    report = render("registration", store, scope=Scope.village(VILLAGE), out=out,
                    progress=lambda d, t: done.append(d), cancel=lambda: len(done) >= 1)
    assert report.cancelled and report.out is None
    assert not out.exists() and not list(tmp_path.glob(".cancelled*"))  # temporary chunks removed too
    report = render("roster", store, scope=Scope.village(VILLAGE), out=out, cancel=lambda: True)
    assert report.cancelled and not out.exists() and not list(tmp_path.glob(".cancelled*"))


def test_chunks_are_joined_into_one_pdf_in_order(store: Store, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(RegistrationForm, "chunk", 1)  # three chunk files, streamed into one
    out = tmp_path / "joined.pdf"
    report = render("registration", store, scope=Scope.village(VILLAGE), out=out, year=YEAR)
    reader = PdfReader(str(out))
    assert len(reader.pages) == report.pages
    text = "".join(page_texts(out, keep_furniture=True))
    order = [text.index(no) for no in ("5201020030049003", "5201020030049002", "5201020030049001")]
    assert order == sorted(order)  # 第一组, 第二组, 第三组


def test_scopes(store: Store, tmp_path: Path):
    out = tmp_path / "scope.pdf"
    report = render("card", store, scope=Scope.filtered(SearchQuery(text="周大家")), out=out)
    assert report.households == 1
    with pytest.raises(NotFound):
        render("card", store, scope=Scope.households(["no-such-household"]), out=out)


@pytest.mark.parametrize("form", FORM_NAMES)
def test_every_form_has_a_blank_version(form: str, tmp_path: Path):
    out = tmp_path / f"{form}-blank.pdf"
    report = render(form, None, out=out, blank=True)
    assert report.pages >= 1 and not report.problems
    text = "".join(page_texts(out))
    # The 公示名单 covers dates and the 承诺书 is signed on a day: a date to write in instead of a year.
    assert ("年度" in text if form not in ("publicity", "consent") else "年____月____日" in text)
    assert not re.search(r"\d{6,}", text)


def test_the_blank_registration_form_has_boxes_to_tick(tmp_path: Path):
    out = tmp_path / "registration-blank.pdf"
    render("registration", None, out=out, blank=True, year=YEAR)
    text = "".join(page_texts(out))
    assert "是否军烈属□是□否" in text and "有无卫生厕所□有□无" in text
    assert "□因病□因残□因学" in text and "（最多选两项）" in text and "（选一项）" in text
    assert "□国家标准□省定标准□市定标准" in text  # 识别标准


def test_every_form_prints_demo_households(demo_store: Store, tmp_path: Path):
    with demo_store.engine.connect() as conn:
        some = Scope.households(resolve(conn, Scope.village(VILLAGE))[:3])
    for form in FORM_NAMES:
        report = render(form, demo_store, scope=some, out=tmp_path / f"{form}.pdf")
        assert report.pages >= 1 and report.households == 3, form


# ---- the command line (cli.py mounts forms.command as `fupin print`) -----------------------------
def test_print_command(store: Store, tmp_path: Path):
    assert FORM_CHOICES == FORM_NAMES == tuple(FORMS)
    parser = argparse.ArgumentParser()
    add_print_arguments(parser)
    said: list[str] = []

    def opened() -> Store:  # what the CLI's _open does: a Store of its own, closed after the job
        return Store.open(store.path, "admin", PASSWORD)

    args = parser.parse_args(["card", "--household", "5201020030049001,5201020030049002", "-o",
                              str(tmp_path / "cards.pdf")])
    assert run_print(args, opened, said.append) == 0
    assert any("：2 户，共" in line for line in said) and (tmp_path / "cards.pdf").exists()
    assert any("没有 2024 年度帮扶措施" in line for line in said)  # 周大家 has none: listed, still printed
    args = parser.parse_args(["roster", "--blank", "-o", str(tmp_path / "blank.pdf")])
    assert run_print(args, lambda: pytest.fail("a blank form needs no store"), said.append) == 0
    assert "空白表" in said[-1]
    with pytest.raises(NotFound):
        run_print(parser.parse_args(["income", "--household", "nobody", "-o", str(tmp_path / "x.pdf")]),
                  opened, said.append)


def test_preview_is_rendered_in_memory_only(new_store, tmp_path, monkeypatch):
    """The print dialog's preview and printing never write the clear PDF to disk."""




    with unit_of_work(new_store) as uow:
        ids = create_households(uow, [make_household(f"预览{i}", hh_no=f"PV{i}") for i in range(5)])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    before = {p for p in new_store.path.rglob("*")}
    data, report = render_bytes("registration", new_store, scope=Scope.households(ids), limit=2)
    assert data.startswith(b"%PDF") and report.households == 2
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(data)).pages)
    assert "预览0" in text and "预览1" in text and "预览2" not in text
    assert not any((tmp_path / "tmp").iterdir())
    assert {p for p in new_store.path.rglob("*")} - before <= {new_store.path / "fupin.db-wal",
                                                               new_store.path / "fupin.db-shm"}
    roster, _ = render_bytes("roster", new_store, scope=Scope.all(), limit=3)
    assert roster.startswith(b"%PDF")
