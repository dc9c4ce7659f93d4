"""Mouse tools of the map canvas: select (click, shift-click, rubber band, drag a selection into
another territory), lasso, paint and pan.

Edits made while the mouse is down go through the model's two-phase API: ``preview_move`` on
every move (the engine and every panel listening to the model update at once), ``commit_preview``
on release (one undo step), ``cancel_preview`` on Esc. A refused preview (locked territory; the
model reports why) ends the gesture: paint keeps what it painted so far, a selection drag is undone.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QWidget

BAND_PEN = QColor(20, 50, 140, 230)
BAND_FILL = QColor(40, 90, 200, 45)


def _shift(ev: QMouseEvent) -> bool:
    return bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)


class Tool:
    """A mouse tool of one canvas: the MapCanvas (map_canvas.py) that made it or that it was
    registered on (``MapCanvas.register_tool``) forwards its mouse and key events while it is active."""

    name = ""
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas: QWidget):
        self.canvas = canvas

    @property
    def model(self):
        return self.canvas.model

    @property
    def busy(self) -> bool:
        """A gesture is in progress."""
        return False

    def press(self, ev: QMouseEvent) -> None: ...

    def move(self, ev: QMouseEvent) -> None: ...

    def release(self, ev: QMouseEvent) -> None: ...

    def hover(self, ev: QMouseEvent) -> None:
        """The mouse moves with no button down."""

    def double_click(self, ev: QMouseEvent) -> None: ...

    def key(self, ev) -> bool:
        """A key press while this tool is active; True when the tool handled it (Esc is cancel)."""
        return False

    def cancel(self) -> None: ...

    def paint(self, painter: QPainter) -> None: ...


class PanTool(Tool):
    name = "pan"
    cursor = Qt.CursorShape.OpenHandCursor

    def __init__(self, canvas):
        super().__init__(canvas)
        self.last: QPointF | None = None

    @property
    def busy(self) -> bool:
        return self.last is not None

    def press(self, ev):
        self.last = ev.position()
        self.canvas.setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, ev):
        if self.last is not None:
            d = ev.position() - self.last
            self.last = ev.position()
            self.canvas.pan_by(d.x(), d.y())

    def release(self, ev):
        self.cancel()

    def cancel(self):
        self.last = None
        self.canvas.setCursor(self.cursor)


class SelectTool(Tool):
    """Click selects, shift-click toggles, a drag draws a rubber band; pressing on a selected unit
    and dragging moves the selection into the territory under the cursor (live), and out of the
    widget it becomes a drag-and-drop of the unit indices."""

    name = "select"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.state = "idle"  # idle | pressed | band | moving | stopped
        self.origin = QPointF()
        self.current = QPointF()
        self.pressed_unit = -1
        self.moving_to: int | None = None

    @property
    def busy(self) -> bool:
        return self.state != "idle"

    def press(self, ev):
        self.origin = self.current = ev.position()
        self.pressed_unit = self.canvas.unit_at(self.origin)
        self.state = "pressed"
        self.moving_to = None

    def move(self, ev):
        self.current = pos = ev.position()
        if self.state == "pressed":
            if (pos - self.origin).manhattanLength() < QApplication.startDragDistance():
                return
            on_selection = self.pressed_unit >= 0 and self.pressed_unit in self.model.selection
            self.state = "moving" if on_selection and not _shift(ev) else "band"
        if self.state == "band":
            self.canvas.update()
        elif self.state == "moving":
            self._move_selection(pos)

    def _move_selection(self, pos: QPointF) -> None:
        canvas, model = self.canvas, self.model
        if not canvas.rect().contains(pos.toPoint()):
            model.cancel_preview()
            self.state = "stopped"
            canvas.start_external_drag(sorted(model.selection))
            return
        u = canvas.unit_at(pos)
        if u < 0 or u in model.selection:
            return
        target = model.doc.territory_of(u)
        if target == self.moving_to:
            return
        self.moving_to = target
        if not model.preview_move(sorted(model.selection), target):
            model.cancel_preview()
            self.state = "stopped"

    def release(self, ev):
        model, state = self.model, self.state
        self.state = "idle"
        if state == "pressed":
            u = self.pressed_unit
            if _shift(ev):
                if u >= 0:
                    model.set_selection(model.selection ^ {u})
            else:
                model.set_selection([u] if u >= 0 else [])
        elif state == "band":
            x0, y0 = self.canvas.view.point_to_world(self.origin)
            x1, y1 = self.canvas.view.point_to_world(ev.position())
            units = set(self.canvas.cache.units_in_rect(x0, y0, x1, y1).tolist())
            model.set_selection(model.selection | units if _shift(ev) else units)
            self.canvas.update()
        elif state == "moving" and model.previewing:
            name = self.canvas.territory_name(self.moving_to)
            model.commit_preview(f"Move {len(model.selection)} unit(s) to {name}")

    def cancel(self):
        if self.state == "moving":
            self.model.cancel_preview()
        self.state = "idle"
        self.canvas.update()

    def band_rect(self) -> QRectF:
        return QRectF(self.origin, self.current).normalized()

    def paint(self, painter):
        if self.state == "band":
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QPen(BAND_PEN, 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(BAND_FILL)
            painter.drawRect(self.band_rect())


class LassoTool(Tool):
    """Freehand polygon: selects the units whose label point falls inside; shift adds."""

    name = "lasso"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, canvas):
        super().__init__(canvas)
        self.points: list[QPointF] = []

    @property
    def busy(self) -> bool:
        return bool(self.points)

    def press(self, ev):
        self.points = [ev.position()]

    def move(self, ev):
        if self.points and QLineF(self.points[-1], ev.position()).length() >= 2.0:
            self.points.append(ev.position())
            self.canvas.update()

    def release(self, ev):
        if not self.points:
            return
        self.points.append(ev.position())
        xs = np.array([p.x() for p in self.points])
        ys = np.array([p.y() for p in self.points])
        self.points = []
        wx, wy = self.canvas.view.to_world(xs, ys)
        units = set(self.canvas.cache.units_in_polygon(np.column_stack([wx, wy])).tolist())
        model = self.model
        model.set_selection(model.selection | units if _shift(ev) else units)
        self.canvas.update()

    def cancel(self):
        self.points = []
        self.canvas.update()

    def paint(self, painter):
        if len(self.points) > 1:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(BAND_PEN, 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(BAND_FILL)
            painter.drawPolygon(QPolygonF(self.points))


class PaintTool(Tool):
    """Press and drag: every unit the cursor crosses joins the active territory (live edit)."""

    name = "paint"
    cursor = Qt.CursorShape.PointingHandCursor

    def __init__(self, canvas):
        super().__init__(canvas)
        self.state = "idle"  # idle | painting | stopped
        self.last = QPointF()
        self.target = -1
        self.painted: set[int] = set()

    @property
    def busy(self) -> bool:
        return self.state != "idle"

    def press(self, ev):
        model = self.model
        if model.previewing:
            model.cancel_preview()
        self.target = model.active_territory
        self.painted = set()
        self.state = "painting"
        self.last = ev.position()
        self._paint_along(self.last, self.last)

    def move(self, ev):
        if self.state == "painting":
            pos = ev.position()
            self._paint_along(self.last, pos)
            self.last = pos

    def _paint_along(self, a: QPointF, b: QPointF) -> None:
        units = [u for u in self.canvas.units_along(a, b).tolist() if u not in self.painted]
        if not units:
            return
        self.painted.update(units)
        if not self.model.preview_move(units, self.target):
            self.state = "stopped"  # the model said why; keep what was painted before

    def release(self, ev):
        state, self.state = self.state, "idle"
        if state != "idle" and self.model.previewing:
            name = self.canvas.territory_name(self.target)
            self.model.commit_preview(f"Paint {len(self.painted)} unit(s) into {name}")
        self.painted = set()

    def cancel(self):
        if self.state != "idle":
            self.model.cancel_preview()
        self.state = "idle"
        self.painted = set()


BUILTIN_TOOLS = (SelectTool, LassoTool, PaintTool, PanTool)  # every canvas has these; areas register more
