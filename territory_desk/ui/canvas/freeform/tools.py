"""Canvas tools for freeform territories: draw a polygon (click the corners, double-click or Enter
closes, Backspace takes the last corner back, Esc cancels), a rectangle or a circle (press and drag),
and split with a line (click, double-click ends). The edit tool is in edit.py.

Drawn points snap within ``SNAP_PX`` pixels to the vertices, then the edges, of the other freeform
territories and of the base units (``Snapper``; Tools → Snap to vertices and edges switches it off).
A finished drawing goes to the active territory when it has no polygon yet, else to a new territory
(one DrawTerritory undo step); an outline that crosses itself is refused with the reason.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.editing.freeform import DrawTerritory, SplitTerritory
from territory_desk.ui.canvas.qt_buffers import polygonf
from territory_desk.ui.canvas.tools import BAND_FILL, BAND_PEN, Tool

SNAP_PX = 8.0
MAX_SNAP_UNITS = 200
MIN_STEP_PX = 4.0
CIRCLE_SEGMENTS = 16  # per quarter circle
SNAP_COLOR = QColor(230, 90, 0)
NEEDS_FREEFORM = ("The freeform tools draw in a freeform scenario: create one with "
                  "Scenarios → New freeform scenario…")


class Snapper:
    """Snap a screen point to nearby vertices, then edges, of other freeform territories and units."""

    def __init__(self, canvas):
        self.canvas = canvas

    def lines_near(self, x: float, y: float, tol: float, exclude: int, shapes: list) -> list:
        box = shapely.box(x - tol, y - tol, x + tol, y + tol)
        lines = [shapely.boundary(g) for t, g in enumerate(shapes)
                 if t != exclude and g is not None and shapely.intersects(box, shapely.envelope(g))]
        cache = self.canvas.cache
        cand = cache.tree.query(box, predicate="intersects")
        if len(cand) <= MAX_SNAP_UNITS:  # zoomed far out over small units: snapping to them means nothing
            lines.extend(shapely.boundary(cache.geoms[cand]).tolist())
        return lines

    def snap(self, pos: QPointF, exclude: int, shapes: list) -> tuple[float, float, str]:
        view = self.canvas.view
        x, y = view.point_to_world(pos)
        tol = SNAP_PX / view.scale
        lines = self.lines_near(x, y, tol, exclude, shapes)
        if not lines:
            return x, y, ""
        coords = np.concatenate([shapely.get_coordinates(line) for line in lines])
        if len(coords):
            d = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
            i = int(np.argmin(d))
            if d[i] <= tol:
                return float(coords[i, 0]), float(coords[i, 1]), "vertex"
        pt = shapely.Point(x, y)
        arr = np.array(lines, dtype=object)
        dist = shapely.distance(arr, pt)
        j = int(np.argmin(dist))
        if dist[j] <= tol:
            near = shapely.line_interpolate_point(arr[j], shapely.line_locate_point(arr[j], pt))
            return float(shapely.get_x(near)), float(shapely.get_y(near)), "edge"
        return x, y, ""


class FreeformTool(Tool):
    snapping = True  # Tools → Snap to vertices and edges (all freeform tools)
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, canvas):
        super().__init__(canvas)
        self.snapper = Snapper(canvas)
        self.snap_mark: tuple[float, float, str] | None = None

    # ---- helpers ------------------------------------------------------------------------------------
    def ready(self) -> bool:
        model = self.model
        if model.doc.scenario.shapes is None:
            model.messageRequested.emit(NEEDS_FREEFORM)
            return False
        return not model._refuse_read_only()

    def shapes(self) -> list:
        doc = self.model.doc
        if doc.scenario.shapes is None:
            return []
        return list(getattr(doc.engine, "shapes", []))

    def world(self, pos: QPointF, exclude: int = -1) -> tuple[float, float]:
        if FreeformTool.snapping and self.model.doc.scenario.shapes is not None:
            x, y, kind = self.snapper.snap(pos, exclude, self.shapes())
        else:
            (x, y), kind = self.canvas.view.point_to_world(pos), ""
        self.snap_mark = (x, y, kind) if kind else None
        return x, y

    def finish_shape(self, geom) -> bool:
        """Give the drawn polygon to the active territory when it has none yet, else to a new one."""
        model = self.model
        sc = model.doc.scenario
        t = model.active_territory
        target = None
        if 0 <= t < len(sc.territories) and sc.shapes.get(sc.territories[t].id) is None and not sc.territories[t].locked:
            target = sc.territories[t].id
        try:
            cmd = DrawTerritory(geom, target)
        except InputError as exc:
            model.messageRequested.emit(str(exc))
            return False
        if not model.push(cmd):
            return False
        index = sc.territory_index(target) if target else len(sc.territories) - 1
        model.set_active_territory(index)
        model.messageRequested.emit(f"Drew territory {sc.territories[index].name}")
        return True

    def paint_snap(self, painter: QPainter) -> None:
        if self.snap_mark is None:
            return
        sx, sy = self.canvas.view.to_screen(self.snap_mark[0], self.snap_mark[1])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(SNAP_COLOR, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = 6.0 if self.snap_mark[2] == "vertex" else 4.0
        painter.drawEllipse(QPointF(float(sx), float(sy)), r, r)

    def screen(self, xy) -> QPointF:
        sx, sy = self.canvas.view.to_screen(xy[0], xy[1])
        return QPointF(float(sx), float(sy))


class _ClickPointsTool(FreeformTool):
    """Click points; a double-click (or Enter) finishes, Backspace takes the last point back, Esc
    drops them. A real double-click is press, release, double-click, release: the second release
    is swallowed and a repeated point is ignored."""

    snap_points = True

    def __init__(self, canvas):
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []
        self.cursor_pos: QPointF | None = None
        self._swallow = False

    @property
    def busy(self) -> bool:
        return bool(self.points)

    def press(self, ev):
        self._swallow = False

    def release(self, ev):
        if self._swallow:
            self._swallow = False
        elif self.ready():
            self._add(ev.position())
            self.canvas.update()

    def hover(self, ev):
        self.cursor_pos = ev.position()
        if self.snap_points and (self.points or FreeformTool.snapping):
            self.world(ev.position())
        self.canvas.update()

    move = hover

    def double_click(self, ev):
        self._swallow = True  # the release that follows belongs to the double-click
        if self.ready():
            self._add(ev.position())
            self._finish()

    def _add(self, pos: QPointF) -> None:
        if self.points:
            last = self.screen(self.points[-1])
            if math.hypot(last.x() - pos.x(), last.y() - pos.y()) < MIN_STEP_PX:
                return
        self.points.append(self.world(pos) if self.snap_points else self.canvas.view.point_to_world(pos))

    def key(self, ev) -> bool:
        if ev.key() == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            return True
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.points:
            self._finish()
            return True
        return False

    def _finish(self) -> None:
        pts, self.points = self.points, []
        self.finish(pts)

    def finish(self, pts: list) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def cancel(self):
        self.points = []
        self.snap_mark = None

    def _screen_points(self) -> np.ndarray:
        pts = [self.screen(p) for p in self.points]
        if self.cursor_pos is not None:
            pts.append(self.cursor_pos)
        return np.array([[p.x(), p.y()] for p in pts])


class DrawPolygonTool(_ClickPointsTool):
    name = "freeform_polygon"

    def finish(self, pts: list) -> None:
        if len(pts) < 3:
            if pts:
                self.model.messageRequested.emit("A polygon needs at least three corners")
            return
        self.finish_shape(shapely.Polygon(pts))

    def paint(self, painter):
        if self.points:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            xy = self._screen_points()
            painter.setPen(QPen(BAND_PEN, 1.5))
            painter.setBrush(BAND_FILL)
            painter.drawPolygon(polygonf(xy))
            pen = QPen(BAND_PEN, 6.0)
            pen.setCapStyle(Qt.PenCapStyle.SquareCap)
            painter.setPen(pen)
            painter.drawPoints(polygonf(xy[:len(self.points)]))
        self.paint_snap(painter)


class _DragShapeTool(FreeformTool):
    """Press, drag, release: a shape from the press point to the release point."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None
        self.origin = QPointF()

    @property
    def busy(self) -> bool:
        return self.start is not None

    def press(self, ev):
        if not self.ready():
            return
        self.origin = ev.position()
        self.start = self.end = self.world(ev.position())

    def move(self, ev):
        if self.start is not None:
            self.end = self.world(ev.position())
            self.canvas.update()

    def hover(self, ev):
        if FreeformTool.snapping and self.model.doc.scenario.shapes is not None:
            self.world(ev.position())
            self.canvas.update()

    def release(self, ev):
        if self.start is None:
            return
        self.end = self.world(ev.position())
        start, end = self.start, self.end
        self.start = self.end = None
        d = ev.position() - self.origin
        if abs(d.x()) < MIN_STEP_PX and abs(d.y()) < MIN_STEP_PX:
            self.model.messageRequested.emit("Press and drag to draw the shape")
            return
        self.finish_shape(self.shape(start, end))

    def cancel(self):
        self.start = self.end = None

    def shape(self, a, b):  # pragma: no cover - subclasses
        raise NotImplementedError

    def paint(self, painter):
        if self.start is not None and self.end is not None:
            g = self.shape(self.start, self.end)
            if not g.is_empty:
                xy = shapely.get_coordinates(g)
                sx, sy = self.canvas.view.to_screen(xy[:, 0], xy[:, 1])
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                painter.setPen(QPen(BAND_PEN, 1.5))
                painter.setBrush(BAND_FILL)
                painter.drawPolygon(polygonf(np.column_stack([sx, sy])))
        self.paint_snap(painter)


class DrawRectangleTool(_DragShapeTool):
    name = "freeform_rectangle"

    def shape(self, a, b):
        return shapely.box(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


class DrawCircleTool(_DragShapeTool):
    name = "freeform_circle"

    def shape(self, a, b):
        r = math.hypot(b[0] - a[0], b[1] - a[1])
        return shapely.Point(a).buffer(r, quad_segs=CIRCLE_SEGMENTS) if r > 0 else shapely.Polygon()


class SplitTool(_ClickPointsTool):
    """Click the points of a line across a territory; a double-click (or Enter) splits it."""

    name = "freeform_split"
    snap_points = False

    def finish(self, pts: list) -> None:
        if len(pts) < 2:
            return
        line = shapely.LineString(pts)
        model = self.model
        shapes = self.shapes()
        t = model.active_territory
        order = ([t] if 0 <= t < len(shapes) else []) + list(range(len(shapes)))
        target = next((s for s in order if shapes[s] is not None and shapely.intersects(shapes[s], line)), None)
        if target is None:
            model.messageRequested.emit("Draw the line across a territory to split it")
            return
        model.push(SplitTerritory(model.doc.scenario.territories[target].id, line))

    def paint(self, painter):
        if self.points:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(QColor(200, 20, 20), 2.0, Qt.PenStyle.DashLine))
            painter.drawPolyline(polygonf(self._screen_points()))




def freeform_tools() -> tuple:
    """Every freeform tool class (the edit tool lives in edit.py)."""
    from territory_desk.ui.canvas.freeform.edit import EditTool

    return (DrawPolygonTool, DrawRectangleTool, DrawCircleTool, EditTool, SplitTool)
