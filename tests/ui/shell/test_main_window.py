"""The editor as a planner uses it: open the demo, paint units into another territory with the mouse,
watch the metrics panel while dragging, undo, save, reopen; recovery after a crash; locks."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from territory_desk.persistence.reader import load_project
from territory_desk.services import session_files as sf

B = QMessageBox.StandardButton


pytestmark = pytest.mark.project_file("demo")


@pytest.fixture
def demo(project_file) -> str:
    """The test's own copy of the demo file, as a path string (what Qt's file events carry)."""
    return str(project_file)


def move_with_button(w, p: QPoint):
    ev = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(w.mapToGlobal(p)), Qt.MouseButton.NoButton,
                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, ev)


def border_chain(doc, length=4):
    """Units of one territory along its border with a neighbour, and that neighbour."""
    a = doc.scenario.assignment
    nbrs = doc.project.adjacency.neighbours
    area = doc.project.units.area_m2
    for u in np.argsort(-area):
        u = int(u)
        others = [int(a[w]) for w in nbrs[u] if a[w] != a[u] and a[w] >= 0]
        if not others:
            continue
        dst = others[0]
        chain = [u]
        for w in nbrs[u]:
            if a[w] == a[u] and any(a[x] == dst for x in nbrs[w]) and len(chain) < length:
                chain.append(int(w))
        if len(chain) >= 2:
            return chain, dst
    raise AssertionError("no border")


def metric_row(window, t):
    name = window.model.doc.scenario.territories[t].name
    return next(r for r in window.metrics_panel.displayed_rows() if r["name"] == name)


def test_paint_live_metrics_undo_save_reopen(qtbot, window, demo):
    assert window.open_path(demo)
    assert window.windowTitle().startswith("demo.gpkg")
    canvas, model = window.canvas, window.model
    canvas.flush()
    chain, dst = border_chain(model.doc)
    src = model.doc.territory_of(chain[0])
    before_dst = metric_row(window, dst)["units"]
    before_src = metric_row(window, src)["units"]
    start = model.doc.scenario.assignment.copy()
    model.set_active_territory(dst)
    window.tool_actions["paint"].trigger()
    points = [canvas.unit_screen_point(u).toPoint() for u in chain]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for p in points[1:]:
        move_with_button(canvas, p)
    # while the button is still down, the metrics panel already shows the pending change
    assert sum(model.doc.territory_of(u) == dst for u in chain) >= 2
    changed = np.flatnonzero(model.doc.scenario.assignment != start)
    painted = len(changed)
    from_src = int((start[changed] == src).sum())
    assert metric_row(window, dst)["units"] == before_dst + painted
    assert metric_row(window, src)["units"] == before_src - from_src
    assert model.undo_stack.count() == 0
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])
    assert model.undo_stack.count() == 1
    assert window.isWindowModified()
    assert metric_row(window, dst)["units"] == before_dst + painted
    # undo with the keyboard shortcut
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert metric_row(window, dst)["units"] == before_dst
    assert not window.isWindowModified()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert metric_row(window, dst)["units"] == before_dst + painted
    # the window renders something that is not blank
    image = window.grab().toImage().scaled(160, 100)
    assert len({image.pixel(x, y) for x in range(0, 160, 3) for y in range(0, 100, 3)}) > 10
    # save with the keyboard, reopen in a fresh load: the edit is there
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified() and window.errors == []
    reopened = load_project(demo)
    assert (reopened.scenario.assignment[changed] == dst).all()
    assert sf.pending_recovery(demo) is None


def test_escape_cancels_a_paint_stroke(qtbot, window, demo):
    window.open_path(demo)
    canvas, model = window.canvas, window.model
    canvas.flush()
    chain, dst = border_chain(model.doc)
    start = model.doc.scenario.assignment.copy()
    model.set_active_territory(dst)
    canvas.set_tool("paint")
    p = canvas.unit_screen_point(chain[0]).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=p)
    move_with_button(canvas, canvas.unit_screen_point(chain[1]).toPoint())
    assert model.doc.territory_of(chain[0]) == dst
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=p)
    assert np.array_equal(model.doc.scenario.assignment, start)
    assert model.undo_stack.count() == 0


def test_close_with_unsaved_changes_prompts(qtbot, window, demo):
    from territory_desk.domain.editing.territories import MoveUnits

    window.open_path(demo)
    window.model.push(MoveUnits([0], 1 if window.model.doc.territory_of(0) != 1 else 2))
    window.answers = [B.Cancel]
    assert not window.close()
    assert window.isVisible()
    window.answers = [B.Discard]
    assert window.close()
    assert load_project(demo).scenario.assignment[0] == load_project(demo).scenario.assignment[0]


def test_autosave_then_crash_offers_recovery(qtbot, window, demo, tmp_path):
    from territory_desk.domain.editing.territories import MoveUnits

    window.open_path(demo)
    target = 1 if window.model.doc.territory_of(0) != 1 else 2
    window.model.push(MoveUnits([0], target))
    window.autosave()
    window._autosave_worker.wait()
    assert sf.pending_recovery(demo) is not None
    # simulate the crash: the window vanishes without closing; its lock stays behind with a dead pid
    window.model.undo_stack.setClean()
    window._release_current()
    with open(sf.lock_path(demo), "w") as f:
        json.dump({"host": os.uname().nodename, "pid": 2 ** 22 + 12345}, f)
    from territory_desk.ui.shell.main_window import MainWindow

    second = MainWindow()
    qtbot.addWidget(second)
    second.ask = lambda *a: B.Yes
    assert second.open_path(demo)
    assert second.model.doc.territory_of(0) == target
    assert second.isWindowModified()
    second.model.undo_stack.setClean()
    second._recovered_dirty = False
    second.close()


def test_project_locked_by_another_process_opens_read_only(qtbot, window, demo):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open(sf.lock_path(demo), "w") as f:
            json.dump({"host": os.uname().nodename, "pid": child.pid}, f)
        window.answers = [B.Cancel]
        assert not window.open_path(demo)
        window.answers = [B.Open]
        assert window.open_path(demo)
        assert window.read_only and "read-only" in window.windowTitle()
        assert not window.act_save.isEnabled()
        from territory_desk.domain.editing.territories import MoveUnits

        assert not window.model.push(MoveUnits([0], 1))
        assert window.model.undo_stack.count() == 0
    finally:
        child.kill()
        child.wait()


def test_recent_files_and_dropped_project(qtbot, window, demo):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(demo)])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert window.model is not None and window.model.doc.path == os.path.abspath(demo)
    assert window.recent_files()[0] == os.path.abspath(demo)
    assert [a.text() for a in window.recent_menu.actions()] == [os.path.abspath(demo)]


def test_bad_file_reports_one_line(qtbot, window, tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(os.urandom(3000))
    assert not window.open_path(str(bad))
    assert len(window.errors) == 1 and "bad.gpkg" in window.errors[0]
    assert window.model is None


def test_damaged_project_reports_the_cli_sentence(qtbot, window, tmp_path, capsys):
    """The open-failure message is the very sentence the CLI prints after `territory-desk: error:`."""
    import sqlite3

    from territory_desk.persistence.store import save_project

    from tests.cli_runner import run
    from tests.conftest import make_grid_project

    bad = tmp_path / "bad.gpkg"
    save_project(make_grid_project(), bad)
    with sqlite3.connect(bad) as conn:
        conn.execute("UPDATE td_reps SET capacity = 1e308 WHERE ord = 1")
    code, _, err = run(capsys, "stats", bad)
    assert code == 2
    assert not window.open_path(str(bad))
    assert window.errors == [err.removeprefix("territory-desk: error: ").rstrip("\n")]
    assert "td_reps.capacity holds 1e+308 in row 2" in window.errors[0] and window.model is None


def test_repairs_made_on_open_are_shown_and_a_save_writes_them(qtbot, window, tmp_path):
    import sqlite3

    from territory_desk.persistence.store import save_project

    from tests.conftest import make_grid_project


    path = tmp_path / "dups.gpkg"
    save_project(make_grid_project(), path)
    with sqlite3.connect(path) as conn:
        for _ in range(3):
            conn.execute("INSERT INTO td_adjacency (i, j, length_m, virtual, line) "
                         "SELECT i, j, length_m, virtual, line FROM td_adjacency")
    notices = []
    window._notice = lambda title, text: notices.append((title, text))
    assert window.open_path(str(path))
    assert window.model.doc.project.adjacency.edge_count == 60
    assert len(notices) == 1 and "dropped 420 of 480 rows" in notices[0][1]
    assert window.isWindowModified()  # closing asks to save the repaired file
    assert window.save()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM td_adjacency").fetchone() == (60,)


def test_selftest_command(demo):
    r = subprocess.run([sys.executable, "-m", "territory_desk.cli", "--selftest", demo],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("selftest ok")


def test_file_open_event_opens_the_project(qtbot, window, demo):
    """macOS Finder: a .gpkg opened while the app runs arrives as a FileOpen event."""
    from PySide6.QtGui import QFileOpenEvent

    from territory_desk.ui.shell.app import _FileOpenFilter

    app = QApplication.instance()
    filt = _FileOpenFilter(window)
    app.installEventFilter(filt)
    try:
        QApplication.sendEvent(app, QFileOpenEvent(demo))
    finally:
        app.removeEventFilter(filt)
    assert window.model is not None and window.model.doc.path == os.path.abspath(demo)
