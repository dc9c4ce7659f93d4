"""Thematic maps (choropleths): units coloured by any metric or KPI, in classes made by quantiles,
natural breaks or equal intervals (mapclassify), with a legend in a corner of the map.

``ThematicLayer`` holds the classification and draws it for any view onto any painter (the canvas
and the map export use the same code); ``ThematicOverlay`` is the canvas adapter: the class paths
are built once per level of detail and the drawn map is kept in an image until the view, the level
or the territories change, so 37,000 units stay responsive while panning over the cached picture.
Territory borders are drawn again over the colours, so the plan stays readable.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from territory_desk.domain.model.errors import InputError
from territory_desk.services.kpis import METHODS, RAMPS, ThematicSpec, classify
from territory_desk.ui.canvas.labels import draw_legend_box
from territory_desk.ui.canvas.layer_renderer import fill_sealed, stroke_thick
from territory_desk.ui.canvas.view_transform import ViewTransform

NO_DATA = QColor(205, 205, 205, 200)
PAN_MARGIN = 2.0  # the cached picture is this many times the view's width and height
FILL_ALPHA = 255  # opaque: a light class over a saturated territory colour would read as another class


def ramp_colors(ramp: str, k: int) -> list[QColor]:
    """``k`` colours spread evenly along a ramp (interpolated between its anchors)."""
    if ramp not in RAMPS:
        raise InputError(f"unknown colour ramp {ramp!r}; ramps: {', '.join(RAMPS)}")
    anchors = [QColor(c) for c in RAMPS[ramp]]
    out = []
    for i in range(k):
        t = i / max(k - 1, 1) * (len(anchors) - 1)
        a, frac = int(np.floor(t)), t - np.floor(t)
        b = min(a + 1, len(anchors) - 1)
        ca, cb = anchors[a], anchors[b]
        out.append(QColor(round(ca.red() + (cb.red() - ca.red()) * frac), round(ca.green() + (cb.green() - ca.green()) * frac),
                          round(ca.blue() + (cb.blue() - ca.blue()) * frac)))
    return out


class ThematicLayer:
    """Classified unit values with their colours; draws fills, territory borders and the legend."""

    def __init__(self, values: np.ndarray, label: str, method: str = "quantiles", k: int = 5, ramp: str = "YlOrRd",
                 basis: np.ndarray | None = None):
        """``values`` per unit; ``basis``: the values the classes are made from (default: ``values``;
        a KPI is classified over its territories' values)."""
        self.values = np.asarray(values, dtype=np.float64)
        self.label, self.method, self.ramp = label, method, ramp
        self.bins = classify(self.values if basis is None else basis, method, k)
        finite = np.isfinite(self.values)
        self.classes = np.full(len(self.values), -1, dtype=np.int64)
        if len(self.bins):
            self.classes[finite] = np.minimum(np.searchsorted(self.bins, self.values[finite], side="left"),
                                              len(self.bins) - 1)
        self.colors = ramp_colors(ramp, max(len(self.bins), 1))
        b = self.values if basis is None else np.asarray(basis, dtype=np.float64)
        self.lower = float(np.nanmin(b)) if np.isfinite(b).any() else float("nan")
        self._paths: dict[int, list[QPainterPath]] = {}

    @property
    def k(self) -> int:
        return len(self.bins)

    def class_paths(self, level) -> list[QPainterPath]:
        """One path per class (then one for "no data") at a level of detail, built once per level."""
        paths = self._paths.get(level.level)
        if paths is None:
            if len(self._paths) > 4:
                self._paths.clear()
            paths = [level.units_path(np.flatnonzero(self.classes == c)) for c in range(self.k)]
            paths.append(level.units_path(np.flatnonzero(self.classes < 0)))
            self._paths[level.level] = paths
        return paths

    def draw(self, painter: QPainter, view: ViewTransform, level, border_edges: QPainterPath | None = None) -> None:
        """Fill every unit in its class colour for ``view`` (screen = the painter's logical coordinates)."""
        painter.save()
        painter.setWorldTransform(view.qtransform() * painter.worldTransform())
        painter.setRenderHint(QPainter.Antialiasing, False)
        for c, path in enumerate(self.class_paths(level)):
            if path.isEmpty():
                continue
            color = QColor(NO_DATA if c == self.k else self.colors[c])
            if c < self.k:
                color.setAlpha(FILL_ALPHA)
            fill_sealed(painter, path, color)
        if border_edges is not None:
            painter.setRenderHint(QPainter.Antialiasing, True)
            stroke_thick(painter, border_edges, 1.6, QColor(30, 30, 30, 220))
        painter.restore()

    # ---- legend ------------------------------------------------------------------------------------
    def legend_rows(self) -> list[tuple[QColor, str]]:
        rows = []
        lo = self.lower
        for c in range(self.k):
            hi = float(self.bins[c])
            text = _num(hi) if _num(lo) == _num(hi) else f"{_num(lo)} – {_num(hi)}"  # a class of one value
            rows.append((self.colors[c], text))
            lo = hi
        if (self.classes < 0).any():
            rows.append((NO_DATA, "no data"))
        return rows

    def draw_legend(self, painter: QPainter, corner: QPointF, scale: float = 1.0, anchor: str = "bottom-left") -> QRectF:
        """The legend box with its title; ``corner`` is the box's bottom-left (or top-left) point."""
        font = QFont(painter.font())
        font.setPointSizeF(8.0 * scale)
        bold = QFont(font)
        bold.setBold(True)
        fm, fmb = QFontMetricsF(font), QFontMetricsF(bold)
        rows = self.legend_rows()
        title = f"{self.label} ({METHODS[self.method].lower()})"
        sw, pad, line = 14.0 * scale, 6.0 * scale, fm.height() + 2.0 * scale
        width = max([fmb.horizontalAdvance(title)] + [sw + pad + fm.horizontalAdvance(t) for _, t in rows]) + 2 * pad
        height = fmb.height() + pad * 2 + line * len(rows)
        top = corner.y() - height if anchor == "bottom-left" else corner.y()
        box = QRectF(corner.x(), top, width, height)
        painter.save()
        draw_legend_box(painter, box, scale)
        painter.setFont(bold)
        painter.drawText(QRectF(box.left() + pad, box.top() + pad / 2, width, fmb.height() + pad / 2),
                         Qt.AlignLeft | Qt.AlignVCenter, title)
        painter.setFont(font)
        y = box.top() + pad + fmb.height()
        for color, text in rows:
            painter.setPen(QPen(QColor(80, 80, 80), 0.8))
            painter.setBrush(color)
            painter.drawRect(QRectF(box.left() + pad, y + (line - sw * 0.75) / 2, sw, sw * 0.75))
            painter.setPen(QColor("#222222"))
            painter.drawText(QRectF(box.left() + pad * 2 + sw, y, width, line), Qt.AlignLeft | Qt.AlignVCenter, text)
            y += line
        painter.restore()
        return box


def _num(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:,.0f}" if a >= 100 or float(v).is_integer() else f"{v:.3g}"


def territory_border_path(level, cache, assignment: np.ndarray) -> QPainterPath:
    """The shared edges whose two units lie in different territories."""
    edges = np.flatnonzero(cache.edge_real)
    a = assignment
    cross = edges[a[cache.edge_i[edges]] != a[cache.edge_j[edges]]]
    return level.edges_path(cross)


class ThematicOverlay:
    """Canvas overlay (``canvas.add_overlay``) drawing a ThematicLayer with an image cache."""

    def __init__(self, canvas, layer: ThematicLayer, spec: ThematicSpec | None = None):
        self.canvas, self.layer, self.spec = canvas, layer, spec
        self._image: QImage | None = None
        self._key = None
        self._render_view: ViewTransform | None = None
        self._borders: dict[int, QPainterPath] = {}

    def export_options(self) -> dict:
        return {"thematic": self.spec} if self.spec is not None else {}

    def invalidate(self) -> None:
        """The territories changed: borders and the picture are drawn again on the next paint."""
        self._image, self._key = None, None
        self._borders.clear()
        self.canvas.update()

    def paint(self, painter: QPainter, view: ViewTransform) -> None:
        canvas = self.canvas
        dpr = max(1.0, canvas.devicePixelRatioF())
        cache = canvas.cache
        level = cache.best_level(cache.level_for(view.metres_per_pixel / dpr))
        key = (view.scale, view.width, view.height, level.level, dpr)
        box = view.world_bounds()
        rv = self._render_view
        inside = rv is not None and (lambda r: r[0] <= box[0] and r[1] <= box[1] and r[2] >= box[2] and r[3] >= box[3])(
            rv.world_bounds())
        if self._image is None or self._key != key or not inside:
            # render a picture twice the view's size around it: panning only moves it
            rv = ViewTransform(view.cx, view.cy, view.scale, view.width * PAN_MARGIN, view.height * PAN_MARGIN)
            w, h = max(1, round(rv.width * dpr)), max(1, round(rv.height * dpr))
            image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
            image.fill(Qt.transparent)
            p = QPainter(image)
            borders = self._borders.get(level.level)
            if borders is None:
                borders = self._borders[level.level] = territory_border_path(level, cache,
                                                                             canvas.model.doc.scenario.assignment)
            self.layer.draw(p, rv, level, borders)
            p.end()
            self._image, self._key, self._render_view = image, key, rv
        x0, y0, x1, y1 = rv.world_bounds()
        sx, sy = view.to_screen(x0, y1)
        painter.drawImage(QPointF(float(sx), float(sy)), self._image)
        canvas.renderer.draw_territory_labels(painter, view)  # names stay readable over the classes
        self.layer.draw_legend(painter, QPointF(10.0, view.height - 10.0))
