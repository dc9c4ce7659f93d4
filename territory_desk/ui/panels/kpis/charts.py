"""The KPI dashboard's charts, plain QPainter widgets (no chart library):

* ``KpiBarChart``: one bar per territory (or group) in its colour, with the group's quota drawn as a
  dark tick across its bar; the selected bar is outlined; clicking a bar emits ``barClicked``.
* ``TrendChart``: a KPI per period (a line with dots) for the selected group, with its quota per
  period as a dashed line.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from territory_desk.ui.panels.common import fmt_compact
from territory_desk.ui.panels.metrics.balance_chart import nice_step

GRID = QColor("#e4e4e4")
AXIS_TEXT = QColor("#555555")
QUOTA = QColor("#222222")
LINE = QColor("#1f5fae")
EMPTY_TEXT = QColor("#888888")


def _axis(painter: QPainter, plot: QRectF, lo: float, hi: float, step: float, fm: QFontMetrics) -> None:
    painter.setFont(painter.font())
    v = lo
    while v <= hi + step * 0.01:
        y = plot.bottom() - (v - lo) / (hi - lo) * plot.height()
        painter.setPen(QPen(GRID, 1.0))
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(AXIS_TEXT)
        text = fmt_compact(v)
        painter.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 4, fm.height()),
                         Qt.AlignRight | Qt.AlignVCenter, text)
        v += step


def _range(values: list[float]) -> tuple[float, float, float]:
    finite = [v for v in values if math.isfinite(v)]
    hi = max([*finite, 0.0])
    lo = min([*finite, 0.0])
    step = nice_step((hi - lo) * 1.05 or 1.0)
    return math.floor(lo / step) * step, (math.ceil(hi * 1.05 / step) * step) or step, step



def begin_chart(widget, title: str) -> tuple[QPainter, QFontMetrics, float]:
    """Start painting a chart widget: white background, a slightly smaller font, the title on top.
    Returns the painter, its font metrics and the title's height."""
    p = QPainter(widget)
    p.setRenderHint(QPainter.Antialiasing, True)
    p.fillRect(widget.rect(), QColor("white"))
    font = QFont(widget.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
    p.setFont(font)
    fm = QFontMetrics(font)
    title_h = fm.height() + 4
    p.setPen(AXIS_TEXT)
    p.drawText(QRectF(6, 2, widget.width() - 12, title_h), Qt.AlignLeft | Qt.AlignVCenter, title)
    return p, fm, title_h

class KpiBarChart(QWidget):
    barClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiBarChart")
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.names: list[str] = []
        self.values: list[float] = []
        self.quotas: list[float] = []
        self.colors: list[str] = []
        self.label = ""
        self.active = -1
        self._plot = QRectF()

    def sizeHint(self) -> QSize:
        return QSize(360, 200)

    def set_data(self, names, values, quotas, colors, label: str, active: int = -1) -> None:
        self.names, self.colors, self.label = list(names), list(colors), label
        self.values = [float(v) for v in values]
        self.quotas = [float(q) for q in quotas] if quotas is not None else []
        self.active = active
        self.update()

    def set_active(self, index: int) -> None:
        if index != self.active:
            self.active = index
            self.update()

    def bar_at(self, x: float) -> int:
        n = len(self.values)
        if not n or not (self._plot.left() <= x < self._plot.right()):
            return -1
        return min(int((x - self._plot.left()) / (self._plot.width() / n)), n - 1)

    def bar_centre(self, index: int) -> QPointF:
        slot = self._plot.width() / max(len(self.values), 1)
        return QPointF(self._plot.left() + (index + 0.5) * slot, self._plot.bottom() - 2)

    def mousePressEvent(self, ev) -> None:
        i = self.bar_at(ev.position().x())
        if i >= 0:
            self.barClicked.emit(i)

    def paintEvent(self, ev) -> None:
        legend = f"{self.label}  —  tick: quota" if any(q > 0 for q in self.quotas) else self.label
        p, fm, title_h = begin_chart(self, legend)
        values = self.values
        if not values or not any(math.isfinite(v) for v in values):
            p.setPen(EMPTY_TEXT)
            p.drawText(self.rect(), Qt.AlignCenter, "No activity in this period")
            p.end()
            return
        lo, hi, step = _range(values + [q for q in self.quotas if q > 0])
        left = max(fm.horizontalAdvance(fmt_compact(v)) for v in (lo, hi)) + 10
        label_h = fm.height() + 6 if len(values) <= 40 else 4
        self._plot = plot = QRectF(left, title_h + 4, max(10.0, self.width() - left - 8),
                                   max(10.0, self.height() - title_h - 8 - label_h))
        _axis(p, plot, lo, hi, step, fm)
        slot = plot.width() / len(values)
        y0 = plot.bottom() - (0 - lo) / (hi - lo) * plot.height()
        for i, v in enumerate(values):
            x = plot.left() + i * slot
            w = max(1.0, slot * 0.72)
            if math.isfinite(v):
                y = plot.bottom() - (v - lo) / (hi - lo) * plot.height()
                c = QColor(self.colors[i] if i < len(self.colors) else "#7799bb")
                c = c if c.isValid() else QColor("#7799bb")
                p.setPen(Qt.NoPen if i != self.active else QPen(QColor("#111111"), 2.0))
                p.setBrush(c)
                p.drawRect(QRectF(x + (slot - w) / 2, min(y, y0), w, abs(y0 - y) or 1.0))
            if i < len(self.quotas) and self.quotas[i] > 0:
                qy = plot.bottom() - (self.quotas[i] - lo) / (hi - lo) * plot.height()
                p.setPen(QPen(QUOTA, 2.0))
                p.drawLine(QPointF(x + slot * 0.04, qy), QPointF(x + slot * 0.96, qy))
            if label_h > 4:
                p.setPen(AXIS_TEXT)
                name = fm.elidedText(self.names[i], Qt.ElideRight, int(slot) - 2)
                p.drawText(QRectF(x, plot.bottom() + 2, slot, label_h), Qt.AlignHCenter | Qt.AlignTop, name)
        p.end()


class TrendChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kpiTrendChart")
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.periods: list[str] = []
        self.values: list[float] = []
        self.quotas: list[float] = []
        self.title = ""

    def sizeHint(self) -> QSize:
        return QSize(360, 160)

    def set_data(self, periods, values, quotas, title: str) -> None:
        self.periods, self.title = list(periods), title
        self.values = [float(v) for v in values]
        self.quotas = [float(q) for q in quotas] if quotas is not None else []
        self.update()

    def points(self) -> list[QPointF]:
        """Screen positions of the trend's points (tests)."""
        return list(self._points)

    def paintEvent(self, ev) -> None:
        p, fm, title_h = begin_chart(self, self.title)
        self._points: list[QPointF] = []
        if len(self.values) < 1 or not any(math.isfinite(v) for v in self.values):
            p.setPen(EMPTY_TEXT)
            p.drawText(self.rect(), Qt.AlignCenter, "No periods with activity")
            p.end()
            return
        lo, hi, step = _range(self.values + [q for q in self.quotas if q > 0])
        left = max(fm.horizontalAdvance(fmt_compact(v)) for v in (lo, hi)) + 10
        plot = QRectF(left, title_h + 4, max(10.0, self.width() - left - 10),
                      max(10.0, self.height() - title_h - fm.height() - 12))
        _axis(p, plot, lo, hi, step, fm)
        n = len(self.values)
        xs = [plot.left() + (i + 0.5) * plot.width() / n for i in range(n)]
        to_y = lambda v: plot.bottom() - (v - lo) / (hi - lo) * plot.height()  # noqa: E731
        if any(q > 0 for q in self.quotas):
            path = QPainterPath()
            for i, q in enumerate(self.quotas):
                pt = QPointF(xs[i], to_y(q))
                path.lineTo(pt) if i else path.moveTo(pt)
            pen = QPen(QUOTA, 1.5, Qt.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
        path = QPainterPath()
        started = False
        for i, v in enumerate(self.values):
            if not math.isfinite(v):
                started = False
                continue
            pt = QPointF(xs[i], to_y(v))
            self._points.append(pt)
            path.lineTo(pt) if started else path.moveTo(pt)
            started = True
        p.setPen(QPen(LINE, 2.0))
        p.setBrush(Qt.NoBrush)
        p.drawPath(path)
        p.setBrush(LINE)
        for pt in self._points:
            p.drawEllipse(pt, 3.0, 3.0)
        p.setPen(AXIS_TEXT)
        every = max(1, int(np.ceil(n * (fm.horizontalAdvance("2026Q3") + 8) / max(plot.width(), 1))))
        for i, label in enumerate(self.periods):
            if i % every == 0:
                p.drawText(QRectF(xs[i] - 40, plot.bottom() + 2, 80, fm.height() + 4), Qt.AlignHCenter | Qt.AlignTop, label)
        p.end()
