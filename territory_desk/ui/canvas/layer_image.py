"""The rendered layer kept between paints: a QImage (ARGB32_Premultiplied, device-pixel-ratio
aware) with the view and geometry level it was rendered for.

Edits re-render dirty rectangles into it, panning shifts it and renders the uncovered strips, and
while the view is zooming it is drawn scaled until the canvas renders it again.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter

from territory_desk.ui.canvas.geometry_cache import LevelGeometry
from territory_desk.ui.canvas.layer_renderer import LayerRenderer
from territory_desk.ui.canvas.view_transform import ViewTransform

FULL_RENDER_SHARE = 0.6  # dirty area above this share of the image: render everything instead


class LayerImage:
    def __init__(self, renderer: LayerRenderer):
        self.renderer = renderer
        self.image: QImage | None = None
        self.view: ViewTransform | None = None
        self.level: LevelGeometry | None = None
        self.dirty: list[QRectF] = []

    def matches(self, view: ViewTransform) -> bool:
        return self.image is not None and self.view == view

    def clear(self) -> None:
        self.image = None
        self.dirty.clear()

    def render(self, view: ViewTransform, level: LevelGeometry, dpr: float) -> None:
        """Render everything for ``view``."""
        image = QImage(max(1, round(view.width * dpr)), max(1, round(view.height * dpr)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        painter = QPainter(image)
        self.renderer.render(painter, view, level)
        painter.end()
        self.image, self.view, self.level = image, view, level
        self.dirty.clear()

    def flush(self) -> bool:
        """Render the pending dirty rectangles; False when they are too many (render it all)."""
        if not self.dirty or self.image is None:
            return True
        rects, self.dirty = self.dirty, []
        full = QRectF(0, 0, self.view.width, self.view.height)
        area = 0.0
        for r in rects:
            part = r.intersected(full)
            area += part.width() * part.height()
        if area > FULL_RENDER_SHARE * full.width() * full.height():
            return False
        painter = QPainter(self.image)
        for r in rects:
            self.renderer.render(painter, self.view, self.level, QRectF(r.toAlignedRect()))
        painter.end()
        return True

    def shift(self, dx: int, dy: int, view: ViewTransform) -> None:
        """Move the content by whole pixels and render the uncovered strips for ``view``."""
        old = self.image
        image = QImage(old.size(), old.format())
        image.setDevicePixelRatio(old.devicePixelRatio())
        painter = QPainter(image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(QPointF(dx, dy), old)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        w, h = view.width, view.height
        strips = []
        if dx:
            strips.append(QRectF(0, 0, dx + 1, h) if dx > 0 else QRectF(w + dx - 1, 0, 1 - dx, h))
        if dy:
            strips.append(QRectF(0, 0, w, dy + 1) if dy > 0 else QRectF(0, h + dy - 1, w, 1 - dy))
        for strip in strips:
            self.renderer.render(painter, view, self.level, strip)
        painter.end()
        self.image, self.view = image, view

    def draw(self, painter: QPainter, view: ViewTransform) -> None:
        """Blit the image; scaled and moved when ``view`` differs (zooming)."""
        if self.view == view:
            painter.drawImage(QPointF(0, 0), self.image)
            return
        painter.fillRect(QRectF(0, 0, view.width, view.height), self.renderer.style.background)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setTransform(view.relative_to(self.view), True)
        painter.drawImage(QPointF(0, 0), self.image)
        painter.restore()
