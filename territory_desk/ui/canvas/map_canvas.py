"""MapCanvas: the territory map widget.

The rendered layer lives in a QImage (ARGB32_Premultiplied, device-pixel-ratio aware) together
with the view it was rendered for. paintEvent blits it and draws the cheap overlays (selection,
hover, rubber band, lasso). Edits re-render only the dirty rectangles (the changed units' boxes and
the labels that moved) into the image; panning shifts the image and renders the exposed strips;
wheel zooming shows a scaled copy of the image and renders properly once the wheel rests (80 ms).
Simplified geometry for a new zoom level is built on a worker thread; until it is ready the nearest
ready level is drawn.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from pyproj import Transformer
from PySide6.QtCore import QByteArray, QEvent, QMimeData, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QDrag, QImage, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from territory_desk.domain.model.projection import LONLAT
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.canvas.geometry_cache import GeometryCache
from territory_desk.ui.canvas.layer_image import LayerImage
from territory_desk.ui.canvas.layer_renderer import LAYERS, LayerRenderer
from territory_desk.ui.canvas.navigation import CanvasNavigation
from territory_desk.ui.canvas.tools import BUILTIN_TOOLS, Tool
from territory_desk.ui.canvas.view_transform import ViewTransform

UNITS_MIME = "application/x-territory-desk-units"  # text "1,2,3": unit indices dragged out of the canvas
ZOOM_SETTLE_MS = 80


class MapCanvas(CanvasNavigation, QWidget):
    hoverUnitChanged = Signal(int)  # unit index under the cursor, -1 for none
    cursorMoved = Signal(float, float)  # longitude, latitude under the cursor
    viewChanged = Signal()
    toolChanged = Signal(str)

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(160, 120)
        self.model: DocModel | None = None
        self._view: ViewTransform | None = None
        self._layer: LayerImage | None = None
        self._pan_last: QPointF | None = None
        self._auto_fit = True  # fit the whole layer on resize until the user moves the view
        self.hover_unit = -1
        self._hover_path = None
        self._selection_path = None
        self._settle = QTimer(self, singleShot=True, interval=ZOOM_SETTLE_MS, timeout=self._settled)
        self._poll = QTimer(self, interval=60, timeout=self._poll_geometry)
        # this canvas's own tools: the built-in ones, then those areas register (register_tool)
        self._tools: dict[str, Tool] = {cls.name: cls(self) for cls in BUILTIN_TOOLS}
        self._tool = self._tools["select"]
        # extra layers drawn over the territory image: objects with paint(painter, view) (e.g. thematic
        # maps, scenario differences, pinned accounts, freeform territories); see add_overlay
        self.overlays: list = []
        self.set_model(model)

    # ---- model ---------------------------------------------------------------------------------
    def set_model(self, model: DocModel) -> None:
        if self.model is not None:
            for sig, slot in self._connections():
                sig.disconnect(slot)
            self.cache.close()
        self.model = model
        project = model.doc.project
        self.cache = GeometryCache(project.units.projected(), project.adjacency)
        self.renderer = LayerRenderer(self.cache, model.doc)
        self._layer = LayerImage(self.renderer)
        self._to_lonlat = Transformer.from_crs(project.units.working_crs, LONLAT, always_xy=True)
        for sig, slot in self._connections():
            sig.connect(slot)
        self._view = None
        self._auto_fit = True
        self._selection_path = self._hover_path = None
        self.hover_unit = -1
        self._invalidate()
        self._poll.start()

    def _connections(self):
        m = self.model
        return [(m.assignmentChanged, self._on_assignment), (m.territoriesChanged, self.refresh),
                (m.scenarioChanged, self.refresh), (m.selectionChanged, self._on_selection)]

    def _on_assignment(self, units, territories) -> None:
        if self._view is None:
            self.renderer.invalidate(territories)
            return
        rects = self.renderer.assignment_changed(units, territories, self._view)
        self._layer.dirty.extend(rects)
        for r in rects:
            self.update(r.toAlignedRect())

    def _on_selection(self) -> None:
        self._selection_path = None
        self.update()

    def refresh(self) -> None:
        """Render everything again (colours, names, hidden territories, layers changed)."""
        self.renderer.invalidate()
        self._invalidate()

    # ---- public API ----------------------------------------------------------------------------
    @property
    def view(self) -> ViewTransform:
        if self._view is None:
            self._view = ViewTransform.fitted(self.cache.total_bounds, self.width(), self.height())
        return self._view

    @property
    def tool(self) -> str:
        """The name of the active tool."""
        return self._tool.name

    @property
    def active_tool(self) -> Tool:
        return self._tool

    @property
    def tools(self) -> Mapping[str, Tool]:
        """The tools of this canvas by name (read-only; add one with register_tool)."""
        return MappingProxyType(self._tools)

    def set_tool(self, name: str) -> None:
        if name not in self._tools:
            raise ValueError(f"unknown tool {name!r}; tools: {', '.join(self._tools)}")
        if self._tool.busy:
            self._tool.cancel()
        self._tool = self._tools[name]
        self.setCursor(self._tool.cursor)
        self.toolChanged.emit(name)

    def register_tool(self, tool: Tool) -> None:
        """Add a mouse tool of this canvas (an area's own tool, e.g. freeform drawing or account
        picking); set_tool(tool.name) selects it."""
        if tool.canvas is not self:
            raise ValueError(f"tool {tool.name!r} belongs to another canvas")
        if tool.name in self._tools:
            raise ValueError(f"this canvas already has a tool {tool.name!r}")
        self._tools[tool.name] = tool

    def add_overlay(self, overlay) -> None:
        """Draw ``overlay.paint(painter, view)`` over the map on every paint, in the order added.
        ``overlay.export_options()`` tells what a map export must add to show it too (see export_options)."""
        if overlay not in self.overlays:
            self.overlays.append(overlay)
        self.update()

    def remove_overlay(self, overlay) -> None:
        if overlay in self.overlays:
            self.overlays.remove(overlay)
        self.update()

    def export_options(self) -> dict:
        """The options of ``services.exports.map_spec`` that make an export show the map as it is on
        this canvas (the thematic map, the heat map), gathered from the overlays."""
        options: dict = {}
        for overlay in self.overlays:
            options.update(overlay.export_options())
        return options

    def set_layer_visible(self, name: str, visible: bool) -> None:
        if name not in LAYERS:
            raise ValueError(f"unknown layer {name!r}; layers: {', '.join(LAYERS)}")
        self.renderer.layers[name] = bool(visible)
        self._invalidate()

    def layer_visible(self, name: str) -> bool:
        return self.renderer.layers[name]

    def set_basemap(self, geoms, crs) -> None:
        """Outline polygons drawn as grey lines (e.g. state boundaries); ``crs`` of ``geoms``."""
        self.renderer.set_basemap(geoms, crs, self.model.doc.project.units.work_crs)
        self._invalidate()

    def flush(self) -> None:
        """Finish pending rendering now (tests, benchmarks, before grabbing the widget)."""
        self._settle.stop()
        self._ensure_image()

    def render_to_image(self, width: int, height: int) -> QImage:
        """The current view rendered into a new width x height image at full quality."""
        self.cache.wait()
        if self._view is not None:
            view = ViewTransform.fitted(self._view.world_bounds(), width, height, margin=0.0)
        else:
            view = ViewTransform.fitted(self.cache.total_bounds, width, height)
        level = self.cache.level(self.cache.level_for(view.metres_per_pixel), wait=True)
        image = QImage(int(width), int(height), QImage.Format.Format_ARGB32_Premultiplied)
        self._sync_hidden()
        painter = QPainter(image)
        self.renderer.render(painter, view, level)
        painter.end()
        return image

    # ---- coordinates and picking ---------------------------------------------------------------
    def world_to_screen(self, x: float, y: float) -> QPointF:
        sx, sy = self.view.to_screen(x, y)
        return QPointF(float(sx), float(sy))

    def unit_screen_point(self, unit: int) -> QPointF:
        """Where a unit's label point is on screen (a point inside the unit)."""
        return self.world_to_screen(*self.cache.label_xy[unit])

    def unit_at(self, pos: QPointF) -> int:
        return self.cache.unit_at(*self.view.point_to_world(pos))

    def units_along(self, a: QPointF, b: QPointF) -> np.ndarray:
        return self.cache.units_on_segment(*self.view.point_to_world(a), *self.view.point_to_world(b))

    def territory_name(self, index: int | None) -> str:
        terrs = self.model.doc.scenario.territories
        return terrs[index].name if index is not None and 0 <= index < len(terrs) else "Unassigned"

    def start_external_drag(self, units: list[int]) -> None:
        """Drag the unit indices out of the canvas (the territory panel accepts the drop)."""
        mime = QMimeData()
        mime.setData(UNITS_MIME, QByteArray(",".join(str(u) for u in units).encode("ascii")))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction)

    # ---- rendering -----------------------------------------------------------------------------
    @property
    def cached_image(self) -> QImage | None:
        """The rendered layer as kept between paints (None before the first paint)."""
        return self._layer.image

    @property
    def drawn_level(self):
        """The geometry level (LevelGeometry) the map on screen was drawn with, None before the first
        paint: overlays outline units with it (``units_path``), as the selection does."""
        return self._layer.level

    def _invalidate(self) -> None:
        self._layer.clear()
        self.update()

    def _set_view(self, view: ViewTransform) -> None:
        self._view = view
        self._auto_fit = False
        self._invalidate()
        self.viewChanged.emit()

    def _settled(self) -> None:
        self._invalidate()

    def _poll_geometry(self) -> None:
        """Re-render when background geometry arrives: the outline, or the level the view wants."""
        done = self.cache.poll()
        layer = self._layer
        if layer.image is None or self._settle.isActive():
            return
        wanted = self.cache.level_for(self.view.metres_per_pixel / self._dpr())
        if done & {"outline", "lines"} or (layer.level.level != wanted and self.cache.level(wanted) is not None):
            self._invalidate()
        elif not self.cache.busy:
            self._poll.stop()  # restarted by the next render that lacks something

    def _dpr(self) -> float:
        return max(1.0, self.devicePixelRatioF())

    def _sync_hidden(self) -> None:
        self.renderer.hidden = set(self.model.hidden_territories)

    def _ensure_image(self) -> None:
        """Bring the layer image up to date with the view (unless zooming) and the edits."""
        view = self._view = self.view.resized(self.width(), self.height())
        layer = self._layer
        self._sync_hidden()
        if layer.matches(view):
            if layer.flush():
                return
        elif layer.image is not None and self._settle.isActive():
            return  # zooming: paintEvent shows the scaled image until the wheel rests
        wanted = self.cache.level_for(view.metres_per_pixel / self._dpr())
        level = self.cache.best_level(wanted)
        if level is not layer.level:
            self._selection_path = self._hover_path = None
        layer.render(view, level, self._dpr())
        if self.cache.busy or level.level != wanted:
            self._poll.start()  # re-render when the background geometry is ready

    def _overlay_path(self, units):
        return self._layer.level.units_path(np.fromiter(units, dtype=np.int64))

    def paintEvent(self, ev) -> None:
        self._ensure_image()
        painter = QPainter(self)
        view = self._view
        self._layer.draw(painter, view)
        for overlay in list(self.overlays):
            overlay.paint(painter, view)
        style = self.renderer.style
        if self.model.selection:
            if self._selection_path is None:
                self._selection_path = self._overlay_path(sorted(self.model.selection))
            self.renderer.draw_units_overlay(painter, view, self._selection_path, style.selection_fill, style.selection_border, 1.5)
        if self.hover_unit >= 0:
            if self._hover_path is None:
                self._hover_path = self._overlay_path([self.hover_unit])
            self.renderer.draw_units_overlay(painter, view, self._hover_path, style.hover_fill, style.hover_border, 2.0)
        self._tool.paint(painter)
        painter.end()

    # ---- events --------------------------------------------------------------------------------
    def resizeEvent(self, ev) -> None:
        if self._auto_fit:
            self._view = None  # fitted again at the new size
        elif self._view is not None:
            self._view = self._view.resized(self.width(), self.height())
        self._layer.clear()
        super().resizeEvent(ev)

    def mousePressEvent(self, ev) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if ev.button() == Qt.MouseButton.MiddleButton:
            self._pan_last = ev.position()
        elif ev.button() == Qt.MouseButton.LeftButton and self._pan_last is None:
            QToolTip.hideText()
            self._tool.press(ev)
            self.update()

    def mouseMoveEvent(self, ev) -> None:
        pos = ev.position()
        if self._pan_last is not None:
            d = pos - self._pan_last
            self._pan_last = pos
            self.pan_by(d.x(), d.y())
        elif ev.buttons() & Qt.MouseButton.LeftButton:
            self._tool.move(ev)
        else:
            self._tool.hover(ev)
        self._set_hover(self.unit_at(pos))
        lon, lat = self._to_lonlat.transform(*self.view.point_to_world(pos))
        self.cursorMoved.emit(float(lon), float(lat))

    def mouseReleaseEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.MiddleButton:
            self._pan_last = None
        elif ev.button() == Qt.MouseButton.LeftButton:
            self._tool.release(ev)
            self.update()

    def mouseDoubleClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self._tool.double_click(ev)
            self.update()

    def leaveEvent(self, ev) -> None:
        self._set_hover(-1)
        super().leaveEvent(ev)

    def _set_hover(self, unit: int) -> None:
        if unit == self.hover_unit:
            return
        self.hover_unit = unit
        self._hover_path = None
        self.hoverUnitChanged.emit(unit)
        self.update()
        if QToolTip.isVisible():
            QToolTip.hideText()

    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip:  # the mouse rests: tell what is under it
            u = self.unit_at(QPointF(ev.pos()))
            if u >= 0 and not self._tool.busy:
                QToolTip.showText(ev.globalPos(), self.unit_tooltip(u), self)
            else:
                QToolTip.hideText()
                ev.ignore()
            return True
        return super().event(ev)

    def unit_tooltip(self, unit: int) -> str:
        doc = self.model.doc
        units = doc.project.units
        esc = html.escape  # names come from clients' files; the tooltip is rich text
        lines = [f"<b>{esc(units.names[unit])}</b> ({esc(units.ids[unit])})",
                 f"Territory: {esc(self.territory_name(doc.territory_of(unit)))}"]
        for field, value in zip(doc.engine.fields, doc.engine.values[unit].tolist()):
            lines.append(f"{esc(field)}: {value:,.0f}" if float(value).is_integer() else f"{esc(field)}: {value:,.2f}")
        return "<br>".join(lines)

    def closeEvent(self, ev) -> None:
        self.cache.close()
        super().closeEvent(ev)
