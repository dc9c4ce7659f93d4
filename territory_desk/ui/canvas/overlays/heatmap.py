"""The account density heat map: a kernel density of the account points (optionally weighted by an
account column), drawn as a semi-transparent colour-ramped image over the map.

The density is a 2-D histogram of the points in the working CRS (numpy ``histogram2d``) smoothed
with a Gaussian kernel (``scipy.ndimage.gaussian_filter``) whose bandwidth is fixed in metres (1/120
of the layer's extent), so the picture keeps its shape while zooming; values are densities per
square metre scaled by the densest cell of the whole extent (so colours do not shift when panning)
and coloured by their square root (so sparse areas still show next to dense cities).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QLinearGradient, QPainter

from territory_desk.domain.model.projection import LONLAT, transform_points
from territory_desk.ui.canvas.labels import draw_legend_box
from territory_desk.ui.canvas.view_transform import ViewTransform

MAX_CELLS = 700  # grid cells along the longer side of the view
ALPHA = 0.78
# transparent -> yellow -> orange -> red -> dark red, by density share
STOPS = np.array([0.0, 0.08, 0.3, 0.6, 1.0])
RGBA = np.array([[255, 255, 178, 0], [254, 217, 118, 150], [253, 141, 60, 195], [240, 59, 32, 225],
                 [150, 0, 38, 240]], dtype=np.float64)


class HeatmapLayer:
    def __init__(self, project, weight_field: str | None = None):
        acc = project.accounts
        x, y = transform_points(acc.lon, acc.lat, LONLAT, project.units.working_crs)
        ok = np.isfinite(x) & np.isfinite(y)
        self.weights = None
        if weight_field:
            w = np.nan_to_num(acc.numeric[weight_field], nan=0.0)
            ok &= w > 0
            self.weights = w[ok]
        self.x, self.y = np.asarray(x)[ok], np.asarray(y)[ok]
        self.weight_field = weight_field
        if len(self.x):
            x0, x1, y0, y1 = self.x.min(), self.x.max(), self.y.min(), self.y.max()
            self.extent = (float(x0), float(y0), float(x1), float(y1))
        else:
            self.extent = (0.0, 0.0, 1.0, 1.0)
        span = max(self.extent[2] - self.extent[0], self.extent[3] - self.extent[1], 1.0)
        self.bandwidth = span / 120.0
        full = self.density(self.extent, span / 400.0)[0]
        self.peak = float(full.max()) if full.size else 0.0

    @property
    def count(self) -> int:
        return len(self.x)

    def density(self, box, cell: float) -> tuple[np.ndarray, tuple]:
        """(density per m² on a grid over ``box`` (x0, y0, x1, y1) with ``cell``-metre cells, the
        grid's world box). Rows go north to south."""
        from scipy.ndimage import gaussian_filter  # ~0.1 s to import: on the first heat map, not at start-up

        x0, y0, x1, y1 = box
        pad = 3.0 * self.bandwidth
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        nx = max(2, int(np.ceil((x1 - x0) / cell)))
        ny = max(2, int(np.ceil((y1 - y0) / cell)))
        x1, y1 = x0 + nx * cell, y0 + ny * cell
        inside = (self.x >= x0) & (self.x < x1) & (self.y >= y0) & (self.y < y1)
        w = self.weights[inside] if self.weights is not None else None
        hist, _, _ = np.histogram2d(self.y[inside], self.x[inside], bins=[ny, nx], range=[[y0, y1], [x0, x1]], weights=w)
        smooth = gaussian_filter(hist, sigma=self.bandwidth / cell, mode="constant") / (cell * cell)
        return smooth[::-1], (x0, y0, x1, y1)

    def image(self, view: ViewTransform, dpr: float = 1.0) -> tuple[QImage, QRectF]:
        """The coloured density for a view, and where to draw it (screen rectangle)."""
        box = view.world_bounds()
        span = max(box[2] - box[0], box[3] - box[1])
        cell = max(span / MAX_CELLS, self.bandwidth / 6.0)
        grid, gbox = self.density(box, cell)
        # square root: the sparse countryside stays visible next to the dense cities
        share = np.sqrt(np.clip(grid / self.peak, 0.0, 1.0)) if self.peak > 0 else np.zeros_like(grid)
        rgba = np.empty(share.shape + (4,), dtype=np.float64)
        for c in range(4):
            rgba[..., c] = np.interp(share, STOPS, RGBA[:, c])
        rgba[..., 3] *= ALPHA
        a = rgba[..., 3:4] / 255.0
        bgra = np.empty(share.shape + (4,), dtype=np.uint8)  # premultiplied, little-endian BGRA
        bgra[..., 0] = np.round(rgba[..., 2] * a[..., 0])
        bgra[..., 1] = np.round(rgba[..., 1] * a[..., 0])
        bgra[..., 2] = np.round(rgba[..., 0] * a[..., 0])
        bgra[..., 3] = np.round(rgba[..., 3])
        bgra = np.ascontiguousarray(bgra)
        h, w = share.shape
        image = QImage(bgra.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied).copy()
        return image, view.screen_rect(gbox)

    def draw(self, painter: QPainter, view: ViewTransform) -> None:
        if self.count == 0:
            return
        image, rect = self.image(view)
        painter.save()
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        painter.drawImage(rect, image)
        painter.restore()

    def draw_legend(self, painter: QPainter, corner: QPointF, scale: float = 1.0) -> QRectF:
        """A small ramp from "few" to "many" accounts; ``corner`` is its bottom-right point."""
        font = QFont(painter.font())
        font.setPointSizeF(8.0 * scale)
        fm = QFontMetricsF(font)
        what = f"Account density{' by ' + self.weight_field if self.weight_field else ''}"
        w = max(150.0 * scale, fm.horizontalAdvance(what) + 12 * scale)
        h = fm.height() * 2 + 22 * scale
        box = QRectF(corner.x() - w, corner.y() - h, w, h)
        painter.save()
        draw_legend_box(painter, box, scale)
        painter.setFont(font)
        painter.drawText(QRectF(box.left() + 6 * scale, box.top() + 3 * scale, w, fm.height()), Qt.AlignLeft, what)
        bar = QRectF(box.left() + 6 * scale, box.top() + fm.height() + 6 * scale, w - 12 * scale, 10 * scale)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        for s, (r, g, b, al) in zip(STOPS, RGBA):
            grad.setColorAt(float(s), QColor(int(r), int(g), int(b), max(int(al * ALPHA), 20)))
        painter.setBrush(QBrush(grad))
        painter.drawRect(bar)
        painter.drawText(QRectF(bar.left(), bar.bottom() + 1, bar.width(), fm.height()), Qt.AlignLeft, "few")
        painter.drawText(QRectF(bar.left(), bar.bottom() + 1, bar.width(), fm.height()), Qt.AlignRight, "many")
        painter.restore()
        return box


class HeatmapOverlay:
    """Canvas overlay (``canvas.add_overlay``): the heat map image is recomputed when the view changes."""

    def __init__(self, canvas, layer: HeatmapLayer):
        self.canvas, self.layer = canvas, layer
        self._key = None
        self._image: tuple[QImage, QRectF] | None = None

    def export_options(self) -> dict:
        return {"heatmap": True}

    def paint(self, painter: QPainter, view: ViewTransform) -> None:
        if self.layer.count:
            if self._key != view:
                self._image, self._key = self.layer.image(view), view
            image, rect = self._image
            painter.save()
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.drawImage(rect, image)
            painter.restore()
        self.layer.draw_legend(painter, QPointF(view.width - 10.0, view.height - 10.0))
