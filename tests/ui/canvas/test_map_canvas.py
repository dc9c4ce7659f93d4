"""MapCanvas driven by real mouse and key events (pytest-qt, offscreen)."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territories import MoveUnits
from territory_desk.ui.canvas.map_canvas import UNITS_MIME, MapCanvas
from territory_desk.ui.canvas.qt_buffers import FAST_POLYGONF, path_from_coords, polygonf
from territory_desk.ui.doc_model import DocModel

from tests.conftest import make_grid_project

NX = NY = 6  # grid cells: unit u = y * NX + x; territories are column bands 0-1, 2-3, 4-5


def unit(x: int, y: int) -> int:
    return y * NX + x


@pytest.fixture
def model():
    return DocModel(Document(make_grid_project(NX, NY, 3)))


@pytest.fixture
def canvas(qtbot, model):
    w = MapCanvas(model)
    qtbot.addWidget(w)
    w.resize(480, 420)
    w.show()
    qtbot.waitExposed(w)
    w.cache.wait()
    w.flush()
    yield w
    w.close()


def pt(canvas: MapCanvas, u: int) -> QPoint:
    return canvas.unit_screen_point(u).toPoint()


def drag(qtbot, w, points, mods=Qt.KeyboardModifier.NoModifier, release=True):
    """Press at points[0], move through the rest, release at the last (left button)."""
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, mods, points[0])
    for p in points[1:]:
        move_with_button(w, p, mods)
    if release:
        qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, mods, points[-1])


def move_with_button(w, p: QPoint, mods=Qt.KeyboardModifier.NoModifier):
    """A mouse move with the left button held, through the widget's event handlers."""
    ev = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), QPointF(w.mapToGlobal(p)), Qt.MouseButton.NoButton,
                     Qt.MouseButton.LeftButton, mods)
    QApplication.sendEvent(w, ev)


def assignment(model) -> np.ndarray:
    return model.doc.scenario.assignment.copy()


def color_at(image: QImage, p: QPoint) -> QColor:
    return image.pixelColor(p)


# ---- building blocks ---------------------------------------------------------------------------
def test_numpy_to_qt_buffers():
    assert FAST_POLYGONF  # PySide6 6.11: writing through QPolygonF.data() works
    xy = np.array([[0.5, 1.0], [2.0, -3.0], [4.0, 5.5]])
    assert [[p.x(), p.y()] for p in polygonf(xy)] == xy.tolist()
    coords = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [5, 5], [6, 6]], dtype=float)
    starts = np.array([True, False, False, False, True, False])
    path = path_from_coords(coords, starts)
    assert path.elementCount() == 6
    assert path.elementAt(4).isMoveTo() and path.elementAt(5).isLineTo()
    assert path.fillRule() == Qt.FillRule.WindingFill


def test_rendered_image_is_not_blank(canvas):
    image = canvas.render_to_image(400, 300)
    assert image.width() == 400 and image.height() == 300
    arr = np.frombuffer(image.constBits(), dtype=np.uint32, count=400 * 300)
    values, counts = np.unique(arr, return_counts=True)
    assert len(values) >= 6  # three territory colours, borders, labels, background
    assert counts.max() / counts.sum() < 0.6
    for u, terr in ((unit(0, 2), 0), (unit(3, 3), 1)):  # a cell shows its territory's colour
        p = canvas.unit_screen_point(u).toPoint() + QPoint(0, 12)
        expect = QColor(canvas.model.doc.scenario.territories[terr].color)
        assert color_at(canvas.cached_image, p) == expect


def test_heavy_borders_only_between_territories(canvas):
    canvas.set_layer_visible("territory_labels", False)
    canvas.set_layer_visible("unit_labels", False)
    canvas.flush()
    image = canvas.cached_image

    def brightest_channel_between(u, v):  # on the shared edge, halfway between the label points
        p = (canvas.unit_screen_point(u) + canvas.unit_screen_point(v)) / 2
        c = image.pixelColor(p.toPoint())
        return max(c.red(), c.green(), c.blue())

    assert brightest_channel_between(unit(1, 2), unit(2, 2)) < 90  # territory 0 | 1: dark border
    assert brightest_channel_between(unit(0, 2), unit(0, 3)) > 200  # inside territory 0: fill/thin line
    assert brightest_channel_between(unit(2, 4), unit(3, 4)) > 200  # inside territory 1


# ---- selection ---------------------------------------------------------------------------------
def test_click_and_shift_click_select(qtbot, canvas, model):
    a, b = unit(1, 1), unit(4, 2)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pt(canvas, a))
    assert model.selection == {a}
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pt(canvas, b))
    assert model.selection == {a, b}
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pt(canvas, a))
    assert model.selection == {b}
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(3, 3))
    assert model.selection == set()  # empty space clears


def test_rectangle_select(qtbot, canvas, model):
    p0 = pt(canvas, unit(1, 1)) + QPoint(-5, 5)
    p1 = pt(canvas, unit(3, 2)) + QPoint(5, -5)
    drag(qtbot, canvas, [p0, (p0 + p1) / 2, p1])
    assert model.selection == {unit(x, y) for x in (1, 2, 3) for y in (1, 2)}
    # shift adds another band
    q0, q1 = pt(canvas, unit(5, 5)) + QPoint(-5, -5), pt(canvas, unit(5, 4)) + QPoint(5, 5)
    drag(qtbot, canvas, [q0, q1], mods=Qt.KeyboardModifier.ShiftModifier)
    assert model.selection == {unit(x, y) for x in (1, 2, 3) for y in (1, 2)} | {unit(5, 4), unit(5, 5)}


def test_lasso_select(qtbot, canvas, model):
    canvas.set_tool("lasso")
    corners = [pt(canvas, unit(0, 0)), pt(canvas, unit(4, 0)), pt(canvas, unit(0, 4))]
    centre = sum(corners, QPoint()) / 3
    ring = [c + (c - centre) / 8 for c in corners]  # a bit larger than the label-point triangle
    path = []
    for i in range(3):  # freehand: many points along the triangle's sides
        p, q = ring[i], ring[(i + 1) % 3]
        path += [p + (q - p) * (k / 6.0) for k in range(6)]
    drag(qtbot, canvas, path)
    tri = shapely.Polygon([(q.x(), q.y()) for q in path])
    expected = {u for u in range(NX * NY) if tri.contains(shapely.Point(pt(canvas, u).x(), pt(canvas, u).y()))}
    assert unit(0, 0) in expected and unit(1, 1) in expected and unit(5, 5) not in expected
    assert model.selection == expected


# ---- painting ----------------------------------------------------------------------------------
def test_paint_drag_is_live_and_one_undo_step(qtbot, canvas, model):
    engine = model.doc.engine
    model.set_active_territory(2)
    canvas.set_tool("paint")
    before = engine.counts.copy()
    row = [unit(x, 3) for x in range(4)]  # columns 0-3: territories 0, 0, 1, 1
    points = [pt(canvas, u) for u in row]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    assert engine.counts[2] == before[2] + 1  # the pressed unit already counts
    for p in points[1:]:
        qtbot.mouseMove(canvas, p)
    assert engine.counts[2] == before[2] + 4  # live while the button is still down
    assert model.undo_stack.count() == 0
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    assert model.undo_stack.count() == 1
    assert (model.doc.scenario.assignment[row] == 2).all()
    model.doc.engine.check_against_full()
    model.undo_stack.undo()
    assert engine.counts.tolist() == before.tolist()


def test_paint_fast_stroke_skips_no_unit(qtbot, canvas, model):
    model.set_active_territory(2)
    canvas.set_tool("paint")
    drag(qtbot, canvas, [pt(canvas, unit(0, 0)), pt(canvas, unit(3, 0))])  # one jump over 2 cells
    assert (model.doc.scenario.assignment[[unit(x, 0) for x in range(4)]] == 2).all()


def test_escape_cancels_paint(qtbot, canvas, model):
    model.set_active_territory(2)
    canvas.set_tool("paint")
    before = assignment(model)
    drag(qtbot, canvas, [pt(canvas, unit(0, 1)), pt(canvas, unit(1, 1)), pt(canvas, unit(2, 1))], release=False)
    assert not np.array_equal(assignment(model), before)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert np.array_equal(assignment(model), before)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pt(canvas, unit(2, 1)))
    assert model.undo_stack.count() == 0
    model.doc.engine.check_against_full()


def test_locked_territory_refuses_paint(qtbot, canvas, model):
    model.doc.scenario.territories[0].locked = True
    model.set_active_territory(2)
    canvas.set_tool("paint")
    before = assignment(model)
    with qtbot.waitSignal(model.messageRequested, timeout=1000) as blocker:
        drag(qtbot, canvas, [pt(canvas, unit(1, 2)), pt(canvas, unit(2, 2))])
    assert "locked" in blocker.args[0]
    assert np.array_equal(assignment(model), before)
    assert model.undo_stack.count() == 0


# ---- moving a selection ----------------------------------------------------------------------
def test_drag_selection_into_neighbouring_territory(qtbot, canvas, model):
    sel = [unit(1, 2), unit(1, 3)]
    model.set_selection(sel)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pt(canvas, sel[0]))
    move_with_button(canvas, pt(canvas, sel[0]) + QPoint(6, 0))
    move_with_button(canvas, pt(canvas, unit(2, 2)))  # a unit of territory 1
    assert (model.doc.scenario.assignment[sel] == 1).all()  # live preview
    assert model.undo_stack.count() == 0
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pt(canvas, unit(2, 2)))
    assert model.undo_stack.count() == 1
    assert (model.doc.scenario.assignment[sel] == 1).all()
    model.undo_stack.undo()
    assert (model.doc.scenario.assignment[sel] == 0).all()


def test_drag_selection_escape_restores(qtbot, canvas, model):
    sel = [unit(3, 0)]
    model.set_selection(sel)
    before = assignment(model)
    drag(qtbot, canvas, [pt(canvas, sel[0]), pt(canvas, sel[0]) + QPoint(8, 0), pt(canvas, unit(4, 0))], release=False)
    assert model.doc.scenario.assignment[sel[0]] == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert np.array_equal(assignment(model), before)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pt(canvas, unit(4, 0)))
    assert model.undo_stack.count() == 0


def test_drag_selection_out_of_widget_starts_drag_and_drop(qtbot, canvas, model, monkeypatch):
    started = []
    monkeypatch.setattr(canvas, "start_external_drag", lambda units: started.append(units))
    sel = [unit(0, 0), unit(0, 1)]
    model.set_selection(sel)
    before = assignment(model)
    drag(qtbot, canvas, [pt(canvas, sel[0]), pt(canvas, sel[0]) + QPoint(8, 0), pt(canvas, unit(2, 0)),
                         QPoint(-30, 40)])
    assert started == [sorted(sel)]
    assert np.array_equal(assignment(model), before)  # the live preview was taken back
    assert model.undo_stack.count() == 0


def test_external_drag_mime_data(qtbot, canvas, monkeypatch):
    from territory_desk.ui.canvas import map_canvas

    seen = {}

    class FakeDrag:
        def __init__(self, source):
            seen["source"] = source

        def setMimeData(self, mime):
            seen["data"] = bytes(mime.data(UNITS_MIME)).decode()

        def exec(self, *args):
            return Qt.DropAction.MoveAction

    monkeypatch.setattr(map_canvas, "QDrag", FakeDrag)
    canvas.start_external_drag([1, 2, 3])
    assert seen == {"source": canvas, "data": "1,2,3"}


def test_locked_territory_refuses_selection_move(qtbot, canvas, model):
    model.doc.scenario.territories[1].locked = True
    sel = [unit(1, 4)]
    model.set_selection(sel)
    before = assignment(model)
    with qtbot.waitSignal(model.messageRequested, timeout=1000):
        drag(qtbot, canvas, [pt(canvas, sel[0]), pt(canvas, sel[0]) + QPoint(8, 0), pt(canvas, unit(2, 4))])
    assert np.array_equal(assignment(model), before)
    assert model.undo_stack.count() == 0


# ---- view --------------------------------------------------------------------------------------
def test_wheel_zoom_and_keyboard_pan(qtbot, canvas):
    v0 = canvas.view
    at = pt(canvas, unit(2, 2))
    world_at = v0.point_to_world(QPointF(at))
    wheel = QWheelEvent(QPointF(at), QPointF(canvas.mapToGlobal(at)), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, wheel)
    v1 = canvas.view
    assert v1.scale == pytest.approx(v0.scale * 1.25**2)
    assert v1.point_to_world(QPointF(at)) == pytest.approx(world_at)  # zoom keeps the cursor's spot
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert canvas.view.cx < v1.cx and canvas.view.cy == v1.cy
    qtbot.keyClick(canvas, Qt.Key.Key_Up)
    assert canvas.view.cy > v1.cy
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.view.scale == pytest.approx(v1.scale * 0.8)
    canvas.zoom_full()
    assert canvas.view == v0


def test_resize_fits_until_the_user_moves_the_view(qtbot, canvas):
    s0 = canvas.view.scale
    canvas.resize(960, 840)
    canvas.flush()
    assert canvas.view.scale == pytest.approx(2 * s0)  # still showing everything
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    s1 = canvas.view.scale
    canvas.resize(480, 420)
    canvas.flush()
    assert canvas.view.scale == pytest.approx(s1)  # the user's zoom is kept
    assert canvas.cached_image.width() == 480


def test_pan_by_shifting_matches_a_full_render(qtbot, canvas):
    canvas.zoom_by(1.7)
    canvas.flush()
    for dx, dy in ((37, 0), (0, -23), (-11, 19)):
        qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 200))
        qtbot.mouseMove(canvas, QPoint(200 + dx, 200 + dy))
        qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(200 + dx, 200 + dy))
    shifted = canvas.cached_image.copy()
    canvas.refresh()
    canvas.flush()
    assert canvas.cached_image is not shifted
    a = np.frombuffer(shifted.constBits(), dtype=np.uint8).reshape(-1, 4).astype(int)
    b = np.frombuffer(canvas.cached_image.constBits(), dtype=np.uint8).reshape(-1, 4).astype(int)
    differs = np.abs(a - b).max(axis=1) > 40
    assert differs.mean() < 0.005


def test_edit_rerenders_dirty_rect(qtbot, canvas, model):
    u = unit(1, 4)
    p = pt(canvas, u) + QPoint(0, 12)
    t0, t2 = (QColor(model.doc.scenario.territories[i].color) for i in (0, 2))
    assert canvas.cached_image.pixelColor(p) == t0
    model.push(MoveUnits([u], 2))
    canvas.flush()
    assert canvas.cached_image.pixelColor(p) == t2
    fresh = canvas.render_to_image(canvas.width(), canvas.height())
    assert fresh.pixelColor(p) == t2


def test_hidden_territory_is_not_drawn(qtbot, canvas, model):
    p = pt(canvas, unit(0, 0)) + QPoint(0, 12)
    model.hidden_territories.add(model.doc.scenario.territories[0].id)
    canvas.refresh()
    canvas.flush()
    assert canvas.cached_image.pixelColor(p) == canvas.renderer.style.background


def test_zoom_to_territory_and_units(qtbot, canvas, model):
    full = canvas.view
    canvas.zoom_to_territory(2)
    x0, y0, x1, y1 = canvas.cache.units_bbox(np.flatnonzero(model.doc.scenario.assignment == 2))
    assert canvas.view.cx == pytest.approx((x0 + x1) / 2) and canvas.view.cy == pytest.approx((y0 + y1) / 2)
    canvas.zoom_to_units([unit(4, 4), unit(5, 4)])
    assert canvas.view.scale > 2 * full.scale
    bx0, by0, bx1, by1 = canvas.view.world_bounds()
    lx, ly = canvas.cache.label_xy[:, 0], canvas.cache.label_xy[:, 1]
    inside = (lx >= bx0) & (lx <= bx1) & (ly >= by0) & (ly <= by1)
    assert inside[[unit(4, 4), unit(5, 4)]].all() and not inside[unit(0, 0)]
    canvas.flush()


def test_hover_signal_tooltip_and_cursor_position(qtbot, canvas, model):
    u = unit(3, 2)
    lon, lat = model.doc.project.units.geometry[u].centroid.coords[0]
    with qtbot.waitSignal(canvas.hoverUnitChanged, timeout=1000) as hover, \
            qtbot.waitSignal(canvas.cursorMoved, timeout=1000) as moved:
        qtbot.mouseMove(canvas, pt(canvas, u))
    assert hover.args == [u]
    assert moved.args[0] == pytest.approx(lon, abs=0.1) and moved.args[1] == pytest.approx(lat, abs=0.1)
    tip = canvas.unit_tooltip(u)
    assert "Cell 3,2" in tip and "U0203" in tip and "Territory 1" in tip and "population" in tip
    p = pt(canvas, u)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, p, canvas.mapToGlobal(p)))  # mouse rests
    assert QToolTip.isVisible() and "Cell 3,2" in QToolTip.text()
    with qtbot.waitSignal(canvas.hoverUnitChanged, timeout=1000) as hover:
        qtbot.mouseMove(canvas, QPoint(2, 2))
    assert hover.args == [-1]


def test_layers_and_tools_are_validated(canvas):
    for name in ("accounts", "basemap", "unit_labels", "territory_labels"):
        canvas.set_layer_visible(name, True)
        assert canvas.layer_visible(name)
    canvas.set_basemap([shapely.box(-100.2, 37.9, -98.6, 39.0)], "EPSG:4326")
    canvas.flush()
    with pytest.raises(ValueError):
        canvas.set_layer_visible("roads", True)
    with pytest.raises(ValueError):
        canvas.set_tool("eraser")
    canvas.set_tool("pan")
    assert canvas.tool == "pan"
