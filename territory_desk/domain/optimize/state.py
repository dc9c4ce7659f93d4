"""The local-search state: per-territory sums, areas and perimeters kept in step move by move.

Moving unit u from territory A to B costs O(deg u): the balance sums change by u's values, and the
perimeters by P(A) -= p_u - 2 L(u, A), P(B) += p_u - 2 L(u, B) (L = shared boundary with the
territory), so Polsby-Popper 4πA/P² of both is known at once. Contiguity of A without u is decided
by the engine's check (``contiguity.components_among``): u's neighbours in A joined through each
other, else a bounded search. B stays contiguous because u touches it.

Values are divided by the target (total / K), so every territory aims at 1.0 per constraint.
Balance cost of a territory for one constraint: r² + EXCESS · max(0, |r| - 1), r = deviation /
tolerance — strong outside the tolerance band, a gentle pull to the centre inside it.
"""
from __future__ import annotations

import math

import numpy as np

from territory_desk.domain.model.adjacency import dissolved_perimeters
from territory_desk.domain.optimize.problem import Problem
from territory_desk.domain.stats.contiguity import components_among, find_root

DISPERSION = 10.0  # weight of the dispersion around territory centres in the balance objective
EXCESS = 20.0  # cost of one tolerance-width outside the band, relative to the quadratic pull
FOUR_PI = 4.0 * math.pi
_OUT = -2


class SearchState:
    def __init__(self, p: Problem, assignment: np.ndarray):
        g = p.graph
        self.p, self.g, self.k = p, g, p.k
        self.m = p.values.shape[1]
        self.W = p.values / p.targets  # relative values: a territory aims at 1.0
        self.w = self.W.tolist()
        self.tol = p.tolerances.tolist()
        self.tol_np = p.tolerances
        self.nbrs, self.lens = g.nbrs, g.lens
        self.links = g.link_partners
        self.uarea, self.uperim = g.area.tolist(), g.perimeter.tolist()
        self.ux, self.uy = g.xy[:, 0].tolist(), g.xy[:, 1].tolist()
        self.movable_np = p.fixed < 0
        self.movable = self.movable_np.tolist()
        orig = p.start if p.start is not None else np.full(p.n, -1, dtype=np.int64)
        self.orig_np = np.asarray(orig, dtype=np.int64)
        self.orig = self.orig_np.tolist()
        # designing: keep shapes round while weight moves; rebalancing: the shapes are the user's
        self.dispersion = DISPERSION if p.start is None else 0.0
        self.tabu: set[tuple[int, int]] = set()  # (unit, territory) moves forbidden for now
        self.last_mode = ""  # objective of the last sweep (its scores are stale for another objective)
        self.dis_np = self._disruption_costs(p)
        self.dis = self.dis_np.tolist()
        self.reset(assignment)

    @staticmethod
    def _disruption_costs(p: Problem) -> np.ndarray:
        """Cost of a unit leaving its original territory, in balance-cost units: its share of a
        territory's accounts (plus a little per unit), over the tolerance, times the trade-off."""
        if p.start is None or p.disruption is None or p.disruption_weight <= 0:
            return np.zeros(p.n)
        d = np.asarray(p.disruption, dtype=np.float64)
        share = d / max(d.sum() / p.k, 1e-300)
        share = share + 0.02 / max(p.n / p.k, 1.0)  # a unit without accounts still counts a little
        # the trade-off saturates below the price of leaving a band: disruption never beats balance
        lam = p.disruption_weight
        return 4.0 * lam / (lam + 3.0) * share / float(p.tolerances.min())

    def reset(self, assignment: np.ndarray) -> None:
        a = np.asarray(assignment, dtype=np.int64).copy()
        k, g = self.k, self.g
        self.an = a
        self.a = a.tolist()
        self.cnt = np.bincount(a, minlength=k)[:k].tolist()
        sums = np.zeros((k, self.m))
        np.add.at(sums, a, self.W)
        self.S = sums.tolist()
        self.area = np.bincount(a, weights=g.area, minlength=k)[:k].tolist()
        perim = dissolved_perimeters(a, k, g.perimeter, g.ei, g.ej, g.length)[:k]
        self.perim = np.maximum(perim, 1e-9).tolist()
        self.pp = [FOUR_PI * ar / (pe * pe) for ar, pe in zip(self.area, self.perim)]
        self.disrupted = float(self.dis_np[(self.orig_np >= 0) & (self.orig_np != a)].sum())
        self.touched: set[int] = set(range(k))  # territories changed since the last sweep scored moves
        self.update_centres()

    def update_centres(self) -> None:
        """Area-weighted centres of the territories (fixed between sweeps, so that the dispersion
        term a_u·|x_u - c_t|² / (Ā²/2π) is linear in the moves; Ā = the mean territory area: one
        scale for all, so a small territory is not barred from taking a large empty unit)."""
        g, a, k = self.g, self.an, self.k
        area = np.maximum(np.bincount(a, weights=g.area, minlength=k)[:k], 1e-9)
        self.cx_np = np.bincount(a, weights=g.area * g.xy[:, 0], minlength=k)[:k] / area
        self.cy_np = np.bincount(a, weights=g.area * g.xy[:, 1], minlength=k)[:k] / area
        self.inv_np = np.full(k, 2.0 * math.pi / float(area.mean()) ** 2)
        self.cx, self.cy, self.inv = self.cx_np.tolist(), self.cy_np.tolist(), self.inv_np.tolist()

    def dispersion_delta(self, u: int, A: int, B: int) -> float:
        x, y = self.ux[u], self.uy[u]
        da = ((x - self.cx[A]) ** 2 + (y - self.cy[A]) ** 2) * self.inv[A]
        db = ((x - self.cx[B]) ** 2 + (y - self.cy[B]) ** 2) * self.inv[B]
        return self.uarea[u] * (db - da)

    # ---- objective pieces ----------------------------------------------------------------------
    def cost(self, x: float, c: int) -> float:
        r = (x - 1.0) / self.tol[c]
        ar = abs(r)
        return r * r + (EXCESS * (ar - 1.0) if ar > 1.0 else 0.0)

    def balance_cost(self) -> float:
        return sum(self.cost(s[c], c) for s in self.S for c in range(self.m))

    def excess(self) -> float:
        """Sum over territories and constraints of the excess over the band, in band widths."""
        r = np.abs(np.asarray(self.S) - 1.0) / self.tol_np
        return float(np.maximum(r - 1.0, 0.0).sum())

    def max_deviation(self) -> np.ndarray:
        """(m,) largest |relative deviation| from the target per constraint."""
        return np.abs(np.asarray(self.S) - 1.0).max(axis=0)

    def in_band(self) -> bool:
        return bool((self.max_deviation() <= self.tol_np * (1 + 1e-9)).all())

    def compact_objective(self) -> float:
        return -sum(self.pp) + self.disrupted

    # ---- one move ------------------------------------------------------------------------------
    def scan(self, u: int, A: int, B: int) -> tuple[float, float, bool]:
        """(shared boundary of u with A, with B, whether u touches B)."""
        a = self.a
        la = lb = 0.0
        touch = False
        for w, ln in zip(self.nbrs[u], self.lens[u]):
            t = a[w]
            if t == A:
                la += ln
            elif t == B:
                lb += ln
                touch = True
        if touch and u in self.links:  # a link does not count as touching
            touch = any(a[w] == B for w in self.nbrs[u] if w not in self.links[u])
        return la, lb, touch

    def pp_delta(self, u: int, A: int, B: int, la: float, lb: float) -> tuple[float, float, float]:
        """(change of the sum of Polsby-Popper, new perimeter of A, new perimeter of B)."""
        pu, au = self.uperim[u], self.uarea[u]
        pa = max(self.perim[A] - pu + 2.0 * la, 1e-9)
        pb = max(self.perim[B] + pu - 2.0 * lb, 1e-9)
        d = FOUR_PI * ((self.area[A] - au) / (pa * pa) + (self.area[B] + au) / (pb * pb)) - self.pp[A] - self.pp[B]
        return d, pa, pb

    def balance_delta(self, u: int, A: int, B: int) -> float:
        wu, sa, sb, cost = self.w[u], self.S[A], self.S[B], self.cost
        d = 0.0
        for c in range(self.m):
            x = wu[c]
            if x:
                d += cost(sa[c] - x, c) - cost(sa[c], c) + cost(sb[c] + x, c) - cost(sb[c], c)
        return d

    def band_ok(self, u: int, A: int, B: int) -> bool:
        """After the move, A and B are inside every tolerance band, or no further outside than before."""
        wu, sa, sb, tol = self.w[u], self.S[A], self.S[B], self.tol
        for c in range(self.m):
            x = wu[c]
            if x:
                na, nb = abs(sa[c] - x - 1.0), abs(sb[c] + x - 1.0)
                if na > tol[c] and na > abs(sa[c] - 1.0):
                    return False
                if nb > tol[c] and nb > abs(sb[c] - 1.0):
                    return False
        return True

    def disruption_delta(self, u: int, A: int, B: int) -> float:
        o = self.orig[u]
        if o < 0:
            return 0.0
        return self.dis[u] if o == A else (-self.dis[u] if o == B else 0.0)

    def can_remove(self, u: int, A: int) -> bool:
        """Whether A stays as connected as it is (and not empty) without u."""
        if self.cnt[A] <= 1:
            return False
        a = self.a
        src = [w for w in self.nbrs[u] if a[w] == A]
        if len(src) <= 1:
            return True
        a[u] = _OUT
        ok = _joined_nearby(src, A, a, self.nbrs) or components_among(src, A, a, self.nbrs) == 1
        a[u] = A
        return ok

    def apply(self, u: int, A: int, B: int, pa: float, pb: float) -> None:
        self.a[u] = B
        self.an[u] = B
        self.cnt[A] -= 1
        self.cnt[B] += 1
        self.touched.add(A)
        self.touched.add(B)
        sa, sb = self.S[A], self.S[B]
        for c, x in enumerate(self.w[u]):
            sa[c] -= x
            sb[c] += x
        au = self.uarea[u]
        self.area[A] -= au
        self.area[B] += au
        self.perim[A], self.perim[B] = pa, pb
        self.pp[A] = FOUR_PI * self.area[A] / (pa * pa)
        self.pp[B] = FOUR_PI * self.area[B] / (pb * pb)
        self.disrupted += self.disruption_delta(u, A, B)

    def move(self, u: int, B: int) -> None:
        """Unconditional move (used by block transfers after their own checks)."""
        A = self.a[u]
        la, lb, _ = self.scan(u, A, B)
        _, pa, pb = self.pp_delta(u, A, B, la, lb)
        self.apply(u, A, B, pa, pb)


def _joined_nearby(seeds: list[int], t: int, a: list[int], nbrs: list[list[int]]) -> bool:
    """Whether the seeds (neighbours in t of a removed unit) are joined within two steps of each
    other: decides most moves without a search (corner neighbours meet through a common unit)."""
    k = len(seeds)
    parent = list(range(k))
    owner = {s: i for i, s in enumerate(seeds)}
    groups = k
    for i, s in enumerate(seeds):
        for w in nbrs[s]:
            if a[w] != t:
                continue
            j = owner.get(w)
            if j is None:
                owner[w] = i
                continue
            ri, rj = find_root(parent, i), find_root(parent, j)
            if ri != rj:
                parent[ri] = rj
                groups -= 1
                if groups == 1:
                    return True
    return groups == 1
