"""Contiguity of territories over the unit adjacency graph.

``components_among`` answers the question the engine asks on every move: "how many distinct
pieces of territory T do these seed units (the neighbours of the moved unit) lie in?" It first
tries the local answer (seeds joined through each other, almost always decisive), then runs an
interleaved breadth-first search from each group of seeds that stops as soon as all groups have
met or all but one are exhausted, so its cost is bounded by the smaller pieces, not the territory.

``count_pieces`` is the full recompute (scipy connected components), the oracle for tests and the
path for large batches.
"""
from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def find_root(parent: list[int], x: int) -> int:
    """Root of ``x`` in a union-find forest (with path halving)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def components_among(seeds: list[int], territory: int, assign: list[int], nbrs: list[list[int]]) -> int:
    """Number of distinct components of the subgraph induced by ``territory`` that hold ``seeds``."""
    k = len(seeds)
    if k <= 1:
        return k
    parent = list(range(k))
    owner: dict[int, int] = {s: g for g, s in enumerate(seeds)}
    live = k - _join_adjacent(seeds, owner, parent, nbrs)  # seeds adjacent to each other are one piece
    if live == 1:
        return 1
    return _bounded_search(seeds, territory, assign, nbrs, owner, parent, live)


def _join_adjacent(seeds: list[int], owner: dict[int, int], parent: list[int], nbrs: list[list[int]]) -> int:
    """Join the groups of seeds that are neighbours; returns the number of joins."""
    joins = 0
    for g, s in enumerate(seeds):
        for w in nbrs[s]:
            o = owner.get(w)
            if o is not None:
                a, b = find_root(parent, g), find_root(parent, o)
                if a != b:
                    parent[a] = b
                    joins += 1
    return joins


def _bounded_search(seeds: list[int], territory: int, assign: list[int], nbrs: list[list[int]],
                    owner: dict[int, int], parent: list[int], live: int) -> int:
    """Breadth-first search from every group of seeds at once, one node per group per round, until
    all groups have met or all but one are exhausted (``live`` groups are apart at the start)."""
    k = len(seeds)
    queues = [deque([s]) for s in seeds]
    pending = [1] * k  # queued nodes per group root
    for g in range(k):
        r = find_root(parent, g)
        if r != g:
            pending[r] += pending[g]
            pending[g] = 0
    finished = 0
    closed = [False] * k
    while live > 1:
        for g in range(k):
            q = queues[g]
            if not q:
                continue
            node = q.popleft()
            r = find_root(parent, g)
            pending[r] -= 1
            for w in nbrs[node]:
                if assign[w] != territory:
                    continue
                o = owner.get(w)
                if o is None:
                    owner[w] = g
                    q.append(w)
                    pending[r] += 1
                    continue
                ro = find_root(parent, o)
                if ro != r:
                    parent[ro] = r
                    pending[r] += pending[ro]
                    pending[ro] = 0
                    live -= 1
                    if live == 1:
                        return finished + 1
            if pending[r] == 0 and not closed[r]:
                closed[r] = True
                finished += 1
                live -= 1
                if live == 1:
                    return finished + 1
    return finished + live


def count_pieces(
    assign: np.ndarray, n_territories: int, edge_i: np.ndarray, edge_j: np.ndarray, only: np.ndarray | None = None
) -> np.ndarray:
    """Number of connected pieces of every territory (full recompute), or of the territories in ``only``."""
    n = len(assign)
    ai = assign[edge_i]
    same = (ai == assign[edge_j]) & (ai >= 0)
    if only is not None:
        same &= np.isin(ai, only)
    mat = coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (edge_i[same], edge_j[same])), shape=(n, n))
    ncomp, labels = connected_components(mat, directed=False)
    # every component lies in one territory: count components per territory
    keep = assign >= 0 if only is None else np.isin(assign, only)
    comp_territory = np.full(ncomp, -1, dtype=np.int64)
    comp_territory[labels[keep]] = assign[keep]
    comp_territory = comp_territory[comp_territory >= 0]
    return np.bincount(comp_territory, minlength=n_territories)[:n_territories].astype(np.int64)
