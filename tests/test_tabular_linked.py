"""Income and measure sheets (issue 16): read beside the roster or alone, matched to households by
户编号 or 户主证件号码, normalised against the code tables, every row that cannot be taken reported
on its row; exported and imported again they give the same records, and a second import changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import select

from fupin_desktop.bundle import HouseholdData, IncomeData, MeasureData, MemberData
from fupin_desktop.model import Household, IncomeLine, IncomeYear, Measure, Member
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.tabular.exporter import export_xlsx
from fupin_desktop.tabular.importer import ImportOptions, run_import
from fupin_desktop.validation.idnumber import make_id

from .conftest import PASSWORD, VILLAGE
from .test_tabular import dump

HEAD_1 = make_id("520102", date(1970, 3, 5), 11)
WIFE_1 = make_id("520102", date(1972, 6, 1), 22)
HEAD_2 = make_id("520102", date(1965, 1, 9), 31)


def village() -> list[HouseholdData]:
    def person(name: str, id_no: str, relation: str, gender: str, seq: int) -> MemberData:
        return MemberData({"name": name, "id_no": id_no, "relation": relation, "gender": gender, "seq": seq,
                           "id_type": "身份证", "birth_date": date(int(id_no[6:10]), int(id_no[10:12]),
                                                                   int(id_no[12:14]))})
    first = HouseholdData(
        fields={"village_code": VILLAGE, "national_hh_no": "520102003000001", "group_name": "第一组",
                "poverty_status": "已脱贫(不享受政策)", "household_type": "一般农户", "address": "一组12号"},
        members=[person("王䶮", HEAD_1, "户主", "男", 1), person("李芳", WIFE_1, "配偶", "女", 2)],
        incomes={2025: IncomeData({"year": 2025, "population": 2, "compliant_oop_expense": Decimal("1200.00")}, [
            {"category": "工资性收入", "item": "务工收入", "amount": Decimal("18000.00"), "sort": 0},
            {"category": "转移性收入", "item": "危房改造补助", "amount": Decimal("20000.00"),
             "counts_toward_income": False, "sort": 1, "note": "一次性补助"},
            {"category": "生产经营性支出", "item": "种植业支出", "amount": Decimal("900.00"), "sort": 2}])},
        measures=[MeasureData({"year": 2025, "category": "产业帮扶", "subcategory": "养殖业", "name": "养羊30只",
                               "amount": Decimal("3000.00"), "start_on": date(2025, 3, 1), "status": "完成"})])
    second = HouseholdData(
        fields={"village_code": VILLAGE, "national_hh_no": "520102003000002", "group_name": "第二组",
                "poverty_status": "已脱贫(不享受政策)", "household_type": "一般农户", "address": "二组3号"},
        members=[person("赵大", HEAD_2, "户主", "男", 1)],
        incomes={2025: IncomeData({"year": 2025, "population": 1}, [
            {"category": "转移性收入", "item": "低保金", "amount": Decimal("4800.00"), "sort": 0}])},
        measures=[MeasureData({"year": 2025, "category": "综合保障", "subcategory": "低保",
                               "amount": Decimal("4800.00"), "start_on": date(2025, 1, 1)})])
    return [first, second]


def income_and_measures(store: Store) -> list[object]:
    """Income years, lines and measures by 户编号 (and member by name), without ids."""
    with store.engine.connect() as conn:
        numbers = dict(conn.execute(select(Household.id, Household.national_hh_no)).all())
        names = dict(conn.execute(select(Member.id, Member.name)).all())
        years = sorted((numbers[r.household_id], r.year, r.population, r.compliant_oop_expense, r.claims_income,
                        r.per_capita_net, r.total_income) for r in conn.execute(select(IncomeYear)))
        lines = sorted((numbers[r[0]], *r[1:]) for r in conn.execute(
            select(IncomeYear.household_id, IncomeYear.year, IncomeLine.category, IncomeLine.item, IncomeLine.amount,
                   IncomeLine.counts_toward_income, IncomeLine.note, IncomeLine.sort)
            .join(IncomeLine, IncomeLine.income_id == IncomeYear.id)))
        own = ("id", "household_id", "member_id", "updated_at")
        measures = sorted(tuple(repr(v) for k, v in m.items() if k not in own)
                          + (numbers[m["household_id"]], names.get(m["member_id"]))
                          for m in conn.execute(select(Measure)).mappings())
    return [years, lines, measures]


@contextmanager
def village_and_empty_store(tmp_path: Path) -> Iterator[tuple[Store, Store, list[str]]]:
    """The village above in one store (with its household ids in list order), and an empty store."""
    source, _ = Store.create(tmp_path / "a", village_code=VILLAGE, village_name="甲村", username="admin",
                             password=PASSWORD)
    target, _ = Store.create(tmp_path / "b", village_code=VILLAGE, village_name="乙村", username="admin",
                             password=PASSWORD)
    with source, target:
        with unit_of_work(source) as uow:
            svc.create_households(uow, village(), trusted=True)
        with source.engine.connect() as conn:
            ids = search_households(conn, SearchQuery())
        yield source, target, ids


def test_income_lines_and_measures_exported_and_imported_again_are_the_same(tmp_path: Path) -> None:
    with village_and_empty_store(tmp_path) as (source, target, ids):
        for what in ("roster", "income_lines", "measures"):
            export_xlsx(source, ids, tmp_path / f"{what}.xlsx", what, year=2025)
        roster = run_import(target, tmp_path / "roster.xlsx")
        assert roster.applied, [str(p) for p in roster.errors]
        income = run_import(target, tmp_path / "income_lines.xlsx")
        measures = run_import(target, tmp_path / "measures.xlsx")
        assert income.applied and income.linked_counts == {"income_written": 2}, income.errors
        assert measures.applied and measures.linked_counts == {"measures_added": 2}, measures.errors
        assert income_and_measures(target) == income_and_measures(source)

        before = dump(target)
        again = run_import(target, tmp_path / "income_lines.xlsx")
        assert again.linked_counts == {"income_unchanged": 2}
        assert run_import(target, tmp_path / "measures.xlsx").linked_counts == {"measures_unchanged": 2}
        assert dump(target) == before


def test_one_workbook_with_everything_comes_back_whole_and_again_changes_nothing(tmp_path: Path) -> None:
    """--what all: the roster, income lines and measures as three sheets of one file, imported at once."""
    with village_and_empty_store(tmp_path) as (source, target, ids):
        rows = export_xlsx(source, ids, tmp_path / "all.xlsx", "all", year=2025)
        book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
        assert book.sheetnames == ["花名册", "收入明细", "帮扶措施", "评估记录"]
        assert rows == sum(sum(1 for _ in book[name].iter_rows(min_row=2)) for name in book.sheetnames)
        book.close()
        report = run_import(target, tmp_path / "all.xlsx")
        assert report.applied and not report.errors, [str(p) for p in report.errors]
        assert report.linked_counts == {"income_written": 2, "measures_added": 2}
        assert income_and_measures(target) == income_and_measures(source)
        before = dump(target)
        again = run_import(target, tmp_path / "all.xlsx")
        assert again.linked_counts == {"income_unchanged": 2, "measures_unchanged": 2}
        assert dump(target) == before


def _workbook(path: Path) -> Path:
    """A 户/人 roster sheet, a 收入 sheet (one line a row, a title, a 合计 row) and a 措施 sheet as
    people make them: codes as numbers and labels of another era, a row of a household nobody has."""
    book = openpyxl.Workbook()
    roster = book.active
    roster.title = "花名册"
    roster.append(["户编号", "村民小组", "姓名", "证件号码", "与户主关系", "性别"])
    roster.append(["520102003000001", "一组", "王䶮", HEAD_1, "户主", "男"])
    roster.append(["520102003000001", "一组", "李芳", WIFE_1, "配偶", "女"])
    income = book.create_sheet("收入")
    income.append(["2025年收入明细"])
    income.append(["户编号", "户主姓名", "年度", "类别", "项目", "金额", "说明"])
    income.append(["520102003000001", "王䶮", 2025, "工资性", "务工收入", 18000, None])
    income.append(["520102003000001", "王䶮", 2025, None, "危房改造补助", 20000, "一次性"])
    income.append(["520102003000009", "钱多", 2025, "转移性收入", "低保金", 3000, None])
    income.append(["合计", None, None, None, None, 41000, None])
    measures = book.create_sheet("措施")
    measures.append(["户主证件号码", "受益成员", "年度", "措施大类", "措施小类", "扶持资金额度(元)", "开始日期"])
    measures.append([HEAD_1, None, 2025, "1", "养殖业", 3000, "2025.3.1"])
    measures.append([HEAD_1, "李芳", 2025, "就业扶贫", "外出务工补贴", 500, date(2025, 4, 1)])
    measures.append([HEAD_1, "张三", 2025, "产业帮扶", "种植业", 100, None])
    book.save(path)
    return path


def test_a_workbook_with_roster_income_and_measures_sheets_reports_every_row_it_cannot_take(
        new_store: Store, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "台账.xlsx")
    before = dump(new_store)
    report = run_import(new_store, path)
    assert not report.applied and dump(new_store) == before
    messages = [str(p) for p in report.errors]
    assert messages == [
        "工作表“收入”第5行 户编号：找不到户编号为 520102003000009 的户（文件的花名册和库里都没有）",
        "工作表“措施”第4行 受益成员：户里没有受益成员“张三”",
    ], messages
    skipped = [str(p) for p in report.problems if "合计" in p.message]
    assert skipped == ["工作表“收入”第6行：“合计”行（合计或小计），不是一个人，已跳过"]

    partial = run_import(new_store, path, ImportOptions(partial=True))
    assert partial.applied and partial.count("create") == 1
    assert partial.linked_counts == {"income_written": 1, "measures_added": 2}
    with new_store.engine.connect() as conn:
        lines = conn.execute(select(IncomeLine.category, IncomeLine.item, IncomeLine.amount,
                                    IncomeLine.counts_toward_income).order_by(IncomeLine.sort)).all()
        measures = conn.execute(select(Measure.category, Measure.subcategory, Measure.start_on, Member.name)
                                .outerjoin(Member, Member.id == Measure.member_id)
                                .order_by(Measure.amount.desc())).all()
    # 类别 from a short name or from the item; 危房改造补助 not counted (income_items.json); codes normalised.
    assert lines == [("工资性收入", "务工收入", Decimal("18000.00"), True),
                     ("转移性收入", "危房改造补助", Decimal("20000.00"), False)]
    assert measures == [("产业帮扶", "养殖业", date(2025, 3, 1), None),
                        ("就业扶贫", "外出务工补贴", date(2025, 4, 1), "李芳")]  # a label of its era, kept


def test_an_income_csv_saved_by_wps_in_gbk_alone_fills_households_of_the_store(new_store: Store,
                                                                                tmp_path: Path) -> None:
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, village(), trusted=True)
    path = tmp_path / "收入.csv"
    path.write_bytes("户主身份证号,年度,收入类别,收入项目,金额（元）,家庭年人均纯收入\r\n"
                     f"{HEAD_2},2026,转移性收入,低保金,5200,5200\r\n".encode("gbk"))
    report = run_import(new_store, path)
    assert report.applied and report.linked_counts == {"income_written": 1}, report.problems
    assert [str(p) for p in report.problems if "未导入的列" in p.message] == [
        "文件 家庭年人均纯收入：未导入的列：合计由明细计算，不导入"]
    with new_store.engine.connect() as conn:
        per_head = conn.execute(select(IncomeYear.per_capita_net).where(IncomeYear.year == 2026)).scalar_one()
    assert per_head == Decimal("5200.00")


def test_a_demo_village_with_households_marked_risk_removed_comes_back_with_its_assessments(tmp_path: Path) -> None:
    """The export carries the assessments (风险消除 needs that year's, EXP-04): the whole workbook
    imports into an empty store without an error, and the assessments are the same."""
    from fupin_desktop.demo import fill_store  # noqa: PLC0415
    from fupin_desktop.model import Assessment, HouseholdYear  # noqa: PLC0415

    source, _ = Store.create(tmp_path / "a", village_code=VILLAGE, village_name="甲村", username="admin",
                             password=PASSWORD)
    target, _ = Store.create(tmp_path / "b", village_code=VILLAGE, village_name="乙村", username="admin",
                             password=PASSWORD)
    with source, target:
        fill_store(source, 300, seed=3, flaws=0.0)
        with source.engine.connect() as conn:
            ids = search_households(conn, SearchQuery())
            removed = conn.execute(select(HouseholdYear.id).where(HouseholdYear.risk_removed.is_(True))).all()
        assert removed, "the demo village should have households marked 风险消除"
        export_xlsx(source, ids, tmp_path / "all.xlsx", "all")
        report = run_import(target, tmp_path / "all.xlsx")
        assert report.applied and report.rejected == 0, [str(p) for p in report.errors][:5]

        def assessments(store: Store) -> list[tuple]:
            with store.engine.connect() as conn:
                return sorted(conn.execute(
                    select(Household.national_hh_no, Assessment.year, Assessment.kind, Assessment.result,
                           Assessment.reviewed_on, Assessment.income_per_capita)
                    .join(Household, Household.id == Assessment.household_id)).all())
        found = assessments(source)
        assert found and assessments(target) == found
        assert report.linked_counts["assessments_added"] == len(found)


def test_a_measure_row_without_its_category_is_refused_on_its_row(new_store: Store, tmp_path: Path) -> None:
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, village(), trusted=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["户主证件号码", "年度", "帮扶措施大类", "帮扶措施小类", "扶持资金额度"])
    sheet.append([HEAD_2, 2026, "综合保障", "低保", 5200])
    sheet.append([HEAD_2, 2026, None, "临时救助", 800])
    book.save(tmp_path / "措施.xlsx")
    report = run_import(new_store, tmp_path / "措施.xlsx")
    assert [str(p) for p in report.errors] == ["第3行 措施大类：未填写"] and not report.applied
    partial = run_import(new_store, tmp_path / "措施.xlsx", ImportOptions(partial=True,
                                                                         rejected_path=tmp_path / "left.xlsx"))
    assert partial.applied and partial.linked_counts == {"measures_added": 1}
    rows = list(openpyxl.load_workbook(tmp_path / "left.xlsx", read_only=True).active.iter_rows(values_only=True))
    assert rows[1][-1] == "第3行 措施大类：未填写"
