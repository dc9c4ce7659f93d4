"""The map view: which part of the working CRS is shown, at what scale, in a widget of what size.

Screen coordinates are the widget's logical pixels (y down); world coordinates are metres of the
working CRS (y up). The transform is a uniform scale plus translation, so it is a QTransform and
also a couple of numpy expressions.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QTransform

MIN_SCALE = 1e-7  # pixels per metre: the whole Earth in a few pixels
MAX_SCALE = 2.0  # half a metre per pixel


@dataclass(frozen=True)
class ViewTransform:
    cx: float  # world coordinates of the widget centre
    cy: float
    scale: float  # pixels per metre
    width: float  # widget size in logical pixels
    height: float

    @classmethod
    def fitted(cls, bounds, width: float, height: float, margin: float = 0.04) -> "ViewTransform":
        """A view showing ``bounds`` (x0, y0, x1, y1) whole, with a margin (fraction of the size)."""
        x0, y0, x1, y1 = bounds
        w = max(float(width), 1.0)
        h = max(float(height), 1.0)
        span_x = max(x1 - x0, 1e-6)
        span_y = max(y1 - y0, 1e-6)
        scale = min(w * (1 - 2 * margin) / span_x, h * (1 - 2 * margin) / span_y)
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        return cls((x0 + x1) / 2.0, (y0 + y1) / 2.0, scale, w, h)

    # ---- derived ---------------------------------------------------------------------------------
    @property
    def metres_per_pixel(self) -> float:
        return 1.0 / self.scale

    def qtransform(self) -> QTransform:
        """World -> screen."""
        s = self.scale
        return QTransform(s, 0.0, 0.0, -s, self.width / 2.0 - self.cx * s, self.height / 2.0 + self.cy * s)

    def to_screen(self, x, y):
        sx = (np.asarray(x, dtype=float) - self.cx) * self.scale + self.width / 2.0
        sy = (self.cy - np.asarray(y, dtype=float)) * self.scale + self.height / 2.0
        return sx, sy

    def to_world(self, sx, sy):
        x = (np.asarray(sx, dtype=float) - self.width / 2.0) / self.scale + self.cx
        y = self.cy - (np.asarray(sy, dtype=float) - self.height / 2.0) / self.scale
        return x, y

    def point_to_world(self, pos: QPointF) -> tuple[float, float]:
        x, y = self.to_world(pos.x(), pos.y())
        return float(x), float(y)

    def world_bounds(self, rect: QRectF | None = None) -> tuple[float, float, float, float]:
        """World box (x0, y0, x1, y1) of a screen rectangle (default: the whole widget)."""
        rect = rect if rect is not None else QRectF(0.0, 0.0, self.width, self.height)
        x0, y1 = self.to_world(rect.left(), rect.top())
        x1, y0 = self.to_world(rect.right(), rect.bottom())
        return float(x0), float(y0), float(x1), float(y1)

    def screen_rect(self, bounds) -> QRectF:
        """Screen rectangle of a world box (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = bounds
        sx0, sy0 = self.to_screen(x0, y1)
        sx1, sy1 = self.to_screen(x1, y0)
        return QRectF(float(sx0), float(sy0), float(sx1 - sx0), float(sy1 - sy0))

    def relative_to(self, other: "ViewTransform") -> QTransform:
        """Maps screen coordinates of ``other`` onto screen coordinates of this view."""
        inverse, _ = other.qtransform().inverted()
        return inverse * self.qtransform()

    # ---- changes ---------------------------------------------------------------------------------
    def resized(self, width: float, height: float) -> "ViewTransform":
        return replace(self, width=max(float(width), 1.0), height=max(float(height), 1.0))

    def panned(self, dx: float, dy: float) -> "ViewTransform":
        """Move the map content by (dx, dy) screen pixels."""
        return replace(self, cx=self.cx - dx / self.scale, cy=self.cy + dy / self.scale)

    def zoomed(self, factor: float, at: QPointF | None = None) -> "ViewTransform":
        """Zoom by ``factor`` keeping the world point under screen point ``at`` fixed."""
        scale = min(max(self.scale * factor, MIN_SCALE), MAX_SCALE)
        if at is None:
            return replace(self, scale=scale)
        wx, wy = self.point_to_world(at)
        cx = wx - (at.x() - self.width / 2.0) / scale
        cy = wy + (at.y() - self.height / 2.0) / scale
        return replace(self, cx=cx, cy=cy, scale=scale)
