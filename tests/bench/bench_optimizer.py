"""Benchmark of automatic territory design, side by side with its peers, in one run.

Run: python tests/bench/bench_optimizer.py [--quick] [--no-gerrychain] [--gerrychain-timeout S]

1. The 3,108 contiguous-US counties of the demo, population, K = 20: our optimiser (tolerance 1 %)
   vs pymetis alone (the same graph, population vertex weights, default options) vs GerryChain's
   recursive_tree_part (epsilon 0.05, 0.02, 0.01). Every plan is measured the same way, with our
   Engine: max deviation from the mean, non-contiguous territories, mean Polsby-Popper; and time.
   Targets for ours: max deviation <= 1 %, no non-contiguous territory, mean Polsby-Popper above
   both peers, under 5 s.
2. The ~37k-unit ZIP project, K = 200, tolerance 2 %: ours (and pymetis alone). Target: <= 2 %,
   contiguous, under 60 s.
3. Ríos-Mercado-style commercial territory design instances (500 units: Voronoi cells of random
   points, whose adjacency is their Delaunay graph; 10 territories; three activity measures —
   customers, demand, workload — each within 5 %): feasibility and time over several instances.

Prints one `name: value unit` line per figure. Time of ours includes building the problem from
the project (metric values, working graph) and the summary-ready solution.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
import warnings

import numpy as np
import shapely
from scipy.spatial import Voronoi

from territory_desk.domain.model.project import Project
from territory_desk.domain.model.units import UnitLayer
from territory_desk.domain.optimize import Constraint, make_problem, solve
from territory_desk.domain.stats.engine import Engine


def line(name: str, value, unit: str = "") -> None:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}".rstrip(), flush=True)


def measure(project: Project, field: str, assignment: np.ndarray, k: int) -> tuple[float, int, float]:
    """(max |deviation| %, non-contiguous territories, mean Polsby-Popper) with our Engine."""
    values = project.units.numeric[field][:, None]
    e = Engine([field], values, project.units.area_m2, project.units.perimeter_m, project.adjacency,
               assignment, k)
    s = e.stats()
    return float(s.max_abs_deviation_pct[0]), s.non_contiguous, float(s.polsby_popper.mean())


def report(prefix: str, project: Project, field: str, assignment: np.ndarray, k: int, seconds: float) -> None:
    dev, nc, pp = measure(project, field, assignment, k)
    line(f"{prefix}_max_deviation", dev, "%")
    line(f"{prefix}_non_contiguous", nc, "territories")
    line(f"{prefix}_mean_polsby_popper", pp)
    line(f"{prefix}_time", seconds, "s")


def ours(project: Project, field: str, k: int, tol: float, seed: int = 1) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    prob = make_problem(project, np.arange(len(project.units)), k, [Constraint(field, tol)], seed=seed,
                        time_limit=600)
    sol = solve(prob)
    a = np.full(len(project.units), -1, dtype=np.int64)
    a[prob.graph.units] = sol.assignment
    return a, time.perf_counter() - t0


def pymetis_alone(project: Project, field: str, k: int, seed: int = 1) -> tuple[np.ndarray, float]:
    import pymetis

    adj = project.adjacency
    n = adj.n
    t0 = time.perf_counter()
    src = np.concatenate([adj.i, adj.j])
    dst = np.concatenate([adj.j, adj.i])
    order = np.lexsort((dst, src))
    xadj = np.searchsorted(src[order], np.arange(n + 1))
    vw = np.maximum(1, np.round(project.units.numeric[field])).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _, part = pymetis.part_graph(k, xadj=xadj, adjncy=dst[order], vweights=vw,
                                     options=pymetis.Options(seed=seed))
    return np.asarray(part, dtype=np.int64), time.perf_counter() - t0


def _gerrychain_child(project: Project, field: str, k: int, eps: float, queue) -> None:
    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part

    pop = project.units.numeric[field]
    g = nx.Graph()
    g.add_nodes_from((i, {field: float(pop[i])}) for i in range(len(pop)))
    g.add_edges_from(zip(project.adjacency.i.tolist(), project.adjacency.j.tolist()))
    t0 = time.perf_counter()
    graph = Graph.from_networkx(g)
    plan = recursive_tree_part(graph, range(k), float(pop.sum()) / k, field, eps, rng=1)
    seconds = time.perf_counter() - t0
    queue.put((np.array([plan[i] for i in range(len(pop))], dtype=np.int64), seconds))


def gerrychain(project: Project, field: str, k: int, eps: float, timeout: float):
    """recursive_tree_part in a child process (it can search for a long time): (plan, s) or None."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_gerrychain_child, args=(project, field, k, eps, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:
        return None
    finally:
        proc.terminate()
        proc.join()


def counties(args) -> None:
    from territory_desk.services.demo import build_demo_project

    project = build_demo_project(1)
    field, k = "population", 20
    a, s = ours(project, field, k, 0.01)
    report("counties_ours", project, field, a, k, s)
    a, s = pymetis_alone(project, field, k)
    report("counties_pymetis", project, field, a, k, s)
    if args.no_gerrychain:
        return
    for eps in (0.05, 0.02, 0.01):
        tag = f"counties_gerrychain_eps{int(eps * 100):02d}"
        got = gerrychain(project, field, k, eps, args.gerrychain_timeout)
        if got is None:
            line(f"{tag}_time", f"> {args.gerrychain_timeout:.0f}", "s (no plan)")
        else:
            report(tag, project, field, got[0], k, got[1])


def zips(args) -> None:
    from territory_desk.services.zip_grid import build_zip_project

    t0 = time.perf_counter()
    project = build_zip_project(1)
    line("zip_units", len(project.units), "units")
    line("zip_build_time", time.perf_counter() - t0, "s")
    field, k = "population", 200
    a, s = ours(project, field, k, 0.02)
    report("zip_ours", project, field, a, k, s)
    pop = project.units.numeric[field]
    line("zip_unit_size_bound", float(pop.max() / (pop.sum() / k) * 100.0), "% of a territory (largest unit)")
    a, s = pymetis_alone(project, field, k)
    report("zip_pymetis", project, field, a, k, s)


def rios_mercado_instance(seed: int, n: int = 500) -> Project:
    """Ríos-Mercado & Fernández (2009) style: n basic units on a planar (Delaunay) graph with three
    activity measures drawn uniformly (customers 4-20, demand 15-400, workload 15-100)."""
    rng = np.random.default_rng(seed)
    side = 100_000.0
    pts = rng.uniform(0.0, side, (n, 2))
    far = np.array([[-3, -3], [4, -3], [4, 4], [-3, 4]], dtype=float) * side
    vor = Voronoi(np.vstack([pts, far]))
    box = shapely.box(0.0, 0.0, side, side)
    cells = [shapely.Polygon(vor.vertices[vor.regions[vor.point_region[i]]]).intersection(box) for i in range(n)]
    numeric = {"customers": rng.integers(4, 21, n).astype(float), "demand": rng.integers(15, 401, n).astype(float),
               "workload": rng.integers(15, 101, n).astype(float)}
    units = UnitLayer([f"BU{i:03d}" for i in range(n)], [f"Unit {i}" for i in range(n)],
                      np.array(cells, dtype=object), "EPSG:5070", numeric=numeric)
    return Project.from_units(units)


def rios_mercado(args) -> None:
    names = ("customers", "demand", "workload")
    times, feasible, worst, pieces = [], 0, [], 0
    count = 5 if args.quick else 20
    for seed in range(count):
        project = rios_mercado_instance(seed)
        t0 = time.perf_counter()
        prob = make_problem(project, np.arange(len(project.units)), 10, [Constraint(f, 0.05) for f in names],
                            seed=1)
        sol = solve(prob)
        times.append(time.perf_counter() - t0)
        feasible += int(sol.within_tolerance)
        worst.append(float(sol.max_deviation.max() * 100))
        pieces += int((sol.pieces > 1).sum())
    line("rm_instances", count, "instances (500 units, 10 territories, 3 measures within 5 %)")
    line("rm_feasible", feasible, f"of {count}")
    line("rm_max_deviation_worst", max(worst), "%")
    line("rm_non_contiguous_total", pieces, "territories")
    line("rm_time_median", statistics.median(times), "s")
    line("rm_time_max", max(times), "s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the ZIP project; fewer Ríos-Mercado instances")
    ap.add_argument("--no-gerrychain", action="store_true")
    ap.add_argument("--gerrychain-timeout", type=float, default=120.0)
    args = ap.parse_args()
    counties(args)
    rios_mercado(args)
    if not args.quick:
        zips(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
