"""Map pages as PNG (up to 600 dpi), SVG (QSvgGenerator) and PDF (QPdfWriter): the map canvas
renderer (LayerRenderer) draws the territories, map_layout the title, legend, scale bar, north arrow,
note and inset.

Every device is painted in logical units of 1/96 inch: a PNG at 300 dpi is a QImage with a device
pixel ratio of 300/96, PDF and SVG are written at 96 units per inch. The canvas's 1-pixel cosmetic
lines therefore stay fine lines and its 2-pixel borders stay 2/96 inch wide at any resolution;
``spec.dpi`` also chooses the level of detail of the geometry (vector formats included).

A focus (a region or a territory) is drawn over its neighbours washed out towards the background,
with labels for the focus territories only.

SVG files are post-processed: Qt's own SVG reader (QSvgRenderer, so every Qt-based viewer) truncates
a path after 32,767 elements ("Invalid path data; path truncated"), and the border and fill paths of
large projects exceed that. A stroked-only path is cut at any sub-path; a filled path only before an
outer ring (a sub-path turning the same way as its first one), so holes stay with their outer ring.
"""
from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSize, QSizeF
from PySide6.QtGui import QColor, QFontMetricsF, QGuiApplication, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import to_crs, transform_geometries
from territory_desk.domain.model.territories import Scenario
from territory_desk.io.exporters.figures import territory_rows, wash
from territory_desk.services.map_specs import MapSpec
from territory_desk.ui.canvas.freeform.overlay import paint_freeform, shapes_bbox
from territory_desk.ui.canvas.geometry_cache import GeometryCache
from territory_desk.ui.canvas.labels import draw_halo_text
from territory_desk.ui.canvas.layer_renderer import LayerRenderer, LayerStyle
from territory_desk.ui.canvas.view_transform import ViewTransform
from territory_desk.ui.export import map_layout as L

MAX_PIXELS = 120_000_000  # 600 dpi on a 16:9 slide is 48 Mpx; refuse absurd sizes
WASH = 0.7  # how far territories outside the focus fade towards the background


def ensure_gui_app() -> QGuiApplication:
    """A Qt application for rendering; offscreen when there is no display (CLI, servers).

    A QApplication (not just a QGuiApplication), so that widgets can still be made later in the
    same process (the editor, tests)."""
    app = QGuiApplication.instance()
    if app is None:
        from PySide6.QtWidgets import QApplication

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
        self._basemaps: dict = {}

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
        from PySide6.QtSvg import QSvgGenerator

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
        """The territories in ``rect`` (logical units); returns the view used."""
        cache = self.cache(spec.project)
        cache.wait()  # the layer outline and any level still being built
        focus = None if overview else spec.territories
        a = spec.scenario.assignment
        if overview:
            bounds = cache.total_bounds
        elif spec.bounds is not None:
            bounds = spec.bounds
        elif focus is not None:
            bounds = cache.units_bbox(np.flatnonzero(np.isin(a, focus))) or shapes_bbox(spec.scenario, focus) \
                or cache.total_bounds
        else:
            bounds = cache.total_bounds
        margin = 0.0 if (spec.bounds is not None and not overview) else (0.06 if focus is not None else 0.03)
        view = ViewTransform.fitted(bounds, rect.width(), rect.height(), margin=margin)
        level = cache.level(cache.level_for(view.metres_per_pixel * L.UNIT / spec.dpi), wait=True)
        scenario = spec.scenario if focus is None else _washed(spec.scenario, focus)
        renderer = LayerRenderer(cache, _SceneDoc(spec.project, scenario))
        if scenario.shapes is not None:  # freeform: the units are a plain base map under the drawn polygons
            renderer.style.unassigned_hatch = QColor(0, 0, 0, 0)
        for key, on in spec.layers.items():
            if key in renderer.layers:
                renderer.layers[key] = bool(on)
        if overview or focus is not None:
            renderer.layers["territory_labels"] = False
        if overview:
            renderer.layers.update(unit_labels=False, accounts=False)
        self._set_basemap(renderer, spec)
        painter.save()
        painter.translate(rect.topLeft())
        renderer.render(painter, view, level)
        if not overview and (getattr(spec, "thematic", None) is not None or getattr(spec, "heatmap", False)):
            from territory_desk.ui.canvas.overlays.thematic import draw_export_layers  # thematic map / heat map

            draw_export_layers(painter, spec, view, level, cache)
            renderer.draw_territory_labels(painter, view)  # names over the classes
        if scenario.shapes is not None:  # a freeform scenario: its drawn polygons
            paint_freeform(painter, view, scenario.territories, [scenario.shapes.get(t.id) for t in scenario.territories],
                           labels=not overview and spec.layers.get("territory_labels", True))
        if focus is not None and not overview and spec.layers.get("territory_labels", True):
            self._focus_labels(painter, renderer, view, focus, a, rect)
        painter.restore()
        return view

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
        key = (id(spec.basemap[0]), work)
        if key not in self._basemaps:  # reprojected once, then drawn as it is
            geoms, crs = spec.basemap
            self._basemaps[key] = transform_geometries(np.asarray(geoms, dtype=object), to_crs(crs), to_crs(work))
        renderer.set_basemap(self._basemaps[key], work, work)


def _washed(scenario: Scenario, focus) -> Scenario:
    """A drawing copy of the scenario with the territories outside ``focus`` faded."""
    keep = set(int(t) for t in focus)
    bg = LayerStyle().background.name()  # the canvas background
    terrs = [t if i in keep else replace(t, color=wash(t.color, WASH, bg)) for i, t in enumerate(scenario.territories)]
    return Scenario(scenario.name, terrs, scenario.regions, scenario.assignment, shapes=scenario.shapes)


# ---- SVG post-processing (see the module docstring) --------------------------------------------
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
LIMIT = 20_000  # path elements per <path>, well below Qt's 32,767
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMANDS = re.compile(r"[MLCmlc]")
_SUBPATH = re.compile(r"(?=M)")


def split_long_paths(path: str, limit: int = LIMIT) -> int:
    """Rewrite the SVG file at ``path`` in place if any path is too long; returns how many <path>
    elements were split."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not any(len(_COMMANDS.findall(d)) > limit for d in re.findall(r' d="([^"]*)"', text)):
        return 0
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(text)
    split = 0
    for parent in root.iter():
        children = list(parent)
        for pos in range(len(children) - 1, -1, -1):
            el = children[pos]
            if el.tag != f"{{{SVG_NS}}}path":
                continue
            d = el.get("d", "")
            if len(_COMMANDS.findall(d)) <= limit:
                continue
            filled = (el.get("fill") or parent.get("fill") or "black") != "none"
            pieces = _pieces(d, limit, filled)
            if len(pieces) < 2:
                continue
            parent.remove(el)
            for k, piece in enumerate(pieces):
                new = ET.Element(el.tag, dict(el.attrib))
                new.set("d", piece)
                new.tail = el.tail
                parent.insert(pos + k, new)
            split += 1
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return split


def _pieces(d: str, limit: int, filled: bool) -> list[str]:
    subpaths = [s for s in _SUBPATH.split(d) if s.strip()]
    sizes = [len(_COMMANDS.findall(s)) for s in subpaths]
    if filled:
        first = _orientation(subpaths[0])
        can_cut = [k == 0 or _orientation(s) == first for k, s in enumerate(subpaths)]
    else:
        can_cut = [True] * len(subpaths)
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for s, n, cut in zip(subpaths, sizes, can_cut):
        if cut and current and count + n > limit:
            pieces.append("".join(current))
            current, count = [], 0
        current.append(s)
        count += n
    if current:
        pieces.append("".join(current))
    return pieces


def _orientation(subpath: str) -> int:
    """Sign of the shoelace area of a ring given as "M x,y L x,y ... Z"."""
    nums = np.array([float(v) for v in _NUM.findall(subpath)])
    if len(nums) < 6:
        return 0
    xy = nums[: len(nums) // 2 * 2].reshape(-1, 2)
    x, y = xy[:, 0], xy[:, 1]
    area = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return 1 if area > 0 else -1 if area < 0 else 0
