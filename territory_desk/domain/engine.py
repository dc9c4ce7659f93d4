"""The incremental statistics engine.

It owns the active alignment while the user edits: moving k units updates per-territory sums,
areas, perimeters and piece counts in time proportional to k and their neighbourhoods.

* sums: one row per territory plus a last row for the unassigned pool; a move is a row subtraction
  and addition.
* perimeter without dissolving: P(T) = sum of unit perimeters - 2 x shared boundary inside T, so
  moving u from A to B changes P(A) by -(p_u - 2 L(u, A)) and P(B) by +(p_u - 2 L(u, B)), where
  L(u, X) is u's shared boundary with units of X.
* pieces: removing u from A splits it into c pieces where c = number of components of A that
  u's A-neighbours lie in; adding u to B merges the components of B that u touches
  (``contiguity.components_among``).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .adjacency import Adjacency
from .contiguity import components_among, count_pieces
from .metrics import Stats, derive_stats
from .territories import UNASSIGNED

_OUT = -2  # transient marker for the unit being moved


class Engine:
    def __init__(
        self,
        fields: list[str],
        values: np.ndarray,
        area: np.ndarray,
        perimeter: np.ndarray,
        adjacency: Adjacency,
        assignment: np.ndarray,
        n_territories: int,
    ) -> None:
        self.fields = list(fields)
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self.unit_area = np.asarray(area, dtype=np.float64)
        self.unit_perimeter = np.asarray(perimeter, dtype=np.float64)
        self._uarea = self.unit_area.tolist()
        self._uperim = self.unit_perimeter.tolist()
        self.adjacency = adjacency
        self._nbrs = adjacency.neighbours
        self._lens = adjacency.shared_lengths
        self.n_territories = n_territories
        self.reset(assignment)

    # ---- state -------------------------------------------------------------------------------
    def reset(self, assignment: np.ndarray, n_territories: int | None = None) -> None:
        """Full recompute from an assignment (used on open, on territory add/delete, as oracle)."""
        if n_territories is not None:
            self.n_territories = n_territories
        a = np.asarray(assignment, dtype=np.int64).copy()
        if len(a) and (a.max(initial=-1) >= self.n_territories or a.min(initial=0) < UNASSIGNED):
            raise ValueError("assignment refers to a territory that does not exist")
        self._a = a.tolist()
        state = self.full_state(a)
        self.sums, self.counts, self.area, self.perimeter, self.pieces = state

    def full_state(self, a: np.ndarray) -> tuple[np.ndarray, ...]:
        """(sums, counts, area, perimeter, pieces) computed from scratch."""
        t = self.n_territories
        slot = np.where(a < 0, t, a)
        sums = np.zeros((t + 1, self.values.shape[1]))
        np.add.at(sums, slot, self.values)
        counts = np.bincount(slot, minlength=t + 1).astype(np.int64)
        area = np.bincount(slot, weights=self.unit_area, minlength=t + 1)
        perim = np.bincount(slot, weights=self.unit_perimeter, minlength=t + 1)
        adj = self.adjacency
        same = a[adj.i] == a[adj.j]
        perim -= 2.0 * np.bincount(slot[adj.i[same]], weights=adj.length[same], minlength=t + 1)
        pieces = count_pieces(a, t, adj.i, adj.j)
        return sums, counts, area, perim, pieces

    @property
    def assignment(self) -> np.ndarray:
        return np.array(self._a, dtype=np.int64)

    def territory_of(self, unit: int) -> int:
        return self._a[unit]

    def units_of(self, territory: int) -> np.ndarray:
        return np.flatnonzero(self.assignment == territory)

    # ---- edits -------------------------------------------------------------------------------
    def move(self, units: Iterable[int], dst: int) -> list[tuple[int, int]]:
        """Move units to territory ``dst`` (UNASSIGNED allowed). Returns [(unit, previous)] for undo."""
        if not (UNASSIGNED <= dst < self.n_territories):
            raise ValueError(f"no territory with index {dst}")
        undo: list[tuple[int, int]] = []
        for u in units:
            u = int(u)
            src = self._a[u]
            if src != dst:
                self._move_one(u, src, dst)
                undo.append((u, src))
        return undo

    def apply(self, changes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Set each (unit, territory); returns the inverse changes (used by undo)."""
        undo: list[tuple[int, int]] = []
        for u, dst in changes:
            src = self._a[u]
            if src != dst:
                self._move_one(u, src, dst)
                undo.append((u, src))
        undo.reverse()
        return undo

    def _move_one(self, u: int, src: int, dst: int) -> None:
        a = self._a
        t = self.n_territories
        nb = self._nbrs[u]
        ln = self._lens[u]
        src_n: list[int] = []
        dst_n: list[int] = []
        shared_src = shared_dst = 0.0
        for w, l in zip(nb, ln):
            aw = a[w]
            if aw == src:
                src_n.append(w)
                shared_src += l
            elif aw == dst:
                dst_n.append(w)
                shared_dst += l
        s_slot = t if src < 0 else src
        d_slot = t if dst < 0 else dst
        row = self.values[u]
        self.sums[s_slot] -= row
        self.sums[d_slot] += row
        self.counts[s_slot] -= 1
        self.counts[d_slot] += 1
        ar = self._uarea[u]
        pu = self._uperim[u]
        self.area[s_slot] -= ar
        self.area[d_slot] += ar
        self.perimeter[s_slot] -= pu - 2.0 * shared_src
        self.perimeter[d_slot] += pu - 2.0 * shared_dst
        a[u] = _OUT
        if src >= 0:
            self.pieces[src] += (components_among(src_n, src, a, self._nbrs) - 1) if src_n else -1
        if dst >= 0:
            self.pieces[dst] += 1 - components_among(dst_n, dst, a, self._nbrs)
        a[u] = dst

    # ---- territories come and go ---------------------------------------------------------------
    def add_territory(self) -> int:
        """Append an empty territory slot; returns its index."""
        t = self.n_territories
        self.sums = np.insert(self.sums, t, 0.0, axis=0)
        self.counts = np.insert(self.counts, t, 0)
        self.area = np.insert(self.area, t, 0.0)
        self.perimeter = np.insert(self.perimeter, t, 0.0)
        self.pieces = np.append(self.pieces, 0)
        self.n_territories = t + 1
        return t

    # ---- reading -------------------------------------------------------------------------------
    def stats(self) -> Stats:
        return derive_stats(self.fields, self.sums, self.counts, self.area, self.perimeter, self.pieces)

    def check_against_full(self, rtol: float = 1e-9) -> None:
        """Assert the incremental state equals a full recompute (tests and debugging)."""
        sums, counts, area, perim, pieces = self.full_state(self.assignment)
        scale = max(1.0, float(np.abs(sums).max(initial=0.0)))
        assert np.allclose(self.sums, sums, rtol=rtol, atol=1e-9 * scale), "sums drifted"
        assert np.array_equal(self.counts, counts), "counts drifted"
        assert np.allclose(self.area, area, rtol=1e-9, atol=1e-3), "area drifted"
        assert np.allclose(self.perimeter, perim, rtol=1e-9, atol=1e-3), "perimeter drifted"
        assert np.array_equal(self.pieces, pieces), f"pieces drifted: {self.pieces} != {pieces}"


def engine_for(project, scenario=None) -> Engine:
    """An engine over a project's units and metric fields for one scenario (default: active)."""
    from .metrics import metric_fields, unit_values

    scenario = scenario or project.scenario
    fields = metric_fields(project)
    return Engine(
        [f.key for f in fields],
        unit_values(project, fields),
        project.units.area_m2,
        project.units.perimeter_m,
        project.adjacency,
        scenario.assignment,
        len(scenario.territories),
    )
