"""Benchmark of the core: open, incremental moves + stats, full recompute, save.

Run: python tests/bench/bench_core.py [--quick]
Prints one `name: value unit` line per figure. Targets (issue 2): move 1 unit p99 < 1 ms at 30k
units; move 500 units < 10 ms; full recompute < 30 ms; open < 1 s (demo) / < 3 s (30k);
save < 1 s / < 3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import deque

import numpy as np

from territory_desk.domain.stats.kinds import engine_for
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project


def pct(values, q):
    return float(np.percentile(np.asarray(values), q))


def border_units(engine, nbrs):
    a = engine.assignment
    return [u for u in range(len(a)) if a[u] >= 0 and any(a[w] >= 0 and a[w] != a[u] for w in nbrs[u])]


def cluster(engine, nbrs, start, size):
    """A connected block of `size` units of start's territory, grown breadth-first from start."""
    t = engine.territory_of(start)
    seen, q = {start}, deque([start])
    while q and len(seen) < size:
        u = q.popleft()
        for w in nbrs[u]:
            if w not in seen and engine.territory_of(w) == t:
                seen.add(w)
                q.append(w)
                if len(seen) >= size:
                    break
    return sorted(seen)


def bench(label: str, project, path: str, rng, single_moves: int) -> None:
    t0 = time.perf_counter()
    save_project(project, path)
    save_s = time.perf_counter() - t0
    opens = []
    for _ in range(3):
        t0 = time.perf_counter()
        project = load_project(path)
        opens.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    e = engine_for(project)
    engine_s = time.perf_counter() - t0
    nbrs = project.adjacency.neighbours
    border = border_units(e, nbrs)
    times = []
    for _ in range(single_moves):
        u = border[int(rng.integers(len(border)))]
        targets = [e.territory_of(w) for w in nbrs[u] if e.territory_of(w) not in (e.territory_of(u), -1)]
        if not targets:
            continue
        dst = targets[int(rng.integers(len(targets)))]
        t0 = time.perf_counter()
        e.move([u], dst)
        e.stats()
        times.append(time.perf_counter() - t0)
    batch = []
    for _ in range(15):
        start = border[int(rng.integers(len(border)))]
        block = cluster(e, nbrs, start, 500)
        targets = [e.territory_of(w) for w in nbrs[start] if e.territory_of(w) not in (e.territory_of(start), -1)]
        if not targets:
            continue
        t0 = time.perf_counter()
        e.move(block, targets[0])
        e.stats()
        batch.append(time.perf_counter() - t0)
    full = []
    for _ in range(10):
        t0 = time.perf_counter()
        e.reset(e.assignment)
        e.stats()
        full.append(time.perf_counter() - t0)
    e.check_against_full()
    n = len(project.units)
    print(f"{label}_units: {n} units")
    print(f"{label}_open_median: {statistics.median(opens) * 1e3:.0f} ms")
    print(f"{label}_engine_build: {engine_s * 1e3:.1f} ms")
    print(f"{label}_move1_stats_p50: {pct(times, 50) * 1e6:.1f} us")
    print(f"{label}_move1_stats_p95: {pct(times, 95) * 1e6:.1f} us")
    print(f"{label}_move1_stats_p99: {pct(times, 99) * 1e6:.1f} us")
    print(f"{label}_move500_stats_median: {statistics.median(batch) * 1e3:.2f} ms")
    print(f"{label}_move500_stats_p95: {pct(batch, 95) * 1e3:.2f} ms")
    print(f"{label}_full_recompute_median: {statistics.median(full) * 1e3:.2f} ms")
    print(f"{label}_save: {save_s * 1e3:.0f} ms")
    print(f"{label}_file_size: {os.path.getsize(path) / 1e6:.1f} MB")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="demo only")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    tmp = tempfile.mkdtemp(prefix="bench-core-")
    from territory_desk.services.demo import build_demo_project

    t0 = time.perf_counter()
    demo = build_demo_project(1)
    print(f"demo_build: {time.perf_counter() - t0:.1f} s")
    bench("demo", demo, os.path.join(tmp, "demo.gpkg"), rng, 5000)
    if args.quick:
        return
    from territory_desk.services.zip_grid import build_zip_project

    t0 = time.perf_counter()
    big = build_zip_project(1)
    print(f"zip30k_build: {time.perf_counter() - t0:.1f} s")
    bench("zip30k", big, os.path.join(tmp, "zip30k.gpkg"), rng, 5000)


if __name__ == "__main__":
    main()
