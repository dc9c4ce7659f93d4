"""The diff map: units that change territory between two scenarios, over the main canvas.

Each changed unit is washed pale, hatched in the colour of its territory in B and outlined dark,
so the planner sees both what moves (the hatch) and where it goes (the hatch colour; grey when it
becomes unassigned in B). Units too small on screen for a hatch to show also get a ring in that
colour, so changes stay visible at the whole-country zoom. Paths are built once per geometry level (per group of units with the same
B territory) from the canvas's simplified geometry, like the selection overlay.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen

from territory_desk.ui.canvas.layer_renderer import stroke_thick
from territory_desk.ui.canvas.view_transform import ViewTransform

WASH = QColor(255, 255, 255, 120)
BORDER = QColor(20, 20, 20, 235)
UNASSIGNED = QColor("#7a7a7a")
SMALL_PX = 14.0  # units smaller than this on screen also get a ring marker
MARKER_PX = 7.0


class DiffOverlay:
    """``units``: changed unit indices; ``targets``: their territory colour in B ("" = unassigned)."""

    def __init__(self, canvas, units, targets: list[str]):
        self.canvas = canvas
        self.units = np.asarray(units, dtype=np.int64)
        if len(targets) != len(self.units):
            raise ValueError("one target colour per changed unit")
        groups: dict[str, list[int]] = {}
        for u, color in zip(self.units.tolist(), targets):
            groups.setdefault(color, []).append(u)
        self.groups = {c: np.asarray(us, dtype=np.int64) for c, us in groups.items()}
        self._level = None
        self._paths: dict[str, QPainterPath] = {}
        self._outline: QPainterPath | None = None

    def __len__(self) -> int:
        return len(self.units)

    def export_options(self) -> dict:
        return {}  # the comparison's own picture; a map export shows the plan

    def _ensure_paths(self) -> bool:
        level = self.canvas.drawn_level
        if level is None:
            return False
        if level is not self._level:
            self._paths = {c: level.units_path(us) for c, us in self.groups.items()}
            self._outline = level.units_path(self.units)
            self._level = level
        return True

    def paint(self, painter: QPainter, view: ViewTransform) -> None:
        if not len(self.units) or not self._ensure_paths():
            return
        painter.save()
        painter.setWorldTransform(view.qtransform() * painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(WASH)
        painter.drawPath(self._outline)
        for color, path in self._paths.items():
            c = QColor(color) if color else UNASSIGNED
            if not c.isValid():
                c = UNASSIGNED
            painter.setBrush(QBrush(c.darker(115), Qt.BrushStyle.BDiagPattern))
            painter.drawPath(path)
            painter.setBrush(QBrush(c.darker(115), Qt.BrushStyle.FDiagPattern))
            painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        stroke_thick(painter, self._outline, 2.0, BORDER)
        painter.restore()
        self._paint_markers(painter, view)

    def _paint_markers(self, painter: QPainter, view: ViewTransform) -> None:
        """Units too small on screen for a hatch to read get a ring in their B colour."""
        cache = self.canvas.cache
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for color, units in self.groups.items():
            b = cache.bounds[units]
            small = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * view.scale < SMALL_PX
            if not small.any():
                continue
            sx, sy = view.to_screen(cache.label_xy[units[small], 0], cache.label_xy[units[small], 1])
            c = QColor(color) if color else UNASSIGNED
            for x, y in zip(np.atleast_1d(sx).tolist(), np.atleast_1d(sy).tolist()):
                painter.setPen(QPen(BORDER, 3.4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(QPointF(x, y), MARKER_PX, MARKER_PX)
                painter.setPen(QPen(c if c.isValid() else UNASSIGNED, 2.0))
                painter.drawEllipse(QPointF(x, y), MARKER_PX, MARKER_PX)
        painter.restore()
