"""Unit geometry prepared for drawing and picking, in the working (equal-area) CRS.

* Level of detail: level ``lv`` holds every unit simplified with a tolerance of half of 2**lv metres,
  i.e. 1/4-1/2 of a screen pixel when metres-per-pixel lies in [2**lv, 2**(lv+1)). Levels are built
  on a worker thread (shapely releases the GIL) and cached (a few at a time). ``shapely.simplify``
  with ``preserve_topology=False`` is used: ``coverage_simplify`` keeps shared borders identical but
  costs ~0.9 s per level on the 3,108 counties against ~0.05 s, too slow to follow zooming; the
  sub-pixel slivers it would avoid are hidden under the unit border lines.
* Per level: all ring coordinates of all units in one (m, 2) array ordered by unit (``unit_off``
  gives each unit's slice) and the shared boundary line of every adjacency edge (``edge_off``), so
  a QPainterPath for any set of units or edges is one numpy gather (see qt_buffers).
* Picking with an STRtree over the full-resolution polygons; rectangle and lasso selection test the
  units' label points (``shapely.point_on_surface``).
* The outer outline of the whole layer (coasts, borders) is dissolved once on the worker thread.
"""
from __future__ import annotations

import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from PySide6.QtGui import QPainterPath

from territory_desk.ui.canvas.qt_buffers import gather_ranges, path_from_coords

MAX_LEVELS = 6
log = logging.getLogger(__name__)


@dataclass
class LevelGeometry:
    level: int
    tolerance: float
    coords: np.ndarray  # (m, 2) ring coordinates of all units, grouped by unit
    starts: np.ndarray  # (m,) bool: first point of a ring
    unit_off: np.ndarray  # (n + 1,) unit u's points are coords[unit_off[u]:unit_off[u + 1]]
    edge_coords: np.ndarray  # shared boundary polylines of the adjacency edges
    edge_starts: np.ndarray
    edge_off: np.ndarray  # (E + 1,)
    with_lines: bool = True

    def units_path(self, units) -> QPainterPath:
        """One path (winding fill) with every ring of the given units."""
        units = np.asarray(units, dtype=np.int64)
        idx = gather_ranges(self.unit_off[units], self.unit_off[units + 1])
        return path_from_coords(self.coords[idx], self.starts[idx])

    def edges_path(self, edges) -> QPainterPath:
        edges = np.asarray(edges, dtype=np.int64)
        idx = gather_ranges(self.edge_off[edges], self.edge_off[edges + 1])
        return path_from_coords(self.edge_coords[idx], self.edge_starts[idx], winding=False)


def flatten_lines(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """coords, starts and per-input offsets of (multi)linestrings."""
    parts, owner = shapely.get_parts(lines, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    starts = np.ones(len(coords), dtype=bool)
    starts[1:] = part[1:] != part[:-1]
    off = np.searchsorted(owner[part], np.arange(len(lines) + 1)) if len(coords) else np.zeros(len(lines) + 1, np.int64)
    return coords, starts, off.astype(np.int64)


class ChunkedLines:
    """Polylines cut into runs of at most CHUNK points with bounding boxes, so that drawing a small
    rectangle only touches the nearby pieces (outline, basemap)."""

    CHUNK = 64

    def __init__(self, geoms, tolerance: float):
        arr = geoms if isinstance(geoms, np.ndarray) else np.array([geoms], dtype=object)
        coords, starts, _ = flatten_lines(shapely.simplify(arr, tolerance, preserve_topology=False))
        line_start = np.flatnonzero(starts)
        line_end = np.append(line_start[1:], len(coords))
        begins, ends = [], []
        for s, e in zip(line_start.tolist(), line_end.tolist()):
            cuts = list(range(s, e - 1, self.CHUNK - 1)) or [s]
            begins += cuts
            ends += [min(c + self.CHUNK, e) for c in cuts]  # runs share their joining point
        self.begin = np.asarray(begins, dtype=np.int64)
        self.end = np.asarray(ends, dtype=np.int64)
        self.coords = coords
        self.bounds = np.zeros((0, 4))
        if len(self.begin):
            pts = coords[gather_ranges(self.begin, self.end)]
            first = np.r_[0, np.cumsum(self.end - self.begin)[:-1]]
            lo_x, lo_y = np.minimum.reduceat(pts[:, 0], first), np.minimum.reduceat(pts[:, 1], first)
            hi_x, hi_y = np.maximum.reduceat(pts[:, 0], first), np.maximum.reduceat(pts[:, 1], first)
            self.bounds = np.column_stack([lo_x, lo_y, hi_x, hi_y])

    def path(self, box=None) -> QPainterPath:
        """All runs, or those whose bounding box meets ``box`` (x0, y0, x1, y1)."""
        runs = np.arange(len(self.begin))
        if box is not None and len(runs):
            b = self.bounds
            runs = runs[(b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])]
        lens = self.end[runs] - self.begin[runs]
        idx = gather_ranges(self.begin[runs], self.end[runs])
        starts = np.zeros(len(idx), dtype=bool)
        starts[np.cumsum(lens)[:-1]] = True
        if len(idx):
            starts[0] = True
        return path_from_coords(self.coords[idx], starts, winding=False)


def build_level(level: int, geoms: np.ndarray, lines: np.ndarray | None) -> LevelGeometry:
    """Simplify everything for one level (pure shapely/numpy: safe on a worker thread)."""
    n = len(geoms)
    tol = 0.5 * 2.0**level
    simple = shapely.simplify(geoms, tol, preserve_topology=False)
    lost = shapely.is_empty(simple) & ~shapely.is_empty(geoms)
    if lost.any():  # small units collapse: keep a topology-preserving simplification of them
        simple[lost] = shapely.simplify(geoms[lost], tol, preserve_topology=True)
    simple = shapely.orient_polygons(simple)  # shells CCW, holes CW: winding fill keeps holes
    parts, owner = shapely.get_parts(simple, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, owner = parts[poly], owner[poly]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    starts = np.ones(len(coords), dtype=bool)
    starts[1:] = ring[1:] != ring[:-1]
    unit_off = np.searchsorted(owner[ring_part[ring]], np.arange(n + 1)).astype(np.int64)
    if lines is not None and len(lines):
        ec, es, eo = flatten_lines(shapely.simplify(lines, tol, preserve_topology=False))
    else:
        ec, es, eo = np.zeros((0, 2)), np.zeros(0, bool), np.zeros(1 if lines is None else len(lines) + 1, np.int64)
    return LevelGeometry(level, tol, coords, starts, unit_off, ec, es, eo, with_lines=lines is not None)


def _dissolve_outline(geoms: np.ndarray, expected_length: float, min_hole_area: float) -> np.ndarray:
    """Rings of the union of all units: exteriors and the holes that are not slivers.

    ``coverage_union_all`` is fast but returns a wrong union, with internal lines, when shared
    borders are not noded identically (float noise after reprojection); its length is checked
    against sum(unit perimeters) - 2 x sum(shared boundary lengths) and ``union_all`` used instead.
    """
    try:
        union = shapely.coverage_union_all(geoms)
        ok = abs(shapely.length(union) - expected_length) <= 0.01 * max(expected_length, 1e-9)
    except shapely.errors.GEOSException:
        ok = False
    if not ok:
        union = shapely.union_all(shapely.make_valid(geoms))
    polys = shapely.get_parts(union)
    polys = polys[shapely.get_type_id(polys) == 3]
    rings = list(shapely.get_exterior_ring(polys))
    rings += [h for h in _holes(polys) if shapely.area(shapely.polygons(h)) >= min_hole_area]
    return np.array(rings, dtype=object)


def _holes(polys: np.ndarray) -> np.ndarray:
    counts = shapely.get_num_interior_rings(polys)
    return np.array([shapely.get_interior_ring(p, k) for p, c in zip(polys, counts) for k in range(c)], dtype=object)


def _shared_lines(geoms: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Shared boundaries of edge endpoints (only when the adjacency was stored without them)."""
    bounds = shapely.boundary(shapely.set_precision(geoms, 0.01))
    return shapely.line_merge(shapely.intersection(bounds[i], bounds[j]))


class GeometryCache:
    """Drawing and picking geometry of a unit layer. ``projected``: polygons in the working CRS."""

    def __init__(self, projected: np.ndarray, adjacency, background: bool = True):
        self.geoms = np.asarray(projected, dtype=object)
        self.n = len(self.geoms)
        self.bounds = shapely.bounds(self.geoms)  # (n, 4)
        box = shapely.total_bounds(self.geoms)
        self.total_bounds = tuple(float(v) for v in box) if np.isfinite(box).all() else (0.0, 0.0, 1.0, 1.0)
        self.tree = shapely.STRtree(self.geoms)
        surface = shapely.point_on_surface(self.geoms)
        self.label_xy = shapely.get_coordinates(surface, include_z=False) if self.n else np.zeros((0, 2))
        cent = shapely.centroid(self.geoms)
        self.centroid_xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
        self.area = shapely.area(self.geoms)
        self.edge_i = np.asarray(adjacency.i, dtype=np.int64)
        self.edge_j = np.asarray(adjacency.j, dtype=np.int64)
        self.edge_real = ~np.asarray(adjacency.virtual, dtype=bool)
        self._lines = adjacency.lines
        self.edge_bounds = shapely.bounds(self._lines) if self._lines is not None else None
        self._outline = None
        self._outline_lines: dict[int, ChunkedLines] = {}
        self._levels: dict[int, LevelGeometry] = {}
        self._jobs: dict[object, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="canvas-geometry") if background else None
        expected = float(np.nansum(shapely.length(self.geoms)) - 2.0 * np.sum(adjacency.length))
        min_hole = 0.05 * float(np.nanmedian(self.area)) if self.n else 0.0
        self._submit("outline", _dissolve_outline, self.geoms, expected, min_hole)
        if self._lines is None:
            self._submit("lines", _shared_lines, self.geoms, self.edge_i, self.edge_j)

    # ---- background jobs -----------------------------------------------------------------------
    def _submit(self, key, fn, *args) -> Future:
        if key not in self._jobs:
            if self._pool is None:
                fut: Future = Future()
                fut.set_result(fn(*args))
            else:
                fut = self._pool.submit(fn, *args)
            self._jobs[key] = fut
        return self._jobs[key]

    @property
    def busy(self) -> bool:
        return any(not f.done() for f in self._jobs.values())

    def poll(self) -> set:
        """Collect finished jobs; returns their keys ("outline", "lines" or level numbers)."""
        done = set()
        for key, fut in list(self._jobs.items()):
            if fut.done():
                del self._jobs[key]
                try:
                    result = fut.result()
                except Exception:  # drawing goes on without it (no outline, coarser level)
                    log.exception("canvas geometry job %r failed", key)
                    continue
                self._collect(key, result)
                done.add(key)
        return done

    def _collect(self, key, result) -> None:
        if key == "outline":
            self._outline = result
        elif key == "lines":
            self._lines = result
            self.edge_bounds = shapely.bounds(result)
            self._levels.clear()  # rebuilt with the border lines
        elif result.with_lines or self._lines is None:
            self._levels[key] = result
            while len(self._levels) > MAX_LEVELS:
                far = max(self._levels, key=lambda lv: abs(lv - key))
                del self._levels[far]

    def wait(self) -> None:
        """Finish all background work (exports and tests want the exact result)."""
        for fut in list(self._jobs.values()):
            fut.result()
        self.poll()

    def close(self) -> None:
        """Stop the worker thread; later work runs on the calling thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self._jobs = {k: f for k, f in self._jobs.items() if not f.cancelled()}

    # ---- levels of detail ----------------------------------------------------------------------
    @staticmethod
    def level_for(metres_per_pixel: float) -> int:
        return int(min(40, max(-6, math.floor(math.log2(max(metres_per_pixel, 1e-9))))))

    def level(self, lv: int, wait: bool = False) -> LevelGeometry | None:
        """The geometry of level ``lv``: None while it is being built (unless ``wait``)."""
        self.poll()
        if lv in self._levels:
            return self._levels[lv]
        fut = self._submit(lv, build_level, lv, self.geoms, self._lines)
        if wait:
            if fut.cancel():  # still queued (behind the outline, say): build it on this thread
                del self._jobs[lv]
            else:
                fut.result()
                self.poll()
            if lv not in self._levels:
                self._collect(lv, build_level(lv, self.geoms, self._lines))
            return self._levels[lv]
        return None

    def best_level(self, lv: int) -> LevelGeometry:
        """Level ``lv`` when ready, else the nearest ready one (finer first), else built now."""
        ready = self.level(lv)
        if ready is not None:
            return ready
        if self._levels:
            return self._levels[min(self._levels, key=lambda k: (abs(k - lv), k))]
        return self.level(lv, wait=True)  # first render: nothing to show yet

    def outline_path(self, level: LevelGeometry, box=None) -> QPainterPath | None:
        """The layer's outer outline at a level, near ``box`` if given (None until dissolved)."""
        if self._outline is None:
            return None
        lines = self._outline_lines.get(level.level)
        if lines is None:
            if len(self._outline_lines) > MAX_LEVELS:
                self._outline_lines.clear()
            lines = self._outline_lines[level.level] = ChunkedLines(self._outline, level.tolerance)
        return lines.path(box)

    # ---- picking (world coordinates) -----------------------------------------------------------
    def unit_at(self, x: float, y: float) -> int:
        hits = self.tree.query(shapely.Point(x, y), predicate="intersects")
        return int(hits.min()) if len(hits) else -1

    def units_on_segment(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Units touched by a straight cursor movement (so fast strokes skip nothing)."""
        if x0 == x1 and y0 == y1:
            geom = shapely.Point(x0, y0)
        else:
            geom = shapely.LineString([(x0, y0), (x1, y1)])
        return np.sort(self.tree.query(geom, predicate="intersects"))

    def units_in_rect(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Units whose label point lies in the rectangle."""
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        lx, ly = self.label_xy[:, 0], self.label_xy[:, 1]
        return np.flatnonzero((lx >= x0) & (lx <= x1) & (ly >= y0) & (ly <= y1))

    def units_in_polygon(self, xy: np.ndarray) -> np.ndarray:
        """Units whose label point lies inside a (possibly self-crossing) lasso polygon."""
        if len(xy) < 3:
            return np.zeros(0, dtype=np.int64)
        poly = shapely.make_valid(shapely.Polygon(xy))
        cand = self.units_in_rect(*shapely.bounds(poly))
        if len(cand) == 0:
            return cand
        inside = shapely.contains_xy(poly, self.label_xy[cand, 0], self.label_xy[cand, 1])
        return cand[inside]

    def units_in_bbox(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Units whose bounding box meets the box (drawing candidates)."""
        return np.sort(self.tree.query(shapely.box(x0, y0, x1, y1)))

    def edges_in_bbox(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        if self.edge_bounds is None:
            return np.zeros(0, dtype=np.int64)
        b = self.edge_bounds
        with np.errstate(invalid="ignore"):
            hit = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return np.flatnonzero(hit & self.edge_real)

    def units_bbox(self, units) -> tuple[float, float, float, float] | None:
        units = np.asarray(units, dtype=np.int64)
        if len(units) == 0:
            return None
        b = self.bounds[units]
        with np.errstate(invalid="ignore"):
            box = (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))
        return None if not np.all(np.isfinite(box)) else tuple(float(v) for v in box)
