"""Spatial indexes behind freeform territories (no Qt).

* ``PointGrid``: account points in a uniform grid of buckets. The points are sorted by bucket
  (row-major), so the points of a run of buckets in one grid row are one contiguous slice. A query
  for a triangle takes, per grid row the triangle crosses, only the buckets between the triangle's
  leftmost and rightmost x in that row: the candidates cover little more than the triangle itself,
  however long and thin it is. ``in_triangle`` is the exact (closed) test on the candidates.
* ``account_xy``: account coordinates projected once into the working CRS, cached per accounts table.
* ``point_grid``: the grid of the accounts a freeform scenario places by location, cached per
  accounts table and set of accounts (an engine rebuilt after an edit does not sort them again).
* ``UnitIndex``: the projected unit polygons with an STRtree and their areas (areal interpolation
  and snapping), cached per unit layer.
"""
from __future__ import annotations

import hashlib
import math
import weakref
from dataclasses import dataclass

import numpy as np
import shapely

from territory_desk.domain.model.projection import LONLAT, transform_points
from territory_desk.domain.stats.membership import counted_accounts, pinned

TARGET_PER_BUCKET = 4.0
MAX_SIDE = 4096

# caches keyed by the identity of the table they derive from, each checked against a weak reference to
# that table (an id can be reused once the table is gone)
_XY_CACHE: dict[tuple[int, str], tuple[weakref.ref, np.ndarray, np.ndarray]] = {}
_GRID_CACHE: dict[tuple, tuple[weakref.ref, "PointGrid"]] = {}
_UNIT_CACHE: dict[tuple[int, str], tuple[weakref.ref, "UnitIndex"]] = {}


def gather_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Indices of the concatenated ranges [starts[k], ends[k])."""
    starts = np.asarray(starts, dtype=np.int64)
    lens = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return offsets + np.arange(total, dtype=np.int64)


def in_triangle(tri: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Closed point-in-triangle test (edges count as inside); a degenerate triangle holds nothing."""
    (ax, ay), (bx, by), (cx, cy) = tri.tolist()
    if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) == 0.0:
        return np.zeros(len(x), dtype=bool)
    d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by)
    d2 = (x - cx) * (by - cy) - (bx - cx) * (y - cy)
    d3 = (x - ax) * (cy - ay) - (cx - ax) * (y - ay)
    neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(neg & pos)


class PointGrid:
    """Points (x, y) bucketed on a uniform grid; positions returned by queries index the sorted
    arrays ``x``, ``y``, ``rows`` (``rows`` = the caller's index of each point)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray | None = None):
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(x)
        rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        if n:
            x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        else:
            x0 = x1 = y0 = y1 = 0.0
        w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
        cells = max(n / TARGET_PER_BUCKET, 1.0)
        side = math.sqrt(cells * w / h)
        self.nx = int(min(max(round(side), 1), MAX_SIDE))
        self.ny = int(min(max(round(cells / self.nx), 1), MAX_SIDE))
        self.x0, self.y0 = x0, y0
        self.cw, self.ch = w / self.nx * (1 + 1e-12), h / self.ny * (1 + 1e-12)
        cx = np.minimum(((x - x0) / self.cw).astype(np.int64), self.nx - 1)
        cy = np.minimum(((y - y0) / self.ch).astype(np.int64), self.ny - 1)
        cell = cy * self.nx + cx
        order = np.argsort(cell, kind="stable")
        self.x, self.y, self.rows = x[order], y[order], rows[order]
        self.start = np.searchsorted(cell[order], np.arange(self.nx * self.ny + 1)).astype(np.int64)
        self.n = n

    def __len__(self) -> int:
        return self.n

    def _row_spans(self, r0: int, r1: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Positions of the points in buckets [lo[k], hi[k]] of rows r0 + k."""
        rows = np.arange(r0, r1 + 1, dtype=np.int64)
        ok = hi >= lo
        rows, lo, hi = rows[ok], lo[ok], hi[ok]
        base = rows * self.nx
        return gather_ranges(self.start[base + lo], self.start[base + hi + 1])

    def _col(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((x - self.x0) / self.cw), 0, self.nx - 1).astype(np.int64)

    def _rowi(self, y: float) -> int:
        return int(min(max(math.floor((y - self.y0) / self.ch), 0), self.ny - 1))

    def in_rect(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Candidate positions for a box (every point of the buckets it touches)."""
        if self.n == 0 or x1 < self.x0 or y1 < self.y0:
            return np.zeros(0, dtype=np.int64)
        r0, r1 = self._rowi(y0), self._rowi(y1)
        k = r1 - r0 + 1
        lo = np.full(k, self._col(np.array([x0]))[0])
        hi = np.full(k, self._col(np.array([x1]))[0])
        return self._row_spans(r0, r1, lo, hi)

    def in_triangle_candidates(self, tri: np.ndarray) -> np.ndarray:
        """Candidate positions for a triangle: per grid row, the buckets between the triangle's
        extreme x in that row."""
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        tri = np.asarray(tri, dtype=np.float64)
        ys = tri[:, 1]
        r0, r1 = self._rowi(float(ys.min())), self._rowi(float(ys.max()))
        k = r1 - r0 + 1
        xmin = np.full(k, np.inf)
        xmax = np.full(k, -np.inf)
        # vertices, in their rows
        vr = np.array([self._rowi(float(v)) for v in ys]) - r0
        np.minimum.at(xmin, vr, tri[:, 0])
        np.maximum.at(xmax, vr, tri[:, 0])
        # crossings of the edges with the row boundaries: each counts for the rows on both sides
        bounds = self.y0 + np.arange(r0 + 1, r1 + 1) * self.ch  # boundary j lies between rows j-1, j
        if len(bounds):
            for a, b in ((0, 1), (1, 2), (2, 0)):
                (ax, ay), (bx, by) = tri[a], tri[b]
                if ay == by:
                    continue
                lo_y, hi_y = min(ay, by), max(ay, by)
                sel = np.flatnonzero((bounds >= lo_y) & (bounds <= hi_y))
                if len(sel) == 0:
                    continue
                xs = ax + (bounds[sel] - ay) * (bx - ax) / (by - ay)
                for rows in (sel, sel + 1):
                    np.minimum.at(xmin, rows, xs)
                    np.maximum.at(xmax, rows, xs)
        ok = np.isfinite(xmin)
        lo = np.where(ok, self._col(np.where(ok, xmin, 0.0)), 1)
        hi = np.where(ok, self._col(np.where(ok, xmax, 0.0)), 0)
        return self._row_spans(r0, r1, lo, hi)

    def triangle(self, tri: np.ndarray) -> np.ndarray:
        """Positions of the points inside a triangle (closed)."""
        cand = self.in_triangle_candidates(tri)
        return cand[in_triangle(np.asarray(tri, dtype=np.float64), self.x[cand], self.y[cand])]

    def inside(self, geom) -> np.ndarray:
        """Boolean mask (over positions) of the points inside a polygonal geometry."""
        out = np.zeros(self.n, dtype=bool)
        if geom is None or shapely.is_empty(geom) or self.n == 0:
            return out
        cand = self.in_rect(*shapely.bounds(geom).tolist())
        if len(cand):
            shapely.prepare(geom)
            out[cand] = shapely.contains_xy(geom, self.x[cand], self.y[cand])
        return out


def account_xy(project) -> tuple[np.ndarray, np.ndarray]:
    """Account coordinates in the working CRS (NaN where an account has no coordinates), projected
    once per accounts table and working CRS."""
    acc = project.accounts
    work = project.units.work_crs
    key = (id(acc.lon), work)
    hit = _XY_CACHE.get(key)
    if hit is not None and hit[0]() is acc.lon and len(hit[1]) == len(acc):
        return hit[1], hit[2]
    if len(acc):
        x, y = transform_points(acc.lon, acc.lat, LONLAT, project.units.working_crs)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        bad = ~(np.isfinite(x) & np.isfinite(y))
        x[bad] = y[bad] = np.nan
    else:
        x = y = np.zeros(0)
    if len(_XY_CACHE) > 8:
        _XY_CACHE.clear()
    _XY_CACHE[key] = (weakref.ref(acc.lon), x, y)
    return x, y


@dataclass
class UnitIndex:
    geoms: np.ndarray  # unit polygons in the working CRS
    tree: shapely.STRtree
    area: np.ndarray  # m2, as measured by the project

    def covered(self, geom) -> tuple[np.ndarray, np.ndarray]:
        """(unit indices, area of each inside ``geom``) for the units that ``geom`` meets."""
        if geom is None or shapely.is_empty(geom):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        cand = self.tree.query(geom, predicate="intersects")
        if len(cand) == 0:
            return cand.astype(np.int64), np.zeros(0)
        shapely.prepare(geom)
        whole = shapely.contains_properly(geom, self.geoms[cand])
        area = np.empty(len(cand))
        area[whole] = shapely.area(self.geoms[cand[whole]])
        part = ~whole
        if part.any():
            area[part] = shapely.area(shapely.intersection(self.geoms[cand[part]], geom))
        return cand.astype(np.int64), area


def unit_index(project) -> UnitIndex:
    """The projected units with an STRtree, cached per unit layer."""
    units = project.units
    key = (id(units.geometry), units.work_crs)
    hit = _UNIT_CACHE.get(key)
    if hit is not None and hit[0]() is units.geometry:
        return hit[1]
    geoms = np.asarray(units.projected(), dtype=object)
    index = UnitIndex(geoms, shapely.STRtree(geoms), shapely.area(geoms).astype(np.float64))
    if len(_UNIT_CACHE) > 4:
        _UNIT_CACHE.clear()
    _UNIT_CACHE[key] = (weakref.ref(units.geometry), index)
    return index


def counted_points(project, scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account rows, x, y) of the accounts a freeform scenario places by location: its layer's
    accounts with coordinates, pinned ones left out (they count in their pinned territory)."""
    x, y = account_xy(project)
    keep = counted_accounts(project, scenario) & np.isfinite(x)
    keep[pinned(project, scenario)[0]] = False
    rows = np.flatnonzero(keep)
    return rows, x[rows], y[rows]


def point_grid(project, scenario) -> PointGrid:
    """The grid of a scenario's located accounts, cached per accounts table and set of accounts."""
    rows, x, y = counted_points(project, scenario)
    acc = project.accounts
    digest = hashlib.blake2b(rows.tobytes(), digest_size=16).digest()
    key = (id(acc.lon), project.units.work_crs, digest)
    hit = _GRID_CACHE.get(key)
    if hit is not None and hit[0]() is acc.lon:
        return hit[1]
    grid = PointGrid(x, y, rows)
    if len(_GRID_CACHE) > 6:
        _GRID_CACHE.clear()
    _GRID_CACHE[key] = (weakref.ref(acc.lon), grid)
    return grid
