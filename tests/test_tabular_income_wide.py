"""Income exported in the national column-per-item layout (issue 16): one household-year a row,
one column per category and item; imported into an empty store it gives the same income lines
field by field. A year whose lines a column cannot hold as they are (a line's 说明, an item twice,
0 元…) stays one line a row on a 收入明细 sheet beside it, and the export says so."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from fupin_desktop.bundle import HouseholdData
from fupin_desktop.cli import main
from fupin_desktop.model import IncomeLine, IncomeYear
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.tabular.exporter import COLUMNS_SHEET, export_xlsx
from fupin_desktop.tabular.importer import run_import

from .conftest import PASSWORD, VILLAGE
from .test_tabular import records
from .test_tabular_linked import income_and_measures, village
from .test_tabular_roundtrip import villages


def without_sort(found: list[object]) -> list[object]:
    """Years, lines (their sort dropped: a row of columns lists them in the national form's order) and measures."""
    years, lines, measures = found  # type: ignore[misc]
    return [years, sorted(line[:-1] for line in lines), measures]


def stores(work: Path) -> tuple[Store, Store]:
    source, _ = Store.create(work / "a", village_code=VILLAGE, village_name="甲村", username="admin", password=PASSWORD)
    target, _ = Store.create(work / "b", village_code=VILLAGE, village_name="乙村", username="admin", password=PASSWORD)
    return source, target


def export_all(source: Store, work: Path, households: list[HouseholdData]) -> list[str]:
    with unit_of_work(source) as uow:
        svc.create_households(uow, households, trusted=True)
    with source.engine.connect() as conn:
        ids = search_households(conn, SearchQuery())
    said: list[str] = []
    export_xlsx(source, ids, work / "all.xlsx", "all", income_layout="columns", said=said)
    return said


def test_a_year_that_fits_is_one_row_of_columns_and_comes_back_the_same(tmp_path: Path) -> None:
    source, target = stores(tmp_path)
    with source, target:
        said = export_all(source, tmp_path, village())
        book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
        assert book.sheetnames == ["花名册", COLUMNS_SHEET, "收入明细", "帮扶措施", "评估记录"]
        wide = [list(r) for r in book[COLUMNS_SHEET].iter_rows(values_only=True)]
        lines = [list(r) for r in book["收入明细"].iter_rows(values_only=True)]
        book.close()
        header = wide[0]
        # The second household's 低保金 alone: one row, the item's column and its category's (their sum).
        assert len(wide) == 2 and wide[1][header.index("户编号")] == "520102003000002"
        assert wide[1][header.index("低保金")] == 4800 and wide[1][header.index("转移性收入")] == 4800
        assert wide[1][header.index("务工收入")] is None and wide[1][header.index("年度")] == 2025
        # The first has a line with its own 说明 (危房改造补助): a column holds no note, so its year stays in lines.
        assert [r[lines[0].index("户编号")] for r in lines[1:]] == ["520102003000001"] * 3
        assert said == ["有 1 个户年度的收入明细无法按一项一列写出（项目不是一项一列的列、同一项目有两条、明细有说明、"
                        "金额为 0 或是否计入收入与该项目的通常做法不同），仍按一条一行写在“收入明细”表中。"]
        report = run_import(target, tmp_path / "all.xlsx")
        assert report.applied and not report.errors, report.errors
        assert report.linked_counts["income_written"] == 2
        assert income_and_measures(target) == income_and_measures(source)  # each line where it was: sort too
        assert records(target) == records(source)


def test_a_wide_row_lists_its_lines_in_the_national_forms_order(tmp_path: Path) -> None:
    first, second = village()
    second.incomes[2025].lines = [
        {"category": "转移性收入", "item": "养老保险金", "amount": Decimal("2400.50"), "sort": 0},
        {"category": "工资性收入", "item": "公益性岗位工资", "amount": Decimal("6000.00"), "sort": 1},
        {"category": "生产经营性收入", "item": "生产经营性收入", "amount": Decimal("-300.25"), "sort": 2},
        {"category": "工资性收入", "item": "务工收入", "amount": Decimal("0.01"), "sort": 3},
        {"category": "转移性收入", "item": "危房改造补助", "amount": Decimal("15000.00"), "sort": 4,
         "counts_toward_income": False}]
    source, target = stores(tmp_path)
    with source, target:
        export_all(source, tmp_path, [second])
        book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
        assert book.sheetnames == ["花名册", COLUMNS_SHEET, "帮扶措施", "评估记录"]  # every year fits
        wide = [list(r) for r in book[COLUMNS_SHEET].iter_rows(values_only=True)]
        book.close()
        assert wide[1][wide[0].index("工资性收入")] == 6000.01
        assert wide[1][wide[0].index("生产经营性收入")] == -300.25  # the category's own line, alone in it
        report = run_import(target, tmp_path / "all.xlsx")
        assert report.applied and not report.errors, report.errors
        assert without_sort(income_and_measures(target)) == without_sort(income_and_measures(source))
        with target.engine.connect() as conn:
            got = conn.execute(select(IncomeLine.item, IncomeLine.counts_toward_income).join(IncomeYear)
                               .order_by(IncomeLine.sort)).all()
        assert got == [("务工收入", True), ("公益性岗位工资", True), ("生产经营性收入", True), ("养老保险金", True),
                       ("危房改造补助", False)]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(villages())
def test_exported_in_columns_and_imported_gives_the_same_income_for_any_village(
        households: list[HouseholdData]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source, target = stores(work)
        with source, target:
            export_all(source, work, households)
            report = run_import(target, work / "all.xlsx")
            assert report.applied and not report.errors, report.errors
            assert without_sort(income_and_measures(target)) == without_sort(income_and_measures(source))
            again = run_import(target, work / "all.xlsx")
            assert all(k.endswith("unchanged") for k in again.linked_counts), again.linked_counts


def test_the_command_takes_the_layout_and_refuses_an_unknown_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    source, target = stores(tmp_path)
    target.close()
    with source:
        export_all(source, tmp_path, village())
    capsys.readouterr()
    out = tmp_path / "x.xlsx"
    command = ["export-xlsx", "--store", str(tmp_path / "a"), "--what", "income_lines", "-o", str(out)]
    assert main([*command, "--income-layout", "columns"]) == 0
    assert "有 1 个户年度的收入明细无法按一项一列写出" in capsys.readouterr().out
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == [COLUMNS_SHEET, "收入明细"]
    out.unlink()
    with pytest.raises(SystemExit) as refused:
        main([*command, "--income-layout", "wide"])
    assert refused.value.code == 2 and "参数 --income-layout 不能是 'wide'" in capsys.readouterr().err
    assert not out.exists()
