"""Benchmark of lead routing: 1,000,000 synthetic leads assigned on the US demo project.

Run: python tests/bench/bench_assign.py [--quick] [--repeat N]
Prints one `name: value unit` line per figure (medians over the runs). Target (issue 7): 1,000,000
leads assigned in < 30 s end to end, reading the CSV and writing the assigned CSV included. The write
is formula-safe (io/safe_csv.py); write_csv_raw is the same write with --raw-csv, the baseline.

The demo project (projects/demo.gpkg, built as `make demo` does when missing) gets two territory
layers (Enterprise: accounts of segment Enterprise, with a 4-territory live plan; SMB: the rest,
the demo's 16 territories), a team of inside-sales reps, and a rule list of every type:
named account (by id, then by company name), a condition sending big healthcare/finance leads to
the Enterprise layer (located by ZIP), a condition to a key-account rep, a condition to a queue,
geography by ZIP (US only, capped per rep), geography by point, round robin in a team (capped), a
fallback queue. Each run is a fresh child process (peak RSS is that of one real run): it loads the
project (project_load), then reads, routes and writes (assign_1m_total = read + rules + write).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

RULES = [
    {"name": "Named accounts", "type": "account", "id_column": "Account ID", "name_column": "Company"},
    {"name": "Enterprise by industry", "type": "condition",
     "when": "employees >= 1000 and industry in (Healthcare, Finance)", "target": "layer", "value": "Enterprise",
     "column": "Zip", "match": "zip"},
    {"name": "Key accounts", "type": "condition", "when": "employees >= 20000", "target": "rep", "value": "R07"},
    {"name": "Partner desk", "type": "condition", "when": "source = Partner", "target": "queue",
     "value": "Partner desk"},
    {"name": "US by ZIP", "type": "unit", "when": "country = US", "column": "Zip", "match": "zip", "cap": 45000},
    {"name": "By location", "type": "point", "lat_column": "Latitude", "lon_column": "Longitude"},
    {"name": "Inbound web", "type": "round_robin", "when": "source = Web", "team": "Inside sales", "cap": 20000},
    {"name": "Fallback", "type": "fallback", "target": "queue", "value": "Unrouted"},
]


def prepare_project(path: str) -> None:
    """The demo project with segments, a team and the rule list, saved to ``path``."""
    from territory_desk.domain.model.territories import Territory
    from territory_desk.domain.model.territory_layers import TerritoryLayer
    from territory_desk.persistence.reader import load_project
    from territory_desk.persistence.store import save_project
    from territory_desk.services.project_files import create_demo

    demo = "projects/demo.gpkg"
    if not os.path.exists(demo):
        create_demo(demo, 1)
    p = load_project(demo)
    base = p.scenario
    p.layers = [TerritoryLayer("Enterprise", "segment = Enterprise"), TerritoryLayer("SMB", "")]
    smb = base.copy("SMB 2027")
    smb.layer, smb.live = "SMB", True
    ent = base.copy("Ent 2027")
    ent.layer, ent.live = "Enterprise", True
    regions = [r.id for r in base.regions]
    ent.territories = [Territory(f"E{k + 1}", f"Enterprise {r}", "#4e79a7", r, base.territories[k].rep_id)
                       for k, r in enumerate(regions)]
    reg_of = np.array([regions.index(t.region_id) for t in base.territories])
    ent.assignment = np.where(base.assignment >= 0, reg_of[np.maximum(base.assignment, 0)], -1)
    p.scenarios += [smb, ent]
    for r in p.reps[12:]:
        r.skills["team"] = "Inside sales"
    p.settings["lead_rules"] = RULES
    save_project(p, path)


def write_leads_csv(path: str, n: int, seed: int, project_path: str) -> None:
    """CRM-style leads: 5 % name an account by id, 3 % by company name; 80 % have a ZIP, 60 % coordinates."""
    import pandas as pd

    from territory_desk.io.bundled_data import read_zip_centroids
    from territory_desk.persistence.reader import load_project

    rng = np.random.default_rng(seed)
    acc = load_project(project_path).accounts
    z = read_zip_centroids(kinds=("STANDARD",))
    pick = rng.integers(0, len(z), n)
    u = rng.random(n)
    account = np.where(u < 0.05, rng.integers(0, len(acc), n), -1)
    company = np.array([f"Lead Company {k % 200_000} Inc." for k in range(n)], dtype=object)
    by_name = (u >= 0.05) & (u < 0.08)
    names = np.asarray(acc.names, dtype=object)
    company[by_name] = names[rng.integers(0, len(acc), int(by_name.sum()))]
    ids = np.asarray(acc.ids, dtype=object)
    has_zip = rng.random(n) < 0.8
    has_xy = rng.random(n) < 0.6
    lat = (z["lat"].to_numpy()[pick] + rng.normal(0, 0.02, n)).round(5)
    lon = (z["lon"].to_numpy()[pick] + rng.normal(0, 0.02, n)).round(5)
    frame = pd.DataFrame({
        "Lead ID": [f"00Q{k:012d}" for k in range(n)],
        "Company": company,
        "Account ID": np.where(account >= 0, ids[np.maximum(account, 0)], ""),
        "Industry": rng.choice(["Healthcare", "Retail", "Technology", "Finance", "Manufacturing", "Logistics"], n),
        "Employees": rng.lognormal(4.5, 1.8, n).astype(np.int64),
        "Segment": np.where(rng.random(n) < 0.15, "Enterprise", "SMB"),
        "Source": rng.choice(["Web", "Partner", "Event", "Outbound"], n, p=[0.5, 0.1, 0.2, 0.2]),
        "Country": np.where(rng.random(n) < 0.9, "US", "CA"),
        "Zip": np.where(has_zip, z["zip"].to_numpy()[pick], ""),
        "Latitude": np.where(has_xy, lat.astype(str), ""),
        "Longitude": np.where(has_xy, lon.astype(str), ""),
        "Email": [f"lead{k}@example.com" for k in range(n)],
    })
    frame.to_csv(path, index=False)


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(project_path: str, csv_path: str, out_path: str, explain: bool, raw: bool = False) -> None:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.leads import assign_file

    t0 = time.perf_counter()
    project = load_project(project_path)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = assign_file(project, csv_path, out_path, explain=explain, raw=raw)
    total = time.perf_counter() - t0
    print(json.dumps({"load_s": load_s, "total_s": total, **{f"{k}_s": v for k, v in report.seconds.items()},
                      "peak_mb": _peak_mb(), "rows": report.rows, "unmatched": report.unmatched,
                      "per_rule": report.per_rule}))


def run_child(project_path: str, csv_path: str, tmp: str, explain: bool, raw: bool = False) -> dict:
    args = [sys.executable, __file__, "--child", project_path, csv_path, os.path.join(tmp, "assigned.csv")]
    args += (["--explain"] if explain else []) + (["--raw"] if raw else [])
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child failed: {out.stderr.strip()[-2000:] or out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 leads instead of 1,000,000")
    ap.add_argument("--repeat", type=int, default=3, help="runs (medians are printed)")
    ap.add_argument("--child", nargs=3, metavar=("PROJECT", "CSV", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child, explain=a.explain, raw=a.raw)
        return
    n = 100_000 if a.quick else 1_000_000
    tag = "100k" if a.quick else "1m"
    with tempfile.TemporaryDirectory() as tmp:
        project_path = os.path.join(tmp, "demo-leads.gpkg")
        prepare_project(project_path)
        csv_path = os.path.join(tmp, "leads.csv")
        write_leads_csv(csv_path, n, 7, project_path)
        print(f"leads_file: {os.path.getsize(csv_path) / 1e6:.0f} MB")
        runs = [run_child(project_path, csv_path, tmp, False) for _ in range(max(1, a.repeat))]
        med = {k: statistics.median(r[k] for r in runs) for k in ("load_s", "total_s", "read_s", "rules_s", "write_s")}
        print(f"assign_{tag}_total: {med['total_s']:.2f} s")
        print(f"assign_{tag}_rules_only: {med['rules_s']:.2f} s")
        print(f"read_csv_{tag}: {med['read_s']:.2f} s")
        print(f"write_csv_{tag}: {med['write_s']:.2f} s")
        raw = [run_child(project_path, csv_path, tmp, False, raw=True) for _ in range(max(1, a.repeat))]
        raw_s = statistics.median(r["write_s"] for r in raw)
        print(f"write_csv_{tag}_raw: {raw_s:.2f} s  (--raw-csv: no formula check)")
        print(f"project_load: {med['load_s']:.2f} s")
        print(f"assign_{tag}_peak_rss: {max(r['peak_mb'] for r in runs):.0f} MB")
        ex = run_child(project_path, csv_path, tmp, True)
        print(f"assign_{tag}_explain_total: {ex['total_s']:.2f} s")
        print(f"assign_{tag}_explain_rules_only: {ex['rules_s']:.2f} s")
        print(f"assign_{tag}_explain_peak_rss: {ex['peak_mb']:.0f} MB")
        print(f"unmatched_{tag}: {runs[0]['unmatched']} leads")
        for name, _kind, count in runs[0]["per_rule"]:
            print(f"rule_{name.lower().replace(' ', '_')}: {count} leads")


if __name__ == "__main__":
    main()
