"""Pinned accounts on the map, and picking accounts by clicking them.

* ``AccountPoints``: account positions in the working CRS with an STRtree, for picking the account
  nearest a click (within a few pixels).
* ``PinsOverlay`` (``canvas.add_overlay``): every pinned account of the active scenario as a diamond
  in its pinned territory's colour with a dark outline, joined by a thin line to that territory's
  label point, so the planner sees the account counts somewhere else than where it lies; the
  accounts picked for pinning are ringed.
* ``PickAccountsTool``: click an account to pick it, shift-click to add or remove one, click on
  nothing (or Esc) to clear. The territory layers area registers it on every new canvas
  (``MapCanvas.register_tool``).
"""
from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPolygonF

from territory_desk.domain.stats.membership import pinned
from territory_desk.domain.model.projection import LONLAT, transform_points
from territory_desk.ui.canvas.labels import text_rect
from territory_desk.ui.canvas.tools import Tool
from territory_desk.ui.canvas.view_transform import ViewTransform

PICK_RADIUS_PX = 8.0
DIAMOND_PX = 8.0
OUTLINE = QColor(20, 20, 20, 240)
LINK = QColor(25, 25, 25, 230)
HALO = QColor(255, 255, 255, 190)
PICKED = QColor(230, 120, 0, 255)


class AccountPoints:
    """Account coordinates in the working CRS (NaN where unknown) and a spatial index over them."""

    def __init__(self, project):
        acc = project.accounts
        if len(acc):
            x, y = transform_points(acc.lon, acc.lat, LONLAT, project.units.working_crs)
            self.xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
        else:
            self.xy = np.zeros((0, 2))
        self.ok = np.isfinite(self.xy).all(axis=1)
        self._rows = np.flatnonzero(self.ok)
        self.tree = shapely.STRtree(shapely.points(self.xy[self._rows])) if len(self._rows) else None

    def __len__(self) -> int:
        return len(self.xy)

    def nearest(self, x: float, y: float, radius: float) -> int:
        """Index of the account nearest (x, y) within ``radius`` metres, -1 when none."""
        if self.tree is None:
            return -1
        hit = self.tree.query_nearest(shapely.Point(x, y), max_distance=radius)
        if len(hit) == 0:
            return -1
        return int(self._rows[int(np.min(hit))])


class PinsOverlay:
    """Draws pins and picked accounts over the territory map of ``canvas``."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.picked: list[int] = []  # account indices chosen for pinning
        self.listeners: list = []  # called with the picked account indices when they change
        self._points: AccountPoints | None = None
        self._project = None
        self._accounts = None

    def export_options(self) -> dict:
        return {}  # pins and picks are an editing aid, not part of a map picture

    @property
    def points(self) -> AccountPoints:
        project = self.canvas.model.doc.project
        if self._points is None or self._project is not project or self._accounts is not project.accounts:
            self._points = AccountPoints(project)
            self._project, self._accounts = project, project.accounts
            self.picked = [i for i in self.picked if i < len(self._points)]
        return self._points

    def account_at(self, pos: QPointF) -> int:
        view = self.canvas.view
        x, y = view.point_to_world(pos)
        return self.points.nearest(x, y, PICK_RADIUS_PX / view.scale)

    def set_picked(self, accounts) -> None:
        picked = list(dict.fromkeys(int(i) for i in accounts))
        changed = picked != self.picked
        self.picked = picked
        self.canvas.update()
        if changed:
            for fn in list(self.listeners):
                fn(list(picked))

    # ---- drawing ------------------------------------------------------------------------------
    def paint(self, painter: QPainter, view: ViewTransform) -> None:
        doc = self.canvas.model.doc
        rows, terr = pinned(doc.project, doc.scenario)
        if not len(rows) and not self.picked:
            return
        pts = self.points
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if len(rows):
            self._paint_pins(painter, view, doc, pts, rows, terr)
        if self.picked:
            idx = np.asarray(self.picked, dtype=np.int64)
            idx = idx[pts.ok[idx]]
            sx, sy = view.to_screen(pts.xy[idx, 0], pts.xy[idx, 1])
            pen = QPen(PICKED, 2.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for x, y in zip(np.atleast_1d(sx).tolist(), np.atleast_1d(sy).tolist()):
                painter.drawEllipse(QPointF(x, y), 8.0, 8.0)
        painter.restore()

    def _paint_pins(self, painter, view, doc, pts, rows, terr) -> None:
        scenario = doc.scenario
        renderer = self.canvas.renderer
        keep = pts.ok[rows]
        rows, terr = rows[keep], terr[keep]
        sx, sy = view.to_screen(pts.xy[rows, 0], pts.xy[rows, 1])
        sx, sy = np.atleast_1d(sx).tolist(), np.atleast_1d(sy).tolist()
        lines = []
        metrics = QFontMetricsF(renderer.territory_font)
        for x, y, t in zip(sx, sy, terr.tolist()):
            anchor = renderer.labels.anchor(t, scenario.assignment)
            if anchor is not None:
                ax, ay = (float(v) for v in view.to_screen(*anchor))
                # stop at the edge of the territory's label, not across its text
                rect = text_rect(metrics, scenario.territories[t].name, ax, ay)
                dx, dy = x - ax, y - ay
                s = max(abs(dx) / max(rect.width() / 2.0, 1.0), abs(dy) / max(rect.height() / 2.0, 1.0))
                if s > 1.0:
                    lines.append(QLineF(x, y, ax + dx / s, ay + dy / s))
        if lines:  # a dark dashed line on a light halo: readable over any fill and border
            painter.setPen(QPen(HALO, 3.2))
            painter.drawLines(lines)
            link = QPen(LINK, 1.4)
            link.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(link)
            painter.drawLines(lines)
        painter.setPen(QPen(OUTLINE, 1.6))
        r = DIAMOND_PX
        for x, y, t in zip(sx, sy, terr.tolist()):
            color = QColor(scenario.territories[t].color)
            painter.setBrush(color if color.isValid() else QColor("#888888"))
            painter.drawPolygon(QPolygonF([QPointF(x, y - r), QPointF(x + r, y), QPointF(x, y + r), QPointF(x - r, y)]))


class PickAccountsTool(Tool):
    """Click an account to pick it; shift-click adds or removes; a click on nothing clears."""

    name = "pick_accounts"
    cursor = Qt.CursorShape.PointingHandCursor

    @property
    def overlay(self) -> PinsOverlay | None:
        return next((o for o in self.canvas.overlays if isinstance(o, PinsOverlay)), None)

    def release(self, ev) -> None:
        overlay = self.overlay
        if overlay is None:
            return
        i = overlay.account_at(ev.position())
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if i < 0:
            if not shift:
                overlay.set_picked([])
        elif shift:
            overlay.set_picked([a for a in overlay.picked if a != i] if i in overlay.picked else overlay.picked + [i])
        else:
            overlay.set_picked([i])

    def key(self, ev) -> bool:
        if ev.key() == Qt.Key.Key_Escape and self.overlay is not None and self.overlay.picked:
            self.overlay.set_picked([])
            return True
        return False

