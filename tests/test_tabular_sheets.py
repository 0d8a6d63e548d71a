"""Sheets as people make them, with the exact report expected for each: merged cells, 合计 rows,
notes under the table, hidden sheets, a WPS-saved GBK .csv with national code numbers, and group
names written three ways."""

from __future__ import annotations

import openpyxl
from sqlalchemy import select

from fupin_desktop.model import Household, HouseholdYear, Member, MemberYear
from fupin_desktop.tabular.importer import ImportOptions, run_import

from .test_tabular import born, idn, said


def test_merged_household_cells_a_total_row_and_notes(new_store, tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["某某村脱贫户花名册"])
    ws.merge_cells("A1:G1")
    ws.append(["户编号", "户主姓名", "姓名", "性别", "身份证号", "与户主关系", "村民小组"])
    ws.append(["M1", "刘一", "刘一", "男", idn(701), "户主", "三组"])
    ws.append([None, None, "刘二", "女", idn(702), "配偶", None])
    ws.append([None, None, "刘三", "男", idn(703), "之子", None])
    ws.merge_cells("A3:A5")  # the household's number, 户主 and group written once over its rows
    ws.merge_cells("B3:B5")
    ws.merge_cells("G3:G5")
    ws.append(["M2", "陈一", "陈一", "男", idn(705), "户主", "第三组"])
    ws.append(["合计", None, "4人"])
    ws.append(["填表人：王五", None, None, "审核人：赵六"])
    hidden = book.create_sheet("旧数据")
    hidden.append(["姓名", "身份证号"])
    hidden.sheet_state = "hidden"
    book.save(tmp_path / "merged.xlsx")
    report = run_import(new_store, tmp_path / "merged.xlsx")
    assert report.applied and report.count("create") == 2 and not report.errors
    assert said(report, "info", "warning") == [
        "文件：工作表“旧数据”是隐藏的工作表，未导入",
        "文件 出生日期：文件中没有这一列，4人按证件号码填入",
        "第3行 村民小组：本村还没有“三组”，导入时将新建这个小组",
        "第6行 村民小组：“第三组”按本村的“三组”导入（同一个小组）",
        "第7行：“合计”行（合计或小计），不是一个人，已跳过",
        "第8行：表格下方的说明文字（“填表人：王五”），已跳过"]
    with new_store.engine.connect() as conn:
        households = conn.execute(select(Household.national_hh_no, Household.group_name, Household.member_count)
                                  .order_by(Household.national_hh_no)).all()
    assert households == [("M1", "三组", 3), ("M2", "三组", 1)]


def test_a_wps_csv_in_gbk_with_national_code_numbers(new_store, tmp_path):
    lines = ["户编号,户主姓名,姓名,性别,身份证号,与户主关系,出生日期,民族,主要致贫原因,村民小组,,",
             f"W1,周一,周一,1,{idn(801)},01,{born(801).replace('-', '/')},01,8,03组,,",
             f"W1,周一,周二,2,{idn(802)},02,,汉族,,3组,,",
             f"W2,吴一,吴一,男,{idn(803)},本人,,汉,缺劳动力,第三组,,",
             ",,2户3人,,,,,,,,,",
             "合计,,,,,,,,,,,"]
    (tmp_path / "wps.csv").write_bytes("\r\n".join(lines).encode("gbk"))
    report = run_import(new_store, tmp_path / "wps.csv")
    assert report.applied and report.count("create") == 2 and not report.errors
    assert said(report, "info", "warning") == [
        "第2行 村民小组：本村还没有“03组”，导入时将新建这个小组",
        f"第3行 出生日期：未填，按证件号码填为“{born(802)}”",
        "第3行 村民小组：“3组”按本村的“03组”导入（同一个小组）",
        f"第4行 出生日期：未填，按证件号码填为“{born(803)}”",
        "第4行 村民小组：“第三组”按本村的“03组”导入（同一个小组）",
        "第5行：“2户3人”行（合计或小计），不是一个人，已跳过",
        "第6行：“合计”行（合计或小计），不是一个人，已跳过"]
    with new_store.engine.connect() as conn:
        people = conn.execute(select(Member.name, Member.gender, Member.relation, Member.ethnicity)
                              .order_by(Member.name)).all()
        causes = conn.execute(select(HouseholdYear.main_cause)).scalars().all()
    assert people == [("吴一", "男", "户主", "汉族"), ("周一", "男", "户主", "汉族"), ("周二", "女", "配偶", "汉族")]
    assert causes == ["缺劳力", "缺劳力"]


def test_a_national_roster_brings_year_facts_monitoring_and_lists_what_it_leaves(new_store, tmp_path):
    header = ["户编号", "姓名", "性别", "身份证号", "与户主关系", "年度", "风险类型", "风险消除", "风险消除方式",
              "住房面积(平方米)", "健康状况", "劳动技能", "文化程度", "在校生状况", "大病保险", "城乡居民基本医疗保险",
              "是否会讲普通话", "人均纯收入", "备注"]
    rows = [header,
            ["R1", "韩一", "男", idn(901), "户主", 2024, "因病，缺劳力", "是", 1, 80, "长期慢性病、残疾", 3, "02",
             None, "是", "1", "是", 8000, "老党员"],
            ["R1", "韩二", "女", idn(902), "配偶", 2024, None, None, None, None, "健康", "普通劳动力", "小学",
             None, "√", "是", "否", None, None]]
    path = tmp_path / "national.xlsx"
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    report = run_import(new_store, path, ImportOptions(dry_run=True))
    assert said(report, "info") == [
        "文件 人均纯收入：未导入的列：没有对应的字段（可在“列对应”中指定）",
        "文件 出生日期：文件中没有这一列，2人按证件号码填入",
        "文件 备注：未导入的列：没有对应的字段（可在“列对应”中指定）"]
    assert report.errors == [] and report.count("create") == 1
    report = run_import(new_store, path)
    assert report.applied
    with new_store.engine.connect() as conn:
        facts = conn.execute(select(HouseholdYear.risks, HouseholdYear.housing_area_m2)).one()
        household = conn.execute(select(HouseholdYear.risk_removed, HouseholdYear.risk_removal_method)).one()
        people = conn.execute(select(Member.name, MemberYear.health, MemberYear.labour_skill, MemberYear.education,
                                     MemberYear.critical_illness, MemberYear.resident_medical,
                                     MemberYear.speaks_mandarin).join(MemberYear, MemberYear.member_id == Member.id)
                              .where(MemberYear.year == 2024).order_by(Member.name)).all()
    assert (facts.risks, str(facts.housing_area_m2)) == ("因病、缺劳动力", "80.00")  # 缺劳力 is 缺劳动力 here
    assert tuple(household) == (True, "帮扶消除")
    assert people == [("韩一", "长期慢性病、残疾", "弱劳动力或半劳动力", "小学", True, True, True),
                      ("韩二", "健康", "普通劳动力", "小学", True, True, False)]


def test_a_household_sheet_and_a_people_sheet_are_joined_by_the_household_number(new_store, tmp_path):
    book = openpyxl.Workbook()
    households = book.active
    households.title = "户"
    for row in [["户编号", "户主姓名", "村民小组", "联系电话", "风险类型", "住房面积(平方米)", "年度"],
                ["J1", "蒋一", "一组", "13800000001", "因病", 60, 2024],
                ["J2", "蒋五", "一组", "13800000002", "缺劳力", 45, 2024],
                ["J3", "蒋九", "二组", "13800000003", None, None, 2024]]:  # nobody of J3 in the 人 sheet
        households.append(row)
    people = book.create_sheet("人")
    for row in [["户编号", "姓名", "身份证号", "与户主关系", "健康状况", "年度"],
                ["J1", "蒋一", idn(1001), "户主", "健康", 2024], ["J1", "蒋二", idn(1000), "配偶", 2, 2024],
                ["J2", "蒋五", idn(1003), "户主", "大病", 2024],
                ["J2", "蒋六", idn(1005), "之子", "残", 2024]]:
        people.append(row)
    book.save(tmp_path / "pair.xlsx")
    report = run_import(new_store, tmp_path / "pair.xlsx", ImportOptions(partial=True,
                                                                       rejected_path=tmp_path / "r.xlsx"))
    assert [str(p) for p in report.errors] == ["工作表“户”第4行：这一户没有成员（没有填姓名的行）"]
    assert report.applied and report.count("create") == 2 and report.sheet == "户、人"
    with new_store.engine.connect() as conn:
        facts = conn.execute(select(Household.national_hh_no, Household.phone, HouseholdYear.risks,
                                    HouseholdYear.housing_area_m2).join(HouseholdYear)
                             .order_by(Household.national_hh_no)).all()
        health = conn.execute(select(Member.name, MemberYear.health).join(MemberYear)
                              .order_by(Member.name)).all()
    assert [(n, p, r, str(a)) for n, p, r, a in facts] == [("J1", "13800000001", "因病", "60.00"),
                                                           ("J2", "13800000002", "缺劳动力", "45.00")]
    assert health == [("蒋一", "健康"), ("蒋二", "长期慢性病"), ("蒋五", "患有大病"), ("蒋六", "残疾")]
    rejected = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert rejected.sheetnames == ["未导入-户", "未导入-人"]
    assert [[c.value for c in r] for r in rejected["未导入-户"].iter_rows()][1] == [
        "J3", "蒋九", "二组", "13800000003", None, None, 2024, "工作表“户”第4行：这一户没有成员（没有填姓名的行）"]
