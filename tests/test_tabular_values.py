"""Values a code table does not know, mapped by the person (issue 16): the mapping applies to every
row with that value and is shown in the report; 保留原值 stores the value as typed and says so on
each of its rows (the store's own check still judges it); a dry run after mapping shows the result."""

from __future__ import annotations

from sqlalchemy import select

from fupin_desktop.model import HouseholdYear
from fupin_desktop.tabular.codes import KEEP
from fupin_desktop.tabular.importer import ImportOptions, run_import
from fupin_desktop.tabular.report import digest

from .test_tabular import dump, idn, xlsx

ROWS = [["户编号", "姓名", "身份证号", "与户主关系", "主要致贫原因", "年度"],
        ["V1", "郭一", idn(611), "户主", "缺钱", 2024],
        ["V2", "郭二", idn(612), "户主", "缺 钱", 2024],
        ["V3", "郭三", idn(613), "户主", "没路", 2024]]


def shown(report) -> list[str]:
    return [line for line in digest(report.problems) if "主要致贫原因" in line]


def test_unknown_values_are_offered_for_mapping_with_their_counts_and_the_table_labels(new_store, tmp_path):
    path = xlsx(tmp_path / "values.xlsx", ROWS)
    report = run_import(new_store, path, ImportOptions(dry_run=True))
    assert [(v.header, v.typed, v.rows, v.chosen, v.table) for v in report.values] == [
        ("主要致贫原因", "缺钱", 2, None, "致贫原因"), ("主要致贫原因", "没路", 1, None, "致贫原因")]
    assert "缺资金" in report.values[0].labels and "缺钱" not in report.values[0].labels
    assert shown(report) == ["[错误] 第2行 主要致贫原因：“缺钱”不在代码表中",
                             "[错误] 第3行 主要致贫原因：“缺 钱”不在代码表中",
                             "[错误] 第4行 主要致贫原因：“没路”不在代码表中"]


def test_a_mapping_applies_to_every_row_and_a_kept_value_is_marked_and_judged_by_the_check(new_store, tmp_path):
    path = xlsx(tmp_path / "values.xlsx", ROWS)
    before = dump(new_store)
    values = {"主要致贫原因": {"缺钱": "缺资金", "没路": KEEP}}
    dry = run_import(new_store, path, ImportOptions(dry_run=True, values=values))
    assert dump(new_store) == before
    assert shown(dry) == [
        "[错误] 第4行 主要致贫原因：主要致贫原因“没路”不在代码表中",  # the store's check (STR-11), as after importing
        "[说明] 文件 主要致贫原因：值对应：“缺钱”按“缺资金”导入（2行）",
        "[说明] 文件 主要致贫原因：值对应：“没路”保留原值，不在代码表中（1行）",
        "[提示] 第4行 主要致贫原因：“没路”不在代码表中，按值对应保留原值"]
    assert dry.value_map() == values and dry.rejected == 1

    done = run_import(new_store, path, ImportOptions(values={"主要致贫原因": {"缺钱": "缺资金"}}, partial=True,
                                                     rejected_path=tmp_path / "left.xlsx"))
    assert done.applied and done.count("create") == 2
    with new_store.engine.connect() as conn:
        assert conn.execute(select(HouseholdYear.main_cause)).scalars().all() == ["缺资金", "缺资金"]
