"""Where territory labels go, and text with a light halo.

A territory's label sits at its area-weighted centroid when that point lies in one of its own
units, else at the label point (point on surface) of its unit nearest to that centroid. Positions
are kept while the territory is edited (labels do not jump around under a paint stroke) and placed
again only when the unit under the label leaves the territory or the territory grew or shrank by
more than a fifth.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from territory_desk.ui.canvas.geometry_cache import GeometryCache

HALO_OFFSETS = ((-1.2, 0.0), (1.2, 0.0), (0.0, -1.2), (0.0, 1.2), (-0.9, -0.9), (0.9, 0.9), (-0.9, 0.9), (0.9, -0.9))
REPLACE_FRACTION = 0.2


def territory_font() -> QFont:
    font = QFont()
    font.setPointSizeF(9.5)
    font.setBold(True)
    return font


def unit_font() -> QFont:
    font = QFont()
    font.setPointSizeF(7.5)
    return font


class TerritoryLabels:
    """Label anchor (world x, y) per territory index, stable under small edits."""

    def __init__(self, cache: GeometryCache):
        self.cache = cache
        self._anchor: dict[int, tuple[float, float, int, int]] = {}  # t -> (x, y, unit, count)

    def reset(self) -> None:
        self._anchor.clear()

    def touched(self, territories, assignment: np.ndarray) -> None:
        """Forget anchors that no longer fit after an assignment change."""
        for t in territories:
            if t not in self._anchor:
                continue
            _, _, unit, count = self._anchor[t]
            now = int(np.count_nonzero(assignment == t))
            if assignment[unit] != t or abs(now - count) > REPLACE_FRACTION * max(count, 1):
                del self._anchor[t]

    def known(self, t: int) -> tuple[float, float] | None:
        """The current anchor without placing one."""
        hit = self._anchor.get(t)
        return None if hit is None else (hit[0], hit[1])

    def anchor(self, t: int, assignment: np.ndarray) -> tuple[float, float] | None:
        if t not in self._anchor:
            placed = self._place(t, assignment)
            if placed is None:
                return None
            self._anchor[t] = placed
        x, y, _, _ = self._anchor[t]
        return x, y

    def _place(self, t: int, assignment: np.ndarray) -> tuple[float, float, int, int] | None:
        units = np.flatnonzero(assignment == t)
        if len(units) == 0:
            return None
        cache = self.cache
        w = cache.area[units]
        if not np.isfinite(w).all() or w.sum() <= 0:
            w = np.ones(len(units))
        cxy = cache.centroid_xy[units]
        ok = np.isfinite(cxy).all(axis=1)
        if not ok.any():
            return None
        cx, cy = (np.average(cxy[ok], axis=0, weights=w[ok])).tolist()
        under = cache.unit_at(cx, cy)
        if under >= 0 and assignment[under] == t:
            return cx, cy, under, len(units)
        lxy = cache.label_xy[units]
        d = np.hypot(lxy[:, 0] - cx, lxy[:, 1] - cy)
        d[~np.isfinite(d)] = np.inf
        k = int(np.argmin(d))
        return float(lxy[k, 0]), float(lxy[k, 1]), int(units[k]), len(units)


def draw_legend_box(painter: QPainter, box: QRectF, scale: float = 1.0) -> None:
    """The rounded white box of a map legend (thematic map, heat map); the pen is left ready for its text."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(QColor(60, 60, 60, 200), 1.0))
    painter.setBrush(QColor(255, 255, 255, 230))
    painter.drawRoundedRect(box, 4.0 * scale, 4.0 * scale)
    painter.setPen(QColor("#222222"))


def text_rect(metrics: QFontMetricsF, text: str, sx: float, sy: float) -> QRectF:
    """The screen box of a label centred on (sx, sy), halo included."""
    w = metrics.horizontalAdvance(text)
    h = metrics.height()
    return QRectF(sx - w / 2.0 - 2.0, sy - h / 2.0 - 2.0, w + 4.0, h + 4.0)


def draw_halo_text(painter: QPainter, metrics: QFontMetricsF, text: str, sx: float, sy: float,
                   color: QColor, halo: QColor | None) -> None:
    """Text centred on (sx, sy) in screen coordinates, over a halo drawn as offset copies."""
    x = sx - metrics.horizontalAdvance(text) / 2.0
    y = sy + (metrics.ascent() - metrics.descent()) / 2.0
    if halo is not None:
        painter.setPen(halo)
        for dx, dy in HALO_OFFSETS:
            painter.drawText(QPointF(x + dx, y + dy), text)
    painter.setPen(color)
    painter.drawText(QPointF(x, y), text)


def elide(metrics: QFontMetricsF, text: str, width: float) -> str:
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
