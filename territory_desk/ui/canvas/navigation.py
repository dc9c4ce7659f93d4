"""Moving around the map: zoom to extent/units/territory, wheel zoom around the cursor, pixel pans
that re-render only the uncovered strips, and the keyboard (arrows, +/-, Home, Esc, tool keys).

A mixin of MapCanvas (map_canvas.py), which owns the view, the layer image and the tools."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from territory_desk.ui.canvas.view_transform import ViewTransform


class CanvasNavigation:
    def zoom_full(self) -> None:
        self._set_view(ViewTransform.fitted(self.cache.total_bounds, self.width(), self.height()))
        self._auto_fit = True

    def zoom_to_units(self, indices) -> None:
        box = self.cache.units_bbox(indices)
        if box is not None:
            self._set_view(ViewTransform.fitted(box, self.width(), self.height(), margin=0.12))

    def zoom_to_territory(self, index: int) -> None:
        sc = self.model.doc.scenario
        if sc.is_freeform:  # a drawn territory: its polygon (in the working CRS, like the view)
            shape = sc.shapes.get(sc.territories[index].id) if 0 <= index < len(sc.territories) else None
            if shape is not None and not shape.is_empty:
                self._set_view(ViewTransform.fitted(tuple(map(float, shape.bounds)), self.width(), self.height(),
                                                    margin=0.12))
            return
        self.zoom_to_units(np.flatnonzero(sc.assignment == index))

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom around a screen point (default: the centre); renders once zooming pauses."""
        self._view = self.view.zoomed(factor, at)
        self._auto_fit = False
        self._settle.start()
        self.update()
        self.viewChanged.emit()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the map content by (dx, dy) pixels, re-rendering only the uncovered strips."""
        dx, dy = round(dx), round(dy)
        if dx == 0 and dy == 0:
            return
        old = self.view
        self._view = new = old.panned(dx, dy)
        self._auto_fit = False
        layer = self._layer
        if layer.matches(old) and abs(dx) < old.width and abs(dy) < old.height:
            self._sync_hidden()
            if not layer.flush():
                layer.render(old, layer.level, self._dpr())
            layer.shift(dx, dy, new)
        self.update()
        self.viewChanged.emit()

    def wheelEvent(self, ev) -> None:
        steps = ev.angleDelta().y() / 120.0 or ev.pixelDelta().y() / 50.0
        if steps:
            self.zoom_by(1.25**steps, ev.position())
        ev.accept()

    def keyPressEvent(self, ev) -> None:
        key = ev.key()
        step_x, step_y = self.width() / 8.0, self.height() / 8.0
        pans = {Qt.Key.Key_Left: (step_x, 0), Qt.Key.Key_Right: (-step_x, 0),
                Qt.Key.Key_Up: (0, step_y), Qt.Key.Key_Down: (0, -step_y)}
        if key in pans:
            self.pan_by(*pans[key])
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_Home:
            self.zoom_full()
        elif self._tool.key(ev):
            self.update()
        elif key == Qt.Key.Key_Escape:
            self._tool.cancel()
            self.update()
        else:
            super().keyPressEvent(ev)
