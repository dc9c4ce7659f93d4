"""A bar chart of one balance metric per territory: bars in territory colours, the mean line and the
tolerance band around it, a value axis with round ticks and territory names below.

Plain QPainter on one widget (no chart library); ``set_data`` stores the numbers and schedules a
repaint, so the live metrics panel can call it on every edit.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from territory_desk.ui.panels.common import fmt_compact, fmt_value

BAND = QColor(46, 160, 67, 38)
BAND_EDGE = QColor(46, 160, 67, 150)
MEAN = QColor("#333333")
GRID = QColor("#e4e4e4")
AXIS_TEXT = QColor("#555555")


def nice_step(span: float, target_ticks: int = 4) -> float:
    """A 1-2-5 step that divides ``span`` into about ``target_ticks`` intervals."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


class BalanceChart(QWidget):
    barClicked = Signal(int)  # territory index under the click

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("balanceChart")
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.names: list[str] = []
        self.values: list[float] = []
        self.colors: list[str] = []
        self.mean = 0.0
        self.tolerance_pct = 5.0
        self.label = ""
        self.active = -1
        self.group_label = "territory"  # what a bar is: "territory", or a hierarchy level such as "region"
        self._plot = QRectF()

    def sizeHint(self) -> QSize:
        return QSize(320, 210)

    def set_data(self, names, values, colors, mean: float, tolerance_pct: float, label: str = "",
                 active: int = -1) -> None:
        self.names, self.values, self.colors = list(names), [float(v) for v in values], list(colors)
        self.mean, self.tolerance_pct, self.label, self.active = float(mean), float(tolerance_pct), label, active
        self.update()

    def set_active(self, index: int) -> None:
        if index != self.active:
            self.active = index
            self.update()

    # ---- geometry ---------------------------------------------------------------------------------
    def _range(self) -> tuple[float, float, float]:
        hi = max([*self.values, self.mean * (1 + self.tolerance_pct / 100.0), 0.0])
        lo = min([*self.values, 0.0])
        step = nice_step((hi - lo) * 1.05 or 1.0)
        return math.floor(lo / step) * step, math.ceil(hi * 1.05 / step) * step or step, step

    def _slot(self) -> float:
        return self._plot.width() / max(len(self.values), 1)

    def bar_at(self, x: float) -> int:
        if not self.values or not (self._plot.left() <= x < self._plot.right()):
            return -1
        return min(int((x - self._plot.left()) / self._slot()), len(self.values) - 1)

    def mousePressEvent(self, event) -> None:
        i = self.bar_at(event.position().x())
        if i >= 0 and event.button() == Qt.LeftButton:
            self.barClicked.emit(i)
        super().mousePressEvent(event)

    # ---- painting ---------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        p.setFont(font)
        fm = QFontMetrics(font)
        if not self.values:
            p.setPen(AXIS_TEXT)
            p.drawText(self.rect(), Qt.AlignCenter, "No territories")
            p.end()
            return
        lo, hi, step = self._range()
        ticks = [lo + k * step for k in range(int(round((hi - lo) / step)) + 1)]
        left = max(fm.horizontalAdvance(fmt_compact(t)) for t in ticks) + 10
        slot_guess = (self.width() - left - 8) / len(self.values)
        widest = max(fm.horizontalAdvance(n) for n in self.names)
        rotate = widest > slot_guess - 4
        bottom = (min(widest, 90) * 0.72 + fm.height() if rotate else fm.height() + 4) + 4
        top = fm.height() + 10
        self._plot = plot = QRectF(left, top, self.width() - left - 8, self.height() - top - bottom)
        if plot.height() < 20 or plot.width() < 20:
            p.end()
            return

        def y(v: float) -> float:
            return plot.bottom() - (v - lo) / (hi - lo) * plot.height()

        # title and legend
        p.setPen(MEAN)
        bold = QFont(font)
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height() + 4), Qt.AlignLeft | Qt.AlignVCenter,
                   f"{self.label} by {self.group_label or 'territory'}" if self.label else "")
        p.setFont(font)
        p.setPen(AXIS_TEXT)
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height() + 4), Qt.AlignRight | Qt.AlignVCenter,
                   f"mean {fmt_value(self.mean)}   band ±{self.tolerance_pct:g} %")
        # grid and value axis
        for t in ticks:
            yy = y(t)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(plot.left(), yy), QPointF(plot.right(), yy))
            p.setPen(AXIS_TEXT)
            p.drawText(QRectF(0, yy - fm.height() / 2, left - 6, fm.height()), Qt.AlignRight | Qt.AlignVCenter,
                       fmt_compact(t))
        # tolerance band and mean
        tol = abs(self.mean) * self.tolerance_pct / 100.0
        band = QRectF(QPointF(plot.left(), y(self.mean + tol)), QPointF(plot.right(), y(self.mean - tol)))
        p.fillRect(band, BAND)
        p.setPen(QPen(BAND_EDGE, 1, Qt.DotLine))
        p.drawLine(band.topLeft(), band.topRight())
        p.drawLine(band.bottomLeft(), band.bottomRight())
        # bars
        slot = self._slot()
        bw = max(min(slot * 0.7, 56.0), 2.0)
        for i, v in enumerate(self.values):
            cx = plot.left() + (i + 0.5) * slot
            rect = QRectF(QPointF(cx - bw / 2, y(max(v, 0))), QPointF(cx + bw / 2, y(min(v, 0))))
            fill = QColor(self.colors[i]) if i < len(self.colors) else QColor("#888888")
            p.setBrush(fill)
            edge = QPen(QColor("#111111"), 2.0) if i == self.active else QPen(fill.darker(150), 1.0)
            p.setPen(edge)
            p.drawRect(rect)
            if fm.horizontalAdvance(fmt_compact(v)) < slot - 2:
                p.setPen(AXIS_TEXT)
                p.drawText(QRectF(cx - slot / 2, rect.top() - fm.height() - 1, slot, fm.height()),
                           Qt.AlignHCenter | Qt.AlignBottom, fmt_compact(v))
            self._draw_name(p, fm, i, cx, plot.bottom() + 3, slot, rotate)
        p.setBrush(Qt.NoBrush)
        p.setPen(QPen(MEAN, 1.2, Qt.DashLine))
        p.drawLine(QPointF(plot.left(), y(self.mean)), QPointF(plot.right(), y(self.mean)))
        p.setPen(QPen(QColor("#999999"), 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        p.end()

    def _draw_name(self, p: QPainter, fm: QFontMetrics, i: int, cx: float, top: float, slot: float,
                   rotate: bool) -> None:
        p.setPen(QColor("#111111") if i == self.active else AXIS_TEXT)
        if not rotate:
            text = fm.elidedText(self.names[i], Qt.ElideRight, int(slot) - 2)
            p.drawText(QRectF(cx - slot / 2, top, slot, fm.height()), Qt.AlignHCenter | Qt.AlignTop, text)
            return
        if slot < fm.height() * 0.8 and i % max(int(fm.height() / max(slot, 1)), 1):
            return  # too crowded: label every n-th bar
        text = fm.elidedText(self.names[i], Qt.ElideRight, 90)
        p.save()
        p.translate(cx + fm.ascent() / 3, top + 2)
        p.rotate(-40)
        p.drawText(QPointF(-fm.horizontalAdvance(text), 0), text)
        p.restore()
