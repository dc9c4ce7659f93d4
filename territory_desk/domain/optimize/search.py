"""Moves over boundary units: greedy sweeps and simulated annealing.

Sweeps: every (boundary unit, neighbouring territory) pair is scored at once with numpy from the
current sums; the improving ones are then applied best first by the scalar loop, each re-scored
against the live state and checked for contiguity (a territory is never split). Only pairs whose
territories changed since the last sweep are scored again.

Annealing for compactness (sum of Polsby-Popper) with the tolerance bands: ``anneal_soft`` makes
the bands a penalty whose weight rises as the temperature falls (the plan may leave them early to
reshape and must return by the end); ``anneal`` keeps them hard and ends on the best plan seen.
Moves are drawn as random directed edges of the unit graph (an edge crossing a border proposes
moving its source unit to the other side); random numbers come in blocks from one Generator.

Objectives ("modes"):
* "balance": balance cost (quadratic pull + penalty outside the band) + dispersion around the
  territory centres (keeps the shapes round while weight moves) - a little ΣPP + disruption;
* "restore": only moves that reduce the excess over the bands, the most compact first;
* "compact": -ΣPP + disruption, every move kept inside the bands (or no further outside).
"""
from __future__ import annotations

import math

import numpy as np

from territory_desk.domain.optimize.state import EXCESS, FOUR_PI, SearchState

EPS = 1e-12
PP_IN_BALANCE = 0.05  # weight of ΣPP in the balance objective (a tie-breaker)


def _cost(x: np.ndarray, tol: np.ndarray, q: float = 1.0) -> np.ndarray:
    r = (x - 1.0) / tol
    return q * r * r + EXCESS * np.maximum(np.abs(r) - 1.0, 0.0)


def candidates(st: SearchState, mode: str) -> tuple[list[int], list[int]]:
    """Improving (unit, territory) moves scored from the current state, best first."""
    g, an, k = st.g, st.an, st.k
    tu, tv = an[g.src], an[g.dst]
    same = tu == tv
    lin = np.bincount(g.src[same], weights=g.dlen[same], minlength=g.n)
    cnt = np.asarray(st.cnt)
    cross = ~same & ~g.dlink & st.movable_np[g.src] & (cnt[tu] > 1)
    if st.last_mode == mode and len(st.touched) < k:  # only pairs whose territories changed
        changed = np.zeros(k, dtype=bool)
        changed[list(st.touched)] = True
        cross &= changed[tu] | changed[tv]
    st.last_mode = mode
    st.touched = set()
    if not cross.any():
        return [], []
    uk, inv = np.unique(g.src[cross] * k + tv[cross], return_inverse=True)
    lb = np.bincount(inv, weights=g.dlen[cross])
    u, B = uk // k, uk % k
    A = an[u]
    area, perim, pp = np.asarray(st.area), np.asarray(st.perim), np.asarray(st.pp)
    ua, up = g.area[u], g.perimeter[u]
    pa = np.maximum(perim[A] - up + 2.0 * lin[u], 1e-9)
    pb = np.maximum(perim[B] + up - 2.0 * lb, 1e-9)
    dpp = FOUR_PI * ((area[A] - ua) / pa**2 + (area[B] + ua) / pb**2) - pp[A] - pp[B]
    S, W, tol = np.asarray(st.S), st.W[u], st.tol_np
    sa, sb = S[A], S[B]
    o = st.orig_np[u]
    ddis = np.where(o == A, st.dis_np[u], 0.0) - np.where(o == B, st.dis_np[u], 0.0)
    x, y = g.xy[u, 0], g.xy[u, 1]
    dsp = ua * (((x - st.cx_np[B]) ** 2 + (y - st.cy_np[B]) ** 2) * st.inv_np[B]
                - ((x - st.cx_np[A]) ** 2 + (y - st.cy_np[A]) ** 2) * st.inv_np[A])
    if mode == "balance":
        dbal = (_cost(sa - W, tol) - _cost(sa, tol) + _cost(sb + W, tol) - _cost(sb, tol)).sum(axis=1)
        delta = dbal - PP_IN_BALANCE * dpp + st.dispersion * dsp + ddis
    elif mode == "restore":
        dbal = (_cost(sa - W, tol, 0) - _cost(sa, tol, 0) + _cost(sb + W, tol, 0) - _cost(sb, tol, 0)).sum(axis=1)
        delta = np.where(dbal < -EPS, dbal - dpp + ddis, np.inf)
    else:
        na, nb = np.abs(sa - W - 1.0), np.abs(sb + W - 1.0)
        bad = ((na > tol) & (na > np.abs(sa - 1.0)) | (nb > tol) & (nb > np.abs(sb - 1.0))).any(axis=1)
        delta = np.where(bad, np.inf, -dpp + ddis)
    keep = np.flatnonzero(delta < -EPS)
    order = keep[np.argsort(delta[keep], kind="stable")]
    return u[order].tolist(), B[order].tolist()


def score(st: SearchState, u: int, A: int, B: int, mode: str) -> tuple[float, float, float] | None:
    """(delta, new perimeter of A, of B) of moving u from A to B, or None when not allowed."""
    la, lb, touch = st.scan(u, A, B)
    if not touch or st.cnt[A] <= 1:
        return None
    dpp, pa, pb = st.pp_delta(u, A, B, la, lb)
    if mode == "balance":
        d = st.balance_delta(u, A, B) - PP_IN_BALANCE * dpp + st.dispersion * st.dispersion_delta(u, A, B)
    elif mode == "restore":
        dx = excess_delta(st, u, A, B) * EXCESS
        if dx >= -EPS:
            return None
        d = dx - dpp
    else:
        if not st.band_ok(u, A, B):
            return None
        d = -dpp
    return d + st.disruption_delta(u, A, B), pa, pb


def sweep(st: SearchState, mode: str) -> int:
    """One pass of best-first improving moves; returns how many were made."""
    st.update_centres()
    us, bs = candidates(st, mode)
    a, tabu = st.a, st.tabu
    moved = 0
    for u, B in zip(us, bs):
        A = a[u]
        if A == B or (tabu and (u, B) in tabu):
            continue
        r = score(st, u, A, B, mode)
        if r is None or r[0] >= -EPS or not st.can_remove(u, A):
            continue
        st.apply(u, A, B, r[1], r[2])
        moved += 1
    return moved


def out_of_band(st: SearchState) -> list[tuple[float, int, int]]:
    """(relative excess, territory, constraint) of every territory outside a band, worst first."""
    S = np.asarray(st.S)
    excess = np.abs(S - 1.0) / st.tol_np - 1.0
    ts, cs = np.nonzero(excess > 1e-9)
    return sorted(((float(excess[t, c]), int(t), int(c)) for t, c in zip(ts, cs)), reverse=True)


def excess_delta(st: SearchState, u: int, A: int, B: int) -> float:
    wu, sa, sb, tol = st.w[u], st.S[A], st.S[B], st.tol
    d = 0.0
    for c in range(st.m):
        x = wu[c]
        if x:
            t = tol[c]
            d += (max(abs(sa[c] - x - 1.0) - t, 0.0) - max(abs(sa[c] - 1.0) - t, 0.0)
                  + max(abs(sb[c] + x - 1.0) - t, 0.0) - max(abs(sb[c] - 1.0) - t, 0.0)) / t
    return d


def _random_moves(n_edges: int, iterations: int, rng: np.random.Generator, stop, block: int = 4096):
    """The proposals of an annealing run, a block at a time: (share of the run done, directed border
    edges drawn at random, a coin in [0, 1) for each), until ``iterations`` or ``stop()``."""
    for start in range(0, iterations, block):
        if stop():
            return
        n_it = min(block, iterations - start)
        yield start / iterations, rng.integers(0, n_edges, n_it).tolist(), rng.random(n_it).tolist()


def anneal_soft(st: SearchState, iterations: int, rng: np.random.Generator, t0: float, t1: float,
                b0: float, b1: float, stop=lambda: False, progress=lambda f: None) -> None:
    """Simulated annealing on -ΣPP + β·(excess over the bands) + disruption: temperature falls from
    t0 to t1 while β rises from b0 to b1, so the plan may leave the band early and must return."""
    g = st.g
    src, dst = g.src[g.move_edges].tolist(), g.dst[g.move_edges].tolist()
    a, movable = st.a, st.movable
    for f, picks, coins in _random_moves(len(src), iterations, rng, stop):
        progress(f)
        temp = t0 * (t1 / t0) ** f
        beta = b0 * (b1 / b0) ** f
        for e, coin in zip(picks, coins):
            u = src[e]
            A, B = a[u], a[dst[e]]
            if A == B or not movable[u] or st.cnt[A] <= 1:
                continue
            la, lb, touch = st.scan(u, A, B)
            dpp, pa, pb = st.pp_delta(u, A, B, la, lb)
            d = -dpp + beta * excess_delta(st, u, A, B) + st.disruption_delta(u, A, B)
            if d > 0 and coin >= math.exp(-d / temp):
                continue
            if not st.can_remove(u, A):
                continue
            st.apply(u, A, B, pa, pb)


def anneal(st: SearchState, iterations: int, rng: np.random.Generator, t0: float, t1: float,
           stop=lambda: False) -> None:
    """Simulated annealing on -ΣPP (+ disruption) inside the band, from temperature t0 down to t1;
    ends on the best plan seen (checked every block of iterations)."""
    g = st.g
    src, dst = g.src[g.move_edges].tolist(), g.dst[g.move_edges].tolist()
    a, movable = st.a, st.movable
    best = st.compact_objective()
    best_a = st.an.copy()
    for f, picks, coins in _random_moves(len(src), iterations, rng, stop):
        temp = t0 * (t1 / t0) ** f
        for e, coin in zip(picks, coins):
            u = src[e]
            A, B = a[u], a[dst[e]]
            if A == B or not movable[u]:
                continue
            r = score(st, u, A, B, "compact")
            if r is None:
                continue
            d = r[0]
            if d > 0 and coin >= math.exp(-d / temp):
                continue
            if not st.can_remove(u, A):
                continue
            st.apply(u, A, B, r[1], r[2])
        cur = st.compact_objective()
        if cur < best - EPS:
            best, best_a = cur, st.an.copy()
    if st.compact_objective() > best + EPS:
        st.reset(best_a)
