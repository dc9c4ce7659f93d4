"""Freeform territories: drawn polygons instead of sets of units, with live statistics (no Qt).

A freeform scenario (``Scenario.shapes`` is a dict territory id -> shapely (Multi)Polygon in the
working CRS) counts every account inside a territory's polygon in that territory; accounts inside
two overlapping polygons count in both (and are listed as overlaps), accounts in none are uncovered.
Unit metrics (population, ...) are apportioned by the share of each unit's area inside the polygon
(areal interpolation); a unit counts in a territory's unit figure when at least half of it is inside.

``FreeformEngine`` offers what every engine offers (``kinds.StatsEngine``: fields, values,
n_territories, stats(), add_territory(), check_against_full()) plus what only drawn territories
have: ``set_shape(t, geom)``, which re-evaluates that one polygon only, ``shapes``, ``overlaps()``,
``uncovered()`` and ``account_territories()``.

Live vertex drags are exact and cheap: when vertex v of a ring moves to v', the ring gains the
closed loop prev -> v' -> next -> v -> prev, which is the sum of the triangles (prev, v', v) and
(v', next, v). A point's even-odd membership flips exactly when it lies in one of the two triangles
(not both), so only the points the triangles cover are tested (``PointGrid``), and the sums change by
their values. Winding numbers add up the same way, so a unit's area inside the polygon changes by
kappa * (o(A) area(unit & A) + o(B) area(unit & B)) (o = triangle orientation, kappa = +-1 for the
ring's orientation and whether it is a hole).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.domain.stats.freeform_index import PointGrid, account_xy, point_grid, unit_index
from territory_desk.domain.stats.metrics import SlotFigures, Stats, derive_stats, metric_fields, pinned_values, unit_values

HALF = 0.5  # a unit counts in a territory's unit count when this share of its area is inside
MAX_FAST_VERTICES = 4  # edits moving more vertices than this re-evaluate the polygon in full


@dataclass
class RingLayout:
    """All ring coordinates of a polygon (closing points included), ring offsets, and per ring
    kappa = (+1 exterior / -1 hole) x (+1 counter-clockwise / -1 clockwise)."""

    coords: np.ndarray
    start: np.ndarray  # (R + 1,)
    kappa: np.ndarray  # (R,)
    ccw: np.ndarray  # (R,) +1 counter-clockwise, -1 clockwise

    @classmethod
    def of(cls, geom) -> "RingLayout":
        parts = shapely.get_parts(geom)
        rings, owner = shapely.get_rings(parts, return_index=True)
        exterior = np.ones(len(rings), dtype=bool)
        exterior[1:] = owner[1:] != owner[:-1]
        ccw = np.where(shapely.is_ccw(rings), 1.0, -1.0)
        kappa = np.where(exterior, 1.0, -1.0) * ccw
        sizes = shapely.get_num_coordinates(rings)
        start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(shapely.get_coordinates(rings).astype(np.float64), start, kappa, ccw)


def polygonal(geom) -> bool:
    return geom is not None and shapely.get_type_id(geom) in (3, 6) and not shapely.is_empty(geom)


def pieces_of(geom) -> int:
    if not polygonal(geom):
        return 0
    return int(shapely.get_num_geometries(geom))


def _orient(tri: np.ndarray) -> float:
    (ax, ay), (bx, by), (cx, cy) = tri.tolist()
    return float(np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)))


def _ring_sign(xy: np.ndarray) -> float:
    x, y = xy[:-1, 0], xy[:-1, 1]
    return float(np.sign(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def freeform_account_territories(project, scenario) -> np.ndarray:
    """Territory index of every account inside a polygon of ``scenario`` (the first territory when
    polygons overlap; -1 when none). Layers and pins are applied by kinds.account_territories."""
    x, y = account_xy(project)
    out = np.full(len(project.accounts), UNASSIGNED, dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(x))
    grid = PointGrid(x[ok], y[ok], ok)
    for t, terr in enumerate(scenario.territories):
        inside = grid.rows[grid.inside((scenario.shapes or {}).get(terr.id))]
        free = inside[out[inside] == UNASSIGNED]
        out[free] = t
    return out


class FreeformEngine(SlotFigures):
    """Live figures of a freeform scenario (territories are drawn polygons); see the module docstring."""

    def __init__(self, project, scenario):
        self.fields_meta = metric_fields(project)
        self.fields = [f.key for f in self.fields_meta]
        f_count = len(self.fields)
        self.acc_cols = np.array([k for k, f in enumerate(self.fields_meta) if f.source != "unit"], dtype=np.int64)
        self.unit_cols = np.array([k for k, f in enumerate(self.fields_meta) if f.source == "unit"], dtype=np.int64)
        # what each unit holds (the canvas tooltip reads it); freeform sums do not use it
        self.values = unit_values(project, self.fields_meta, scenario)
        # accounts placed by location, in grid order
        self.grid = point_grid(project, scenario)
        acc = project.accounts
        pv = np.zeros((len(self.grid), len(self.acc_cols)))
        for c, k in enumerate(self.acc_cols.tolist()):
            f = self.fields_meta[k]
            pv[:, c] = 1.0 if f.source == "account_count" else np.nan_to_num(acc.numeric[f.column][self.grid.rows])
        self.point_values = pv
        self.cover = np.zeros(len(self.grid), dtype=np.int32)
        # units (areal interpolation)
        self.units = unit_index(project)
        area = self.units.area
        self._inv_area = np.where(area > 0, 1.0 / np.where(area > 0, area, 1.0), 0.0)
        self.unit_metric = np.zeros((len(area), len(self.unit_cols)))
        for c, k in enumerate(self.unit_cols.tolist()):
            self.unit_metric[:, c] = np.nan_to_num(project.units.numeric[self.fields_meta[k].column])
        self.total_cov = np.zeros(len(area))
        # per territory slot
        self.n_territories = 0
        self.shapes: list = []
        self.members: list[np.ndarray] = []
        self.cov: list[np.ndarray] = []
        self._layout: list[RingLayout | None] = []
        # unit shares left approximate while a preview outline crosses itself (evaluated afresh once it
        # no longer does; such an outline cannot be committed)
        self._units_stale: set[int] = set()
        self.sums = np.zeros((1, f_count))
        self.sums[0, self.acc_cols] = pv.sum(axis=0)
        self.sums[0, self.unit_cols] = self.unit_metric.sum(axis=0)
        self.counts = np.array([len(area)], dtype=np.int64)  # units at least half inside; last: the rest
        self.area = np.zeros(1)
        self.perimeter = np.zeros(1)
        self.pieces = np.zeros(0, dtype=np.int64)
        self.offsets = None
        for terr in scenario.territories:
            t = self.add_territory()
            self.set_shape(t, (scenario.shapes or {}).get(terr.id))
        offsets = pinned_values(project, self.fields_meta, scenario)
        if offsets is not None:
            self.offsets = offsets

    @classmethod
    def for_scenario(cls, project, scenario=None) -> "FreeformEngine":
        return cls(project, scenario or project.scenario)

    # ---- what every engine offers ----------------------------------------------------------------
    def add_territory(self) -> int:
        """Append an empty territory slot (no shape yet); returns its index."""
        t = super().add_territory()
        self.shapes.append(None)
        self.members.append(np.zeros(len(self.grid), dtype=bool))
        self.cov.append(np.zeros(len(self.total_cov)))
        self._layout.append(None)
        return t

    def stats(self) -> Stats:
        sums = self.sums if self.offsets is None else self.sums + self.offsets
        return derive_stats(self.fields, sums, self.counts, self.area, self.perimeter, self.pieces)

    # ---- shapes ----------------------------------------------------------------------------------
    def set_shape(self, t: int, geom) -> None:
        """Give territory slot ``t`` a polygon (None: no shape). A move of a few vertices is applied
        incrementally; anything else re-evaluates this one polygon in full."""
        geom = geom if polygonal(geom) else None
        old = self.shapes[t]
        if geom is old:
            return
        moved = self._moved_vertices(t, geom)
        if moved is not None:
            for r, k, xy in moved:
                self._move_vertex(t, r, k, xy)
            self._finish_fast(t, geom, {r for r, _, _ in moved})
            return
        self.shapes[t] = geom
        self._layout[t] = RingLayout.of(geom) if geom is not None else None
        self._set_points(t, self.grid.inside(geom))
        self._set_units(t, geom)
        self._measure(t)

    def _moved_vertices(self, t: int, geom):
        """[(ring, vertex, new xy)] when ``geom`` differs from the current shape by a few vertices of
        the same rings; None otherwise."""
        lay = self._layout[t]
        if lay is None or geom is None:
            return None
        coords = shapely.get_coordinates(geom)
        if coords.shape != lay.coords.shape:
            return None
        diff = np.flatnonzero((coords != lay.coords).any(axis=1))
        if len(diff) == 0:
            return []
        if len(diff) > 2 * MAX_FAST_VERTICES:
            return None
        new = RingLayout.of(geom)
        if not np.array_equal(new.start, lay.start):
            return None
        ring = np.searchsorted(lay.start, diff, side="right") - 1
        local = diff - lay.start[ring]
        nv = lay.start[ring + 1] - lay.start[ring] - 1
        if (nv < 3).any():
            return None
        local = np.where(local == nv, 0, local)  # the closing point is vertex 0
        moved = sorted({(int(r), int(k)) for r, k in zip(ring.tolist(), local.tolist())})
        if len(moved) > MAX_FAST_VERTICES:
            return None
        return [(r, k, coords[lay.start[r] + k].copy()) for r, k in moved]

    def _move_vertex(self, t: int, r: int, k: int, xy: np.ndarray) -> None:
        lay = self._layout[t]
        assert lay is not None  # a vertex move is only found on a laid-out polygon
        s = int(lay.start[r])
        nv = int(lay.start[r + 1]) - s - 1
        c = lay.coords
        prev, v, nxt = c[s + (k - 1) % nv], c[s + k].copy(), c[s + (k + 1) % nv]
        if v[0] == xy[0] and v[1] == xy[1]:
            return
        tri_a = np.array([prev, xy, v])
        tri_b = np.array([xy, nxt, v])
        flip = np.setxor1d(self.grid.triangle(tri_a), self.grid.triangle(tri_b), assume_unique=True)
        self._flip_points(t, flip)
        units, delta = [], []
        for tri in (tri_a, tri_b):
            o = _orient(tri)
            if o == 0.0:
                continue
            u, a = self.units.covered(shapely.Polygon(tri))
            units.append(u)
            delta.append(lay.kappa[r] * o * a)
        c[s + k] = xy
        if k == 0:
            c[s + nv] = xy
        if units:
            u = np.concatenate(units)
            d = np.concatenate(delta)
            uniq, inv = np.unique(u, return_inverse=True)
            self._apply_units(t, uniq, self.cov[t][uniq] + np.bincount(inv, weights=d, minlength=len(uniq)))

    def _finish_fast(self, t: int, geom, rings: set[int]) -> None:
        lay = self._layout[t]
        assert lay is not None
        self.shapes[t] = geom
        # the signed-triangle area update holds for simple rings only: while a preview outline crosses
        # itself the unit shares are left as they are (accounts stay exact) and evaluated afresh as soon
        # as it no longer does, so a drag pays one full evaluation per crossing, not one per mouse move
        if not shapely.is_valid(geom):
            self._units_stale.add(t)
            self._measure(t)
            return
        if t in self._units_stale:
            self._units_stale.discard(t)
            self._layout[t] = RingLayout.of(geom)
            self._set_units(t, geom)
            self._measure(t)
            return
        # a ring turned inside out (a vertex dragged across the opposite side) changes kappa: then the
        # unit shares of this polygon are evaluated afresh
        if any(_ring_sign(lay.coords[lay.start[r]:lay.start[r + 1]]) not in (0.0, lay.ccw[r]) for r in rings):
            self._layout[t] = RingLayout.of(geom)
            self._set_units(t, geom)
        self._measure(t)

    def _measure(self, t: int) -> None:
        geom = self.shapes[t]
        self.area[t] = float(shapely.area(geom)) if geom is not None else 0.0
        self.perimeter[t] = float(shapely.length(geom)) if geom is not None else 0.0
        self.pieces[t] = pieces_of(geom)

    # ---- points ----------------------------------------------------------------------------------
    def _set_points(self, t: int, mask: np.ndarray) -> None:
        self._flip_points(t, np.flatnonzero(mask != self.members[t]))

    def _flip_points(self, t: int, pos: np.ndarray) -> None:
        if len(pos) == 0:
            return
        m = self.members[t]
        was = m[pos]
        enter, leave = pos[~was], pos[was]
        m[pos] = ~was
        pv, cols, pool = self.point_values, self.acc_cols, self.n_territories
        self.sums[t, cols] += pv[enter].sum(axis=0) - pv[leave].sum(axis=0)
        first = enter[self.cover[enter] == 0]
        self.cover[enter] += 1
        self.cover[leave] -= 1
        last = leave[self.cover[leave] == 0]
        self.sums[pool, cols] += pv[last].sum(axis=0) - pv[first].sum(axis=0)

    # ---- units -----------------------------------------------------------------------------------
    def _set_units(self, t: int, geom) -> None:
        self._units_stale.discard(t)
        if geom is not None and not shapely.is_valid(geom):  # a preview crossing itself
            geom = shapely.make_valid(geom)
        units, area = self.units.covered(geom)
        old = np.flatnonzero(self.cov[t])
        touched = np.union1d(old, units)
        new = np.zeros(len(touched))
        new[np.searchsorted(touched, units)] = area
        self._apply_units(t, touched, new)

    def _apply_units(self, t: int, units: np.ndarray, new_cov: np.ndarray) -> None:
        """Set territory t's covered area of ``units`` to ``new_cov`` and update every figure."""
        if len(units) == 0:
            return
        inv = self._inv_area[units]
        old_share = np.clip(self.cov[t][units] * inv, 0.0, 1.0)
        new_share = np.clip(new_cov * inv, 0.0, 1.0)
        old_free = np.clip(1.0 - self.total_cov[units] * inv, 0.0, 1.0)
        old_counted = self.total_cov[units] * inv >= HALF
        self.cov[t][units] = new_cov
        total = np.zeros(len(units))
        for c in self.cov:
            total += c[units]
        self.total_cov[units] = total
        new_free = np.clip(1.0 - total * inv, 0.0, 1.0)
        vals = self.unit_metric[units]
        pool = self.n_territories
        if len(self.unit_cols):
            self.sums[t, self.unit_cols] += (new_share - old_share) @ vals
            self.sums[pool, self.unit_cols] += (new_free - old_free) @ vals
        self.counts[t] += int(np.count_nonzero(new_share >= HALF)) - int(np.count_nonzero(old_share >= HALF))
        self.counts[pool] -= int(np.count_nonzero(total * inv >= HALF)) - int(np.count_nonzero(old_counted))

    # ---- reading ---------------------------------------------------------------------------------
    def account_territories(self, n_accounts: int) -> np.ndarray:
        """Territory index per account row (first territory containing it; -1 none / not placed)."""
        out = np.full(n_accounts, UNASSIGNED, dtype=np.int64)
        for t in range(self.n_territories - 1, -1, -1):
            out[self.grid.rows[self.members[t]]] = t
        return out

    def overlaps(self) -> list[tuple[int, int, np.ndarray]]:
        """[(t1, t2, account rows inside both)] for every pair of territories sharing accounts."""
        multi = self.cover >= 2
        if not multi.any():
            return []
        pos = np.flatnonzero(multi)
        inside = np.array([m[pos] for m in self.members])  # (T, k)
        out = []
        for a in range(self.n_territories):
            for b in range(a + 1, self.n_territories):
                both = inside[a] & inside[b]
                if both.any():
                    out.append((a, b, np.sort(self.grid.rows[pos[both]])))
        return out

    def uncovered(self) -> np.ndarray:
        """Account rows (placed by location) inside no territory."""
        return np.sort(self.grid.rows[self.cover == 0])

    def check_against_full(self, rtol: float = 1e-9) -> None:
        """Assert the incremental state equals a fresh evaluation of every polygon (tests)."""
        for t, geom in enumerate(self.shapes):
            fresh = self.grid.inside(geom)
            assert np.array_equal(fresh, self.members[t]), f"membership of territory {t} drifted"
        cover = np.sum([m.astype(np.int32) for m in self.members], axis=0) if self.members else 0
        assert np.array_equal(self.cover, cover + np.zeros(len(self.grid), dtype=np.int32)), "cover drifted"
        t_count = self.n_territories
        sums = np.zeros_like(self.sums)
        pv = self.point_values
        for t in range(t_count):
            sums[t, self.acc_cols] = pv[self.members[t]].sum(axis=0)
        sums[t_count, self.acc_cols] = pv[self.cover == 0].sum(axis=0)
        total = np.zeros(len(self.total_cov))
        counts = np.zeros(t_count + 1, dtype=np.int64)
        for t, geom in enumerate(self.shapes):
            units, area = self.units.covered(geom if geom is None or shapely.is_valid(geom) else shapely.make_valid(geom))
            cov = np.zeros(len(total))
            cov[units] = area
            scale = max(1.0, float(np.abs(cov).max(initial=0.0)))
            assert np.allclose(self.cov[t], cov, rtol=1e-7, atol=1e-7 * scale), f"unit cover of territory {t} drifted"
            total += cov
            share = np.clip(cov * self._inv_area, 0.0, 1.0)
            sums[t, self.unit_cols] = share @ self.unit_metric
            counts[t] = int(np.count_nonzero(share >= HALF))
        free = np.clip(1.0 - total * self._inv_area, 0.0, 1.0)
        sums[t_count, self.unit_cols] = free @ self.unit_metric
        counts[t_count] = int(np.count_nonzero(total * self._inv_area < HALF))
        scale = max(1.0, float(np.abs(sums).max(initial=0.0)))
        assert np.allclose(self.sums, sums, rtol=max(rtol, 1e-7), atol=1e-7 * scale), "sums drifted"
        near = np.abs(total * self._inv_area - HALF) < 1e-6
        if not near.any():
            assert np.array_equal(self.counts, counts), f"unit counts drifted: {self.counts} != {counts}"
        for t, geom in enumerate(self.shapes):
            assert self.pieces[t] == pieces_of(geom), "pieces drifted"
            assert np.isclose(self.area[t], shapely.area(geom) if geom is not None else 0.0), "area drifted"
