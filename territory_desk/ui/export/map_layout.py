"""The furniture of an exported map page: title, legend, scale bar, north arrow, source note and the
frame of the inset.

Coordinates are logical units of 1/96 inch on every device (PNG images carry a device pixel ratio
of dpi/96, PDF and SVG are written at 96 units per inch), and fonts are sized in points, so a page
looks the same in every format and at every resolution.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyproj import Geod, Transformer
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from territory_desk.domain.model.projection import LONLAT
from territory_desk.io.exporters.figures import TerritoryRow, compact, signed_pct
from territory_desk.ui.canvas.view_transform import ViewTransform

UNIT = 96.0  # logical units per inch
INK = QColor("#1a1a1a")
GREY = QColor("#5c5c5c")
FRAME = QColor("#8a8a8a")
PAPER = QColor("#ffffff")
_GEOD = Geod(ellps="WGS84")


def font(points: float, bold: bool = False) -> QFont:
    f = QFont()
    f.setFamilies(["DejaVu Sans", "Helvetica", "Arial", "Sans Serif"])
    f.setPointSizeF(points)
    f.setBold(bold)
    return f


def text_height(points: float, bold: bool = False) -> float:
    return QFontMetricsF(font(points, bold)).height()


# ---- title and note -------------------------------------------------------------------------------
def draw_title(painter: QPainter, rect: QRectF, title: str, subtitle: str) -> None:
    f1, f2 = font(18, True), font(9.5)
    m1 = QFontMetricsF(f1)
    painter.setPen(INK)
    painter.setFont(f1)
    painter.drawText(QPointF(rect.left(), rect.top() + m1.ascent()), m1.elidedText(title, Qt.TextElideMode.ElideRight, rect.width()))
    if subtitle:
        m2 = QFontMetricsF(f2)
        painter.setPen(GREY)
        painter.setFont(f2)
        painter.drawText(QPointF(rect.left(), rect.top() + m1.height() + m2.ascent()),
                         m2.elidedText(subtitle, Qt.TextElideMode.ElideRight, rect.width()))


def title_height(subtitle: str) -> float:
    return text_height(18, True) + (text_height(9.5) if subtitle else 0.0) + 6.0


def draw_note(painter: QPainter, rect: QRectF, note: str) -> None:
    f = font(7)
    m = QFontMetricsF(f)
    painter.setPen(GREY)
    painter.setFont(f)
    painter.drawText(QPointF(rect.left(), rect.bottom() - m.descent()), m.elidedText(note, Qt.TextElideMode.ElideRight, rect.width()))


# ---- legend ---------------------------------------------------------------------------------------
@dataclass
class LegendPlan:
    title: str
    rows: list[TerritoryRow]
    more: int  # rows left out (no room)
    two_lines: bool  # rep on a second line
    points: float
    columns: int
    col_width: float
    row_height: float
    header: float

    @property
    def size(self) -> tuple[float, float]:
        per_col = math.ceil(len(self.rows) / self.columns) if self.rows else 0
        more = self.row_height if self.more else 0.0
        return self.columns * self.col_width + 12.0, self.header + per_col * self.row_height + more + 10.0


def legend_title(metric_label: str) -> str:
    return f"Territories \u00b7 {metric_label}" if metric_label else "Territories"


def plan_legend(rows: list[TerritoryRow], metric: str, title: str, max_w: float, max_h: float) -> LegendPlan:
    """The largest legend that fits: two-line rows, then one line, smaller type, more columns; at
    last the rows that do not fit are counted ("+ 12 more")."""
    header = text_height(9, True) + 6.0
    title_w = min(QFontMetricsF(font(9, True)).horizontalAdvance(title), max_w - 12.0)
    for two_lines, pts in ((True, 8.0), (False, 8.0), (False, 7.0), (False, 6.0)):
        width = _legend_col_width(rows, metric, pts, two_lines)
        row_h = text_height(pts) * (2.0 if two_lines else 1.0) + 4.0
        for columns in (1, 2, 3):
            plan = LegendPlan(title, rows, 0, two_lines, pts, columns, max(width, title_w / columns), row_h, header)
            w, h = plan.size
            if w <= max_w and h <= max_h:
                return plan
    pts, row_h = 6.0, text_height(6.0) + 4.0
    columns = max(1, min(3, int((max_w - 12.0) // max(_legend_col_width(rows, metric, pts, False), 1.0))))
    width = (max_w - 12.0) / columns
    fit = max(0, int((max_h - header - 10.0 - row_h) // row_h)) * columns
    return LegendPlan(title, rows[:fit], len(rows) - fit, False, pts, columns, width, row_h, header)


def _value_text(row: TerritoryRow, metric: str) -> str:
    return f"{compact(row.value(metric))}  {signed_pct(row.deviation(metric))}" if metric else ""


def _legend_col_width(rows, metric: str, pts: float, two_lines: bool) -> float:
    m, small = QFontMetricsF(font(pts)), QFontMetricsF(font(pts - 0.5))
    names = [m.horizontalAdvance(r.name) for r in rows] or [40.0]
    reps = [small.horizontalAdvance(r.rep or "vacant") for r in rows] or [0.0]
    values = [m.horizontalAdvance(_value_text(r, metric)) for r in rows] or [0.0]
    text = max(max(names), max(reps)) if two_lines else max(n + r for n, r in zip(names, reps)) + m.horizontalAdvance(" \u2014 ")
    return min(text, 190.0) + max(values) + 16.0 + 14.0


def draw_legend(painter: QPainter, rect: QRectF, plan: LegendPlan, metric: str) -> None:
    painter.save()
    painter.setPen(QPen(FRAME, 0.75))
    painter.setBrush(QColor(255, 255, 255, 235))
    painter.drawRect(rect)
    hf = font(9, True)
    painter.setFont(hf)
    painter.setPen(INK)
    hm = QFontMetricsF(hf)
    painter.drawText(QPointF(rect.left() + 6.0, rect.top() + 4.0 + hm.ascent()),
                     hm.elidedText(plan.title, Qt.TextElideMode.ElideRight, rect.width() - 12.0))
    f, small = font(plan.points), font(plan.points - 0.5)
    m, sm = QFontMetricsF(f), QFontMetricsF(small)
    per_col = max(1, math.ceil(len(plan.rows) / plan.columns))
    for k, r in enumerate(plan.rows):
        x = rect.left() + 6.0 + (k // per_col) * plan.col_width
        y = rect.top() + plan.header + (k % per_col) * plan.row_height
        sw = min(11.0, m.height() - 1.0)
        painter.setPen(QPen(QColor("#262626"), 0.75))
        painter.setBrush(QColor(r.color))
        painter.drawRect(QRectF(x, y + (m.height() - sw) / 2.0 + 1.0, sw, sw))
        value = _value_text(r, metric)
        vw = m.horizontalAdvance(value)
        text_w = plan.col_width - 16.0 - vw - 8.0
        painter.setFont(f)
        painter.setPen(INK)
        base = y + 1.0 + m.ascent()
        name = r.name if plan.two_lines else f"{r.name} \u2014 {r.rep or 'vacant'}"
        painter.drawText(QPointF(x + 16.0, base), m.elidedText(name, Qt.TextElideMode.ElideRight, text_w))
        painter.drawText(QPointF(x + plan.col_width - 6.0 - vw, base), value)
        if plan.two_lines:
            painter.setFont(small)
            painter.setPen(GREY)
            painter.drawText(QPointF(x + 16.0, base + m.height()),
                             sm.elidedText(r.rep or "vacant", Qt.TextElideMode.ElideRight, text_w))
    if plan.more:
        painter.setFont(f)
        painter.setPen(GREY)
        painter.drawText(QPointF(rect.left() + 6.0, rect.bottom() - 6.0 - m.descent()), f"+ {plan.more} more territories")
    painter.restore()


# ---- scale bar and north arrow -----------------------------------------------------------------------
def _centre_lonlat(view: ViewTransform, work_crs) -> tuple[Transformer, float, float]:
    to_ll = Transformer.from_crs(work_crs, LONLAT, always_xy=True)
    lon, lat = to_ll.transform(view.cx, view.cy)
    return Transformer.from_crs(LONLAT, work_crs, always_xy=True), float(lon), float(lat)


def ground_metres_per_unit(view: ViewTransform, work_crs) -> float:
    """Metres on the ground per logical unit at the map centre: the working CRS is equal-area, its
    scale along the parallel is measured against the ellipsoid (geodesic distance)."""
    to_work, lon, lat = _centre_lonlat(view, work_crs)
    d = 0.05
    (x0, x1), (y0, y1) = to_work.transform([lon - d, lon + d], [lat, lat])
    projected = math.hypot(x1 - x0, y1 - y0)
    _, _, ground = _GEOD.inv(lon - d, lat, lon + d, lat)
    k = projected / ground if ground > 0 and math.isfinite(projected) and projected > 0 else 1.0
    return view.metres_per_pixel / k


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 x 10^n not above ``limit``."""
    if limit <= 0:
        return 0.0
    p = 10.0 ** math.floor(math.log10(limit))
    return max(s * p for s in (1.0, 2.0, 5.0) if s * p <= limit)


def draw_scale_bar(painter: QPainter, frame: QRectF, view: ViewTransform, work_crs) -> None:
    """Kilometres above, miles below, in the lower left corner of the map frame."""
    per_unit = ground_metres_per_unit(view, work_crs)
    target = min(frame.width() * 0.22, 170.0) * per_unit
    km, mi = nice_length(target / 1000.0), nice_length(target / 1609.344)
    if km <= 0 or mi <= 0:
        return
    km_w, mi_w = km * 1000.0 / per_unit, mi * 1609.344 / per_unit
    f = font(7)
    m = QFontMetricsF(f)
    width = max(km_w, mi_w) + m.horizontalAdvance(" 0000 km") + 14.0
    box = QRectF(frame.left() + 8.0, frame.bottom() - 8.0 - (2 * m.height() + 12.0), width, 2 * m.height() + 12.0)
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 215))
    painter.drawRect(box)
    x0, y = box.left() + 6.0, box.top() + 4.0 + m.height()
    painter.setFont(f)
    for length, w, unit, up in ((km, km_w, "km", True), (mi, mi_w, "mi", False)):
        painter.setPen(QPen(INK, 1.0))
        painter.drawLine(QPointF(x0, y), QPointF(x0 + w, y))
        for tx in (x0, x0 + w / 2.0, x0 + w):
            painter.drawLine(QPointF(tx, y), QPointF(tx, y + (-4.0 if up else 4.0)))
        ty = y - 5.0 if up else y + 4.0 + m.ascent()
        painter.drawText(QPointF(x0 + w + 4.0, ty), f"{length:g} {unit}")
        painter.drawText(QPointF(x0 - 2.0, ty), "0")
    painter.restore()


def north_angle(view: ViewTransform, work_crs) -> float:
    """Degrees clockwise from 'up' of true north at the map centre (meridians converge in a conic
    projection, so north tilts away from the central meridian)."""
    to_work, lon, lat = _centre_lonlat(view, work_crs)
    (x0, x1), (y0, y1) = to_work.transform([lon, lon], [lat, min(lat + 0.05, 89.9)])
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        return 0.0
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def draw_north_arrow(painter: QPainter, frame: QRectF, view: ViewTransform, work_crs) -> None:
    centre = QPointF(frame.right() - 22.0, frame.top() + 30.0)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.translate(centre)
    painter.rotate(north_angle(view, work_crs))
    half_left = QPolygonF([QPointF(0, -16), QPointF(-7, 9), QPointF(0, 4)])
    half_right = QPolygonF([QPointF(0, -16), QPointF(7, 9), QPointF(0, 4)])
    painter.setPen(QPen(INK, 0.9))
    painter.setBrush(INK)
    painter.drawPolygon(half_left)
    painter.setBrush(PAPER)
    painter.drawPolygon(half_right)
    f = font(8, True)
    m = QFontMetricsF(f)
    painter.setFont(f)
    path = QPainterPath()
    path.addText(QPointF(-m.horizontalAdvance("N") / 2.0, -19.0), f, "N")
    painter.setPen(QPen(PAPER, 2.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(INK)
    painter.drawPath(path)
    painter.restore()


def draw_frame(painter: QPainter, rect: QRectF, width: float = 0.75) -> None:
    painter.save()
    painter.setPen(QPen(FRAME, width))
    painter.setBrush(QBrush(Qt.BrushStyle.NoBrush))
    painter.drawRect(rect)
    painter.restore()


def draw_extent_box(painter: QPainter, inset_rect: QRectF, inset_view: ViewTransform, bounds) -> None:
    """The main map's extent as a red box on the inset."""
    r = inset_view.screen_rect(bounds).translated(inset_rect.topLeft()).intersected(inset_rect)
    if r.width() < 3.0 or r.height() < 3.0:
        r = QRectF(r.center().x() - 2.0, r.center().y() - 2.0, 4.0, 4.0)
    painter.save()
    painter.setPen(QPen(QColor("#d62728"), 1.5))
    painter.setBrush(QColor(214, 39, 40, 40))
    painter.drawRect(r)
    painter.restore()
