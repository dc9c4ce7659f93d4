"""Benchmark of the account import on the ~37,000-unit ZIP project.

Run: python tests/bench/bench_import.py [--quick] [--repeat N]
Prints one `name: value unit` line per figure. Targets (issue 4): 1,000,000 accounts with
coordinates imported and located in units in < 20 s with < 2 GB peak memory; 100,000 accounts with
a ZIP code only (geocoded offline) in < 10 s. Issue 14: a 50 MB file that is one line without a
newline is refused (or read) in < 10 s with < 500 MB peak memory (the whole `import-accounts` run).

Each case runs in a fresh child process that loads the saved project, so the memory figure is the
peak resident set of a real `territory-desk import-accounts` run: "import" covers reading the CSV,
parsing, geocoding, locating every account in the units and the re-import comparison; "save" is
the atomic GeoPackage save of the project with the new accounts, measured separately.
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


def write_accounts_csv(path: str, n: int, seed: int, with_coordinates: bool) -> None:
    """CRM-style accounts around real ZIP centroids (Salesforce headers)."""
    import pandas as pd

    from territory_desk.io.bundled_data import read_zip_centroids

    rng = np.random.default_rng(seed)
    z = read_zip_centroids(kinds=("STANDARD",))
    pick = rng.integers(0, len(z), n)
    frame = {"Account ID": [f"001{k:012d}" for k in range(n)],
             "Account Name": [f"Company {k} LLC" for k in range(n)]}
    if with_coordinates:
        frame["Billing Latitude"] = (z["lat"].to_numpy()[pick] + rng.normal(0, 0.01, n)).round(5)
        frame["Billing Longitude"] = (z["lon"].to_numpy()[pick] + rng.normal(0, 0.01, n)).round(5)
    else:
        frame["Billing City"] = z["city"].to_numpy()[pick]
        frame["Billing State/Province"] = z["state"].to_numpy()[pick]
        frame["Billing Zip/Postal Code"] = z["zip"].to_numpy()[pick]
    frame["Annual Revenue"] = rng.lognormal(13, 1.2, n).round(2)
    frame["Industry"] = rng.choice(["Healthcare", "Retail", "Technology", "Finance", "Logistics"], n)
    pd.DataFrame(frame).to_csv(path, index=False)


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(project_path: str, csv_path: str, save_path: str) -> None:
    """Load the project, import (timed, peak memory), save (timed); print a JSON line."""
    from territory_desk.persistence.reader import load_project
    from territory_desk.persistence.store import save_project
    from territory_desk.services.imports import plan_accounts

    project = load_project(project_path)
    process_peak_before = _peak_mb()
    reset = _reset_peak()
    t0 = time.perf_counter()
    plan = plan_accounts(project, csv_path)
    import_s = time.perf_counter() - t0
    import_peak = _peak_mb() if reset else max(_peak_mb(), process_peak_before)
    project.accounts = plan.accounts
    t0 = time.perf_counter()
    save_project(project, save_path)
    save_s = time.perf_counter() - t0
    print(json.dumps({"import_s": import_s, "save_s": save_s, "peak_mb": import_peak,
                      "process_peak_mb": max(process_peak_before, _peak_mb()),
                      "imported": plan.report.imported, "rejected": len(plan.report.rejected),
                      "methods": plan.report.methods}))


def child_cli(project_path: str, csv_path: str) -> None:
    """The real command on a hostile file: exit code, seconds and the process's peak memory."""
    from territory_desk.cli import main

    t0 = time.perf_counter()
    rc = main(["import-accounts", project_path, csv_path, "--dry-run"])
    print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}))


def hostile_one_line(project_path: str, tmp: str) -> None:
    for label, unit in (("letters", b"x"), ("commas", b"a,"), ("quoted", b'"a",')):
        path = os.path.join(tmp, f"one-line-{label}.csv")
        with open(path, "wb") as f:
            f.write(unit * (50_000_000 // len(unit)))
        out = subprocess.run([sys.executable, __file__, "--child-cli", project_path, path], capture_output=True,
                             text=True, check=False, timeout=600)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        verdict = "refused" if r["rc"] == 2 else "read"
        print(f"one_line_50mb_{label}_{verdict}: {r['seconds']:.2f} s")
        print(f"one_line_50mb_{label}_peak_rss: {r['peak_mb']:.0f} MB")
        os.remove(path)


def run_child(project_path: str, csv_path: str, tmp: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", project_path, csv_path, os.path.join(tmp, "saved.gpkg")],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        why = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode
        raise SystemExit(f"child failed: {why}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100k and 10k accounts instead of 1M and 100k")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (medians are printed)")
    ap.add_argument("--child", nargs=3, metavar=("PROJECT", "CSV", "SAVE"), help=argparse.SUPPRESS)
    ap.add_argument("--child-cli", nargs=2, metavar=("PROJECT", "CSV"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    if a.child_cli:
        child_cli(*a.child_cli)
        return
    from territory_desk.persistence.store import save_project
    from territory_desk.services.zip_grid import build_zip_project

    n_coords, n_zip = (100_000, 10_000) if a.quick else (1_000_000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        project = build_zip_project(seed=1)
        print(f"zip_project_units: {len(project.units)} units")
        project_path = os.path.join(tmp, "zip.gpkg")
        save_project(project, project_path)
        del project
        hostile_one_line(project_path, tmp)
        for label, n, coords in (("coordinates", n_coords, True), ("zip_only", n_zip, False)):
            csv_path = os.path.join(tmp, f"{label}.csv")
            write_accounts_csv(csv_path, n, seed=7, with_coordinates=coords)
            runs = [run_child(project_path, csv_path, tmp) for _ in range(max(1, a.repeat))]
            name = f"import_{n // 1000}k_{label}"
            med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
            print(f"{name}_import_and_locate: {med('import_s'):.2f} s (median of {len(runs)})")
            print(f"{name}_peak_rss_during_import: {max(r['peak_mb'] for r in runs):.0f} MB")
            print(f"{name}_peak_rss_process: {max(r['process_peak_mb'] for r in runs):.0f} MB")
            print(f"{name}_save: {med('save_s'):.2f} s (median of {len(runs)})")
            r = runs[0]
            print(f"{name}_imported: {r['imported']} accounts")
            print(f"{name}_rejected: {r['rejected']} rows")
            for m, count in r["methods"].items():
                print(f"{name}_placed_by_{m}: {count} accounts")


if __name__ == "__main__":
    main()
