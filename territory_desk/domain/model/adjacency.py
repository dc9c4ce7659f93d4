"""The unit adjacency graph with shared-boundary lengths (metres, in the equal-area working CRS).

Built once per unit layer (seconds for thousands of polygons) and cached in the project file.
Units that touch only at a corner are not neighbours (rook adjacency). Islands and separate
components are joined to their nearest unit by a *virtual* edge of length 0, so that every unit
can belong to a contiguous territory.

An edge list read from elsewhere (a project file) is tidied by ``edge_rows.EdgeRows`` first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from territory_desk.domain.model.errors import InputError

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

    def perimeters(self, groups: np.ndarray, n_groups: int, unit_perimeter: np.ndarray) -> np.ndarray:
        """Perimeter of every group of units (``dissolved_perimeters`` over this graph's edges)."""
        return dissolved_perimeters(groups, n_groups, unit_perimeter, self.i, self.j, self.length)


def dissolved_perimeters(groups: np.ndarray, n_groups: int, unit_perimeter: np.ndarray, edge_i: np.ndarray,
                         edge_j: np.ndarray, edge_length: np.ndarray) -> np.ndarray:
    """Perimeter of every group of units without dissolving their polygons: the sum of the units'
    perimeters less twice the boundary they share, P(G) = sum of p_u - 2 x sum of L(u, w) over the
    edges inside G. ``groups`` holds a group index per unit (-1: none); the result has
    ``n_groups + 1`` slots, the last one for the units of no group."""
    slot = np.where(groups < 0, n_groups, groups)
    perim = np.bincount(slot, weights=unit_perimeter, minlength=n_groups + 1).astype(np.float64)
    same = groups[edge_i] == groups[edge_j]
    perim -= 2.0 * np.bincount(slot[edge_i[same]], weights=edge_length[same], minlength=n_groups + 1)
    return perim


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
