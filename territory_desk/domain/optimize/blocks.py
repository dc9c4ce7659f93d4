"""Block moves for balance: when single-unit moves stall.

Single moves stall when a territory's border units carry no weight (most units have no accounts),
or when the weight has to cross several territories, or when a heavy unit sits in the wrong
territory. Three remedies:

* ``transfer``: a connected block of a donor territory moves to its neighbour, grown from their
  common border nearest the receiver's centre first and never splitting the donor;
* ``diffuse``: the minimal flow of weight over the territory graph that levels every territory
  (the graph Laplacian solved for the excesses, as diffusion load balancers do) is realised by
  block transfers along every border it crosses; kept only when the balance cost falls;
* ``kick``: the perturbation of the iterated local search — a heavy border unit of an
  out-of-band territory is pushed across and may not come back while the balance phase lasts.
"""
from __future__ import annotations

import heapq

import numpy as np

from territory_desk.domain.optimize.search import EPS, PP_IN_BALANCE
from territory_desk.domain.optimize.state import SearchState


def neighbour_territories(st: SearchState, t: int) -> set[int]:
    a = st.a
    out: set[int] = set()
    for u in np.flatnonzero(st.an == t).tolist():
        for w in st.nbrs[u]:
            if a[w] != t:
                out.add(a[w])
    return out


def transfer(st: SearchState, t: int, c: int) -> bool:
    """Move a connected block between out-of-band territory t and its best neighbour (see module doc)."""
    nb = neighbour_territories(st, t)
    if not nb:
        return False
    if st.S[t][c] > 1.0:
        donor, receiver = t, min(nb, key=lambda b: (st.S[b][c], b))
        if st.S[receiver][c] >= st.S[t][c]:
            return False
    else:
        donor, receiver = max(nb, key=lambda b: (st.S[b][c], -b)), t
        if st.S[donor][c] <= st.S[t][c]:
            return False
    amount = min(abs(st.S[t][c] - 1.0), abs(st.S[donor][c] - st.S[receiver][c]) / 2.0)
    before = _pair_objective(st, donor, receiver)
    moved, disp = _move_block(st, donor, receiver, c, amount)
    if moved and _pair_objective(st, donor, receiver) + st.dispersion * disp < before - EPS:
        return True
    for u in reversed(moved):
        st.move(u, donor)
    return False


def _pair_objective(st: SearchState, x: int, y: int) -> float:
    bal = sum(st.cost(st.S[t][c], c) for t in (x, y) for c in range(st.m))
    return bal - PP_IN_BALANCE * (st.pp[x] + st.pp[y]) + st.disrupted


def _move_block(st: SearchState, donor: int, receiver: int, c: int, amount: float) -> tuple[list[int], float]:
    """Move units of donor to receiver, nearest to receiver's centre first, starting at their common
    border and never splitting donor, until about ``amount`` of constraint c has moved.
    Returns the moved units (in order) and the change of the dispersion term."""
    a, nbrs, w, movable = st.a, st.nbrs, st.w, st.movable
    cx, cy, ux, uy = st.cx[receiver], st.cy[receiver], st.ux, st.uy
    border = border_units(st, donor, receiver)
    heap = [((ux[u] - cx) ** 2 + (uy[u] - cy) ** 2, u) for u in border if movable[u]]
    heapq.heapify(heap)
    seen = {u for _, u in heap}
    moved: list[int] = []
    acc = disp = 0.0
    while heap and acc < amount:
        _, u = heapq.heappop(heap)
        x = w[u][c]
        if acc + x > amount and (acc + x - amount) > (amount - acc):
            continue
        if a[u] != donor or (u, receiver) in st.tabu or not st.can_remove(u, donor):
            continue
        disp += st.dispersion_delta(u, donor, receiver)
        st.move(u, receiver)
        moved.append(u)
        acc += x
        for v in nbrs[u]:
            if v not in seen and a[v] == donor and movable[v]:
                seen.add(v)
                heapq.heappush(heap, ((ux[v] - cx) ** 2 + (uy[v] - cy) ** 2, v))
    return moved, disp


def border_units(st: SearchState, t: int, other: int) -> list[int]:
    """Units of territory t that touch territory ``other`` (not through a link)."""
    g, an = st.g, st.an
    members = np.flatnonzero(an == t)
    lens = g.ptr[members + 1] - g.ptr[members]
    edges = np.repeat(g.ptr[members] - np.cumsum(np.concatenate([[0], lens[:-1]])), lens) + np.arange(lens.sum())
    hit = (an[g.dst[edges]] == other) & ~g.dlink[edges]
    return np.unique(g.src[edges[hit]]).tolist()


def territory_graph(st: SearchState) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (x < y) of neighbouring territories."""
    g, an = st.g, st.an
    tu, tv = an[g.ei], an[g.ej]
    cross = (tu != tv) & ~g.link
    pairs = np.unique(np.sort(np.column_stack([tu[cross], tv[cross]]), axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def diffuse(st: SearchState, c: int) -> bool:
    """Level constraint c with the minimal flow over the territory graph (see module doc)."""
    k = st.k
    x, y = territory_graph(st)
    if len(x) == 0:
        return False
    lap = np.zeros((k, k))
    np.add.at(lap, (x, y), -1.0)
    np.add.at(lap, (y, x), -1.0)
    lap[np.diag_indices(k)] = -lap.sum(axis=1)
    excess = np.asarray(st.S)[:, c] - 1.0
    lap[np.diag_indices(k)] += 1e-9  # regularised: each component's mean flow cancels in the differences
    phi = np.linalg.solve(lap, excess)
    flow = phi[x] - phi[y]
    big = np.abs(flow) > 0.05 * st.tol[c]
    order = np.argsort(-np.abs(flow[big]), kind="stable")
    fx, fy, ff = x[big][order], y[big][order], flow[big][order]
    before = _objective(st)
    moved: list[tuple[int, int]] = []
    disp = 0.0
    for a, b, f in zip(fx.tolist(), fy.tolist(), ff.tolist()):
        donor, receiver = (a, b) if f > 0 else (b, a)
        units, d = _move_block(st, donor, receiver, c, abs(f))
        moved.extend((u, donor) for u in units)
        disp += d
    if moved and _objective(st) + st.dispersion * disp < before - EPS:
        return True
    for u, donor in reversed(moved):
        st.move(u, donor)
    return False


def _objective(st: SearchState) -> float:
    return st.balance_cost() - PP_IN_BALANCE * sum(st.pp) + st.disrupted


def kick(st: SearchState, t: int, c: int, nth: int) -> bool:
    """Perturbation for iterated local search: move the nth heaviest removable border unit out of
    heavy territory t to its lightest neighbour (for a light t: into t from its heaviest neighbour)
    and forbid the move back for the rest of the balance phase."""
    g, an, w, S = st.g, st.an, st.w, st.S
    e = g.move_edges
    src, dst = g.src[e], g.dst[e]
    ts, td = an[src], an[dst]
    heavy = S[t][c] > 1.0
    sel = (ts == t) & (td != t) if heavy else (td == t) & (ts != t)
    pool: dict[int, int] = {}
    for u, other in zip(src[sel].tolist(), (td if heavy else ts)[sel].tolist()):
        if not st.movable[u] or w[u][c] <= 0:
            continue
        if heavy:  # to the lightest neighbouring territory
            if u not in pool or (S[other][c], other) < (S[pool[u]][c], pool[u]):
                pool[u] = other
        else:
            pool[u] = t
    order = sorted(pool, key=lambda u: (-(w[u][c] + (S[an[u]][c] if not heavy else 0.0)), u))
    tried = 0
    for u in order:
        if st.can_remove(u, int(an[u])):
            if tried == nth:
                st.tabu.add((u, int(an[u])))
                st.move(u, pool[u])
                return True
            tried += 1
    return False

