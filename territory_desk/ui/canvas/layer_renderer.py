"""Draws the territory layer with QPainter onto any paint device (widget cache, PNG, PDF, SVG).

Draw order: background, territory fills, thin unit borders, basemap outlines, heavy territory
borders (the adjacency edges whose two units lie in different territories, plus the layer's outer
outline), accounts, unit labels, territory labels. Selection and hover overlays are separate calls.

Speed (2-core machine, see tests/bench/bench_canvas.py):
* fills are drawn without antialiasing, one QPainterPath per territory (cached per level, rebuilt
  only for the territories an edit touched). Neighbouring units of one territory share a colour,
  so they show no seam, and the jagged edges between territories lie under the border lines.
  Antialiased fills cost 7-12x more (45 ms against 6 ms for the 3,108 counties).
* lines use cosmetic 1-pixel pens, the raster engine's fast path. Wider pens go through QStroker
  and cost 20-60x more, so heavy lines are 1-pixel lines repeated at sub-pixel offsets.
* a partial render (dirty rectangle, pan strip, zoomed-in view) builds paths of just the units
  whose bounding box meets the rectangle.
"""
from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen, QTransform

from territory_desk.domain.model.projection import LONLAT, to_crs, transform_geometries, transform_points
from territory_desk.ui.canvas.geometry_cache import ChunkedLines, GeometryCache, LevelGeometry
from territory_desk.ui.canvas.labels import TerritoryLabels, draw_halo_text, elide, territory_font, text_rect, unit_font
from territory_desk.ui.canvas.qt_buffers import polygonf
from territory_desk.ui.canvas.view_transform import ViewTransform

LAYERS = ("accounts", "basemap", "unit_labels", "territory_labels")
CACHED_FRACTION = 0.5  # draw whole cached territory paths when this share of units is in view
UNIT_BORDER_MIN_PX = 4.0  # typical unit size on screen below which unit borders are left out
UNIT_LABEL_MIN_PX = 48.0  # unit bounding box width needed for its name
MAX_UNIT_LABELS = 600
ACCOUNT_DOT_PX = 4.0


class LayerStyle:
    def __init__(self) -> None:
        self.background = QColor("#f3f2ee")
        self.unassigned = QColor("#e4e4e4")
        self.unassigned_hatch = QColor(120, 120, 120, 90)
        self.unit_border = QColor(255, 255, 255, 170)
        self.territory_border = QColor("#262626")
        self.border_width = 2.0
        self.basemap = QColor(60, 60, 60, 150)
        self.account = QColor(25, 40, 85, 190)
        self.label = QColor("#101010")
        self.label_halo = QColor(255, 255, 255, 235)
        self.unit_label = QColor(30, 30, 30, 210)
        self.selection_fill = QColor(25, 70, 190, 85)
        self.selection_border = QColor(15, 45, 150, 235)
        self.hover_fill = QColor(255, 255, 255, 80)
        self.hover_border = QColor(0, 0, 0, 230)


def fill_sealed(painter: QPainter, path: QPainterPath, color: QColor) -> None:
    """Fill ``path``, plus a 1-pixel outline in the same colour: it closes the sub-pixel slivers that
    simplifying neighbours independently leaves between them."""
    pen = QPen(color)
    pen.setCosmetic(True)
    pen.setWidthF(1.0)
    painter.setPen(pen)
    painter.setBrush(color)
    painter.drawPath(path)


def stroke_thick(painter: QPainter, path: QPainterPath, width: float, color: QColor) -> None:
    """Stroke ``path`` about ``width`` logical pixels wide with the fast 1-pixel cosmetic pen."""
    device = painter.device()
    dpr = device.devicePixelRatioF() if device is not None else 1.0
    device_width = max(1.0, width * dpr)
    steps = max(0, int(round((device_width - 1.0) / 0.75)))
    shift = 0.75 / dpr
    centre = -steps * shift / 2.0
    offsets = [(centre, centre)]
    offsets += [(centre + k * shift, centre) for k in range(1, steps + 1)]
    offsets += [(centre, centre + k * shift) for k in range(1, steps + 1)]
    pen = QPen(color)
    pen.setCosmetic(True)
    pen.setWidthF(1.0)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    base = painter.worldTransform()
    for dx, dy in offsets:
        painter.setWorldTransform(base * QTransform.fromTranslate(dx, dy))
        painter.drawPath(path)
    painter.setWorldTransform(base)


class LayerRenderer:
    """Renders a Document's active scenario over a GeometryCache for a ViewTransform."""

    def __init__(self, cache: GeometryCache, doc, style: LayerStyle | None = None):
        self.cache = cache
        self.doc = doc
        self.style = style or LayerStyle()
        self.hidden: set[str] = set()  # territory ids not drawn
        self.layers = {"accounts": False, "basemap": True, "unit_labels": True, "territory_labels": True}
        self.labels = TerritoryLabels(cache)
        self._paths: dict[int, QPainterPath] = {}
        self._paths_level: LevelGeometry | None = None
        self._basemap: np.ndarray | None = None
        self._basemap_lines: dict[int, ChunkedLines] = {}
        self._accounts_xy: np.ndarray | None = None
        area = cache.area[np.isfinite(cache.area)]
        self.typical_unit_m = float(np.sqrt(np.median(area))) if len(area) else 1.0
        self.territory_font, self.unit_font = territory_font(), unit_font()
        self._tmetrics, self._umetrics = QFontMetricsF(self.territory_font), QFontMetricsF(self.unit_font)

    # ---- state changes ---------------------------------------------------------------------------
    def invalidate(self, territories=None) -> None:
        """Forget cached territory paths (all, or of some territory indices), label places and
        account positions."""
        if territories is None:
            self._paths.clear()
            self.labels.reset()
            self._accounts_xy = None  # accounts may have been imported
        else:
            for t in territories:
                self._paths.pop(int(t), None)

    def assignment_changed(self, units, territories, view: ViewTransform) -> list[QRectF]:
        """Update caches after units changed territory; returns the screen rectangles to redraw."""
        a = self.doc.scenario.assignment
        rects: list[QRectF] = []
        box = self.cache.units_bbox(units)
        if box is not None:
            pad = self.style.border_width + 2.0
            rects.append(view.screen_rect(box).adjusted(-pad, -pad, pad, pad))
        if self.layers["territory_labels"]:
            before = self._label_rects(view, territories, a, known_only=True)
            self.labels.touched(territories, a)
            after = self._label_rects(view, territories, a, known_only=False)
            rects += [r for r in before + after if not (r in before and r in after)]
        self.invalidate(territories)
        return rects

    def set_basemap(self, geoms, crs, work_crs) -> None:
        """Outline polygons (e.g. states) drawn as grey lines; ``geoms`` in ``crs``."""
        if geoms is None or len(geoms) == 0:
            self._basemap = None
        else:
            projected = transform_geometries(np.asarray(geoms, dtype=object), to_crs(crs), to_crs(work_crs))
            self._basemap = shapely.boundary(projected)
        self._basemap_lines.clear()

    # ---- rendering -------------------------------------------------------------------------------
    def render(self, painter: QPainter, view: ViewTransform, level: LevelGeometry, rect: QRectF | None = None) -> None:
        """Draw the layer for ``view`` (screen coordinates = the painter's logical coordinates),
        only inside ``rect`` when given."""
        full = QRectF(0.0, 0.0, view.width, view.height)
        rect = full if rect is None else rect.intersected(full)
        if rect.isEmpty():
            return
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip if painter.hasClipping() else Qt.ClipOperation.ReplaceClip)
        painter.fillRect(rect, self.style.background)
        scenario = self.doc.scenario
        a = scenario.assignment
        visible = np.ones(len(scenario.territories) + 1, dtype=bool)  # last slot: unassigned (-1)
        for i, terr in enumerate(scenario.territories):
            visible[i] = terr.id not in self.hidden
        box = view.world_bounds(rect.adjusted(-3.0, -3.0, 3.0, 3.0))
        base = painter.worldTransform()
        painter.setWorldTransform(view.qtransform() * base)
        self._draw_fills(painter, level, a, self.cache.units_in_bbox(*box), visible)
        edges = self.cache.edges_in_bbox(*box)
        ea, eb = a[self.cache.edge_i[edges]], a[self.cache.edge_j[edges]]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._draw_unit_borders(painter, level, edges[(ea == eb) & visible[ea]], view)
        if self.layers["basemap"] and self._basemap is not None:
            self._draw_basemap(painter, level, None if rect == full else box)
        heavy = edges[(ea != eb) & (visible[ea] | visible[eb])]
        stroke_thick(painter, level.edges_path(heavy), self.style.border_width, self.style.territory_border)
        outline = self.cache.outline_path(level, None if rect == full else box)
        if outline is not None:
            stroke_thick(painter, outline, self.style.border_width, self.style.territory_border)
        if self.layers["accounts"]:
            self._draw_accounts(painter, box)
        painter.setWorldTransform(base)
        if self.layers["unit_labels"]:
            self._draw_unit_labels(painter, view, box)
        if self.layers["territory_labels"]:
            self._draw_territory_labels(painter, view, a, visible, rect)
        painter.restore()

    def _territory_path(self, level: LevelGeometry, t: int, a: np.ndarray) -> QPainterPath:
        if self._paths_level is not level:
            self._paths.clear()
            self._paths_level = level
        path = self._paths.get(t)
        if path is None:
            path = self._paths[t] = level.units_path(np.flatnonzero(a == t))
        return path

    def _fill(self, painter: QPainter, path: QPainterPath, t: int) -> None:
        """The territory ``t`` (-1: unassigned, hatched) filled in its colour (fill_sealed)."""
        if t < 0:
            color = self.style.unassigned
        else:
            color = QColor(self.doc.scenario.territories[t].color)
            color = color if color.isValid() else QColor("#999999")
        fill_sealed(painter, path, color)
        if t < 0:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(self.style.unassigned_hatch, Qt.BrushStyle.BDiagPattern))
            painter.drawPath(path)

    def _draw_fills(self, painter, level, a, units, visible) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if len(units) >= CACHED_FRACTION * max(self.cache.n, 1):
            for t in range(-1, len(visible) - 1):
                if visible[t]:
                    path = self._territory_path(level, t, a)
                    if not path.isEmpty():
                        self._fill(painter, path, t)
            return
        if len(units) == 0:
            return
        ta = a[units]
        order = np.argsort(ta, kind="stable")
        units, ta = units[order], ta[order]
        for group in np.split(units, np.flatnonzero(np.diff(ta)) + 1):
            t = int(a[group[0]])
            if visible[t]:
                self._fill(painter, level.units_path(group), t)

    def _draw_unit_borders(self, painter, level, edges, view) -> None:
        px = self.typical_unit_m * view.scale
        if px < UNIT_BORDER_MIN_PX or len(edges) == 0:
            return
        color = QColor(self.style.unit_border)
        color.setAlphaF(color.alphaF() * min(1.0, 0.35 + (px - UNIT_BORDER_MIN_PX) / 16.0))
        pen = QPen(color)
        pen.setCosmetic(True)
        pen.setWidthF(1.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(level.edges_path(edges))

    def _draw_basemap(self, painter, level, box) -> None:
        lines = self._basemap_lines.get(level.level)
        if lines is None:
            if len(self._basemap_lines) > 6:
                self._basemap_lines.clear()
            lines = self._basemap_lines[level.level] = ChunkedLines(self._basemap, level.tolerance)
        path = lines.path(box)
        pen = QPen(self.style.basemap)
        pen.setCosmetic(True)
        pen.setWidthF(1.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)

    def _account_points(self) -> np.ndarray:
        if self._accounts_xy is None:
            acc = self.doc.project.accounts
            work = self.doc.project.units.working_crs
            if len(acc):
                x, y = transform_points(acc.lon, acc.lat, LONLAT, work)
                self._accounts_xy = np.column_stack([x, y])
            else:
                self._accounts_xy = np.zeros((0, 2))
        return self._accounts_xy

    def _draw_accounts(self, painter, box) -> None:
        xy = self._account_points()
        if len(xy) == 0:
            return
        x0, y0, x1, y1 = box
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        pen = QPen(self.style.account)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setWidthF(ACCOUNT_DOT_PX)
        painter.setPen(pen)
        painter.drawPoints(polygonf(xy[inside]))

    def _draw_unit_labels(self, painter, view, box) -> None:
        if self.typical_unit_m * view.scale < UNIT_LABEL_MIN_PX * 0.6:
            return
        units = self.cache.units_in_bbox(*box)
        widths = (self.cache.bounds[units, 2] - self.cache.bounds[units, 0]) * view.scale
        units, widths = units[widths >= UNIT_LABEL_MIN_PX], widths[widths >= UNIT_LABEL_MIN_PX]
        if len(units) > MAX_UNIT_LABELS:
            keep = np.argsort(-widths)[:MAX_UNIT_LABELS]
            units, widths = units[keep], widths[keep]
        sx, sy = view.to_screen(self.cache.label_xy[units, 0], self.cache.label_xy[units, 1])
        names = self.doc.project.units.names
        painter.setFont(self.unit_font)
        m = self._umetrics
        offset = self._tmetrics.height() * 0.5 if self.layers["territory_labels"] else 0.0
        for u, x, y, w in zip(units.tolist(), sx.tolist(), sy.tolist(), widths.tolist()):
            draw_halo_text(painter, m, elide(m, names[u], w * 0.8), x, y + offset, self.style.unit_label, None)

    def _label_rects(self, view, territories, a, known_only: bool) -> list[QRectF]:
        terrs = self.doc.scenario.territories
        out = []
        for t in territories:
            if not (0 <= t < len(terrs)):
                continue
            anchor = self.labels.known(t) if known_only else self.labels.anchor(t, a)
            if anchor is not None:
                sx, sy = view.to_screen(*anchor)
                out.append(text_rect(self._tmetrics, terrs[t].name, float(sx), float(sy)))
        return out

    def draw_territory_labels(self, painter: QPainter, view: ViewTransform) -> None:
        """The territory names alone (for overlays that cover the map, e.g. a thematic layer)."""
        if not self.layers["territory_labels"]:
            return
        scenario = self.doc.scenario
        visible = np.array([t.id not in self.hidden for t in scenario.territories] + [True], dtype=bool)
        painter.save()
        self._draw_territory_labels(painter, view, scenario.assignment, visible,
                                    QRectF(0.0, 0.0, view.width, view.height))
        painter.restore()

    def _draw_territory_labels(self, painter, view, a, visible, rect) -> None:
        painter.setFont(self.territory_font)
        for t, terr in enumerate(self.doc.scenario.territories):
            if not visible[t]:
                continue
            anchor = self.labels.anchor(t, a)
            if anchor is None:
                continue
            sx, sy = (float(v) for v in view.to_screen(*anchor))
            if text_rect(self._tmetrics, terr.name, sx, sy).intersects(rect):
                draw_halo_text(painter, self._tmetrics, terr.name, sx, sy, self.style.label, self.style.label_halo)

    # ---- overlays ----------------------------------------------------------------------------------
    def draw_units_overlay(self, painter: QPainter, view: ViewTransform, path: QPainterPath,
                           fill: QColor, border: QColor, width: float) -> None:
        """A translucent fill and an outline over a units path (selection, hover)."""
        if path.isEmpty():
            return
        painter.save()
        painter.setWorldTransform(view.qtransform() * painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        stroke_thick(painter, path, width, border)
        painter.restore()
