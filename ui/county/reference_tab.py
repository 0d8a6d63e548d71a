"""标准和参数: the thresholds (poverty, exit and monitoring lines by year and province) and rule parameters
devices use, the county's newest beside what the program ships, and a form to set a year's line. Every value
set here travels to the devices of the county in their next down package (county/refdata.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fupin_desktop.county.refdata import PARAM, THRESHOLD, current_values, set_param, set_thresholds
from fupin_desktop.reference import THRESHOLD_KINDS, shipped_params

from .. import messages
from ..operations import Op
from ..qt import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)
from .tables import fill, make_table, when
from .window import CountyContext

THRESHOLD_HEADERS = ("年度", "省份", "标准", "金额（元/人/年）", "依据", "来自", "版本", "设定人", "设定时间")
PARAM_HEADERS = ("参数", "值", "省份", "起始年度", "截止年度", "依据", "来自", "版本", "设定时间")


def _origin(origin: str) -> str:
    return "县里设定" if origin == "county" else "程序自带"


# Shipped values carry the domain reference's confidence tag (docs: SPEC.md §0); said in words on screen.
_TAGS = (("K?", "程序自带，把握不大，请按文件核实"), ("K", "程序自带，未找到出处，请核实"), ("C", "有公开出处"))


def _source(source: str, origin: str) -> str:
    if origin == "county":
        return source
    for tag, words in _TAGS:
        if source.startswith(tag):
            rest = source[len(tag):].lstrip(":： ")
            return f"{words}：{rest}" if rest else words
    return source


def _province(code: str) -> str:
    return "全国默认" if code == "00" else code


class ReferenceTab(QWidget):
    def __init__(self, ctx: CountyContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="referenceSummary", wordWrap=True)
        layout.addWidget(self.summary)
        self.thresholds = make_table(THRESHOLD_HEADERS, "thresholdTable")
        layout.addWidget(QLabel("扶贫标准（各设备用最新的一条；县里设定的优先于程序自带的）："))
        layout.addWidget(self.thresholds, 3)
        layout.addWidget(self._form())
        layout.addWidget(QLabel("规则参数（核查规则用的限值，如耕地面积上限）："))
        self.params = make_table(PARAM_HEADERS, "paramTable")
        layout.addWidget(self.params, 2)
        layout.addWidget(self._param_form())

    def _form(self) -> QGroupBox:
        box = QGroupBox("设定某一年的标准")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.year = QSpinBox(objectName="refYear", minimum=2000, maximum=2100, value=date.today().year)
        self.province = QLineEdit("00", objectName="refProvince", maxLength=2)
        self.province.setFixedWidth(60)
        self.province.setToolTip("两位省份代码，如 52 表示贵州；00 表示全国默认")
        self.kind = QComboBox(objectName="refKind")
        for key, label in THRESHOLD_KINDS.items():
            self.kind.addItem(label, key)
        self.kind.setCurrentIndex(list(THRESHOLD_KINDS).index("监测"))
        self.amount = QLineEdit(objectName="refAmount")
        self.amount.setPlaceholderText("元/人/年，如 7900")
        for label, widget in (("年度：", self.year), ("省份：", self.province), ("标准：", self.kind),
                              ("金额：", self.amount)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch(1)
        form.addRow(row)
        self.source = QLineEdit(objectName="refSource")
        self.source.setPlaceholderText("文件名称和文号，或县里的决定（必填，以后核对时要用）")
        form.addRow("依据：", self.source)
        self.set_button = QPushButton("设定并下发到各设备", objectName="refSet")
        self.set_button.clicked.connect(self.set_threshold)
        form.addRow("", self.set_button)
        return box

    def _param_form(self) -> QGroupBox:
        box = QGroupBox("设定规则参数")
        row = QHBoxLayout(box)
        self.param_name = QComboBox(objectName="paramName")
        for name in sorted({p.name for p in shipped_params()}):
            self.param_name.addItem(name)
        self.param_value = QLineEdit(objectName="paramValue")
        self.param_value.setFixedWidth(90)
        self.param_from = QSpinBox(objectName="paramFrom", minimum=2000, maximum=2100, value=date.today().year)
        self.param_to = QSpinBox(objectName="paramTo", minimum=1999, maximum=2100, value=1999)
        self.param_to.setSpecialValueText("不限")  # the minimum: open-ended
        self.param_source = QLineEdit(objectName="paramSource")
        self.param_source.setPlaceholderText("依据（必填）")
        self.param_button = QPushButton("设定并下发", objectName="paramSet")
        self.param_button.clicked.connect(self.set_param)
        for label, widget in (("参数：", self.param_name), ("值：", self.param_value), ("起始年度：", self.param_from),
                              ("截止年度：", self.param_to), ("依据：", self.param_source)):
            row.addWidget(QLabel(label))
            row.addWidget(widget, 1 if widget is self.param_source else 0)
        row.addWidget(self.param_button)
        return box

    def refresh(self) -> None:
        def load() -> tuple[list[Any], list[Any]]:
            with self.ctx.engine.connect() as conn:
                return current_values(conn, THRESHOLD), current_values(conn, PARAM)

        Op(self, load).success(self._show).run()

    def _show(self, values: tuple[list[Any], list[Any]]) -> None:
        thresholds, params = values
        newest = sorted(thresholds, key=lambda v: (-v.year_from, v.province, v.name))
        fill(self.thresholds, [(v.year_from, _province(v.province), THRESHOLD_KINDS.get(v.name, v.name), v.value,
                                _source(v.source, v.origin), _origin(v.origin), v.version or "—", v.set_by or "—",
                                when(v.set_at))
                               for v in newest])
        fill(self.params, [(v.name, v.value, _province(v.province), v.year_from, v.year_to or "—",
                            _source(v.source, v.origin), _origin(v.origin), v.version or "—", when(v.set_at))
                           for v in sorted(params, key=lambda v: (v.origin != "county", v.name, -v.year_from))])
        years = sorted({v.year_from for v in thresholds if v.name == "监测"})
        county = sum(v.origin == "county" for v in thresholds + params)
        self.summary.setText(
            f"有监测线的年度：{'、'.join(map(str, years)) or '无'}。县里设定了 {county} 项。"
            "没有监测线的年度，设备上的“全面核查”会提示“缺少该年度的监测线”，请先在这里设定。"
            "设定后，各设备在下一次同步（上传、下载或U盘下发包）时收到并按新标准重新检查。")

    def set_threshold(self) -> None:
        year, province, kind = self.year.value(), self.province.text(), str(self.kind.currentData())
        amount, source = self.amount.text(), self.source.text()

        def done(_values: Any) -> None:
            self.amount.clear()
            self.refresh()
            messages.inform(self, f"已设定 {year} 年{THRESHOLD_KINDS[kind]}：{amount.strip()} 元/人/年"
                                  f"（{_province(province.strip())}）。",
                            "各设备在下一次同步时收到，并按新标准重新检查。", title="已设定")

        Op(self, lambda: set_thresholds(self.ctx.engine, year=year, lines={kind: amount}, province=province,
                                        source=source, by=self.ctx.user)).success(done).run()

    def set_param(self) -> None:
        name, value, source = self.param_name.currentText(), self.param_value.text(), self.param_source.text()
        year_from = self.param_from.value()
        year_to = None if self.param_to.value() == self.param_to.minimum() else self.param_to.value()

        def done(_value: Any) -> None:
            self.param_value.clear()
            self.refresh()
            span = f"{year_from} 年起" if year_to is None else f"{year_from}–{year_to} 年"
            messages.inform(self, f"已设定规则参数 {name} = {value.strip()}（{span}）。",
                            "各设备在下一次同步时收到，并按新参数重新检查。", title="已设定")

        Op(self, lambda: set_param(self.ctx.engine, name=name, value=value, year_from=year_from, year_to=year_to,
                                   source=source, by=self.ctx.user)).success(done).run()
