"""全县数字: households, people, status, main causes and monitoring, by township and village; and a
village's roster (花名册) printed from county records."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fupin_desktop.county.bundles import render_roster
from fupin_desktop.county.procedures import procedure_overview
from fupin_desktop.county.stats import county_stats

from .. import messages

from ..operations import Op
from ..qt import QHBoxLayout, QHeaderView, Qt, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget
from .window import CountyContext

COLUMNS = ("乡镇 / 村（代码）", "户数", "人数", "监测对象", "程序待办", "程序超期", "预警待处置", "脱贫状态",
           "主要致贫原因（前三）")
NO_WORK = {"todo": 0, "overdue": 0, "warnings_open": 0, "warnings_overdue": 0}


def counts_text(counter: dict[str, int], top: int | None = None) -> str:
    items = sorted(counter.items(), key=lambda kv: -kv[1])[:top]
    return "，".join(f"{k} {v}" for k, v in items) or "—"


class FiguresTab(QWidget):
    def __init__(self, ctx: CountyContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.stats: dict[str, Any] | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="countySummary", wordWrap=True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(objectName="countyFigures")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        for i in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree, 1)
        row = QHBoxLayout()
        self.roster_button = QPushButton("打印所选村的花名册…", objectName="printRoster")
        self.roster_button.clicked.connect(self.print_roster)
        again = QPushButton("重新统计", objectName="refreshFigures")
        again.clicked.connect(self.refresh)
        row.addWidget(self.roster_button)
        row.addStretch(1)
        row.addWidget(again)
        layout.addLayout(row)

    def refresh(self) -> None:
        def both() -> dict[str, Any]:
            return {**county_stats(self.ctx.engine), "procedure": procedure_overview(self.ctx.engine, date.today())}

        Op(self, both).success(self._show).run()

    def _show(self, stats: dict[str, Any]) -> None:
        self.stats = stats
        work = stats["procedure"]
        for code, township in stats["townships"].items():  # the same counts as each village's dashboard
            for vcode, village in township["villages"].items():
                village["procedure"] = work["villages"].get(vcode, NO_WORK)
            township["procedure"] = {k: sum(work["villages"].get(v, NO_WORK)[k] for v in township["villages"])
                                     for k in NO_WORK}
        total = work["total"]
        warnings = "；".join(f"{d}：{counts_text(by)}" for d, by in work["warnings"].items()) or "无"
        monitored = sum(stats["by_monitoring"].values())
        self.summary.setText(
            f"{stats['year']}年全县 {stats['households']} 户、{stats['people']} 人（在册）；监测对象 {monitored} 户"
            f"（{counts_text(stats['by_monitoring'])}）。\n脱贫状态：{counts_text(stats['by_status'])}。\n"
            f"主要致贫原因：{counts_text(stats['by_main_cause'], 5)}。\n"
            f"监测程序待办 {total['todo']} 件（超期 {total['overdue']} 件）；部门预警待处置 {total['warnings_open']} 条"
            f"（超期 {total['warnings_overdue']} 条）；按部门和处置：{warnings}。\n"
            f"监测对象风险：{counts_text(stats['by_removal'])}；"
            f"未消除风险类型：{counts_text(stats['by_risk_open'], 5)}。\n"
            f"收支核算（与监测范围相比）：{counts_text(stats['by_income'])}。\n"
            f"农村低收入人口：{counts_text(stats['by_low_income'])}；帮扶层级：{counts_text(stats['by_layer'])}；"
            f"原建档立卡户评估：{counts_text(stats['by_reassessment'])}。\n"
            f"设备 {sum(stats['devices'].values())} 台，变更包 {stats['packages'].get('imported', 0)} 个已导入、"
            f"{stats['packages'].get('held', 0)} 个暂存，待处理冲突 {stats['open_conflicts']} 处。")
        self.tree.clear()
        for code, township in sorted(stats["townships"].items()):
            villages = township["villages"]
            item = QTreeWidgetItem(_row(f"乡镇 {code}", township, {**_add_up(villages.values()),
                                                                   "procedure": township["procedure"]}))
            for vcode, village in sorted(villages.items()):
                child = QTreeWidgetItem(_row(f"村 {vcode}", village, village))
                child.setData(0, Qt.ItemDataRole.UserRole, vcode)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self.tree.expandAll()


    # ---- printing from county data -------------------------------------------------------------
    def selected_village(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def print_roster(self) -> None:
        village = self.selected_village()
        if not village:
            messages.inform(self, "请先在表中选一个村（不是乡镇）。")
            return
        out = messages.choose_save(self, "保存花名册", f"花名册-{village}.pdf", "PDF 文件 (*.pdf)")
        if out is not None:
            self.print_roster_to(village, out)

    def print_roster_to(self, village: str, out: Path) -> None:
        def done(result: dict[str, Any]) -> None:
            problems = "\n".join(f"{who}：{what}" for who, what in result["problems"][:20])
            messages.inform(self, f"已生成村 {village} 的花名册：{result['households']} 户，共 {result['pages']} 页。",
                            f"文件：{out}\n身份证号和电话已按公示要求遮挡。" + (f"\n{problems}" if problems else ""))

        Op(self, lambda: render_roster(self.ctx.engine, village, out)).success(done).run()


def _add_up(villages: Any) -> dict[str, Counter]:
    total: dict[str, Counter] = {"by_status": Counter(), "by_monitoring": Counter(), "by_main_cause": Counter()}
    for v in villages:
        for key in total:
            total[key].update(v[key])
    return total


def _row(title: str, sizes: dict[str, Any], counters: dict[str, Any]) -> list[str]:
    work = counters["procedure"]
    return [title, str(sizes["households"]), str(sizes["people"]), str(sum(counters["by_monitoring"].values())),
            str(work["todo"]), str(work["overdue"]), str(work["warnings_open"]),
            counts_text(counters["by_status"]), counts_text(counters["by_main_cause"], 3)]
