"""The import dialog (mapping, preview with every problem, partial import) and the export action."""

from __future__ import annotations

import json

import openpyxl
import pytest

pytest.importorskip("pytestqt")

from sqlalchemy import select

from fupin_desktop.archive import Archive
from fupin_desktop.model import HouseholdYear, Member
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from ui import import_dialog, tabular_actions
from ui.app import install_cjk_font
from ui.operations import hub
from ui.qt import QApplication, QSettings, QWidget

from .factories import household
from .test_tabular import HEADER, person, xlsx
from .test_tabular_values import ROWS


def idle(qtbot):
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=30_000)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_preview_lists_problems_and_partial_import_saves_the_mapping(qtbot, new_store, tmp_path, settings,
                                                                    monkeypatch):
    install_cjk_font(QApplication.instance())
    rows = [HEADER + ["备注"], person("D1", "吴", "吴一", 71, "户主") + ["x"], person("D1", "吴", "吴二", 72, "配偶"),
            person("D2", "郑", "郑一", 73, "户主", id_no="520102198001010000")]
    path = xlsx(tmp_path / "村花名册.xlsx", rows, title_rows=1)
    dialog = import_dialog.ImportDialog(Archive(new_store), path, settings=settings)
    qtbot.addWidget(dialog)
    dialog.show()
    idle(qtbot)
    assert "将新建 1 户" in dialog.summary.text() and "有问题的 1 户" in dialog.summary.text()
    problems = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert "[错误] 第5行 身份证号：校验位错误" in problems
    assert [dialog.households.item(r, 4).text() for r in range(2)] == ["新建", "有问题"]
    assert not dialog.ok.isEnabled()
    dialog.grab().save(str(tmp_path / "import-preview.png"))
    mapping = dialog.current_mapping()
    assert mapping["身份证号"] == "member.id_no" and mapping["备注"] == ""
    dialog.partial.setChecked(True)
    assert dialog.ok.isEnabled()
    shown = []
    monkeypatch.setattr(import_dialog.QMessageBox, "information", lambda *a: shown.append(a[2]))
    dialog.ok.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "已新建 1 户" in shown[0] and "未导入.xlsx" in shown[0]
    with new_store.engine.connect() as conn:
        assert sorted(conn.execute(select(Member.name)).scalars()) == ["吴一", "吴二"]
    assert json.loads(settings.value(import_dialog.MAPPING_KEY))["身份证号"] == "member.id_no"


def test_export_writes_the_current_filter(qtbot, new_store, tmp_path, settings, monkeypatch):
    with unit_of_work(new_store) as uow:
        create_households(uow, [household("甲", hh_no="E1", group="一组"), household("乙", hh_no="E2", group="二组")])
    parent = QWidget()
    qtbot.addWidget(parent)
    target = tmp_path / "out.xlsx"
    monkeypatch.setattr(tabular_actions.QInputDialog, "getItem", lambda *a: ("花名册", True))
    monkeypatch.setattr(tabular_actions.QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    done = []
    monkeypatch.setattr(tabular_actions.QMessageBox, "information", lambda *a: done.append(a[2]))
    tabular_actions.export_current(parent, Archive(new_store), SearchQuery(group_name="二组"), settings)
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    ws = openpyxl.load_workbook(target).active
    groups = {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert groups == {"二组"} and ws.max_row == 4


def test_export_offers_income_one_column_per_item_and_says_what_stayed_one_line_a_row(
        qtbot, new_store, tmp_path, settings, monkeypatch):
    from fupin_desktop.tabular.exporter import COLUMNS_SHEET  # noqa: PLC0415

    from .test_tabular_linked import village  # noqa: PLC0415

    with unit_of_work(new_store) as uow:
        create_households(uow, village(), trusted=True)
    parent = QWidget()
    qtbot.addWidget(parent)
    target = tmp_path / "out.xlsx"
    offered: list[list[str]] = []

    def choose(*args):
        offered.append(args[3])
        return "花名册、收入（一项一列）、帮扶措施和评估记录", True
    monkeypatch.setattr(tabular_actions.QInputDialog, "getItem", choose)
    monkeypatch.setattr(tabular_actions.QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    done = []
    monkeypatch.setattr(tabular_actions.QMessageBox, "information", lambda *a: done.append(a[2]))
    tabular_actions.export_current(parent, Archive(new_store), SearchQuery(), settings)
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    assert "收入明细（一项一列，全国系统样式）" in offered[0] and "花名册" in offered[0]
    assert "有 1 个户年度的收入明细无法按一项一列写出" in done[0]
    assert openpyxl.load_workbook(target, read_only=True).sheetnames == [
        "花名册", COLUMNS_SHEET, "收入明细", "帮扶措施", "评估记录"]


def value_rows(dialog) -> list[tuple[str, str, str, str]]:
    return [(dialog.values.item(r, 0).text(), dialog.values.item(r, 1).text(), dialog.values.item(r, 2).text(),
             dialog.values.cellWidget(r, 3).currentText()) for r in range(dialog.values.rowCount())]


def choose(dialog, typed: str, target: str) -> None:
    row = next(r for r in range(dialog.values.rowCount()) if dialog.values.item(r, 1).text() == typed)
    combo = dialog.values.cellWidget(row, 3)
    combo.setCurrentIndex(combo.findText(target))


def test_values_not_in_the_code_table_are_mapped_in_the_dialog_and_the_recheck_shows_the_result(
        qtbot, new_store, tmp_path, settings, monkeypatch):
    install_cjk_font(QApplication.instance())
    path = xlsx(tmp_path / "致贫原因.xlsx", ROWS)
    dialog = import_dialog.ImportDialog(Archive(new_store), path, settings=settings)
    qtbot.addWidget(dialog)
    dialog.resize(1366, 768)
    dialog.show()
    idle(qtbot)
    assert value_rows(dialog) == [("主要致贫原因", "缺钱", "2", "（不对应：这些行报错）"),
                                  ("主要致贫原因", "没路", "1", "（不对应：这些行报错）")]
    assert "有问题的 3 户" in dialog.summary.text() and not dialog.ok.isEnabled()

    choose(dialog, "缺钱", "缺资金")
    choose(dialog, "没路", "保留原值（逐行标出，仍由检查判断）")
    dialog.findChild(import_dialog.QPushButton, "importRecheck").click()
    idle(qtbot)
    qtbot.waitUntil(lambda: "有问题的 1 户" in dialog.summary.text(), timeout=10_000)
    assert value_rows(dialog) == [("主要致贫原因", "缺钱", "2", "缺资金"),
                                  ("主要致贫原因", "没路", "1", "保留原值（逐行标出，仍由检查判断）")]
    problems = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert "[说明] 文件 主要致贫原因：值对应：“缺钱”按“缺资金”导入（2行）" in problems
    assert "[提示] 第4行 主要致贫原因：“没路”不在代码表中，按值对应保留原值" in problems
    assert "[错误] 第4行 主要致贫原因：主要致贫原因“没路”不在代码表中" in problems  # the check judges it
    dialog.grab().save(str(tmp_path / "import-values.png"))

    choose(dialog, "没路", "缺技术")
    dialog.partial.setChecked(False)
    dialog.findChild(import_dialog.QPushButton, "importRecheck").click()
    idle(qtbot)
    qtbot.waitUntil(lambda: "有问题的 0 户" in dialog.summary.text(), timeout=10_000)
    shown = []
    monkeypatch.setattr(import_dialog.QMessageBox, "information", lambda *a: shown.append(a[2]))
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    with new_store.engine.connect() as conn:
        causes = sorted(conn.execute(select(HouseholdYear.main_cause)).scalars())
    assert causes == ["缺技术", "缺资金", "缺资金"]
