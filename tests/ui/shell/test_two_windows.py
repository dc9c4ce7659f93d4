"""Two main windows in one process share nothing by accident: each canvas has its own tools (an area
registers them on the canvas, not in a module-global table), and each window has its own freeform
snapping switch (Tools → Snap to vertices and edges)."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt

from territory_desk.persistence.store import save_project
from territory_desk.ui.canvas.tools import Tool
from territory_desk.ui.shell.main_window import MainWindow

from tests.domain.stats.test_freeform_engine import corner, known_project

SQUARE = [(0, 0), (2, 0), (2, 2), (0, 2)]
OFF = QPoint(3, 2)  # pixels beside each corner: within the snapping distance


@pytest.fixture
def two_windows(qtbot, window, tmp_path):
    other = MainWindow()
    other.errors = []
    other.show_error = other.errors.append
    qtbot.addWidget(other)
    other.resize(1400, 900)
    other.show()
    qtbot.waitExposed(other)
    for n, w in enumerate((window, other)):
        path = tmp_path / f"grid{n}.gpkg"
        save_project(known_project(), path)
        assert w.open_path(str(path))
        assert w.areas["freeform"].new_scenario("Drawn")
        w.canvas.flush()
    yield window, other
    other.model.undo_stack.setClean()
    other.close()


def draw_square_beside_the_corners(qtbot, w) -> np.ndarray:
    canvas = w.canvas
    points = [canvas.world_to_screen(*corner(w.model.doc.project, i, j)).toPoint() + OFF for i, j in SQUARE]
    for p in points:
        qtbot.mouseMove(canvas, p)
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=p)
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=points[-1])
    sc = w.model.doc.scenario
    assert len(sc.territories) == 1
    return shapely.get_coordinates(sc.shapes[sc.territories[0].id])[:-1]


def test_snapping_switch_is_per_window(qtbot, two_windows):
    a, b = two_windows
    a.areas["freeform"].act_snap.setChecked(False)
    assert not a.areas["freeform"].snapper.enabled
    assert b.areas["freeform"].act_snap.isChecked() and b.areas["freeform"].snapper.enabled
    for w in (a, b):
        w.tool_actions["freeform_polygon"].trigger()
    corners = np.array([corner(a.model.doc.project, i, j) for i, j in SQUARE])
    drawn_a = draw_square_beside_the_corners(qtbot, a)
    drawn_b = draw_square_beside_the_corners(qtbot, b)
    assert np.allclose(drawn_b, corners)  # B still snaps onto the unit corners
    assert not np.allclose(drawn_a, corners, atol=1.0)  # A drew where it was clicked
    # the switch holds for A's next document (a new canvas with new tools), and B is still untouched
    old_canvas = a.canvas
    a.model.undo_stack.setClean()
    assert a.open_path(a.model.doc.path) and a.canvas is not old_canvas
    snapper = a.areas["freeform"].snapper
    assert snapper.canvas is a.canvas and not snapper.enabled
    assert a.canvas.tools["freeform_polygon"].snapper is snapper
    assert b.areas["freeform"].snapper.enabled


class ProbeTool(Tool):
    name = "probe"


def test_tools_are_per_canvas(qtbot, two_windows):
    a, b = two_windows
    for name in ("select", "paint", "pick_accounts", "freeform_polygon", "freeform_edit"):
        assert a.canvas.tools[name] is not b.canvas.tools[name]
        assert a.canvas.tools[name].canvas is a.canvas and b.canvas.tools[name].canvas is b.canvas
    a.canvas.register_tool(ProbeTool(a.canvas))
    a.canvas.set_tool("probe")
    assert "probe" in a.canvas.tools and "probe" not in b.canvas.tools
    with pytest.raises(ValueError, match="unknown tool"):
        b.canvas.set_tool("probe")
    with pytest.raises(ValueError, match="another canvas"):
        b.canvas.register_tool(ProbeTool(a.canvas))
    with pytest.raises(ValueError, match="already has"):
        a.canvas.register_tool(ProbeTool(a.canvas))
    # the freeform area's tools drive their own window's document only
    assert a.canvas.tools["freeform_polygon"].model is a.model
    assert b.canvas.tools["freeform_polygon"].model is b.model
