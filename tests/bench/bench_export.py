"""Benchmark of the exports on the ~37,000-unit ZIP project (target: a 300-dpi Letter PDF and PNG each
in < 10 s).

Run: python tests/bench/bench_export.py [--quick] [--keep DIR]
Prints one `name: value unit` line per figure. "cold" includes building the renderer's geometry
(simplification, outline dissolve, what the first export of a session pays); "warm" is a later
export in the same session (median of the repeats).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from territory_desk.services.exports import export  # noqa: E402
from territory_desk.services.zip_grid import build_zip_project  # noqa: E402
from territory_desk.ui.export.map_export import QtMapRenderer, ensure_gui_app  # noqa: E402


def report(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:.2f} {unit}" if unit == "s" else f"{name}: {value:g} {unit}", flush=True)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one warm repeat instead of three")
    ap.add_argument("--keep", metavar="DIR", help="write the files here (default: a temporary folder)")
    a = ap.parse_args()
    ensure_gui_app()
    t = time.perf_counter()
    project = build_zip_project(1)
    report("zip project build (not an export)", time.perf_counter() - t, "s")
    report("units", len(project.units), "units")
    out = a.keep or tempfile.mkdtemp(prefix="bench-export-")
    os.makedirs(out, exist_ok=True)
    repeats = 1 if a.quick else 3
    worst = 0.0
    for fmt in ("pdf", "png"):
        path = os.path.join(out, f"zip-letter-300dpi.{fmt}")
        cold = timed(lambda: export(project, fmt, path, dpi=300, page="letter", map_renderer=QtMapRenderer()))
        renderer = QtMapRenderer()
        renderer.cache(project)
        warm = [timed(lambda: export(project, fmt, path, dpi=300, page="letter", map_renderer=renderer))
                for _ in range(repeats)]
        report(f"{fmt} letter 300 dpi cold", cold, "s")
        report(f"{fmt} letter 300 dpi warm median", statistics.median(warm), "s")
        report(f"{fmt} size", round(os.path.getsize(path) / 1e6, 1), "MB")
        worst = max(worst, cold)
    renderer = QtMapRenderer()
    renderer.cache(project)
    for fmt, kwargs in (("svg", {"dpi": 300}), ("pptx", {}), ("html", {}), ("csv", {})):
        path = os.path.join(out, f"zip.{fmt}")
        seconds = timed(lambda: export(project, fmt, path, map_renderer=renderer, **kwargs))
        report(f"{fmt} export", seconds, "s")
        report(f"{fmt} size", round(os.path.getsize(path) / 1e6, 1), "MB")
    # GIS layers (dissolved territories): median of the repeats; the dissolve is cached after the first
    for fmt, kwargs in (("gpkg", {}), ("geojson", {}), ("shp", {}), ("kml", {}),
                        ("gpkg", {"accounts": True, "label_metric": True}),
                        ("shp", {"accounts": True, "label_metric": True})):
        name = fmt + (" with accounts and labels" if kwargs else "")
        path = os.path.join(out, f"zip{'-accounts' if kwargs else ''}.{fmt}")
        try:
            runs = [timed(lambda: export(project, fmt, path, **kwargs)) for _ in range(max(repeats, 3))]
        except Exception as exc:  # noqa: BLE001 (a failing format is a figure too)
            print(f"{name} export failed: {exc}"[:300], file=sys.stderr)
            report(f"{name} export median", float("nan"), "s")
            continue
        report(f"{name} export median", statistics.median(runs), "s")
        report(f"{name} size", round(os.path.getsize(path) / 1e6, 1), "MB")
    report("target met (pdf and png cold < 10 s)", int(worst < 10.0), "bool")
    if not a.keep:
        print(f"files in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
