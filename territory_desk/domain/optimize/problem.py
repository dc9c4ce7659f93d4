"""What the optimiser is asked: which units, how many territories, which metrics to balance within
which tolerance, what must not move, where to start from.

Balance is either several constraints (each metric within its own tolerance of the mean, as in
commercial territory design) or one weighted index (e.g. 70 % potential + 30 % accounts, each
metric taken as its share of the total). Values come from the project's metric registry
(``domain.metrics``), so any numeric unit column, the account count and any account column can be
balanced.

``check_feasible`` refuses requests that no plan can meet because a single unit outweighs what a
territory may hold, and says by how much.

The working graph (``WorkGraph``) is the unit adjacency restricted to the units being designed,
renumbered 0..n-1 (``units`` maps back to project indices). Edges keep their shared boundary
length (metres; 0 for the virtual island links of the project graph). The chosen units
may fall apart into several components (a region cut by a locked territory, a selection of
separate areas): territories are then allotted to components by weight, and a component too small
for a territory of its own is joined to the nearest unit of another by a *link* edge (length 0).
Units never move across links, so no territory spans two components except through such a
small one; the final contiguity is always measured on the project's own graph.

Both representations the optimiser needs are here: numpy arrays of directed edges for vectorised
candidate scans, and Python lists of neighbours for the scalar hot loop.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from territory_desk.domain.model.adjacency import Adjacency
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.metrics import metric_fields, unit_values
from territory_desk.domain.model.projection import transform_points

INDEX = "index"


class InfeasibleError(InputError):
    """The request cannot be met by any plan (the message gives the bound)."""


@dataclass
class WorkGraph:
    units: np.ndarray  # (n,) project unit index of each local unit
    ei: np.ndarray  # (e,) undirected edges, local indices, ei < ej
    ej: np.ndarray
    length: np.ndarray  # (e,) shared boundary length in metres
    link: np.ndarray  # (e,) bool: added here to join separate components
    area: np.ndarray  # (n,) m²
    perimeter: np.ndarray  # (n,) m
    xy: np.ndarray  # (n, 2) unit centres in the working CRS (metres)
    # (n,) component label (components joined by links share one); computed when not given
    comp: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        n = len(self.units)
        # directed edges, sorted by source (CSR): both directions of every edge
        src = np.concatenate([self.ei, self.ej])
        dst = np.concatenate([self.ej, self.ei])
        ln = np.concatenate([self.length, self.length])
        lk = np.concatenate([self.link, self.link])
        order = np.lexsort((dst, src))
        self.src, self.dst, self.dlen, self.dlink = src[order], dst[order], ln[order], lk[order]
        if len(self.comp) != n:
            self.comp = self.components(np.zeros(len(self.units), dtype=np.int64))[1]
        # moves never cross links: the directed edges a move may follow, and each unit's link partners
        self.move_edges = np.flatnonzero(~self.dlink)
        self.link_partners: dict[int, set[int]] = {}
        for a, b in zip(self.src[self.dlink].tolist(), self.dst[self.dlink].tolist()):
            self.link_partners.setdefault(a, set()).add(b)
        self.ptr = np.searchsorted(self.src, np.arange(n + 1))
        self.nbrs: list[list[int]] = [[] for _ in range(n)]
        self.lens: list[list[float]] = [[] for _ in range(n)]
        for a, b, w in zip(self.src.tolist(), self.dst.tolist(), self.dlen.tolist()):
            self.nbrs[a].append(b)
            self.lens[a].append(w)

    @property
    def n(self) -> int:
        return len(self.units)

    def components(self, assignment: np.ndarray) -> tuple[int, np.ndarray]:
        """Connected pieces of the territories of ``assignment`` (labels per unit)."""
        same = assignment[self.ei] == assignment[self.ej]
        mat = coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (self.ei[same], self.ej[same])),
                         shape=(self.n, self.n))
        return connected_components(mat, directed=False)

    def pieces(self, assignment: np.ndarray, k: int) -> np.ndarray:
        """Number of connected pieces of each territory 0..k-1."""
        ncomp, labels = self.components(assignment)
        comp_t = np.full(ncomp, -1, dtype=np.int64)
        comp_t[labels] = assignment
        return np.bincount(comp_t[comp_t >= 0], minlength=k)[:k]


def work_graph(adjacency: Adjacency, units: np.ndarray, area: np.ndarray, perimeter: np.ndarray,
               xy: np.ndarray) -> WorkGraph:
    """The graph over project units ``units`` (sorted project indices), without links."""
    units = np.asarray(units, dtype=np.int64)
    local = np.full(adjacency.n, -1, dtype=np.int64)
    local[units] = np.arange(len(units))
    li, lj = local[adjacency.i], local[adjacency.j]
    keep = (li >= 0) & (lj >= 0)
    ei, ej, ln = li[keep], lj[keep], adjacency.length[keep]
    sw = ei > ej
    ei, ej = np.where(sw, ej, ei), np.where(sw, ei, ej)
    return WorkGraph(units, ei, ej, ln, np.zeros(len(ei), dtype=bool), area[units], perimeter[units], xy[units])


def allot(weight: np.ndarray, k: int) -> np.ndarray:
    """Territories per component in proportion to weight (largest remainder)."""
    share = weight / weight.sum() * k if weight.sum() > 0 else np.full(len(weight), k / len(weight))
    base = np.floor(share).astype(np.int64)
    rest = np.argsort(-(share - base), kind="stable")[: k - int(base.sum())]
    base[rest] += 1
    return base


def link_components(g: WorkGraph, anchored: np.ndarray) -> WorkGraph:
    """Join every component with ``anchored[c]`` False to the nearest unit of an anchored component."""
    comp = g.comp.copy()
    anchored = anchored.copy()
    links: list[tuple[int, int]] = []
    while not anchored.all() and anchored.any():
        inside = anchored[comp]
        tree = cKDTree(g.xy[inside])
        targets = np.flatnonzero(inside)
        members = np.flatnonzero(~inside)
        dist, pos = tree.query(g.xy[members])
        j = int(np.argmin(dist))
        u, v = int(members[j]), int(targets[pos[j]])
        c = comp[u]
        comp[comp == c] = comp[v]
        links.append((min(u, v), max(u, v)))
    if not links:
        return g
    la = np.array(links, dtype=np.int64)
    link = np.concatenate([g.link, np.ones(len(links), dtype=bool)])
    return WorkGraph(g.units, np.concatenate([g.ei, la[:, 0]]), np.concatenate([g.ej, la[:, 1]]),
                     np.concatenate([g.length, np.zeros(len(links))]), link, g.area, g.perimeter, g.xy, comp)


@dataclass(frozen=True)
class Constraint:
    name: str  # a metric key, or "index" for a weighted index
    tolerance: float  # allowed relative deviation from the mean, e.g. 0.05


@dataclass
class Problem:
    graph: WorkGraph  # the units being designed (local indices 0..n-1)
    k: int  # territories to fill
    constraints: list[Constraint]
    values: np.ndarray  # (n, m) value of each constraint metric per unit
    fixed: np.ndarray  # (n,) territory a unit must end in, or -1
    start: np.ndarray | None = None  # (n,) starting territory (rebalance), -1 = unassigned
    disruption: np.ndarray | None = None  # (n,) what a unit carries when it changes territory
    disruption_weight: float = 0.0  # trade-off: 0 = ignore disruption, larger = fewer moves
    seed: int = 1
    time_limit: float = 60.0
    compactness: bool = True
    effort: float = 1.0  # scales the annealing budgets (recombination sub-problems use less)
    unit_labels: list[str] = field(default_factory=list)  # for messages: "Los Angeles (06037)"
    index_weights: dict[str, float] = field(default_factory=dict)
    alloc: np.ndarray | None = None  # territories per graph component (design from scratch)

    @property
    def n(self) -> int:
        return self.graph.n

    @property
    def tolerances(self) -> np.ndarray:
        return np.array([c.tolerance for c in self.constraints], dtype=np.float64)

    @property
    def targets(self) -> np.ndarray:
        return self.values.sum(axis=0) / self.k


def parse_tolerance(text: str | float) -> float:
    """'0.05', '5%' or 5 (read as percent when > 1) -> 0.05."""
    s = str(text).strip()
    try:
        v = float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
    except ValueError:
        raise InputError(f"tolerance {text!r} is not a number (use 0.05 or 5%)") from None
    if v >= 1.0:
        v /= 100.0
    if not 0.0 < v < 1.0:
        raise InputError(f"tolerance {text!r} must be between 0 and 100 %")
    return v


def metric_matrix(project, names: list[str]) -> np.ndarray:
    """Per-unit values (n_units, len(names)) of project metrics, refusing unknown names."""
    fields = metric_fields(project)
    keys = [f.key for f in fields]
    missing = [n for n in names if n not in keys]
    if missing:
        raise InputError(f"no metric {missing[0]!r}; available: {', '.join(keys)}")
    chosen = [fields[keys.index(n)] for n in names]
    return unit_values(project, chosen)


def unit_centres(project) -> np.ndarray:
    """(n, 2) points inside each unit, in the working (equal-area) CRS."""
    units = project.units
    pts = shapely.get_coordinates(shapely.point_on_surface(units.geometry))
    x, y = transform_points(pts[:, 0], pts[:, 1], units.source_crs, units.working_crs)
    return np.column_stack([x, y])


def make_problem(project, units: np.ndarray, k: int, constraints: list[Constraint] | None = None,
                 weights: dict[str, float] | None = None, tolerance: float = 0.05, **kw) -> Problem:
    """A problem over project ``units`` (indices). Give ``constraints`` (each metric within its own
    tolerance) or ``weights`` (one weighted index within ``tolerance``). Other keywords are Problem
    fields (fixed, start, disruption, disruption_weight, seed, time_limit, ...) and ``xy``.
    Raises InputError (InfeasibleError) for requests no plan can meet."""
    units = np.unique(np.asarray(units, dtype=np.int64))
    if len(units) == 0:
        raise InputError("there are no units to design territories from")
    if weights:
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise InputError("index weights must be positive")
        names = list(weights)
        raw = metric_matrix(project, names)[units]
        totals = raw.sum(axis=0)
        for name, t in zip(names, totals):
            if t <= 0:
                raise InputError(f"{name} is zero for every unit: it cannot be part of an index")
        wsum = sum(weights.values())
        values = (raw / totals) @ np.array([weights[n] / wsum for n in names])
        values = values[:, None]
        constraints = [Constraint(INDEX, tolerance)]
        kw["index_weights"] = {n: weights[n] / wsum for n in names}
    else:
        if not constraints:
            raise InputError("say which metric(s) to balance")
        if len({c.name for c in constraints}) != len(constraints):
            raise InputError("a metric is listed twice")
        values = metric_matrix(project, [c.name for c in constraints])[units]
    _check_values(values, [c.name for c in constraints])
    labels = [f"{project.units.names[u]} ({project.units.ids[u]})" for u in units]
    xy = kw.pop("xy", None)  # unit centres of the whole project, when the caller has them
    graph = work_graph(project.adjacency, units, project.units.area_m2, project.units.perimeter_m,
                       unit_centres(project) if xy is None else xy)
    fixed = kw.pop("fixed", None)
    fixed = np.full(len(units), -1, dtype=np.int64) if fixed is None else np.asarray(fixed, dtype=np.int64)
    p = Problem(graph=graph, k=int(k), constraints=list(constraints), values=values, fixed=fixed,
                unit_labels=labels, **kw)
    check_feasible(p)
    _split_components(p)
    return p


def _split_components(p: Problem) -> None:
    """Allot territories to the components of the graph; link those that get none (``link_components``)."""
    g = p.graph
    ncomp = int(g.comp.max()) + 1 if p.n else 1
    if ncomp == 1:
        p.alloc = np.array([p.k])
        return
    if p.start is not None or (p.fixed >= 0).any():
        placed = (p.fixed >= 0) | ((p.start >= 0) if p.start is not None else False)
        anchored = np.bincount(g.comp[placed], minlength=ncomp) > 0
        p.alloc = None
    else:
        weight = (p.values / p.values.sum(axis=0)).mean(axis=1)
        p.alloc = allot(np.bincount(g.comp, weights=weight, minlength=ncomp), p.k)
        anchored = p.alloc > 0
    p.graph = link_components(g, anchored)


def _check_values(values: np.ndarray, names: list[str]) -> None:
    for c, name in enumerate(names):
        col = values[:, c]
        if not np.isfinite(col).all():
            raise InputError(f"{name} has missing or infinite values")
        if (col < 0).any():
            raise InputError(f"{name} has negative values: only non-negative metrics can be balanced")
        if col.sum() <= 0:
            raise InputError(f"{name} is zero for every unit: there is nothing to balance")


def check_feasible(p: Problem) -> None:
    """Refuse what no plan can meet: K out of range, or one unit heavier than a territory may be."""
    n = p.n
    if p.k < 1:
        raise InputError("the number of territories must be at least 1")
    if p.k > n:
        raise InfeasibleError(f"{p.k} territories cannot be made from {n} unit(s)")
    if len(p.fixed) != n or (p.fixed >= p.k).any():
        raise InputError("a fixed unit refers to a territory that does not exist")
    for con in p.constraints:
        if not 0.0 < con.tolerance < 1.0:
            raise InputError(f"the tolerance of {con.name} must be between 0 and 100 %")
    share = p.values / p.values.sum(axis=0)
    for c, con in enumerate(p.constraints):
        u = int(np.argmax(share[:, c]))
        ratio = share[u, c] * p.k  # the unit's value over the target
        if ratio > 1.0 + con.tolerance + 1e-12:
            what = "the index" if con.name == INDEX else con.name
            tol = _pct(con.tolerance)
            raise InfeasibleError(
                f"unit {p.unit_labels[u] if p.unit_labels else u} alone holds {_pct(share[u, c])} % of {what}; "
                f"with K={p.k} the target is {_pct(1.0 / p.k)} % ± {tol} %: balance within {tol} % is impossible; "
                f"the best achievable max deviation is ≥ {_pct(ratio - 1.0, 0)} %")


def _pct(fraction: float, digits: int | None = None) -> str:
    v = fraction * 100.0
    if digits is None:
        digits = 0 if abs(v - round(v)) < 0.05 else (1 if abs(v) >= 1 else 2)
    return f"{v:.{digits}f}"
