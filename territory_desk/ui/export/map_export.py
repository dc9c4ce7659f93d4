"""Map pages as PNG (up to 600 dpi), SVG (QSvgGenerator) and PDF (QPdfWriter): the map canvas
renderer (LayerRenderer) draws the territories, map_layout the title, legend, scale bar, north arrow,
note and inset.

Every device is painted in logical units of 1/96 inch: a PNG at 300 dpi is a QImage with a device
pixel ratio of 300/96, PDF and SVG are written at 96 units per inch. The canvas's 1-pixel cosmetic
lines therefore stay fine lines and its 2-pixel borders stay 2/96 inch wide at any resolution;
``spec.dpi`` also chooses the level of detail of the geometry (vector formats included).

A focus (a region or a territory) is drawn over its neighbours washed out towards the background,
with labels for the focus territories only.

SVG files are post-processed (svg_paths.py): Qt's own SVG reader truncates very long paths.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSize, QSizeF
from PySide6.QtGui import QColor, QFontMetricsF, QGuiApplication, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QApplication

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import to_crs, transform_geometries
from territory_desk.domain.model.territories import Scenario
from territory_desk.io.exporters.figures import territory_rows, wash
from territory_desk.services.kpis import thematic_values
from territory_desk.services.map_specs import MapSpec
from territory_desk.ui.canvas.freeform.overlay import paint_freeform, shapes_bbox
from territory_desk.ui.canvas.geometry_cache import GeometryCache
from territory_desk.ui.canvas.labels import draw_halo_text
from territory_desk.ui.canvas.layer_renderer import LayerRenderer, LayerStyle
from territory_desk.ui.canvas.overlays.heatmap import HeatmapLayer
from territory_desk.ui.canvas.overlays.thematic import ThematicLayer, territory_border_path
from territory_desk.ui.canvas.view_transform import ViewTransform
from territory_desk.ui.export import map_layout as L
from territory_desk.ui.export.svg_paths import split_long_paths

MAX_PIXELS = 120_000_000  # 600 dpi on a 16:9 slide is 48 Mpx; refuse absurd sizes
WASH = 0.7  # how far territories outside the focus fade towards the background


def ensure_gui_app() -> QGuiApplication:
    """A Qt application for rendering; offscreen when there is no display (CLI, servers).

    A QApplication (not just a QGuiApplication), so that widgets can still be made later in the
    same process (the editor, tests)."""
    app = QGuiApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["territory-desk"])
    return app  # type: ignore[return-value]


class _SceneDoc:
    """What LayerRenderer reads from a document: the project and the scenario to draw."""

    def __init__(self, project, scenario: Scenario):
        self.project = project
        self.scenario = scenario


class QtMapRenderer:
    """Implements services.map_specs.MapRenderer with the canvas renderer.

    ``cache``: reuse a GeometryCache (the canvas's, on the UI thread); else one is built for the
    project on first use (synchronously, so a worker thread may use it) and kept for later exports.
    """

    def __init__(self, cache: GeometryCache | None = None):
        self._cache = cache
        self._cache_for = None
        self._basemap: tuple | None = None  # (source geometries, working CRS, reprojected geometries)

    # ---- MapRenderer -----------------------------------------------------------------------------
    def write(self, spec: MapSpec, fmt: str, path: str) -> None:
        if fmt == "png":
            image = self.image(spec)
            if not image.save(path, "PNG"):
                raise InputError(f"{path}: could not write the PNG image")
        elif fmt == "pdf":
            self._write_pdf(spec, path)
        elif fmt == "svg":
            self._write_svg(spec, path)
        else:
            raise InputError(f"maps are written as png, svg or pdf, not {fmt!r}")

    def png_bytes(self, spec: MapSpec) -> bytes:
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        self.image(spec).save(buf, "PNG")
        buf.close()
        return bytes(data.data())

    # ---- devices ---------------------------------------------------------------------------------
    def image(self, spec: MapSpec) -> QImage:
        w_in, h_in = spec.page_size_in
        dpr = spec.dpi / L.UNIT
        px_w, px_h = max(1, round(w_in * spec.dpi)), max(1, round(h_in * spec.dpi))
        if px_w * px_h > MAX_PIXELS:
            raise InputError(f"a {px_w}x{px_h} image is too large: lower the dpi")
        image = QImage(px_w, px_h, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(L.PAPER)
        painter = QPainter(image)
        self.paint_page(painter, spec, px_w / dpr, px_h / dpr)
        painter.end()
        # the resolution goes into the PNG header only now: painting measures fonts at 96 logical dpi
        image.setDotsPerMeterX(round(spec.dpi / 0.0254))
        image.setDotsPerMeterY(round(spec.dpi / 0.0254))
        return image

    def _write_pdf(self, spec: MapSpec, path: str) -> None:
        w_in, h_in = spec.page_size_in
        writer = QPdfWriter(path)
        writer.setResolution(round(L.UNIT))
        portrait = QSizeF(min(w_in, h_in), max(w_in, h_in))
        writer.setPageSize(QPageSize(portrait, QPageSize.Unit.Inch, "", QPageSize.SizeMatchPolicy.FuzzyMatch))
        writer.setPageOrientation(QPageLayout.Orientation.Landscape if w_in >= h_in else QPageLayout.Orientation.Portrait)
        writer.setPageMargins(QMarginsF(0, 0, 0, 0))
        writer.setTitle(spec.title)
        writer.setCreator("territory_desk")
        painter = QPainter()
        if not painter.begin(writer):
            raise InputError(f"{path}: could not write the PDF")
        self.paint_page(painter, spec, w_in * L.UNIT, h_in * L.UNIT)
        painter.end()

    def _write_svg(self, spec: MapSpec, path: str) -> None:
        from PySide6.QtSvg import QSvgGenerator  # Qt's SVG module: loaded for SVG exports only

        w_in, h_in = spec.page_size_in
        w, h = w_in * L.UNIT, h_in * L.UNIT
        gen = QSvgGenerator()
        gen.setFileName(path)
        gen.setSize(QSize(round(w), round(h)))
        gen.setViewBox(QRectF(0, 0, w, h))
        gen.setResolution(round(L.UNIT))
        gen.setTitle(spec.title)
        gen.setDescription(spec.subtitle)
        painter = QPainter()
        if not painter.begin(gen):
            raise InputError(f"{path}: could not write the SVG")
        painter.fillRect(QRectF(0, 0, w, h), L.PAPER)
        self.paint_page(painter, spec, w, h)
        painter.end()
        split_long_paths(path)  # Qt's SVG reader truncates paths of more than 32,767 elements

    # ---- the page ----------------------------------------------------------------------------------
    def cache(self, project) -> GeometryCache:
        if self._cache is None or (self._cache_for is not None and self._cache_for is not project.units.geometry):
            self._cache = GeometryCache(project.units.projected(), project.adjacency, background=False)
            self._cache_for = project.units.geometry
        return self._cache

    def paint_page(self, painter: QPainter, spec: MapSpec, w: float, h: float) -> None:
        """The whole page in logical units (w x h)."""
        margin = 0.3 * L.UNIT if spec.show_title else 0.12 * L.UNIT
        page = QRectF(margin, margin, w - 2 * margin, h - 2 * margin)
        top, bottom = page.top(), page.bottom()
        if spec.show_title:
            th = L.title_height(spec.subtitle)
            L.draw_title(painter, QRectF(page.left(), top, page.width(), th), spec.title, spec.subtitle)
            top += th + 4.0
        if spec.show_title and spec.note:
            nh = L.text_height(7) + 4.0
            L.draw_note(painter, QRectF(page.left(), bottom - nh, page.width(), nh), spec.note)
            bottom -= nh + 2.0
        frame = QRectF(page.left(), top, page.width(), bottom - top)
        if spec.legend:
            rows = territory_rows(spec.project, spec.scenario, spec.stats, spec.territories)
            plan = L.plan_legend(rows, spec.metric, L.legend_title(spec.metric_label), frame.width() * 0.4,
                                 frame.height())
            lw, lh = plan.size
            L.draw_legend(painter, QRectF(frame.right() - lw, frame.top(), lw, min(lh, frame.height())), plan, spec.metric)
            frame.setRight(frame.right() - lw - 8.0)
        view = self.draw_map(painter, spec, frame)
        work = spec.project.units.working_crs
        if spec.inset and (spec.territories is not None or spec.bounds is not None):
            self._draw_inset(painter, spec, frame, view)
        L.draw_scale_bar(painter, frame, view, work)
        L.draw_north_arrow(painter, frame, view, work)
        L.draw_frame(painter, frame)

    def draw_map(self, painter: QPainter, spec: MapSpec, rect: QRectF, overview: bool = False) -> ViewTransform:
        """The territories in ``rect`` (logical units); returns the view used. ``overview``: the whole
        layer, plainly (the inset)."""
        cache = self.cache(spec.project)
        cache.wait()  # the layer outline and any level still being built
        focus = None if overview else spec.territories
        view = ViewTransform.fitted(_map_bounds(spec, cache, focus, overview), rect.width(), rect.height(),
                                    margin=0.0 if (spec.bounds is not None and not overview) else
                                    (0.06 if focus is not None else 0.03))
        level = cache.level(cache.level_for(view.metres_per_pixel * L.UNIT / spec.dpi), wait=True)
        scenario = spec.scenario if focus is None else _washed(spec.scenario, focus)
        renderer = self._map_renderer(spec, cache, scenario, plain=overview or focus is not None, overview=overview)
        labels = not overview and spec.layers.get("territory_labels", True)
        painter.save()
        painter.translate(rect.topLeft())
        renderer.render(painter, view, level)
        if not overview and (spec.thematic is not None or spec.heatmap):
            draw_thematic_and_heatmap(painter, spec, view, level, cache)
            renderer.draw_territory_labels(painter, view)  # names over the classes
        if scenario.is_freeform:  # a freeform scenario: its drawn polygons
            paint_freeform(painter, view, scenario.territories, [scenario.shapes.get(t.id) for t in scenario.territories],
                           labels=labels)
        if focus is not None and labels:
            self._focus_labels(painter, renderer, view, focus, spec.scenario.assignment, rect)
        painter.restore()
        return view

    def _map_renderer(self, spec: MapSpec, cache: GeometryCache, scenario: Scenario, plain: bool,
                      overview: bool) -> LayerRenderer:
        """The canvas renderer with the export's layers; ``plain``: no territory labels (a focus gets
        its own), ``overview``: no unit labels or accounts either."""
        renderer = LayerRenderer(cache, _SceneDoc(spec.project, scenario))
        if scenario.is_freeform:  # freeform: the units are a plain base map under the drawn polygons
            renderer.style.unassigned_hatch = QColor(0, 0, 0, 0)
        for key, on in spec.layers.items():
            if key in renderer.layers:
                renderer.layers[key] = bool(on)
        if plain:
            renderer.layers["territory_labels"] = False
        if overview:
            renderer.layers.update(unit_labels=False, accounts=False)
        self._set_basemap(renderer, spec)
        return renderer

    def _focus_labels(self, painter, renderer, view, focus, a, rect) -> None:
        painter.setFont(renderer.territory_font)
        metrics = QFontMetricsF(renderer.territory_font)
        terrs = renderer.doc.scenario.territories
        for t in focus:
            anchor = renderer.labels.anchor(t, a)
            if anchor is not None:
                sx, sy = (float(v) for v in view.to_screen(*anchor))
                if 0 <= sx <= rect.width() and 0 <= sy <= rect.height():
                    draw_halo_text(painter, metrics, terrs[t].name, sx, sy, renderer.style.label, renderer.style.label_halo)

    def _draw_inset(self, painter: QPainter, spec: MapSpec, frame: QRectF, main: ViewTransform) -> None:
        cache = self.cache(spec.project)
        x0, y0, x1, y1 = cache.total_bounds
        w = frame.width() * 0.24
        h = min(w * (y1 - y0) / max(x1 - x0, 1e-9), frame.height() * 0.35)
        rect = QRectF(frame.right() - w - 8.0, frame.bottom() - h - 8.0, w, h)
        painter.save()
        painter.setClipRect(rect)
        inset_view = self.draw_map(painter, spec.with_(legend=False), rect, overview=True)
        painter.restore()
        L.draw_extent_box(painter, rect, inset_view, main.world_bounds())
        L.draw_frame(painter, rect, 1.0)

    def _set_basemap(self, renderer: LayerRenderer, spec: MapSpec) -> None:
        if spec.basemap is None:
            return
        work = spec.project.units.work_crs
        geoms, crs = spec.basemap
        held = self._basemap  # reprojected once, then drawn as it is (the source is held: identity is sound)
        if held is None or held[0] is not geoms or held[1] != work:
            held = self._basemap = (geoms, work, transform_geometries(np.asarray(geoms, dtype=object),
                                                                      to_crs(crs), to_crs(work)))
        renderer.set_basemap(held[2], work, work)


def _map_bounds(spec: MapSpec, cache: GeometryCache, focus, overview: bool) -> tuple[float, float, float, float]:
    """The world box a map shows: the whole layer (overview), the spec's bounds, or its focus."""
    if overview:
        return cache.total_bounds
    if spec.bounds is not None:
        return spec.bounds
    if focus is not None:
        units = np.flatnonzero(np.isin(spec.scenario.assignment, focus))
        return cache.units_bbox(units) or shapes_bbox(spec.scenario, focus) or cache.total_bounds
    return cache.total_bounds


def draw_thematic_and_heatmap(painter: QPainter, spec: MapSpec, view: ViewTransform, level, cache) -> None:
    """The thematic map and/or the heat map of a MapSpec (``spec.thematic``: a ThematicSpec;
    ``spec.heatmap``) with their legends, onto an export page's map frame (painter at its top-left)."""
    top = 8.0
    if spec.thematic is not None:
        t = spec.thematic
        values, label, basis = thematic_values(spec.project, t.field, spec.scenario, t.period)
        layer = ThematicLayer(values, label, t.method, t.k, t.ramp, basis)
        layer.draw(painter, view, level, territory_border_path(level, cache, spec.scenario.assignment))
        top = layer.draw_legend(painter, QPointF(8.0, top), anchor="top-left").bottom() + 6.0
    if spec.heatmap:
        heat = HeatmapLayer(spec.project)
        heat.draw(painter, view)
        heat.draw_legend(painter, QPointF(view.width - 8.0, view.height - 8.0))


def _washed(scenario: Scenario, focus) -> Scenario:
    """A drawing copy of the scenario with the territories outside ``focus`` faded."""
    keep = set(int(t) for t in focus)
    bg = LayerStyle().background.name()  # the canvas background
    terrs = [t if i in keep else replace(t, color=wash(t.color, WASH, bg)) for i, t in enumerate(scenario.territories)]
    return Scenario(scenario.name, terrs, scenario.regions, scenario.assignment, shapes=scenario.shapes)

