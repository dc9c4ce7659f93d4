"""Benchmark of the map canvas with real Qt events (offscreen).

Run: python tests/bench/bench_canvas.py [--quick] [--png DIR]
Prints one `name: value unit` line per figure. Targets: paint-drag p95 < 16 ms per mouse event
(event -> live edit -> repainted canvas -> fresh stats) and full redraw < 50 ms at 1600x1000 on
the 3,108 counties; on ~30,000 ZIP cells full redraw < 150 ms and one reassigned unit < 30 ms.
Reference (same class of 2-core machine): QGIS 3.22 redraws the counties at 1600x1000 in ~220 ms
and 29,000 ZIP cells in ~450 ms.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from territory_desk.domain.editing.document import Document  # noqa: E402
from territory_desk.domain.editing.territories import MoveUnits  # noqa: E402
from territory_desk.io.bundled_data import CENSUS_CRS, read_states  # noqa: E402
from territory_desk.ui.canvas.geometry_cache import build_level  # noqa: E402
from territory_desk.ui.canvas.map_canvas import MapCanvas  # noqa: E402
from territory_desk.ui.doc_model import DocModel  # noqa: E402

W, H = 1600, 1000


def report(name: str, value: float, unit: str = "ms") -> None:
    print(f"{name}: {value:.1f} {unit}" if unit == "ms" else f"{name}: {value:g} {unit}", flush=True)


def stats_ms(name: str, samples: list[float]) -> None:
    arr = np.asarray(samples) * 1000.0
    report(f"{name} p50", float(np.percentile(arr, 50)))
    report(f"{name} p95", float(np.percentile(arr, 95)))


def make_canvas(project, basemap) -> tuple[MapCanvas, DocModel]:
    model = DocModel(Document(project))
    t = time.perf_counter()
    canvas = MapCanvas(model)
    canvas.resize(W, H)
    canvas.show()
    QTest.qWaitForWindowExposed(canvas)
    canvas.set_basemap(basemap, CENSUS_CRS)
    canvas.repaint()
    first = time.perf_counter() - t
    canvas.cache.wait()
    canvas.refresh()
    canvas.repaint()
    return canvas, model, first


def full_redraw(canvas: MapCanvas, repeat: int) -> list[float]:
    """Territory paths dropped too (what a zoom-level change costs), then a synchronous repaint."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        canvas.refresh()
        canvas.repaint()
        out.append(time.perf_counter() - t)
    return out


def stroke_points(canvas: MapCanvas, n_units: int) -> list[QPoint]:
    """Cursor positions along a horizontal line through the middle, one per newly entered unit."""
    pts, seen = [], set()
    for y in (H // 2, H // 2 - 60, H // 2 + 60, H // 2 - 120):
        for x in range(40, W - 40, 2):
            u = canvas.unit_at(QPointF(x, y))
            if u >= 0 and u not in seen:
                seen.add(u)
                pts.append(QPoint(x, y))
                if len(pts) == n_units:
                    return pts
    return pts


def paint_drag(canvas: MapCanvas, model: DocModel, n_units: int) -> list[float]:
    """Paint-drag with real mouse events; per event: live edit + repaint + stats."""
    engine = model.doc.engine
    model.set_active_territory(int(np.argmin(engine.counts[:-1])))
    canvas.set_tool("paint")
    pts = stroke_points(canvas, n_units)
    times = []
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    canvas.repaint()
    for p in pts[1:]:
        t = time.perf_counter()
        QTest.mouseMove(canvas, p)
        canvas.repaint()
        engine.stats()
        times.append(time.perf_counter() - t)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
    assert model.undo_stack.count() == 1, "the stroke should be one undo step"
    model.undo_stack.undo()
    canvas.set_tool("select")
    return times


def reassign_one(canvas: MapCanvas, model: DocModel, repeat: int) -> list[float]:
    a = model.doc.scenario.assignment
    adj = model.doc.project.adjacency
    cross = np.flatnonzero((a[adj.i] != a[adj.j]) & (a[adj.i] >= 0) & (a[adj.j] >= 0) & ~adj.virtual)
    rng = np.random.default_rng(0)
    out = []
    for e in rng.choice(cross, size=min(repeat, len(cross)), replace=False):
        u, dst = int(adj.i[e]), int(a[adj.j[e]])
        t = time.perf_counter()
        if model.push(MoveUnits([u], dst)):
            canvas.repaint()
            out.append(time.perf_counter() - t)
            model.undo_stack.undo()
            canvas.repaint()
    return out


def pan_steps(canvas: MapCanvas, steps: int) -> list[float]:
    out = []
    start = QPoint(W // 2, H // 2)
    QTest.mousePress(canvas, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, steps + 1):
        p = start + QPoint(-12 * k, 5 * k)
        t = time.perf_counter()
        QTest.mouseMove(canvas, p)
        canvas.repaint()
        out.append(time.perf_counter() - t)
    QTest.mouseRelease(canvas, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, p)
    return out


def zoom_steps(canvas: MapCanvas, steps: int) -> tuple[list[float], list[float]]:
    """Per wheel notch: the scaled preview repaint, then the settled render (geometry ready)."""
    preview, settled = [], []
    at = QPointF(W * 0.62, H * 0.45)
    for k in range(steps):
        delta = 120 if k < steps // 2 else -120
        ev = QWheelEvent(at, QPointF(canvas.mapToGlobal(at)), QPoint(), QPoint(0, delta), Qt.MouseButton.NoButton,
                         Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        t = time.perf_counter()
        QApplication.sendEvent(canvas, ev)
        canvas.repaint()
        preview.append(time.perf_counter() - t)
        canvas.cache.level(canvas.cache.level_for(canvas.view.metres_per_pixel), wait=True)
        t = time.perf_counter()
        canvas.flush()
        canvas.repaint()
        settled.append(time.perf_counter() - t)
    return preview, settled


def level_build(canvas: MapCanvas) -> float:
    """Simplifying every unit and border line for one new zoom level (runs on the worker thread)."""
    lv = canvas.cache.level_for(canvas.view.metres_per_pixel) - 1
    t = time.perf_counter()
    build_level(lv, canvas.cache.geoms, canvas.model.doc.project.adjacency.lines)
    return time.perf_counter() - t


def run(label: str, project, basemap, args) -> None:
    n = len(project.units)
    report(f"{label} units", n, "units")
    canvas, model, first = make_canvas(project, basemap)
    report(f"{label} canvas open + first paint", first * 1000)
    stats_ms(f"{label} full redraw {W}x{H}", full_redraw(canvas, 5 if args.quick else 15))
    if label == "demo":
        stats_ms(f"{label} paint-drag 50 units, event to repaint+stats", paint_drag(canvas, model, 50))
        canvas.zoom_by(4.0, QPointF(W * 0.55, H * 0.5))
        canvas.cache.level(canvas.cache.level_for(canvas.view.metres_per_pixel), wait=True)
        canvas.flush()
        stats_ms(f"{label} paint-drag 50 units zoomed x4, event to repaint+stats", paint_drag(canvas, model, 50))
        canvas.zoom_full()
        canvas.repaint()
    stats_ms(f"{label} reassign one unit repaint", reassign_one(canvas, model, 10 if args.quick else 40))
    stats_ms(f"{label} pan step (drag event to repaint)", pan_steps(canvas, 10 if args.quick else 30))
    preview, settled = zoom_steps(canvas, 6 if args.quick else 12)
    stats_ms(f"{label} zoom step scaled preview", preview)
    stats_ms(f"{label} zoom step settled render", settled)
    report(f"{label} zoom level geometry build (worker thread)", level_build(canvas) * 1000)
    if args.png:
        canvas.zoom_full()
        canvas.repaint()
        path = os.path.join(args.png, f"canvas_{label}.png")
        canvas.grab().save(path)
        print(f"{label} screenshot: {path}")
    canvas.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--png", metavar="DIR", help="also save a screenshot of each project here")
    ap.add_argument("--skip-zip", action="store_true", help="only the county demo")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    from territory_desk.services.demo import build_demo_project
    from territory_desk.services.zip_grid import build_zip_project

    states = read_states().geometry.to_numpy()
    run("demo", build_demo_project(1), states, args)
    if not args.skip_zip:
        run("zip", build_zip_project(1, kinds=("STANDARD",)), states, args)
    app.processEvents()


if __name__ == "__main__":
    main()
