"""Income as one column per item (issue 16), as national exports have it: a household-year row with
工资性收入, its sub-items, 生产经营性收入, 财产性收入, 转移性收入 (低保金, 养老金…) and 生产经营性支出,
on a roster's 户 sheet or on an income sheet alone; imported as the year's income lines, a category
column checked against its sub-items, every column that is not imported listed with its reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import select

from fupin_desktop.model import Household, IncomeLine, IncomeYear
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.tabular.importer import ImportOptions, run_import
from fupin_desktop.tabular.report import digest
from fupin_desktop.validation.idnumber import make_id

from .test_tabular import dump
from .test_tabular_linked import HEAD_1, HEAD_2, village

WIFE = make_id("520102", date(1972, 6, 1), 22)
SON = make_id("520102", date(2000, 6, 1), 13)
INCOME_HEADER = ["工资性收入", "务工收入", "公益性岗位工资", "生产经营性收入", "种植业收入", "财产性收入",
                 "转移性收入", "低保金", "养老金", "计划生育金", "生产经营性支出", "家庭年纯收入", "扶贫小额信贷收入"]


def national_pair(path: Path) -> Path:
    """A 户 sheet (a merged title, a household-year row with the income columns) and a 人 sheet."""
    book = openpyxl.Workbook()
    households = book.active
    households.title = "户"
    households.append(["2025年度脱贫户家庭收入情况"])
    households.merge_cells("A1:R1")
    households.append(["户编号", "户主姓名", "户主证件号码", "家庭人口数", "主要致贫原因", *INCOME_HEADER])
    households.append(["520102003000001", "王一", HEAD_1, 3, "缺技术",
                       20000, 18000, 2000, 3000, None, 0, 5600, 4800, 800, 0, 1000, 27600, 500])
    households.append(["520102003000002", "赵二", HEAD_2, 1, "因病",
                       10000, 8000, None, None, None, None, None, None, None, None, None, 10000, None])
    people = book.create_sheet("人")
    people.append(["户编号", "姓名", "证件号码", "与户主关系", "性别"])
    for row in (["520102003000001", "王一", HEAD_1, "户主", "男"], ["520102003000001", "李二", WIFE, "配偶", "女"],
                ["520102003000001", "王三", SON, "之子", "男"], ["520102003000002", "赵二", HEAD_2, "户主", "男"]):
        people.append(row)
    book.save(path)
    return path


def lines_of(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(select(Household.national_hh_no, IncomeYear.year, IncomeLine.category, IncomeLine.item,
                                   IncomeLine.amount, IncomeLine.counts_toward_income)
                            .join(IncomeYear, IncomeYear.household_id == Household.id)
                            .join(IncomeLine, IncomeLine.income_id == IncomeYear.id)
                            .order_by(Household.national_hh_no, IncomeLine.sort)).all()


def not_info(report) -> list[str]:
    return [line for line in digest(report.problems) if line.startswith(("[错误]", "[说明]"))]


def test_a_national_household_sheet_with_income_columns_becomes_the_years_income_lines(new_store, tmp_path):
    path = national_pair(tmp_path / "脱贫户.xlsx")
    report = run_import(new_store, path, ImportOptions(dry_run=True))
    assert not_info(report) == [
        "[错误] 工作表“户”第4行 工资性收入：10000.00 与本行所列工资性收入明细之和 8000.00 不符，请核对",
        "[说明] 工作表“户”文件：收入各列中为 0 的单元格不建收入明细（0 元不改变核算结果）",
        "[说明] 工作表“户”文件 家庭年纯收入：未导入的列：合计由明细计算，不导入",
        "[说明] 工作表“户”文件 扶贫小额信贷收入：未导入的列：不是收入核算的类别或明细项（见收入明细项代码表），"
        "可在“列对应”中指定为某一明细项",
        "[说明] 工作表“人”文件 出生日期：文件中没有这一列，4人按证件号码填入",
    ]
    assert report.linked_counts == {"income_written": 1} and report.rejected == 1
    assert not report.applied and lines_of(new_store) == []

    done = run_import(new_store, path, ImportOptions(partial=True, rejected_path=tmp_path / "left.xlsx"))
    assert done.applied and done.count("create") == 1 and done.linked_counts == {"income_written": 1}
    year = done.year
    # 务工 and 公益岗 are the lines of 工资性收入 (its column is their sum); 生产经营性收入 has no
    # sub-item on the row, so it is one line; 养老金 is 养老保险金; the 0 of 财产性/计划生育金 makes none.
    assert lines_of(new_store) == [
        ("520102003000001", year, "工资性收入", "务工收入", Decimal("18000.00"), True),
        ("520102003000001", year, "工资性收入", "公益性岗位工资", Decimal("2000.00"), True),
        ("520102003000001", year, "生产经营性收入", "生产经营性收入", Decimal("3000.00"), True),
        ("520102003000001", year, "转移性收入", "低保金", Decimal("4800.00"), True),
        ("520102003000001", year, "转移性收入", "养老保险金", Decimal("800.00"), True),
        ("520102003000001", year, "生产经营性支出", "生产经营性支出", Decimal("1000.00"), True)]
    with new_store.engine.connect() as conn:
        totals = conn.execute(select(IncomeYear.net_income, IncomeYear.per_capita_net)).one()
    assert totals == (Decimal("27600.00"), Decimal("9200.00"))  # the file's 家庭年纯收入, three people

    before = dump(new_store)
    again = run_import(new_store, path, ImportOptions(partial=True, rejected_path=tmp_path / "left2.xlsx"))
    assert again.count("unchanged") == 1 and again.linked_counts == {"income_unchanged": 1}
    assert dump(new_store) == before


def test_an_income_sheet_alone_in_the_national_layout_fills_the_stores_households(new_store, tmp_path):
    with unit_of_work(new_store) as uow:
        svc.create_households(uow, village(), trusted=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "收入"
    sheet.append(["户主证件号码", "户主姓名", "年度", "家庭人口数", "务工收入", "五保金", "低保金", "其他转移性收入",
                  "种植业生产经营性支出", "家庭年收入", "人均纯收入", "备注"])
    sheet.append([HEAD_1, "王䶮", 2026, 2, 30000, None, None, 1200, 2000, 31200, 14600, "已核实"])
    sheet.append([HEAD_2, "赵大", 2026, 1, None, 3600, "四千八", None, None, 8400, 8400, None])
    sheet.append(["合计", None, None, None, 30000, 3600, None, 1200, 2000, 39600, None, None])
    book.save(tmp_path / "收入.xlsx")
    report = run_import(new_store, tmp_path / "收入.xlsx")
    assert not_info(report) == [
        "[错误] 第3行 低保金：不是有效的数字“四千八”",
        "[说明] 文件 人均纯收入：未导入的列：合计由明细计算，不导入",
        "[说明] 文件 家庭年收入：未导入的列：合计由明细计算，不导入",
        "[说明] 第4行：“合计”行（合计或小计），不是一个人，已跳过",
    ]
    assert not report.applied

    partial = run_import(new_store, tmp_path / "收入.xlsx", ImportOptions(partial=True,
                                                                         rejected_path=tmp_path / "left.xlsx"))
    assert partial.applied and partial.linked_counts == {"income_written": 1}
    assert [line for line in lines_of(new_store) if line[1] == 2026] == [
        ("520102003000001", 2026, "工资性收入", "务工收入", Decimal("30000.00"), True),
        ("520102003000001", 2026, "转移性收入", "其他转移性收入", Decimal("1200.00"), True),
        ("520102003000001", 2026, "生产经营性支出", "种植业支出", Decimal("2000.00"), True)]
    with new_store.engine.connect() as conn:
        per_head = conn.execute(select(IncomeYear.population, IncomeYear.per_capita_net, IncomeYear.note)
                                .where(IncomeYear.year == 2026)).one()
    assert per_head == (2, Decimal("14600.00"), "已核实")  # 备注 of a household-year row is the year's
