"""暂存: packages that arrived before their predecessor. They apply by themselves when the gap
fills; staff can release one now, skipping over the missing packages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.county.held import release_by_person
from fupin_desktop.county_desk import held
from fupin_desktop.county.report import STATUS_LABELS

from .. import messages
from ..operations import Op
from ..qt import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget, Signal
from .tables import fill, make_table, selected_key, when
from .window import CountyContext

HEADERS = ("村代码", "设备", "包号", "变更条数", "收到时间", "已按顺序导入到", "缺少", "暂存原因")


class HeldTab(QWidget):
    counted = Signal(int)

    def __init__(self, ctx: CountyContext, *, on_changed: Callable[[], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_changed = on_changed
        self.count = 0
        self.rows: list[Any] = []
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("这些变更包比它前面的包先到，先暂存在这里；前面的包导入后会自动接着导入。"
                                "如果前面的包确实丢失了，可以放行，缺少的包将被跳过。", wordWrap=True))
        self.table = make_table(HEADERS, "heldTable")
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.release_button = QPushButton("放行所选包…", objectName="releaseHeld")
        self.release_button.clicked.connect(self.release_selected)
        row.addWidget(self.release_button)
        layout.addLayout(row)

    def refresh(self) -> None:
        engine = self.ctx.engine
        Op(self, lambda: held(engine)).success(self._show).run()

    def _show(self, rows: list[Any]) -> None:
        self.rows = rows
        self.count = len(rows)
        fill(self.table, [(r.village_code, r.label, f"第 {r.number} 包", r.entries, when(r.received_at),
                           f"第 {r.last_number} 包", _missing(r), r.hold_reason or "") for r in rows],
             [_key(r) for r in rows])
        self.release_button.setEnabled(bool(rows))
        self.counted.emit(self.count)

    def release_selected(self) -> None:
        key = selected_key(self.table)
        row = next((r for r in self.rows if _key(r) == key), None)
        if row is None:
            messages.inform(self, "请先在表中选一个暂存的包。")
            return
        if not messages.confirm(self, f"现在导入“{row.label}”的第 {row.number} 包？", _consequence(row), yes="放行"):
            return
        engine, keys = self.ctx.engine, self.ctx.keys

        def done(reports: list[Any]) -> None:
            report = reports[0]
            text = f"第 {row.number} 包：{STATUS_LABELS.get(report.status, report.status)}。"
            detail = "\n".join(f"[{m['code']}] {m['message']}" for m in report.messages[:20])
            if len(reports) > 1:
                detail += f"\n随后接着导入了本设备暂存的 {len(reports) - 1} 个包。"
            messages.inform(self, text, detail, title="放行暂存包")
            self.on_changed()

        Op(self, lambda: release_by_person(engine, keys, row.device_id, row.number)).success(done).run()


def _key(row: Any) -> str:
    return f"{row.device_id}:{row.number}"  # a package is its device's n-th: ids are the device's own choice


def _consequence(row: Any) -> str:
    if row.hold_code == "HELD_CAP":
        return f"{row.hold_reason}\n放行后这个包不受上限限制，全部导入。请先与该村核实。"
    return f"{_missing(row)}将被跳过，以后即使送到也不再导入。只有确认那些包已经丢失时才这样做。"


def _missing(row: Any) -> str:
    if row.number <= row.last_number + 1:
        return "没有缺少的包"
    first, last = row.last_number + 1, row.number - 1
    return f"第 {first} 包" if first == last else f"第 {first}–{last} 包"
