"""The rejected-rows file of a partial import carries the 收入明细 and 帮扶措施 rows it left out too
(issue 16): each on its own sheet under the sheet's header, with its reason in 问题 — rows of a
household left out, of no household found, and the other lines of a year with a faulty line (a year's
lines replace the stored ones, so half a year is never written). Corrected, the file imports."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
from sqlalchemy import select

from fupin_desktop.model import IncomeLine, Measure
from fupin_desktop.tabular.importer import ImportOptions, run_import

from .test_tabular_linked import HEAD_1, HEAD_2, WIFE_1


def workbook(path):
    book = openpyxl.Workbook()
    roster = book.active
    roster.title = "花名册"
    roster.append(["户编号", "村民小组", "姓名", "证件号码", "与户主关系", "性别"])
    roster.append(["520102003000001", "一组", "王䶮", HEAD_1, "户主", "男"])
    roster.append(["520102003000001", "一组", "李芳", WIFE_1, "配偶", "女"])
    roster.append(["520102003000002", "二组", "赵大", HEAD_2, "户主", "女"])  # the ID says 男: left out
    income = book.create_sheet("收入")
    income.append(["户编号", "年度", "类别", "项目", "金额"])
    income.append(["520102003000001", 2025, "工资性收入", "务工收入", 18000])
    income.append(["520102003000001", 2025, "转移性收入", "低保金", "三千"])
    income.append(["520102003000001", 2024, "工资性收入", "务工收入", 15000])
    income.append(["520102003000002", 2025, "转移性收入", "低保金", 4800])
    income.append(["520102003000009", 2025, "转移性收入", "低保金", 3000])
    measures = book.create_sheet("措施")
    measures.append(["户编号", "受益成员", "年度", "帮扶措施大类", "帮扶措施小类", "扶持资金额度"])
    measures.append(["520102003000001", "李芳", 2025, "产业帮扶", "养殖业", 3000])
    measures.append(["520102003000002", None, 2025, "综合保障", "低保", 4800])
    book.save(path)
    return path


def sheet_rows(path, name):
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    book.close()
    return rows


def test_income_and_measure_rows_left_out_go_to_their_own_sheets_with_their_reasons(new_store, tmp_path):
    left = tmp_path / "未导入.xlsx"
    report = run_import(new_store, workbook(tmp_path / "台账.xlsx"), ImportOptions(partial=True, rejected_path=left))
    assert report.applied and report.count("create") == 1 and report.rejected == 1
    assert report.linked_counts == {"income_written": 1, "measures_added": 1}
    assert report.rejected_file == str(left)
    assert openpyxl.load_workbook(left, read_only=True).sheetnames == ["未导入-花名册", "未导入-收入", "未导入-措施"]
    assert sheet_rows(left, "未导入-收入") == [
        ["户编号", "年度", "类别", "项目", "金额", "问题"],
        ["520102003000001", 2025, "工资性收入", "务工收入", 18000,
         "工作表“收入”第2行：同一户2025年度的其他收入明细行有错误，这一年度的明细都未导入"],
        ["520102003000001", 2025, "转移性收入", "低保金", "三千", "工作表“收入”第3行 金额：不是有效的数字“三千”"],
        ["520102003000002", 2025, "转移性收入", "低保金", 4800,
         "工作表“收入”第5行：所属的户在花名册部分有错误、没有导入，这一行也未导入"],
        ["520102003000009", 2025, "转移性收入", "低保金", 3000,
         "工作表“收入”第6行 户编号：找不到户编号为 520102003000009 的户（文件的花名册和库里都没有）"]]
    assert sheet_rows(left, "未导入-措施") == [
        ["户编号", "受益成员", "年度", "帮扶措施大类", "帮扶措施小类", "扶持资金额度", "问题"],
        ["520102003000002", None, 2025, "综合保障", "低保", 4800,
         "工作表“措施”第3行：所属的户在花名册部分有错误、没有导入，这一行也未导入"]]
    with new_store.engine.connect() as conn:  # only 2024 of the first household: its 2025 had a faulty line
        assert conn.execute(select(IncomeLine.item, IncomeLine.amount)).all() == [("务工收入", Decimal("15000.00"))]

    # The cadre corrects the file that came back (问题 is a column the import says it does not take).
    book = openpyxl.load_workbook(left)
    book["未导入-花名册"]["F2"] = "男"
    book["未导入-收入"]["E3"] = 3000
    book["未导入-收入"].delete_rows(5)
    book.save(tmp_path / "改正.xlsx")
    again = run_import(new_store, tmp_path / "改正.xlsx", ImportOptions(rejected_path=tmp_path / "再次.xlsx"))
    assert again.applied and not again.errors, [str(p) for p in again.errors]
    assert again.count("create") == 1 and again.linked_counts == {"income_written": 2, "measures_added": 1}
    with new_store.engine.connect() as conn:
        assert sorted(conn.execute(select(IncomeLine.item, IncomeLine.amount)).all()) == [
            ("低保金", Decimal("3000.00")), ("低保金", Decimal("4800.00")),
            ("务工收入", Decimal("15000.00")), ("务工收入", Decimal("18000.00"))]
        assert len(conn.execute(select(Measure.id)).all()) == 2
