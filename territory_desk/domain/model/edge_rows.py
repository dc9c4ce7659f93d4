"""An edge list read from elsewhere (a project file's td_adjacency), made fit for ``Adjacency``.

A graph is a set of undirected edges, so two repairs are exact: a row listing its pair as (j, i) is
turned round, and a row repeating an earlier one is dropped. Everything else is refused with one
line naming the row: indices outside the units, self-loops, negative or missing lengths, and one
pair given twice with different values (which one is right cannot be known).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.errors import InputError


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
