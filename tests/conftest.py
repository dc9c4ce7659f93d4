"""Shared fixtures. Qt tests run offscreen (set here, not by hand).

Projects: ``make_grid_project()`` (a 6x6 grid, built in milliseconds) for most tests; the bundled demo
(3,108 counties) is built and saved once per test process. ``demo_project``, ``demo_file`` and
``grid_file`` are shared and must not be changed (a check at the end of the run says so when one was);
``demo_copy`` is a copy to change, and ``project_file`` a project file of the test's own: the grid unless
the test or its module is marked ``@pytest.mark.project_file("demo")`` or ``(build=function)``.
"""
from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# keep the tests' Qt settings (recent files, window layout) out of the user's configuration
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="territory-desk-tests-config-")

import numpy as np
import pytest
import shapely

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import Region, Territory
from territory_desk.domain.model.units import UnitLayer
from territory_desk.persistence.store import save_project
from territory_desk.services.demo import build_demo_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_grid_project(nx: int = 6, ny: int = 6, n_territories: int = 3, seed: int = 0) -> Project:
    """A grid of square lon/lat cells near Kansas, split into vertical bands of territories."""
    rng = np.random.default_rng(seed)
    size = 0.2
    geoms, ids, names, cols = [], [], [], []
    for y in range(ny):
        for x in range(nx):
            x0, y0 = -100.0 + x * size, 38.0 + y * size
            geoms.append(shapely.box(x0, y0, x0 + size, y0 + size))
            ids.append(f"U{y:02d}{x:02d}")
            names.append(f"Cell {x},{y}")
            cols.append(x)
    n = nx * ny
    units = UnitLayer(
        ids, names, np.array(geoms, dtype=object), "EPSG:4326",
        numeric={"population": rng.integers(100, 1000, n).astype(float)},
        text={"kind": ["cell"] * n},
    )
    k = 40
    lon = rng.uniform(-100.0, -100.0 + nx * size, k)
    lat = rng.uniform(38.0, 38.0 + ny * size, k)
    accounts = AccountTable(
        [f"A{i:03d}" for i in range(k)], [f"Account {i}" for i in range(k)], lon, lat,
        numeric={"revenue": rng.uniform(1, 100, k).round(2)},
        text={"segment": ["SMB" if i % 4 else "Enterprise" for i in range(k)]},
    )
    project = Project.from_units(
        units, accounts=accounts,
        reps=[Rep(f"R{i}", f"Rep {i}", -99.5, 38.5, "Somewhere", 100.0, {"languages": ["en"]})
              for i in range(n_territories)],
    )
    sc = project.scenario
    sc.regions = [Region("R1", "Region one")]
    sc.territories = [
        Territory(f"T{i}", f"Territory {i}", ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00"][i % 5], "R1",
                  f"R{i}")
        for i in range(n_territories)
    ]
    cols = np.array(cols * 1)
    sc.assignment = np.minimum(cols * n_territories // nx, n_territories - 1).astype(np.int64)
    return project


@pytest.fixture
def grid_project():
    return make_grid_project()


@pytest.fixture
def make_grid():
    return make_grid_project


DEMO_SEED = 1


@pytest.fixture(scope="session")
def demo_project() -> Project:
    """The demo project (seed 1), built once per test process and shared: read it, never change it
    (take ``demo_copy``, or ``copy.deepcopy`` it in a module fixture)."""
    project = build_demo_project(seed=DEMO_SEED)
    before = _fingerprint(project)
    yield project
    assert _fingerprint(project) == before, "a test changed the shared demo_project: use demo_copy"


@pytest.fixture
def demo_copy(demo_project) -> Project:
    """A deep copy of the demo project, the test's to change."""
    return copy.deepcopy(demo_project)


@pytest.fixture(scope="session")
def demo_file(demo_project, tmp_path_factory) -> Path:
    """The demo project saved once per test process; shared, so open it but never write it (a test that
    saves, imports into or tampers with a project takes ``project_file`` marked "demo")."""
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    save_project(demo_project, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    yield path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, \
        "a test wrote the shared demo_file: use project_file marked 'demo'"


@pytest.fixture(scope="session")
def grid_file(tmp_path_factory) -> Path:
    """``make_grid_project()`` saved once per test process; shared like ``demo_file`` (read, never write)."""
    path = tmp_path_factory.mktemp("grid") / "grid.gpkg"
    save_project(make_grid_project(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    yield path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, \
        "a test wrote the shared grid_file: use project_file"


def _fingerprint(project: Project) -> str:
    """A digest of what tests could change in a project by mistake (scenarios, names, reps, settings)."""
    h = hashlib.sha256()
    for s in project.scenarios:
        h.update(repr((s.name, s.territories, s.regions, s.layer, s.live, s.pins)).encode())
        h.update(s.assignment.tobytes())
    h.update(repr((project.active, project.reps, project.layers, project.settings, project.units.names,
                   project.accounts.names, project.accounts.ids)).encode())
    return h.hexdigest()


@pytest.fixture
def project_file(request, tmp_path) -> Path:
    """A saved project in ``tmp_path``, the test's own to open, change, save or damage.

    It holds ``make_grid_project()`` (a copy of ``grid_file``) unless the test or its module is marked
    ``@pytest.mark.project_file("demo")`` (a copy of ``demo_file``) or
    ``@pytest.mark.project_file(build=function)`` (``function()`` returns the project to save).
    """
    marker = request.node.get_closest_marker("project_file")
    if marker is None or marker.args == ("demo",):
        shared = request.getfixturevalue("grid_file" if marker is None else "demo_file")
        path = tmp_path / shared.name
        shutil.copy(shared, path)
        return path
    if marker.args or set(marker.kwargs) != {"build"}:
        raise TypeError(f"project_file marks take \"demo\" or build=FUNCTION, not {marker}")
    build = marker.kwargs["build"]
    path = tmp_path / f"{build.__name__}.gpkg"
    save_project(build(), path)
    return path


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch):
    """A modal dialog nobody answers would hang the suite: static dialogs answer 'cancel' unless a test
    scripts them itself (tests replace the windows' small _ask_* methods)."""
    try:
        from PySide6.QtWidgets import QColorDialog, QFileDialog, QInputDialog, QMessageBox
    except ImportError:  # pragma: no cover - Qt-free runs
        return
    from PySide6.QtGui import QColor

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    B = QMessageBox.StandardButton
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: B.Cancel))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("", False)))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (0, False)))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor()))


@pytest.fixture
def window(qtbot, tmp_path):
    """The real main window with its own settings; questions answer from ``window.answers`` (in order),
    then ``window.default_answer``, then the dialog's default; errors are collected in ``window.errors``."""
    from PySide6.QtCore import QSettings

    from territory_desk.ui.shell.app import make_app
    from territory_desk.ui.shell.main_window import MainWindow

    make_app()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    w = MainWindow()
    w.answers, w.default_answer, w.errors = [], None, []
    w.ask = lambda title, text, buttons, default: (
        w.answers.pop(0) if w.answers else (w.default_answer if w.default_answer is not None else default))
    w.show_error = lambda text: w.errors.append(text)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.areas["optimize"].shutdown()  # a design still running
    if w.model is not None:
        w.model.undo_stack.setClean()
    w.close()
