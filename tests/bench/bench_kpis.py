"""Benchmark of the CRM KPIs: 2,000,000 opportunities over 500 territories (issue 8).

Run: python tests/bench/bench_kpis.py [--quick]
Prints one `name: value unit` line per figure (medians of 3 unless said). Target: KPIs for 2M
opportunities over 500 territories < 5 s, including the account -> territory mapping
(``kpis_2m_500t``: the opportunity -> account resolution is redone every run, i.e. cold).

The project: the ZIP benchmark (~37,000 Voronoi units, services.zip_grid) with 200,000 synthetic
accounts, cut into 500 territories (25 columns x 20 rows of units by centroid), 50 regions of 10
territories and 5 areas; 2,000,000 synthetic opportunities over 2025-2026, 500,000 leads (80 % with
an account, the rest with a location) and a quota per territory and quarter.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import shapely

from territory_desk.domain.kpis.measures import compute_kpis
from territory_desk.domain.model.activity import LOST, OPEN, WON, Activity, Leads, Opportunities, Quotas, _AccountLink
from territory_desk.domain.model.periods import parse_period
from territory_desk.domain.model.territories import Region, Territory


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def partition(project, n_cols: int = 25, n_rows: int = 20) -> None:
    """500 territories: units sorted into columns by x, then rows by y within each column."""
    c = shapely.centroid(project.units.projected())
    x, y = shapely.get_x(c), shapely.get_y(c)
    n = len(x)
    col = np.empty(n, dtype=np.int64)
    col[np.argsort(x, kind="stable")] = np.arange(n) * n_cols // n
    terr = np.empty(n, dtype=np.int64)
    for k in range(n_cols):
        idx = np.flatnonzero(col == k)
        terr[idx[np.argsort(y[idx], kind="stable")]] = k * n_rows + np.arange(len(idx)) * n_rows // len(idx)
    sc = project.scenario
    t = n_cols * n_rows
    sc.regions = [Region(f"A{a}", f"Area {a}") for a in range(5)]
    sc.regions += [Region(f"R{r:02d}", f"Region {r}", f"A{r // 10}") for r in range(t // 10)]
    sc.territories = [Territory(f"T{k:03d}", f"Territory {k}", "#88aacc", f"R{k // 10:02d}", f"rep{k:03d}")
                      for k in range(t)]
    sc.assignment = terr
    sc.pins = {}


def synthetic_activity(project, n_opps: int, n_leads: int, rng) -> Activity:
    acc = project.accounts
    na = len(acc)
    account = np.asarray(acc.ids, dtype=object)[rng.integers(0, na, n_opps)]
    created = np.datetime64("2025-01-01") + rng.integers(0, 700, n_opps).astype("timedelta64[D]")
    status = rng.choice(np.array([OPEN, WON, LOST], dtype=np.int8), n_opps, p=[0.3, 0.3, 0.4])
    closed = created + rng.integers(5, 200, n_opps).astype("timedelta64[D]")
    closed[status == OPEN] = np.datetime64("NaT")
    amount = np.round(rng.lognormal(9.0, 1.0, n_opps), 2)
    opps = Opportunities(np.array([f"OPP{i:08d}" for i in range(n_opps)], dtype=object), account, amount,
                         np.full(n_opps, "Stage", dtype=object), status, created, closed,
                         np.full(n_opps, "", dtype=object))
    has_acc = rng.random(n_leads) < 0.8
    lead_acc = np.where(has_acc, np.asarray(acc.ids, dtype=object)[rng.integers(0, na, n_leads)], "").astype(object)
    pick = rng.integers(0, na, n_leads)
    lon = np.where(has_acc, np.nan, acc.lon[pick] + rng.normal(0, 0.01, n_leads))
    lat = np.where(has_acc, np.nan, acc.lat[pick] + rng.normal(0, 0.01, n_leads))
    lcreated = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 700 * 86400, n_leads).astype("timedelta64[s]")
    hours = np.where(rng.random(n_leads) < 0.9, rng.exponential(12.0, n_leads), np.nan)
    leads = Leads(np.array([f"L{i:08d}" for i in range(n_leads)], dtype=object), lcreated, hours,
                  np.full(n_leads, "", dtype=object), rng.random(n_leads) < 0.2, lead_acc, lon, lat)
    terrs = [t.id for t in project.scenario.territories]
    quarters = [parse_period(f"{y}Q{q}") for y in (2025, 2026) for q in (1, 2, 3, 4)]
    tid = np.array([t for t in terrs for _ in quarters], dtype=object)
    qs = [q for _ in terrs for q in quarters]
    quotas = Quotas(np.full(len(tid), "", dtype=object), tid, [q.label for q in qs], [q.start for q in qs],
                    [q.end for q in qs], rng.uniform(1e5, 1e6, len(tid)))
    return Activity(opps, leads, quotas)


def write_csv(opps: Opportunities, path: str) -> None:
    import pandas as pd

    names = {OPEN: "Prospecting", WON: "Closed Won", LOST: "Closed Lost"}
    pd.DataFrame({"Opportunity ID": opps.ids, "Account ID": opps.account_id, "Amount": opps.amount,
                  "Stage": [names[s] for s in opps.status.tolist()], "Created Date": opps.created.astype(str),
                  "Close Date": np.where(np.isnat(opps.closed), "", opps.closed.astype(str))}).to_csv(path, index=False)


def thematic_bench(project, n_units: int) -> None:
    """A KPI choropleth over every unit: classification, and drawing the overlay's picture."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage, QPainter

    from territory_desk.services.kpis import thematic_values
    from territory_desk.ui.canvas.geometry_cache import GeometryCache
    from territory_desk.ui.canvas.overlays.thematic import ThematicLayer, territory_border_path
    from territory_desk.ui.canvas.view_transform import ViewTransform
    from territory_desk.ui.export.map_export import ensure_gui_app

    ensure_gui_app()
    def classify():
        values, label, basis = thematic_values(project, "kpi:attainment_pct", None, "2026Q2")
        return ThematicLayer(values, label, "quantiles", 5, "RdYlGn", basis)

    sec, layer = timed(classify)
    print(f"thematic_classify_{n_units // 1000}k_units: {sec * 1000:.0f} ms (the KPIs of a quarter + mapclassify)")
    cache = GeometryCache(project.units.projected(), project.adjacency, background=False)
    view = ViewTransform.fitted(cache.total_bounds, 1600, 1000)
    level = cache.level(cache.level_for(view.metres_per_pixel), wait=True)

    def draw(fresh: bool):
        if fresh:
            layer._paths.clear()
        image = QImage(3200, 2000, QImage.Format.Format_ARGB32_Premultiplied)
        p = QPainter(image)
        layer.draw(p, view, level, territory_border_path(level, cache, project.scenario.assignment))
        p.end()

    sec, _ = timed(lambda: draw(True))
    print(f"thematic_first_picture_{n_units // 1000}k_units: {sec * 1000:.0f} ms (class paths built, 3200x2000 px)")
    sec, _ = timed(lambda: draw(False))
    print(f"thematic_redraw_{n_units // 1000}k_units: {sec * 1000:.0f} ms (cached class paths; panning reuses "
          "the picture)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="5,000 units, 200,000 opportunities (a smoke run)")
    args = ap.parse_args()
    from territory_desk.services.zip_grid import build_zip_project

    n_opps, n_leads = (200_000, 50_000) if args.quick else (2_000_000, 500_000)
    t = time.perf_counter()
    project = build_zip_project(seed=7, limit=5_000 if args.quick else None, n_accounts=200_000)
    partition(project)
    rng = np.random.default_rng(11)
    project.activity = synthetic_activity(project, n_opps, n_leads, rng)
    label = f"{n_opps // 1_000_000}m" if n_opps >= 1_000_000 else f"{n_opps // 1000}k"
    print(f"# setup: {len(project.units)} units, {len(project.accounts)} accounts, "
          f"{len(project.scenario.territories)} territories, {n_opps:,} opportunities, {n_leads:,} leads "
          f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    act = project.activity

    def cold():
        act.opportunities._link, act.leads._link = _AccountLink(), _AccountLink()
        act.leads._units = None
        return compute_kpis(project, "2026Q2", "territory")

    sec, table = timed(cold)
    print(f"kpis_{label}_{len(table.group_ids)}t: {sec:.2f} s")
    sec, _ = timed(lambda: compute_kpis(project, "2026Q2", "territory"))
    print(f"kpis_{label}_{len(table.group_ids)}t_warm: {sec:.2f} s")
    sec, _ = timed(lambda: compute_kpis(project, "all", "territory"))
    print(f"kpis_{label}_all_time_warm: {sec:.2f} s")
    sec, region = timed(lambda: compute_kpis(project, "2026Q2", "region"))
    print(f"kpis_{label}_region_level_warm: {sec:.2f} s")
    sec, _ = timed(lambda: compute_kpis(project, "2026Q2", "area"))
    print(f"kpis_{label}_area_level_warm: {sec:.2f} s")
    assert abs(region.column("revenue").sum() + region.outside[0] - table.total[0]) < 1e-3 * max(1.0, table.total[0])
    thematic_bench(project, len(project.units))

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, "opps.csv")
        write_csv(act.opportunities, csv_path)
        from territory_desk.services.activity_imports import plan_activity

        sec, plan = timed(lambda: plan_activity(project, "opportunities", csv_path), repeat=1)
        assert plan.report.imported == n_opps, plan.report.summary()
        print(f"import_csv_{label}_opportunities: {sec:.1f} s (one run, {os.path.getsize(csv_path) / 1e6:.0f} MB)")
        from territory_desk.persistence.reader import load_project
        from territory_desk.persistence.store import save_project

        path = os.path.join(tmp, "bench.gpkg")
        sec, _ = timed(lambda: save_project(project, path), repeat=1)
        print(f"save_project_{label}_opportunities: {sec:.1f} s (one run, whole project)")
        sec, loaded = timed(lambda: load_project(path), repeat=1)
        assert len(loaded.activity.opportunities) == n_opps
        print(f"load_project_{label}_opportunities: {sec:.1f} s (one run, whole project)")
        empty = os.path.join(tmp, "empty.gpkg")
        project.activity = Activity()
        sec_save0, _ = timed(lambda: save_project(project, empty), repeat=1)
        sec_load0, _ = timed(lambda: load_project(empty), repeat=1)
        print(f"save_project_without_activity: {sec_save0:.1f} s")
        print(f"load_project_without_activity: {sec_load0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
