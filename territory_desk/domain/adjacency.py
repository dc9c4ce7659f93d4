"""The unit adjacency graph with shared-boundary lengths (metres, in the equal-area working CRS).

Built once per unit layer (seconds for thousands of polygons) and cached in the project file.
Units that touch only at a corner are not neighbours (rook adjacency). Islands and separate
components are joined to their nearest unit by a *virtual* edge of length 0, so that every unit
can belong to a contiguous territory.

An edge list read from elsewhere (a project file) goes through ``EdgeRows`` first: it turns
reversed rows round and drops exact duplicates (a graph is a set of edges, so both are exact), and
refuses what cannot be repaired exactly: indices outside the units, self-loops, negative or missing
lengths, and two rows for one pair that disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from .errors import InputError

MIN_SHARED_M = 1.0  # shorter shared boundaries (corner touches, slivers) do not make neighbours
SNAP_M = 0.01


@dataclass
class Adjacency:
    n: int
    i: np.ndarray  # int64 edge endpoints, i < j
    j: np.ndarray
    length: np.ndarray  # float64 shared boundary length in metres (0 for virtual edges)
    virtual: np.ndarray  # bool, True for island links
    # shared boundary lines per edge in the working CRS (empty for virtual edges); used to draw
    # territory borders as the edges that cross territory lines. None when not available.
    lines: np.ndarray | None = None
    _nbrs: list[list[int]] | None = field(default=None, repr=False)
    _lens: list[list[float]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.i = np.asarray(self.i, dtype=np.int64)
        self.j = np.asarray(self.j, dtype=np.int64)
        self.length = np.asarray(self.length, dtype=np.float64)
        self.virtual = np.asarray(self.virtual, dtype=bool)
        m = len(self.i)
        if not (len(self.j) == len(self.length) == len(self.virtual) == m) or (
                self.lines is not None and len(self.lines) != m):
            raise InputError("the adjacency's edge arrays differ in length")
        with np.errstate(invalid="ignore"):
            if m and (self.i.min() < 0 or self.j.max() >= self.n or (self.i >= self.j).any()
                      or not (self.length >= 0).all()):
                raise InputError("the adjacency has an edge outside the units, a self-loop, a reversed pair "
                                 "or a negative length")

    @property
    def edge_count(self) -> int:
        return len(self.i)

    def matrix(self) -> csr_matrix:
        """Symmetric CSR matrix with an entry for every edge (value 1)."""
        data = np.ones(2 * len(self.i), dtype=np.int8)
        rows = np.concatenate([self.i, self.j])
        cols = np.concatenate([self.j, self.i])
        return coo_matrix((data, (rows, cols)), shape=(self.n, self.n)).tocsr()

    def _build_lists(self) -> None:
        nbrs: list[list[int]] = [[] for _ in range(self.n)]
        lens: list[list[float]] = [[] for _ in range(self.n)]
        for a, b, w in zip(self.i.tolist(), self.j.tolist(), self.length.tolist()):
            nbrs[a].append(b)
            lens[a].append(w)
            nbrs[b].append(a)
            lens[b].append(w)
        self._nbrs, self._lens = nbrs, lens

    @property
    def neighbours(self) -> list[list[int]]:
        """Python lists of neighbours per unit (fast scalar access in the hot path)."""
        if self._nbrs is None:
            self._build_lists()
        assert self._nbrs is not None
        return self._nbrs

    @property
    def shared_lengths(self) -> list[list[float]]:
        if self._lens is None:
            self._build_lists()
        assert self._lens is not None
        return self._lens


@dataclass
class TidyEdges:
    """The distinct edges of an edge list, in the order of the row that first gave each."""

    keep: np.ndarray  # that row (0-based), ascending
    i: np.ndarray  # endpoints with i < j
    j: np.ndarray
    length: np.ndarray
    virtual: np.ndarray
    rows: int  # rows read
    reversed: int  # kept rows that listed their pair as (j, i): turned round

    @property
    def duplicates(self) -> int:
        """Rows dropped because an earlier row gives exactly the same edge."""
        return self.rows - len(self.keep)


class EdgeRows:
    """An edge list read in chunks (rows numbered 1, 2, … in the order given), tidied as it comes,
    vectorised per chunk: memory stays near the distinct edges plus one chunk however many rows
    repeat (3 million repeated rows once made a single move take minutes).

    Repairs only what is exact: a reversed row is the same undirected edge; a row repeating an
    earlier one (same pair, length and virtual flag) adds nothing. Raises InputError naming the row
    for indices outside 0..n-1, self-loops, negative or missing lengths, and a pair given twice with
    different values (which one is right cannot be known). ``add`` tells the caller which edge each
    row gives, so data the caller keeps per row (the border line) can be compared for repeats too.
    """

    def __init__(self, n: int, ids: list[str] | None = None, what: str = "the adjacency") -> None:
        self.n, self._ids, self._what = n, ids, what
        self.rows = self.edges = self._reversed = 0
        self._new: list[tuple[np.ndarray, ...]] = []  # per chunk: (row, i, j, length, virtual) of its new edges
        self._runs: list[tuple[np.ndarray, ...]] = []  # (sorted key, edge, length, virtual) of the edges so far

    def _unit(self, k: int) -> str:
        return repr(self._ids[k]) if self._ids is not None else str(k)

    def add(self, i: np.ndarray, j: np.ndarray, length: np.ndarray,
            virtual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Take the next rows. Returns (edge, first): the index of the edge each row gives (edges are
        numbered in the order their first row came) and whether the row is that first row."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        length, virtual = np.asarray(length, dtype=np.float64), np.asarray(virtual, dtype=bool)
        n, m, base = self.n, len(i), self.rows
        self._check(i, j, length, base)
        key = np.minimum(i, j) * max(n, 1) + np.maximum(i, j)
        order = np.argsort(key, kind="stable")
        ks = key[order]
        starts = np.ones(m, dtype=bool)
        starts[1:] = ks[1:] != ks[:-1]
        head = np.maximum.accumulate(np.where(starts, np.arange(m), 0))  # sorted position of each pair's first
        if not starts.all():  # repeats inside the chunk, each against its pair's first row
            self._same(length[order], virtual[order], head[~starts], length[order], virtual[order],
                       np.flatnonzero(~starts), key[order], lambda k: base + int(order[k]), base, order)
        edge_sorted = np.full(m, -1, dtype=np.int64)  # per sorted position
        u = np.flatnonzero(starts)
        new = np.ones(len(u), dtype=bool)
        for rkey, redge, rlen, rvirt in self._runs:  # pairs given in an earlier chunk
            pos = np.minimum(np.searchsorted(rkey, ks[u]), len(rkey) - 1)
            hit = rkey[pos] == ks[u]
            if hit.any():
                self._same(rlen, rvirt, pos[hit], length[order], virtual[order], u[hit], key[order],
                           lambda k, e=redge: int(self._first_row(e[k])), base, order)
                edge_sorted[u[hit]] = redge[pos[hit]]
                new &= ~hit
        fresh = u[new]  # sorted positions of rows giving a new edge; numbered in row order
        rows_fresh = order[fresh]
        by_row = np.argsort(rows_fresh, kind="stable")
        numbers = np.empty(len(fresh), dtype=np.int64)
        numbers[by_row] = self.edges + np.arange(len(fresh))
        edge_sorted[fresh] = numbers
        edge_sorted = edge_sorted[head]  # every repeat takes its pair's edge
        if len(fresh):
            r = rows_fresh[by_row]
            self._new.append((r + base, np.minimum(i, j)[r], np.maximum(i, j)[r], length[r], virtual[r]))
            self._reversed += int((i[r] > j[r]).sum())
            self._runs.append((ks[fresh], numbers, length[rows_fresh], virtual[rows_fresh]))
            while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
                b, a = self._runs.pop(), self._runs.pop()  # merge runs of similar size: O(E log chunks) in all
                merged = [np.concatenate([x, y]) for x, y in zip(a, b)]
                o = np.argsort(merged[0], kind="stable")
                self._runs.append(tuple(c[o] for c in merged))
        self.edges += len(fresh)
        self.rows += m
        edge = np.empty(m, dtype=np.int64)
        edge[order] = edge_sorted
        first = np.zeros(m, dtype=bool)
        first[rows_fresh] = True
        return edge, first

    def _check(self, i: np.ndarray, j: np.ndarray, length: np.ndarray, base: int) -> None:
        n = self.n
        outside = (i < 0) | (i >= n) | (j < 0) | (j >= n)
        if outside.any():
            r = int(np.argmax(outside))
            bad = int(i[r]) if not 0 <= i[r] < n else int(j[r])
            raise InputError(f"{self._what} row {base + r + 1} names unit index {bad}, outside 0..{n - 1} "
                             f"(the project has {n} units)")
        loop = i == j
        if loop.any():
            r = int(np.argmax(loop))
            raise InputError(f"{self._what} row {base + r + 1} links unit {self._unit(int(i[r]))} to itself")
        with np.errstate(invalid="ignore"):
            bad_length = ~(length >= 0)  # NaN (a missing length) too
        if bad_length.any():
            r = int(np.argmax(bad_length))
            how = "a missing" if np.isnan(length[r]) else f"a negative ({length[r]:g})"
            raise InputError(f"{self._what} row {base + r + 1} has {how} shared length")

    def _first_row(self, edge: int) -> int:
        for rows, *_ in self._new:  # only on the way to an error message
            if edge < len(rows):
                return int(rows[edge])
            edge -= len(rows)
        raise IndexError(edge)

    def _same(self, len_a, virt_a, a, len_b, virt_b, b, key_b, row_a, base, order) -> None:
        """Rows b (sorted chunk positions) must repeat a (positions in len_a/virt_a) exactly."""
        differ = (len_a[a] != len_b[b]) | (virt_a[a] != virt_b[b])
        if differ.any():
            k = int(np.argmax(differ))
            kk, n = int(key_b[b[k]]), max(self.n, 1)
            raise InputError(f"{self._what} rows {row_a(int(a[k])) + 1} and {base + int(order[b[k]]) + 1} both "
                             f"link units {self._unit(kk // n)} and {self._unit(kk % n)} but give different shared "
                             "lengths or virtual flags")

    def finish(self) -> TidyEdges:
        if self._new:
            row, i, j, length, virtual = (np.concatenate(c) for c in zip(*self._new))
        else:
            row, i, j = (np.zeros(0, dtype=np.int64) for _ in range(3))
            length, virtual = np.zeros(0), np.zeros(0, dtype=bool)
        return TidyEdges(row, i, j, length, virtual, self.rows, self._reversed)


def _segment_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shared borders found by matching identical boundary segments (snapped to SNAP_M).

    Exact and fast (one sort over all segments) for coverages whose neighbours share their border
    vertices, as Census and most GIS boundary files do."""
    n = len(geoms)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    owner = pidx[ridx]
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    q = np.round(coords / SNAP_M).astype(np.int64)
    same = cidx[1:] == cidx[:-1]
    p0, p1 = q[:-1][same], q[1:][same]
    c0, c1 = coords[:-1][same], coords[1:][same]
    own = owner[cidx[:-1][same]]
    seglen = np.hypot(*(c1 - c0).T)
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    key = np.column_stack([np.where(swap[:, None], p1, p0), np.where(swap[:, None], p0, p1)])
    keep = np.any(p0 != p1, axis=1)
    key, own, seglen, c0, c1 = key[keep], own[keep], seglen[keep], c0[keep], c1[keep]
    order = np.lexsort((own, key[:, 3], key[:, 2], key[:, 1], key[:, 0]))
    ks, ow = key[order], own[order]
    dup = np.all(ks[1:] == ks[:-1], axis=1) & (ow[1:] != ow[:-1])
    first = order[:-1][dup]
    i = np.minimum(ow[:-1][dup], ow[1:][dup])
    j = np.maximum(ow[:-1][dup], ow[1:][dup])
    if len(i) == 0:
        return i, j, np.zeros(0), np.zeros(0, dtype=object)
    pair, inv = np.unique(i * n + j, return_inverse=True)
    lengths = np.bincount(inv, weights=seglen[first])
    by_pair = np.argsort(inv, kind="stable")
    segs = shapely.linestrings(np.stack([c0[first], c1[first]], axis=1)[by_pair])
    lines = shapely.line_merge(shapely.multilinestrings(segs, indices=inv[by_pair]))
    return pair // n, pair % n, lengths, lines


def _intersection_edges(geoms: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Shared borders of candidate pairs measured by intersecting their boundaries (slow, robust)."""
    if len(a) == 0:
        return a, b, np.zeros(0), np.zeros(0, dtype=object)
    idx = np.unique(np.concatenate([a, b]))
    snapped = np.empty(len(geoms), dtype=object)
    snapped[idx] = shapely.boundary(shapely.set_precision(geoms[idx], SNAP_M))
    shared = shapely.intersection(snapped[a], snapped[b])
    mixed = shapely.get_type_id(shared) == 7  # GeometryCollection: keep its linear parts
    for k in np.flatnonzero(mixed):
        lines = [p for p in shapely.get_parts(shared[k]) if shapely.get_type_id(p) in (1, 2)]
        shared[k] = shapely.multilinestrings(lines) if lines else shapely.LineString()
    shared = shapely.line_merge(shared)
    return a, b, shapely.length(shared), shared


def _shared_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    i, j, lengths, lines = _segment_edges(geoms)
    # pairs that touch but share no identical segment: misaligned borders, or corners only
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    n = len(geoms)
    rest = ~np.isin(a * n + b, i * n + j)
    fa, fb, fl, fg = _intersection_edges(geoms, a[rest], b[rest])
    i, j = np.concatenate([i, fa]), np.concatenate([j, fb])
    lengths, lines = np.concatenate([lengths, fl]), np.concatenate([lines, fg])
    keep = lengths >= MIN_SHARED_M
    order = np.lexsort((j[keep], i[keep]))
    return i[keep][order], j[keep][order], lengths[keep][order], lines[keep][order]


def _link_components(geoms: np.ndarray, i: np.ndarray, j: np.ndarray) -> list[tuple[int, int]]:
    """Virtual edges joining every component to its nearest unit in another component."""
    n = len(geoms)
    links: list[tuple[int, int]] = []
    tree = shapely.STRtree(geoms)
    ii, jj = list(i), list(j)
    while True:
        mat = coo_matrix((np.ones(len(ii)), (ii, jj)), shape=(n, n))
        ncomp, labels = connected_components(mat, directed=False)
        if ncomp <= 1:
            return links
        sizes = np.bincount(labels)
        small = int(np.argmin(sizes))
        members = np.flatnonzero(labels == small)
        best: tuple[float, int, int] | None = None
        radius = 1_000.0
        while best is None:
            src, dst = tree.query(geoms[members], predicate="dwithin", distance=radius)
            outside = labels[dst] != small
            if outside.any():
                src, dst = members[src[outside]], dst[outside]
                dist = shapely.distance(geoms[src], geoms[dst])
                k = int(np.argmin(dist))
                best = (float(dist[k]), int(src[k]), int(dst[k]))
            radius *= 4.0
        _, u, v = best
        u, v = min(u, v), max(u, v)
        links.append((u, v))
        ii.append(u)
        jj.append(v)


def build_adjacency(projected: np.ndarray) -> Adjacency:
    """Adjacency of polygons given in a projected (metric) CRS."""
    geoms = np.asarray(projected, dtype=object)
    n = len(geoms)
    i, j, lengths, lines = _shared_edges(geoms)
    links = _link_components(geoms, i, j) if n > 1 else []
    if links:
        li = np.array([u for u, _ in links], dtype=np.int64)
        lj = np.array([v for _, v in links], dtype=np.int64)
        i = np.concatenate([i, li])
        j = np.concatenate([j, lj])
        lengths = np.concatenate([lengths, np.zeros(len(links))])
        lines = np.concatenate([lines, np.array([shapely.LineString()] * len(links), dtype=object)])
        virtual = np.zeros(len(i), dtype=bool)
        virtual[-len(links):] = True
    else:
        virtual = np.zeros(len(i), dtype=bool)
    return Adjacency(n=n, i=i, j=j, length=lengths, virtual=virtual, lines=lines)
