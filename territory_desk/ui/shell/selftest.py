"""`territory-desk --selftest [PROJECT]`: open the project (the demo by default) in the real main
window, paint one unit into a neighbouring territory with real mouse events, render a frame, check it
is not blank, and exit 0 — or print the reason and exit 1."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

import numpy as np
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from territory_desk.services.project_files import create_demo
from territory_desk.ui.shell.main_window import MainWindow


class SelftestFailure(Exception):
    pass


def _check(cond: bool, reason: str) -> None:
    if not cond:
        raise SelftestFailure(reason)


def _paint_target(doc) -> tuple[int, int]:
    """A unit on a territory border and the neighbouring territory to paint it into."""
    a = doc.scenario.assignment
    nbrs = doc.project.adjacency.neighbours
    locked = {i for i, t in enumerate(doc.scenario.territories) if t.locked}
    for u in np.argsort(-doc.project.units.area_m2):  # big units are easy to hit
        u = int(u)
        if a[u] < 0 or a[u] in locked:
            continue
        for w in nbrs[u]:
            if a[w] >= 0 and a[w] != a[u] and a[w] not in locked:
                return u, int(a[w])
    raise SelftestFailure("the project has no unit on a border between two unlocked territories")


def demo_path_for_selftest(work: str) -> str:
    """projects/demo.gpkg when present, else a demo built in the folder ``work``."""
    here = os.path.join("projects", "demo.gpkg")
    if os.path.exists(here):
        return here
    path = os.path.join(work, "built-demo.gpkg")
    create_demo(path)
    return path


def run_selftest(app: QApplication, project: str | None) -> int:
    t0 = time.perf_counter()
    work = tempfile.mkdtemp(prefix="territory-desk-selftest-")
    # the user's settings (recent files, window layout) are not the self-test's business
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, work)
    try:
        source = project or demo_path_for_selftest(work)
        _check(os.path.exists(source), f"{source}: no such file")
        path = os.path.join(work, os.path.basename(source))
        shutil.copy(source, path)  # never touch the user's file
        win = MainWindow()
        win.ask = lambda *a, **k: None  # no dialogs in a self-test  # type: ignore[method-assign]
        win.resize(1400, 900)
        win.show()
        _check(win.open_path(path), f"could not open {source}")
        app.processEvents()
        canvas, model = win.canvas, win.model
        canvas.flush()
        unit, dst = _paint_target(model.doc)
        before = model.doc.stats()
        model.set_active_territory(dst)
        canvas.set_tool("paint")
        pos = canvas.unit_screen_point(unit).toPoint()
        _check(canvas.rect().contains(pos), "the unit to paint is not on screen")
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        QTest.mouseMove(canvas, pos + QPoint(1, 0))
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos + QPoint(1, 0))
        app.processEvents()
        _check(model.doc.territory_of(unit) == dst, "the paint edit did not reach the document")
        _check(model.undo_stack.count() == 1, "the paint edit is not one undo step")
        after = model.doc.stats()
        _check(after.units[dst] == before.units[dst] + 1, "the statistics did not follow the edit")
        model.doc.engine.check_against_full()
        canvas.flush()
        image = win.grab().toImage()
        small = image.scaled(200, 120)
        colours = {small.pixel(x, y) for x in range(0, 200, 4) for y in range(0, 120, 4)}
        _check(len(colours) > 8, "the rendered window is blank")
        model.undo_stack.undo()
        _check(model.doc.territory_of(unit) != dst, "undo did not restore the unit")
        model.undo_stack.setClean()
        win.close()
        print(f"selftest ok: {os.path.basename(source)}, {len(model.doc.project.units)} units, "
              f"painted unit {model.doc.project.units.ids[unit]} into "
              f"{model.doc.scenario.territories[dst].name}, frame {image.width()}x{image.height()} "
              f"with {len(colours)} colours, {time.perf_counter() - t0:.1f} s")
        return 0
    except SelftestFailure as exc:
        print(f"territory-desk: selftest failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the self-test reports every failure as its reason
        print(f"territory-desk: selftest failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
