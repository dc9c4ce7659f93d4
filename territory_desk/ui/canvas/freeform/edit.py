"""The edit tool of freeform territories: drag a vertex (snapping to the other territories and the
units), click an edge to insert a vertex there, Delete or right-click removes the vertex under the
cursor, drag inside the polygon to move it; a press inside another territory's polygon makes it the
active one.

While the mouse is down, ``ShapeSession`` previews the new polygon in the engine (only that polygon
is re-evaluated: a vertex move is incremental, see domain/stats/freeform_engine.py) and tells the model, so the
metrics and territory panels follow; the release turns it into one ReshapeTerritory undo step, Esc
puts the old polygon back.
"""
from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.editing.freeform import ReshapeTerritory
from territory_desk.ui.canvas.freeform.overlay import paint_handles
from territory_desk.ui.canvas.freeform.tools import FreeformTool, Snapper

VERTEX_PX = 8.0
EDGE_PX = 6.0


# ---- rings of a (Multi)Polygon as editable arrays ---------------------------------------------------
def rings_of(geom) -> tuple[list[np.ndarray], list[int]]:
    """Ring vertices (closing point left out) and the polygon part each ring belongs to (the first
    ring of a part is its exterior)."""
    parts = shapely.get_parts(geom)
    rings, owner = shapely.get_rings(parts, return_index=True)
    return [shapely.get_coordinates(r)[:-1].copy() for r in rings], owner.tolist()


def build(rings: list[np.ndarray], owner: list[int]):
    """The (Multi)Polygon of ``rings`` (same order as ``rings_of``)."""
    polys = []
    for part in sorted(set(owner)):
        mine = [r for r, o in zip(rings, owner) if o == part]
        polys.append(shapely.Polygon(mine[0], mine[1:]))
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def vertex_at(rings: list[np.ndarray], index: int) -> tuple[int, int]:
    for r, ring in enumerate(rings):
        if index < len(ring):
            return r, index
        index -= len(ring)
    raise IndexError(index)


class ShapeSession:
    """The live preview of one territory's polygon while the mouse is down (engine only), then one
    ReshapeTerritory on release, or back to the old polygon on cancel."""

    def __init__(self, canvas):
        self.canvas = canvas  # the canvas's model is the document's (read when used)
        self.t = -1
        self.tid = ""
        self.old = None

    @property
    def model(self):
        return self.canvas.model

    @property
    def active(self) -> bool:
        return self.t >= 0

    def begin(self, t: int) -> bool:
        model = self.model
        if model.refuse_read_only():
            return False
        terr = model.doc.scenario.territories[t]
        if terr.locked:
            model.messageRequested.emit(f"territory {terr.name!r} is locked")
            return False
        self.t, self.tid, self.old = t, terr.id, model.doc.scenario.shapes.get(terr.id)
        return True

    def preview(self, geom) -> None:
        doc = self.model.doc
        doc.shape_engine.set_shape(self.t, geom)
        doc.notify(Change(ChangeKind.ASSIGNMENT, territories={self.t}))

    def current(self):
        return self.model.doc.shape_engine.shapes[self.t]

    def commit(self, text: str) -> bool:
        t, new = self.t, self.current() if self.active else None
        if not self.active:
            return False
        if new is self.old:
            self.t = -1
            return False
        try:
            cmd = ReshapeTerritory(self.tid, self.old, new, text)
        except InputError as exc:
            self.cancel()
            self.model.messageRequested.emit(str(exc))
            return False
        self.t = -1
        if not self.model.push(cmd):
            self.t = t
            self.cancel()
            return False
        return True

    def cancel(self) -> None:
        if self.active:
            self.preview(self.old)
            self.t = -1


class EditTool(FreeformTool):
    """Reshape the active territory: drag vertices, insert on edges, delete, move the polygon;
    a press inside another territory's polygon makes it the active one."""

    name = "freeform_edit"
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas, snapper: Snapper):
        super().__init__(canvas, snapper)
        self.session = ShapeSession(canvas)
        self.state = "idle"  # idle | vertex | move
        self.rings: list[np.ndarray] = []
        self.owner: list[int] = []
        self.ring_vertex = (0, 0)
        self.origin = (0.0, 0.0)
        self.hover_vertex = -1

    @property
    def busy(self) -> bool:
        return self.state != "idle"

    def _active_shape(self):
        t = self.model.active_territory
        shapes = self.shapes()
        return (t, shapes[t]) if 0 <= t < len(shapes) else (t, None)

    def hit(self, pos: QPointF):
        """("vertex", index) / ("edge", (ring, after, (x, y))) / ("inside", t) / (None, None)."""
        t, geom = self._active_shape()
        view = self.canvas.view
        if geom is not None:
            rings, _ = rings_of(geom)
            xy = np.concatenate(rings)
            sx, sy = view.to_screen(xy[:, 0], xy[:, 1])
            d = np.hypot(sx - pos.x(), sy - pos.y())
            i = int(np.argmin(d))
            if d[i] <= VERTEX_PX:
                return "vertex", i
            best = None
            for r, ring in enumerate(rings):
                ax, ay = view.to_screen(ring[:, 0], ring[:, 1])
                bx, by = np.roll(ax, -1), np.roll(ay, -1)
                vx, vy = bx - ax, by - ay
                ll = np.maximum(vx * vx + vy * vy, 1e-12)
                u = np.clip(((pos.x() - ax) * vx + (pos.y() - ay) * vy) / ll, 0.0, 1.0)
                dist = np.hypot(ax + u * vx - pos.x(), ay + u * vy - pos.y())
                k = int(np.argmin(dist))
                if dist[k] <= EDGE_PX and (best is None or dist[k] < best[0]):
                    nxt = ring[(k + 1) % len(ring)]
                    w = ring[k] + u[k] * (nxt - ring[k])
                    best = (dist[k], r, k, (float(w[0]), float(w[1])))
            if best is not None:
                return "edge", best[1:]
        x, y = view.point_to_world(pos)
        shapes = self.shapes()
        order = ([t] if geom is not None else []) + [s for s in range(len(shapes)) if s != t]
        for s in order:
            g = shapes[s]
            if g is not None and shapely.contains_xy(g, x, y):
                return "inside", s
        return None, None

    def hover(self, ev):
        if not self.model.doc.scenario.is_freeform:
            return
        kind, what = self.hit(ev.position())
        self.hover_vertex = what if kind == "vertex" else -1
        shape = {"vertex": Qt.CursorShape.SizeAllCursor, "edge": Qt.CursorShape.CrossCursor,
                 "inside": Qt.CursorShape.OpenHandCursor}.get(kind, self.cursor)
        if kind == "inside" and what != self.model.active_territory:
            shape = Qt.CursorShape.PointingHandCursor
        self.canvas.setCursor(shape)
        self.canvas.update()

    def press(self, ev):
        if not self.ready():
            return
        kind, what = self.hit(ev.position())
        t, geom = self._active_shape()
        if kind == "inside" and what != t:
            self.model.set_active_territory(what)
            self.canvas.update()
            return
        if kind is None or geom is None or not self.session.begin(t):
            return
        self.rings, self.owner = rings_of(geom)
        if kind == "vertex":
            self.ring_vertex = vertex_at(self.rings, what)
            self.state = "vertex"
        elif kind == "edge":
            r, k, w = what
            self.rings[r] = np.insert(self.rings[r], k + 1, w, axis=0)
            self.ring_vertex = (r, k + 1)
            self.state = "vertex"
            self.session.preview(build(self.rings, self.owner))
        else:
            self.origin = self.canvas.view.point_to_world(ev.position())
            self.base = [r.copy() for r in self.rings]
            self.state = "move"
            self.canvas.setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, ev):
        if self.state == "vertex":
            r, k = self.ring_vertex
            self.rings[r][k] = self.world(ev.position(), exclude=self.session.t)
            self.session.preview(build(self.rings, self.owner))
        elif self.state == "move":
            x, y = self.canvas.view.point_to_world(ev.position())
            d = np.array([x - self.origin[0], y - self.origin[1]])
            self.rings = [r + d for r in self.base]
            self.session.preview(build(self.rings, self.owner))
        else:
            self.hover(ev)

    def release(self, ev):
        state, self.state = self.state, "idle"
        self.snap_mark = None
        if state == "vertex":
            self.session.commit("Move vertex")
        elif state == "move":
            self.session.commit("Move territory")
        self.canvas.setCursor(self.cursor)

    def delete_vertex(self, index: int) -> bool:
        t, geom = self._active_shape()
        if geom is None or not self.session.begin(t):
            return False
        rings, owner = rings_of(geom)
        r, k = vertex_at(rings, index)
        if len(rings[r]) <= 3:
            self.session.t = -1
            self.model.messageRequested.emit("A polygon keeps at least three corners")
            return False
        rings[r] = np.delete(rings[r], k, axis=0)
        self.session.preview(build(rings, owner))
        self.hover_vertex = -1
        return self.session.commit("Delete vertex")

    def key(self, ev) -> bool:
        if ev.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.state == "idle" and self.hover_vertex >= 0:
            if self.ready():
                self.delete_vertex(self.hover_vertex)
            return True
        return False

    def right_click(self, ev) -> bool:
        if self.state != "idle" or not self.ready():
            return False
        kind, what = self.hit(ev.position())
        if kind == "vertex":
            self.delete_vertex(what)
            return True
        return False

    def cancel(self):
        if self.state != "idle":
            self.session.cancel()
        self.state = "idle"
        self.snap_mark = None

    def paint(self, painter):
        t, geom = self._active_shape()
        if geom is not None and self.model.doc.scenario.is_freeform:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_handles(painter, self.canvas.view, geom, self.hover_vertex)
            painter.restore()
        self.paint_snap(painter)
