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

from territory_desk.domain.model.adjacency import Adjacency
from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.domain.stats.contiguity import components_among, count_pieces
from territory_desk.domain.stats.metrics import SlotFigures, Stats, derive_stats, metric_fields, pinned_values, unit_values

_OUT = -2  # transient marker for the unit being moved
BATCH = 48  # moves of at least this many units are applied vectorised


class Engine(SlotFigures):
    """Live figures of a unit scenario (territories are sets of units); see the module docstring."""

    def __init__(
        self,
        fields: list[str],
        values: np.ndarray,
        area: np.ndarray,
        perimeter: np.ndarray,
        adjacency: Adjacency,
        assignment: np.ndarray,
        n_territories: int,
        offsets: np.ndarray | None = None,
    ) -> None:
        self.fields = list(fields)
        # constant per-slot additions to the sums (pinned accounts count in their territory
        # whatever the units do); shape (n_territories + 1, n_fields) or None
        self.offsets = None if offsets is None else np.asarray(offsets, dtype=np.float64).copy()
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self.unit_area = np.asarray(area, dtype=np.float64)
        self.unit_perimeter = np.asarray(perimeter, dtype=np.float64)
        self._uarea = self.unit_area.tolist()
        self._uperim = self.unit_perimeter.tolist()
        self.adjacency = adjacency
        self._nbrs = adjacency.neighbours
        self._lens = adjacency.shared_lengths
        self.n_territories = n_territories
        # unit -> incident edge ids (CSR), for batch moves
        ends = np.concatenate([adjacency.i, adjacency.j])
        order = np.argsort(ends, kind="stable")
        self._inc_edges = (order % max(adjacency.edge_count, 1)).astype(np.int64)
        self._inc_ptr = np.searchsorted(ends[order], np.arange(len(self.unit_area) + 1))
        self.reset(assignment)

    @classmethod
    def for_scenario(cls, project, scenario) -> "Engine":
        """An engine over a project's units and metric fields for one unit scenario."""
        fields = metric_fields(project)
        return cls([f.key for f in fields], unit_values(project, fields, scenario), project.units.area_m2,
                   project.units.perimeter_m, project.adjacency, scenario.assignment, len(scenario.territories),
                   offsets=pinned_values(project, fields, scenario))

    # ---- state -------------------------------------------------------------------------------
    def reset(self, assignment: np.ndarray, n_territories: int | None = None) -> None:
        """Full recompute from an assignment (used on open, on territory add/delete, as oracle)."""
        if n_territories is not None:
            self.n_territories = n_territories
        a = np.asarray(assignment, dtype=np.int64).copy()
        if len(a) and (a.max(initial=-1) >= self.n_territories or a.min(initial=0) < UNASSIGNED):
            raise ValueError("assignment refers to a territory that does not exist")
        self._a = a.tolist()
        self._an = a  # numpy mirror of _a (kept in step on every move)
        state = self.full_state(a)
        self.sums, self.counts, self.area, self.perimeter, self.pieces = state

    def full_state(self, a: np.ndarray) -> tuple[np.ndarray, ...]:
        """(sums, counts, area, perimeter, pieces) computed from scratch."""
        t = self.n_territories
        slot = np.where(a < 0, t, a)
        sums = np.zeros((t + 1, self.values.shape[1]))
        np.add.at(sums, slot, self.values)
        if self.offsets is not None:
            sums += self.offsets
        counts = np.bincount(slot, minlength=t + 1).astype(np.int64)
        area = np.bincount(slot, weights=self.unit_area, minlength=t + 1)
        adj = self.adjacency
        perim = adj.perimeters(a, t, self.unit_perimeter)
        pieces = count_pieces(a, t, adj.i, adj.j)
        return sums, counts, area, perim, pieces

    @property
    def assignment(self) -> np.ndarray:
        return self._an.copy()

    def territory_of(self, unit: int) -> int:
        return self._a[unit]

    def units_of(self, territory: int) -> np.ndarray:
        return np.flatnonzero(self._an == territory)

    # ---- edits -------------------------------------------------------------------------------
    def move(self, units: Iterable[int], dst: int) -> list[tuple[int, int]]:
        """Move units to territory ``dst`` (UNASSIGNED allowed). Returns [(unit, previous)] for undo."""
        if not (UNASSIGNED <= dst < self.n_territories):
            raise ValueError(f"no territory with index {dst}")
        units = [int(u) for u in units]
        if len(units) >= BATCH and len(set(units)) == len(units):
            arr = np.asarray(units, dtype=np.int64)
            src = self._an[arr]
            moving = src != dst
            self._move_batch(arr[moving], dst)
            return list(zip(arr[moving].tolist(), src[moving].tolist()))
        undo: list[tuple[int, int]] = []
        for u in units:
            src = self._a[u]
            if src != dst:
                self._move_one(u, src, dst)
                undo.append((u, src))
        return undo

    def apply(self, changes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Set each (unit, territory); returns the inverse changes (used by undo)."""
        if len(changes) >= BATCH and len({u for u, _ in changes}) == len(changes):
            groups: dict[int, list[int]] = {}
            for u, dst in changes:
                groups.setdefault(dst, []).append(u)
            undo: list[tuple[int, int]] = []
            for dst, us in groups.items():
                undo.extend(self.move(us, dst))
            undo.reverse()
            return undo
        undo = []
        for u, dst in changes:
            src = self._a[u]
            if src != dst:
                self._move_one(u, src, dst)
                undo.append((u, src))
        undo.reverse()
        return undo

    def _move_batch(self, units: np.ndarray, dst: int) -> None:
        """Vectorised move of many units: sums and perimeters through the edges incident to the moved
        units; pieces recomputed for the touched territories only."""
        if len(units) == 0:
            return
        t = self.n_territories
        old = self._an
        src = old[units]
        s_slot = np.where(src < 0, t, src)
        d_slot = t if dst < 0 else dst
        vals = self.values[units]
        np.subtract.at(self.sums, s_slot, vals)
        self.sums[d_slot] += vals.sum(axis=0)
        self.counts -= np.bincount(s_slot, minlength=t + 1)
        self.counts[d_slot] += len(units)
        self.area -= np.bincount(s_slot, weights=self.unit_area[units], minlength=t + 1)
        self.area[d_slot] += self.unit_area[units].sum()
        self.perimeter -= np.bincount(s_slot, weights=self.unit_perimeter[units], minlength=t + 1)
        self.perimeter[d_slot] += self.unit_perimeter[units].sum()
        starts, stops = self._inc_ptr[units], self._inc_ptr[units + 1]
        lens = stops - starts
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(lens.sum())
        edges = np.unique(self._inc_edges[pos])
        ei, ej, el = self.adjacency.i[edges], self.adjacency.j[edges], self.adjacency.length[edges]
        before_i, before_j = old[ei], old[ej]
        same = before_i == before_j
        self.perimeter += 2.0 * np.bincount(np.where(before_i < 0, t, before_i)[same], weights=el[same], minlength=t + 1)
        new = old.copy()
        new[units] = dst
        after_i, after_j = new[ei], new[ej]
        same = after_i == after_j
        self.perimeter -= 2.0 * np.bincount(np.where(after_i < 0, t, after_i)[same], weights=el[same], minlength=t + 1)
        self._an = new
        a = self._a
        for u in units.tolist():
            a[u] = dst
        touched = np.unique(np.concatenate([src, [dst]]))
        touched = touched[touched >= 0]
        if len(touched):
            pieces = count_pieces(new, t, self.adjacency.i, self.adjacency.j, only=touched)
            self.pieces[touched] = pieces[touched]

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
        self._an[u] = dst
        if src >= 0:
            self.pieces[src] += (components_among(src_n, src, a, self._nbrs) - 1) if src_n else -1
        if dst >= 0:
            self.pieces[dst] += 1 - components_among(dst_n, dst, a, self._nbrs)
        a[u] = dst

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
