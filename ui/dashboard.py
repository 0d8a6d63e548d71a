"""村情看板: the village's figures, each clickable to the list of its households."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.archive import Archive
from fupin_desktop.queries.dashboard import Dashboard as Figures
from fupin_desktop.queries.dashboard import Figure

from .operations import Op, hub
from .qt import (
    QColor, QFont, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPainter, QPushButton, QRectF, QScrollArea,
    QSizePolicy, Qt, QVBoxLayout, QWidget,
)

BAR_COLOUR = QColor("#2f6fb0")


class BarChart(QWidget):
    """Horizontal bars with labels and counts; clicking a bar reports its figure."""

    ROW = 30

    def __init__(self, figures: list[Figure], on_click: Callable[[Figure], None]) -> None:
        super().__init__()
        self.figures = figures
        self.on_click = on_click
        self.setMinimumHeight(self.ROW * max(1, len(figures)) + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        label_w = max([metrics.horizontalAdvance(f.label) for f in self.figures] + [60]) + 12
        count_w = metrics.horizontalAdvance("000000户") + 8
        top = max([f.households for f in self.figures] + [1])
        bar_space = max(10, self.width() - label_w - count_w - 8)
        for i, f in enumerate(self.figures):
            y = 4 + i * self.ROW
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(0, y, label_w - 8, self.ROW - 6),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f.label)
            width = bar_space * f.households / top
            painter.fillRect(QRectF(label_w, y + 4, max(width, 1), self.ROW - 14), BAR_COLOUR)
            painter.drawText(QRectF(label_w + width + 6, y, count_w, self.ROW - 6),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{f.households}户")
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        i = int((event.position().y() - 4) // self.ROW)
        if 0 <= i < len(self.figures):
            self.on_click(self.figures[i])


class Dashboard(QWidget):
    def __init__(self, archive: Archive, year: int, *, on_filter: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.archive = archive
        self.year = year
        self.on_filter = on_filter
        self.setWindowTitle(f"村情看板 — {archive.village_name} {year}年度")
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        self.body = QWidget()
        scroll.setWidget(self.body)
        self.grid = QGridLayout(self.body)
        self.resize(1100, 800)
        hub().changed.connect(lambda _c: self.reload())
        self.reload()

    def reload(self) -> None:
        archive, year = self.archive, self.year
        Op(self, lambda: archive.dashboard(year)).success(self._show).run()

    def _clicked(self, figure: Figure) -> None:
        self.on_filter(figure.filters)

    def _section(self, title: str, content: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.addWidget(content)
        return box

    def _work_buttons(self, figures: list[Figure]) -> QWidget:
        """待办/超期 count procedures and warnings, not households: one household may have two."""
        widget = QWidget()
        layout = QHBoxLayout(widget)
        for f in figures:
            unit = "条" if "预警" in f.label else "件"
            button = QPushButton(f"{f.label}：{f.households} {unit}")
            button.setObjectName("procedureFigure")
            if f.households and ("超期" in f.label):
                button.setStyleSheet("color: #b00020; font-weight: bold; padding: 4px 8px;")
            button.clicked.connect(lambda _=False, fig=f: self._clicked(fig))
            layout.addWidget(button)
        layout.addStretch(1)
        return widget

    def _figure_buttons(self, figures: list[Figure], people: bool = True) -> QWidget:
        widget = QWidget()
        layout = QVBoxLayout(widget)
        for f in figures:
            text = f"{f.label}：{f.households} 户" + (f" {f.people} 人" if people and f.people is not None else "")
            button = QPushButton(text)
            button.setStyleSheet("text-align: left; padding: 4px 8px;")
            button.clicked.connect(lambda _=False, fig=f: self._clicked(fig))
            layout.addWidget(button)
        if not figures:
            layout.addWidget(QLabel("（无）"))
        layout.addStretch(1)
        return widget

    def _show(self, d: Figures) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        headline = QLabel(f"在册 {d.households} 户 {d.people} 人"
                          + (f"　{d.year}年监测范围：{d.threshold:.0f} 元/人" if d.threshold else ""))
        font = QFont(headline.font())
        font.setPointSize(font.pointSize() + 4)
        headline.setFont(font)
        headline.setObjectName("dashboardHeadline")
        self.grid.addWidget(headline, 0, 0, 1, 2)
        # What is due comes first: the deadlines are the part of the board a cadre acts on today.
        self.grid.addWidget(self._section("监测程序与部门预警（点击查看名单）", self._work_buttons(d.procedure)), 1, 0,
                            1, 2)
        self.grid.addWidget(self._section("按脱贫状态", self._figure_buttons(d.by_status)), 2, 0)
        self.grid.addWidget(self._section("按贫困户属性", self._figure_buttons(d.by_attribute)), 2, 1)
        self.grid.addWidget(self._section("主要致贫原因分布（点击查看名单）", BarChart(d.by_cause, self._clicked)), 3,
                            0, 1, 2)
        self.grid.addWidget(self._section("人均纯收入与监测范围", BarChart(d.income_bands, self._clicked)), 4, 0, 1, 2)
        self.grid.addWidget(self._section("监测对象", self._figure_buttons(d.monitoring)), 5, 0)
        self.grid.addWidget(self._section("致贫/返贫风险", self._figure_buttons(d.risks, people=False)), 5, 1)
        self.grid.addWidget(self._section("数据质量", self._figure_buttons(d.quality, people=False)), 6, 0, 1, 2)
