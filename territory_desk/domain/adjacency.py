"""The unit adjacency graph with shared-boundary lengths (metres, in the equal-area working CRS).

Built once per unit layer (seconds for thousands of polygons) and cached in the project file.
Units that touch only at a corner are not neighbours (rook adjacency). Islands and separate
components are joined to their nearest unit by a *virtual* edge of length 0, so that every unit
can belong to a contiguous territory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

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


def _shared_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return a, b, np.zeros(0), np.zeros(0, dtype=object)
    # snap to a 1 cm grid so that borders digitised twice with float noise still coincide
    bounds = shapely.boundary(shapely.set_precision(geoms, SNAP_M))
    shared = shapely.intersection(bounds[a], bounds[b])
    mixed = shapely.get_type_id(shared) == 7  # GeometryCollection: keep its linear parts
    if mixed.any():
        shared[mixed] = [
            shapely.multilinestrings([p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (1, 2)])
            for g in shared[mixed]
        ]
    shared = shapely.line_merge(shared)
    lengths = shapely.length(shared)
    keep = lengths >= MIN_SHARED_M
    return a[keep], b[keep], lengths[keep], shared[keep]


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
