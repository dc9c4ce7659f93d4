"""Starting plans for the local search.

* ``metis_partition``: a multilevel k-way partition of the unit graph (METIS through pymetis) with
  vertex weights = the balance metric and edge weights = shared boundary length, so the start is
  already nearly balanced with short borders. METIS does not promise contiguity:
* ``repair_contiguity`` keeps each territory's main piece (the one holding its fixed units, else
  the heaviest) and hands every other piece whole to the neighbouring territory it shares the
  longest border with.
* ``grow_regions``: seeded growth for plans around seeds (rep homes) and for completing a partial
  plan: the lightest territory takes its nearest free neighbouring unit, until every unit has one.
* ``fill_empty``: a territory left empty gets a unit from the heaviest territory that cannot split it.
* ``metis_by_component``: METIS per component of a graph that falls apart, with the territories
  allotted to each (see ``problem.allot``).
"""
from __future__ import annotations

import heapq
import warnings
from collections import deque

import numpy as np

from territory_desk.domain.optimize.problem import WorkGraph


def metis_partition(g: WorkGraph, weight: np.ndarray, k: int, seed: int, ufactor: int = 10) -> np.ndarray:
    """k-way METIS partition balanced on ``weight`` (n,) with boundary-length edge weights."""
    import pymetis

    n = g.n
    if k <= 1 or n <= 1:
        return np.zeros(n, dtype=np.int64)
    total = float(weight.sum()) or 1.0
    vw = np.maximum(1, np.round(weight / total * 1e8)).astype(np.int64)
    mean_len = float(g.dlen[g.dlen > 0].mean()) if (g.dlen > 0).any() else 1.0
    ew = (1 + np.round(g.dlen / mean_len * 100.0)).astype(np.int64)
    opts = pymetis.Options(seed=int(seed) % (2**31 - 1), ufactor=int(ufactor))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            graph = pymetis.CSRAdjacency(adj_starts=g.ptr.astype(np.int64), adjacent=g.dst.astype(np.int64))
            _, part = pymetis.part_graph(k, graph, vweights=vw, eweights=ew, options=opts, recursive=False)
        except AttributeError:  # pymetis before 2025.2
            _, part = pymetis.part_graph(k, xadj=g.ptr, adjncy=g.dst, vweights=vw, eweights=ew, options=opts,
                                         recursive=False)
    return np.asarray(part, dtype=np.int64)


def metis_by_component(g: WorkGraph, weight: np.ndarray, alloc: np.ndarray, seed: int) -> np.ndarray:
    """METIS on each component with its allotted number of territories (numbered consecutively)."""
    a = np.zeros(g.n, dtype=np.int64)
    offset = 0
    for c in np.flatnonzero(alloc > 0).tolist():
        members = np.flatnonzero(g.comp == c)
        if len(members) == g.n:
            return metis_partition(g, weight, int(alloc[c]), seed)
        sub = subgraph(g, members)
        a[members] = offset + metis_partition(sub, weight[members], int(alloc[c]), seed)
        offset += int(alloc[c])
    return a


def subgraph(g: WorkGraph, members: np.ndarray) -> WorkGraph:
    local = np.full(g.n, -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    keep = (local[g.ei] >= 0) & (local[g.ej] >= 0)
    return WorkGraph(g.units[members], local[g.ei[keep]], local[g.ej[keep]], g.length[keep], g.link[keep],
                     g.area[members], g.perimeter[members], g.xy[members])


def repair_contiguity(g: WorkGraph, a: np.ndarray, k: int, weight: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Give every piece but the main one of each territory to its best neighbouring territory."""
    a = a.copy()
    for _ in range(64):
        ncomp, labels = g.components(a)
        comp_t = np.full(ncomp, -1, dtype=np.int64)
        comp_t[labels] = a
        if ncomp == len(np.unique(comp_t)):
            break
        # ties (and zero weights) by size
        comp_w = np.bincount(labels, weights=weight, minlength=ncomp) + 1e-9 * np.bincount(labels, minlength=ncomp)
        has_fixed = np.bincount(labels[fixed >= 0], minlength=ncomp) > 0
        score = comp_w + np.where(has_fixed, comp_w.max() * 10 + 1, 0.0)
        order = np.lexsort((-score, comp_t))  # per territory, best first
        main = np.zeros(ncomp, dtype=bool)
        first = np.ones(len(order), dtype=bool)
        first[1:] = comp_t[order[1:]] != comp_t[order[:-1]]
        main[order[first]] = True
        orphan = ~main & ~has_fixed
        # border length between each orphan piece and each neighbouring main piece
        li, lj = labels[g.src], labels[g.dst]
        sel = orphan[li] & main[lj]
        if not sel.any():
            break
        key = li[sel] * k + comp_t[lj[sel]]
        uk, inv = np.unique(key, return_inverse=True)
        length = np.bincount(inv, weights=g.dlen[sel] + 1e-6)
        best = np.lexsort((-length, uk // k))
        firsts = np.ones(len(best), dtype=bool)
        firsts[1:] = (uk // k)[best[1:]] != (uk // k)[best[:-1]]
        dest = np.full(ncomp, -1, dtype=np.int64)
        dest[(uk // k)[best[firsts]]] = (uk % k)[best[firsts]]
        move = dest[labels] >= 0
        a[move] = dest[labels][move]
    return a


def grow_regions(g: WorkGraph, a: np.ndarray, k: int, weight: np.ndarray, centres: np.ndarray | None = None) -> np.ndarray:
    """Assign every unit with a = -1: the lightest territory takes its free neighbouring unit nearest
    its centre (``centres`` (k, 2), default: the centroid of its units)."""
    a = a.copy()
    nbrs, xy = g.nbrs, g.xy
    load = np.bincount(a[a >= 0], weights=weight[a >= 0], minlength=k)[:k].tolist()
    if centres is None:
        cnt = np.bincount(a[a >= 0], minlength=k)[:k]
        centres = np.zeros((k, 2))
        for d in range(2):
            centres[:, d] = np.bincount(a[a >= 0], weights=xy[a >= 0, d], minlength=k)[:k] / np.maximum(cnt, 1)
    cx, cy = centres[:, 0].tolist(), centres[:, 1].tolist()
    ux, uy = xy[:, 0].tolist(), xy[:, 1].tolist()
    al = a.tolist()
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for u in np.flatnonzero(a >= 0).tolist():
        t = al[u]
        for v in nbrs[u]:
            if al[v] < 0:
                frontier[t].append(((ux[v] - cx[t]) ** 2 + (uy[v] - cy[t]) ** 2, v))
    for f in frontier:
        heapq.heapify(f)
    heap = [(load[t], t) for t in range(k) if frontier[t]]
    heapq.heapify(heap)
    wl = weight.tolist()
    while heap:
        _, t = heapq.heappop(heap)
        f = frontier[t]
        while f and al[f[0][1]] >= 0:
            heapq.heappop(f)
        if not f:
            continue
        _, u = heapq.heappop(f)
        al[u] = t
        load[t] += wl[u]
        for v in nbrs[u]:
            if al[v] < 0:
                heapq.heappush(f, ((ux[v] - cx[t]) ** 2 + (uy[v] - cy[t]) ** 2, v))
        heapq.heappush(heap, (load[t], t))
    return np.asarray(al, dtype=np.int64)


def fill_empty(g: WorkGraph, a: np.ndarray, k: int, weight: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Give each empty territory one unit of the heaviest territory whose removal cannot split it
    (a leaf of a breadth-first spanning tree)."""
    a = a.copy()
    for t in range(k):
        if (a == t).any():
            continue
        load = np.bincount(a[a >= 0], weights=weight[a >= 0], minlength=k)[:k]
        cnt = np.bincount(a[a >= 0], minlength=k)[:k]
        for src in np.argsort(-(load + 1e-12 * cnt)):
            if cnt[src] < 2:
                continue
            u = _spanning_leaf(g, a, int(src), fixed)
            if u is not None:
                a[u] = t
                break
    return a


def _spanning_leaf(g: WorkGraph, a: np.ndarray, t: int, fixed: np.ndarray) -> int | None:
    members = np.flatnonzero(a == t)
    start = int(members[0])
    seen = {start}
    children = {start: 0}
    order = [start]
    q = deque([start])
    while q:
        u = q.popleft()
        for v in g.nbrs[u]:
            if v not in seen and a[v] == t:
                seen.add(v)
                children[u] += 1
                children[v] = 0
                order.append(v)
                q.append(v)
    for u in reversed(order):
        if children[u] == 0 and fixed[u] < 0 and u != start:
            return u
    return None

