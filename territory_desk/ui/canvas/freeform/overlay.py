"""Freeform territories on the map: each drawn polygon filled in its territory colour (translucent,
so the units and basemap show through) with a dark outline and its name; the parts where polygons
overlap hatched in red; the vertices of the territory being edited as handles.

``paint_freeform`` is also what map exports (PNG/SVG/PDF, deck pictures) draw with. Paths are built
in world coordinates once per geometry (numpy -> QPainterPath, see qt_buffers) and mapped to the
screen on paint; overlaps are recomputed only when a polygon changed.
"""
from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from territory_desk.ui.canvas.labels import draw_halo_text, territory_font
from territory_desk.ui.canvas.qt_buffers import path_from_coords, polygonf

FILL_ALPHA = 120
OUTLINE = QColor(30, 30, 30, 235)
OVERLAP = QColor(200, 20, 20, 220)
HANDLE = QColor(20, 60, 170)
HANDLE_HOVER = QColor(230, 90, 0)
LABEL = QColor("#101010")
HALO = QColor(255, 255, 255, 235)


def world_path(geom) -> QPainterPath:
    """All rings of a (Multi)Polygon as one odd-even path (holes stay holes), world coordinates."""
    if geom is None or shapely.is_empty(geom):
        return QPainterPath()
    rings = shapely.get_rings(shapely.get_parts(geom))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    starts = np.ones(len(coords), dtype=bool)
    starts[1:] = ring[1:] != ring[:-1]
    return path_from_coords(coords, starts, winding=False)


def overlap_parts(shapes: list) -> list:
    """The polygons where two drawn territories overlap."""
    out = []
    have = [(i, g) for i, g in enumerate(shapes) if g is not None]
    boxes = {i: shapely.bounds(g) for i, g in have}
    for k, (a, ga) in enumerate(have):
        for b, gb in have[k + 1:]:
            ba, bb = boxes[a], boxes[b]
            if ba[0] > bb[2] or bb[0] > ba[2] or ba[1] > bb[3] or bb[1] > ba[3]:
                continue
            try:
                inter = shapely.intersection(shapely.make_valid(ga), shapely.make_valid(gb))
            except shapely.errors.ShapelyError:
                continue
            parts = shapely.get_parts(inter)
            parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
            if len(parts):
                out.append(shapely.union_all(parts))
    return out


def shapes_bbox(scenario, territories) -> tuple[float, float, float, float] | None:
    """World box of the drawn polygons of some territories (None when none is drawn)."""
    sh = scenario.shapes or {}
    geoms = [sh.get(scenario.territories[int(t)].id) for t in territories]
    geoms = [g for g in geoms if g is not None]
    if not geoms:
        return None
    return tuple(float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))


class ShapePaths:
    """World paths, label points and overlaps, rebuilt only for geometries that changed."""

    def __init__(self) -> None:
        self._paths: dict[int, tuple[object, QPainterPath, tuple[float, float] | None]] = {}
        self._overlaps_of: list = []  # the geometries the overlaps were computed from (held, compared by identity)
        self._overlaps: list[QPainterPath] = []

    def path(self, t: int, geom) -> tuple[QPainterPath, tuple[float, float] | None]:
        hit = self._paths.get(t)
        if hit is not None and hit[0] is geom:
            return hit[1], hit[2]
        label = None
        if geom is not None and not shapely.is_empty(geom):
            parts = shapely.get_parts(geom)
            biggest = parts[int(np.argmax(shapely.area(parts)))]
            p = shapely.point_on_surface(biggest)
            label = (float(shapely.get_x(p)), float(shapely.get_y(p)))
        entry = (geom, world_path(geom), label)
        self._paths[t] = entry
        return entry[1], entry[2]

    def overlaps(self, shapes: list) -> list[QPainterPath]:
        # geometries are immutable and an edit makes new ones; holding them keeps the identity test sound
        same = len(shapes) == len(self._overlaps_of) and all(a is b for a, b in zip(shapes, self._overlaps_of))
        if not same:
            self._overlaps_of = list(shapes)
            self._overlaps = [world_path(g) for g in overlap_parts(shapes)]
        return self._overlaps


def paint_freeform(painter: QPainter, view, territories, shapes: list, paths: ShapePaths | None = None,
                   hidden: set[str] = frozenset(), active: int = -1, handles: bool = False,
                   hover_vertex: int = -1, labels: bool = True) -> None:
    """Draw the polygons ``shapes`` (one per territory, world coordinates; None = no shape)."""
    paths = paths or ShapePaths()
    to_screen = view.qtransform()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    screen: list[tuple[int, QPainterPath]] = []
    for t, (terr, geom) in enumerate(zip(territories, shapes)):
        if geom is None or terr.id in hidden:
            continue
        world, _ = paths.path(t, geom)
        sp = to_screen.map(world)
        screen.append((t, sp))
        fill = QColor(terr.color)
        fill = fill if fill.isValid() else QColor("#888888")
        fill.setAlpha(FILL_ALPHA)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawPath(sp)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    visible = [g if g is not None and territories[t].id not in hidden else None for t, g in enumerate(shapes)]
    for op in paths.overlaps(visible):
        sp = to_screen.map(op)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(OVERLAP, Qt.BrushStyle.BDiagPattern))
        painter.drawPath(sp)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(OVERLAP, 1.2, Qt.PenStyle.DashLine))
        painter.drawPath(sp)
    for t, sp in screen:
        painter.setPen(QPen(OUTLINE, 2.6 if t == active else 1.6))
        painter.drawPath(sp)
    if labels:
        font = territory_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        for t, _ in screen:
            _, anchor = paths.path(t, shapes[t])
            if anchor is not None:
                sx, sy = (float(v) for v in view.to_screen(*anchor))
                draw_halo_text(painter, metrics, territories[t].name, sx, sy, LABEL, HALO)
    if handles and 0 <= active < len(shapes) and shapes[active] is not None:
        paint_handles(painter, view, shapes[active], hover_vertex)
    painter.restore()


def vertex_xy(geom) -> np.ndarray:
    """The vertices of every ring, closing points left out, in ring order."""
    rings = shapely.get_rings(shapely.get_parts(geom))
    out = [shapely.get_coordinates(r)[:-1] for r in rings]
    return np.concatenate(out) if out else np.zeros((0, 2))


def paint_handles(painter: QPainter, view, geom, hover: int = -1) -> None:
    xy = vertex_xy(geom)
    if len(xy) == 0:
        return
    sx, sy = view.to_screen(xy[:, 0], xy[:, 1])
    pts = polygonf(np.column_stack([sx, sy]))
    pen = QPen(HANDLE, 7.0)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    painter.setPen(pen)
    painter.drawPoints(pts)
    pen = QPen(QColor("white"), 4.0)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    painter.setPen(pen)
    painter.drawPoints(pts)
    if 0 <= hover < len(xy):
        pen = QPen(HANDLE_HOVER, 10.0)
        pen.setCapStyle(Qt.PenCapStyle.SquareCap)
        painter.setPen(pen)
        painter.drawPoint(QPointF(float(sx[hover]), float(sy[hover])))


class FreeformOverlay:
    """The canvas overlay (``canvas.add_overlay``) for the open document's freeform scenario."""

    def __init__(self, model, canvas) -> None:
        self.model, self.canvas = model, canvas
        self.paths = ShapePaths()
        self.handles = False  # the edit tool shows the active territory's vertices
        self.hover_vertex = -1

    def export_options(self) -> dict:
        return {}  # exports draw a freeform scenario's polygons from the scenario itself

    def shapes(self) -> list:
        """The live polygons (what the engine holds, previews included), one per territory."""
        doc = self.model.doc
        engine = doc.engine
        if hasattr(engine, "shapes") and engine.n_territories == len(doc.scenario.territories):
            return list(engine.shapes)
        sh = doc.scenario.shapes or {}
        return [sh.get(t.id) for t in doc.scenario.territories]

    def paint(self, painter: QPainter, view) -> None:
        doc = self.model.doc
        if not doc.scenario.is_freeform:
            return
        paint_freeform(painter, view, doc.scenario.territories, self.shapes(), self.paths,
                       set(self.model.hidden_territories), self.model.active_territory, self.handles,
                       self.hover_vertex, self.canvas.layer_visible("territory_labels"))
