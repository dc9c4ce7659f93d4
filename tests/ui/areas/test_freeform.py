"""Freeform territories in the editor, driven with real mouse and key events: draw a polygon by clicks
and a double-click, drag a vertex across known accounts and watch the metrics while the button is
still down, release (one undo step), undo; refusals, rectangle, circle, split, vertex insert/delete,
the overlaps dock and its fix, from units, save, rendering."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.domain.stats.test_freeform_engine import corner, known_project

SHOTS = Path("/tmp/freeform_shots")


pytestmark = pytest.mark.project_file(build=known_project)


@pytest.fixture
def fwin(qtbot, window, tmp_path):
    path = tmp_path / "grid.gpkg"
    save_project(known_project(), path)
    assert window.open_path(str(path))
    assert window.areas["freeform"].new_scenario("Drawn")
    window.canvas.flush()
    return window


def pt(w, i: float, j: float) -> QPoint:
    return w.canvas.world_to_screen(*corner(w.model.doc.project, i, j)).toPoint()


def move_with_button(w, p: QPoint):
    ev = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(w.mapToGlobal(p)), Qt.MouseButton.NoButton,
                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, ev)


def click_polygon(qtbot, w, corners):
    canvas = w.canvas
    for i, j in corners:
        qtbot.mouseMove(canvas, pt(w, i, j))
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pt(w, i, j))
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=pt(w, *corners[-1]))


def drag(qtbot, w, a: QPoint, b: QPoint, steps: int = 8, release: bool = True):
    canvas = w.canvas
    qtbot.mouseMove(canvas, a)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, steps + 1):
        move_with_button(canvas, QPoint(a.x() + (b.x() - a.x()) * k // steps, a.y() + (b.y() - a.y()) * k // steps))
    if release:
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)


def accounts(w) -> list[int]:
    s = w.model.doc.stats()
    return [int(v) for v in s.value[:, s.field_index("accounts")]]


def panel_accounts(w) -> list[int]:
    return [r["accounts"] for r in w.metrics_panel.displayed_rows()]


def test_draw_drag_vertex_live_metrics_release_undo(qtbot, fwin):
    w, canvas, model = fwin, fwin.canvas, fwin.model
    assert canvas.tool == "freeform_polygon" and w.tool_actions["freeform_polygon"].isChecked()
    click_polygon(qtbot, w, [(0, 0), (2, 0), (2, 2), (0, 2)])
    sc = model.doc.scenario
    assert len(sc.territories) == 1 and model.undo_stack.count() == 2  # new scenario, draw
    geom = sc.shapes[sc.territories[0].id]
    want = np.array([corner(model.doc.project, i, j) for i, j in [(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]])
    assert np.allclose(shapely.get_coordinates(geom), want)  # clicks snapped onto the unit corners
    assert accounts(w) == [4] and panel_accounts(w) == [4]

    w.tool_actions["freeform_edit"].trigger()
    assert canvas.tool == "freeform_edit"
    # press on the corner (2, 2) and drag it out; the metrics follow while the button is down
    drag(qtbot, w, pt(w, 2, 2), pt(w, 2.6, 2.6), release=False)
    assert accounts(w) == [5] and panel_accounts(w) == [5]  # cell (2,2)'s account came in
    for k in range(1, 7):
        move_with_button(canvas, QPoint(pt(w, 2.6, 2.6).x() + (pt(w, 3.2, 3.2).x() - pt(w, 2.6, 2.6).x()) * k // 6,
                                        pt(w, 2.6, 2.6).y() + (pt(w, 3.2, 3.2).y() - pt(w, 2.6, 2.6).y()) * k // 6))
    assert accounts(w) == [7] and panel_accounts(w) == [7]  # and cells (2,1), (1,2)
    assert model.undo_stack.count() == 2  # nothing committed yet
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pt(w, 3.2, 3.2))
    assert model.undo_stack.count() == 3 and model.undo_stack.undoText() == "Move vertex"
    assert accounts(w) == [7] and panel_accounts(w) == [7]
    model.doc.engine.check_against_full()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert accounts(w) == [4] and panel_accounts(w) == [4]
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert accounts(w) == [7]
    # Esc in the middle of a drag puts the polygon back
    drag(qtbot, w, pt(w, 0, 0), pt(w, -1, -1), release=False)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pt(w, -1, -1))
    assert accounts(w) == [7] and model.undo_stack.count() == 3
    model.doc.engine.check_against_full()


def test_crossing_outline_refused_with_a_message(qtbot, fwin):
    w = fwin
    click_polygon(qtbot, w, [(0, 0), (2, 2), (2, 0), (0, 2)])
    assert w.model.doc.scenario.territories == []
    assert "crosses itself" in w.statusBar().currentMessage()
    assert w.errors == []
    # Backspace takes the last corner back, Esc drops the drawing
    canvas = w.canvas
    for i, j in [(0, 0), (3, 0), (9, 9)]:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pt(w, i, j))
    tool = canvas.tools["freeform_polygon"]
    assert len(tool.points) == 3
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert len(tool.points) == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert tool.points == [] and w.model.doc.scenario.territories == []
    # a vertex dragged across the opposite side: refused on release, the square comes back
    w.tool_actions["freeform_rectangle"].trigger()
    drag(qtbot, w, pt(w, 0, 0), pt(w, 2, 2))
    assert accounts(w) == [4]
    w.tool_actions["freeform_edit"].trigger()
    drag(qtbot, w, pt(w, 2, 2), pt(w, -0.5, 1), release=False)
    assert not shapely.is_valid(w.model.doc.engine.shapes[0])  # the preview follows the mouse anyway
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pt(w, -0.5, 1))
    assert "crosses itself" in w.statusBar().currentMessage()
    assert accounts(w) == [4] and w.model.undo_stack.undoText() == "Draw territory"
    w.model.doc.engine.check_against_full()
    # Zoom to active territory (T) zooms to the polygon
    before = canvas.view.scale
    qtbot.keyClick(canvas, Qt.Key.Key_T)
    assert canvas.view.scale > 1.5 * before


def test_rectangle_circle_split_insert_and_delete_vertices(qtbot, fwin):
    w, canvas, model = fwin, fwin.canvas, fwin.model
    w.tool_actions["freeform_rectangle"].trigger()
    drag(qtbot, w, pt(w, 0, 0), pt(w, 3, 2))
    assert accounts(w) == [6]
    w.tool_actions["freeform_circle"].trigger()
    drag(qtbot, w, pt(w, 4.5, 4.5), pt(w, 4.9, 4.5))
    assert accounts(w) == [6, 1] and model.active_territory == 1
    # split the rectangle along x = 1: the larger piece (columns 1-2) keeps it
    model.set_active_territory(0)
    w.tool_actions["freeform_split"].trigger()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pt(w, 1, -0.4))
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=pt(w, 1, 2.4))
    assert accounts(w) == [4, 1, 2]
    assert [t.name for t in model.doc.scenario.territories][2].endswith("(2)")
    # insert a vertex on an edge (press there and let go), then delete it with the Delete key
    model.set_active_territory(0)
    w.tool_actions["freeform_edit"].trigger()
    sc = model.doc.scenario
    n0 = len(shapely.get_coordinates(sc.shapes[sc.territories[0].id]))
    mid = pt(w, 3, 1)  # on the rectangle's right edge
    qtbot.mouseMove(canvas, mid)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=mid)
    assert len(shapely.get_coordinates(sc.shapes[sc.territories[0].id])) == n0 + 1
    assert accounts(w) == [4, 1, 2]
    qtbot.mouseMove(canvas, mid)
    assert canvas.tools["freeform_edit"].hover_vertex >= 0
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert len(shapely.get_coordinates(sc.shapes[sc.territories[0].id])) == n0
    assert model.undo_stack.undoText() == "Delete vertex"
    # right-click deletes a corner: the triangle that is left loses cell (2,1)'s account
    corner_pt = pt(w, 3, 2)
    qtbot.mouseMove(canvas, corner_pt)
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=corner_pt)
    assert len(shapely.get_coordinates(sc.shapes[sc.territories[0].id])) == n0 - 1
    assert accounts(w)[0] < 4
    # drag inside the circle (made active first) moves it: from cell (4,4)'s account to cell (5,5)'s
    model.set_active_territory(1)
    drag(qtbot, w, pt(w, 4.5, 4.5), pt(w, 5.5, 5.5))
    assert model.undo_stack.undoText() == "Move territory"
    terr = model.doc.engine.account_territories(len(model.doc.project.accounts))
    ids = model.doc.project.accounts.ids
    assert terr[ids.index("C55")] == 1 and terr[ids.index("C44")] == -1
    model.doc.engine.check_against_full()


def test_overlaps_dock_lists_and_clips(qtbot, fwin):
    w, model = fwin, fwin.model
    w.tool_actions["freeform_rectangle"].trigger()
    drag(qtbot, w, pt(w, 0, 0), pt(w, 3, 2))
    drag(qtbot, w, pt(w, 2, 0), pt(w, 5, 2))
    assert accounts(w) == [6, 6]
    panel = w.areas["freeform"].panel
    assert w.areas["freeform"].dock.isVisible()
    qtbot.waitUntil(lambda: panel.overlaps.topLevelItemCount() == 1, timeout=3000)
    item = panel.overlaps.topLevelItem(0)
    assert item.text(1) == "2" and item.childCount() == 2
    assert "C20" in item.child(0).text(0) + item.child(1).text(0)
    assert "26 accounts in no territory" in panel.summary.text()
    panel.overlaps.setCurrentItem(item)
    assert panel.clip_a.text() == "Clip Territory 1 by Territory 2"
    qtbot.mouseClick(panel.clip_a, Qt.MouseButton.LeftButton)
    assert accounts(w) == [4, 6] and panel.overlaps.topLevelItemCount() == 0
    assert model.undo_stack.undoText() == "Clip territory by its neighbour"
    model.undo_stack.undo()
    assert accounts(w) == [6, 6]
    # the tools are for freeform scenarios only
    from territory_desk.domain.editing.scenarios import SwitchScenario

    model.push(SwitchScenario("Base"))
    assert not w.tool_actions["freeform_edit"].isEnabled() and w.canvas.tool == "select"
    assert not w.areas["freeform"].dock.isVisible()


def test_from_selected_units_save_and_reopen(qtbot, fwin):
    w, model = fwin, fwin.model
    p = model.doc.project
    model.set_selection([p.units.index_of(u) for u in ("U0000", "U0001", "U0100")])
    w.areas["freeform"].act_from_units.trigger()
    assert accounts(w) == [3] and model.selection == set()
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not w.isWindowModified() and w.errors == []
    back = load_project(model.doc.path)
    sc = back.get_scenario("Drawn")
    assert back.active == "Drawn" and len(sc.shapes) == 1
    assert shapely.equals_exact(next(iter(sc.shapes.values())), next(iter(model.doc.scenario.shapes.values())),
                                tolerance=1e-4)
    # Scenarios → New freeform scenario… asks for a name
    w.areas["freeform"]._ask_name = lambda default: "Second"
    w.areas["freeform"].act_new_scenario.trigger()
    assert model.doc.scenario.name == "Second" and model.doc.scenario.shapes == {} and accounts(w) == []
    assert w.canvas.tool == "freeform_polygon"
    model.undo_stack.undo()
    assert model.doc.scenario.name == "Drawn" and accounts(w) == [3]


def test_render_overlaps_and_handles(qtbot, fwin):
    """Look at it: fills, outlines, names, the hatched overlap, the handles of the edited polygon."""
    w, canvas = fwin, fwin.canvas
    w.tool_actions["freeform_polygon"].trigger()
    click_polygon(qtbot, w, [(0.5, 0.5), (3.5, 0.3), (3.2, 3.1), (1.2, 3.6), (0.3, 2.2)])
    w.tool_actions["freeform_circle"].trigger()
    drag(qtbot, w, pt(w, 3.6, 2.8), pt(w, 5.1, 3.2))
    w.tool_actions["freeform_edit"].trigger()
    w.model.set_active_territory(0)
    qtbot.mouseMove(canvas, pt(w, 3.2, 3.1))
    canvas.flush()
    w.areas["freeform"].panel.refresh()
    w.areas["freeform"].dock.raise_()
    SHOTS.mkdir(exist_ok=True)
    image = canvas.grab().toImage()
    image.save(str(SHOTS / "canvas_freeform.png"))
    w.grab().save(str(SHOTS / "window_freeform.png"))
    # the overlap is hatched: inside it, pixels differ from one to the next along a diagonal
    a, b = w.areas["freeform"].overlay.shapes()
    inside = shapely.point_on_surface(shapely.intersection(a, b))
    c = canvas.world_to_screen(inside.x, inside.y).toPoint()
    colours = {image.pixelColor(c.x() + d, c.y()).name() for d in range(-6, 7)}
    assert len(colours) > 1
    outside = canvas.world_to_screen(*shapely.point_on_surface(shapely.difference(b, a)).coords[0]).toPoint()
    assert len({image.pixelColor(outside.x() + d, outside.y()).name() for d in range(-3, 4)}) == 1
    # an exported map draws the polygons too
    from territory_desk.services.exports import export
    from territory_desk.ui.export.map_export import QtMapRenderer

    out = SHOTS / "export_freeform.png"
    export(w.model.doc.project, "png", str(out), dpi=96, map_renderer=QtMapRenderer())
    assert out.exists() and out.stat().st_size > 10_000
