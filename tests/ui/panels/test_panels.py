"""The Territories and Metrics dock panels, driven through real widgets, actions and events."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle, QStyleOptionViewItem

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territories import MoveUnits
from territory_desk.domain.model.territories import Region
from territory_desk.ui.canvas.map_canvas import UNITS_MIME
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.metrics.panel import COL_DEV, COL_VALUE, MetricsPanel
from territory_desk.ui.panels.territories.panel import COL_LOCKED, COL_NAME, COL_UNITS, TerritoryPanel


@pytest.fixture
def model(make_grid):
    project = make_grid(6, 6, 3)
    return DocModel(Document(project))


def _show(qtbot, widget, w, h):
    qtbot.addWidget(widget)
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def tpanel(qtbot, model):
    return _show(qtbot, TerritoryPanel(model), 380, 480)


@pytest.fixture
def mpanel(qtbot, model):
    return _show(qtbot, MetricsPanel(model), 460, 600)


def _index(panel: TerritoryPanel, t: int, col: int):
    return panel._rows[t][col].index()


def _check_rect(tree, index):
    """Where the style draws the check indicator of an item (to click it like a user)."""
    opt = QStyleOptionViewItem()
    opt.initFrom(tree)
    opt.rect = tree.visualRect(index)
    opt.features = (QStyleOptionViewItem.HasCheckIndicator | QStyleOptionViewItem.HasDisplay
                    | QStyleOptionViewItem.HasDecoration)
    opt.decorationSize = QSize(12, 12)
    opt.text = index.data()
    return tree.style().subElementRect(QStyle.SE_ItemViewItemCheckIndicator, opt, tree)


# ---- metrics panel ---------------------------------------------------------------------------------
def _assert_rows_match_stats(panel: MetricsPanel, doc: Document) -> None:
    s = doc.stats()
    k, a = s.field_index(panel.current_field()), s.field_index("accounts")
    rows = sorted(panel.displayed_rows(), key=lambda r: r["territory"])
    assert len(rows) == len(doc.scenario.territories)
    for t, row in enumerate(rows):
        assert row["name"] == doc.scenario.territories[t].name
        assert row["value"] == pytest.approx(s.value[t, k])
        assert row["deviation_pct"] == pytest.approx(s.deviation_pct[t, k])
        assert row["accounts"] == int(s.value[t, a])
        assert row["units"] == int(s.units[t]) and row["pieces"] == int(s.pieces[t])


def test_metrics_table_shows_stats(mpanel, model):
    assert mpanel.current_field() == "population"
    _assert_rows_match_stats(mpanel, model.doc)
    s = model.doc.stats()
    cell = mpanel.proxy.index(0, COL_VALUE)
    assert cell.data() == f"{s.value[0, 0]:,.0f}"
    assert cell.data(Qt.TextAlignmentRole) & int(Qt.AlignRight)
    assert f"{s.max_abs_deviation_pct[0]:.1f} %" in mpanel.summary_text()
    assert "Unassigned: 0 units" in mpanel.summary_text()


def test_metrics_default_field_and_tolerance_from_settings(qtbot, make_grid):
    project = make_grid(6, 6, 3)
    project.settings.update(balance_fields=["revenue"], tolerance_pct=12.5)
    panel = _show(qtbot, MetricsPanel(DocModel(Document(project))), 460, 600)
    assert panel.current_field() == "revenue" and panel.tolerance() == 12.5
    assert panel.tolerance_spin.value() == 12.5


def test_metrics_live_update_without_reset_and_undo(mpanel, model):
    resets, changed = [], []
    mpanel.table_model.modelAboutToBeReset.connect(lambda: resets.append(1))
    mpanel.table_model.dataChanged.connect(
        lambda tl, br, *roles: changed.extend((r, c) for r in range(tl.row(), br.row() + 1)
                                              for c in range(tl.column(), br.column() + 1)))
    before = mpanel.displayed_rows()
    units = np.flatnonzero(model.doc.scenario.assignment == 0)[:4]
    assert model.push(MoveUnits(units, 1))
    assert not resets and {(0, COL_VALUE), (1, COL_VALUE)} <= set(changed)
    assert {c for r, c in changed if r == 2} <= {COL_DEV}  # row 2: at most its bar rescaled
    _assert_rows_match_stats(mpanel, model.doc)
    assert mpanel.displayed_rows()[1]["units"] == before[1]["units"] + 4
    model.undo_stack.undo()
    assert not resets and mpanel.displayed_rows() == before
    model.undo_stack.redo()
    _assert_rows_match_stats(mpanel, model.doc)


def test_metric_combo_with_key_and_mouse(qtbot, mpanel, model):
    combo = mpanel.field_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down)
    assert mpanel.current_field() == "accounts"
    assert mpanel.proxy.headerData(COL_VALUE, Qt.Horizontal) == "Accounts"
    _assert_rows_match_stats(mpanel, model.doc)
    qtbot.mouseClick(combo, Qt.LeftButton)  # opens the popup
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # the popup ignores an immediate release
    rect = view.visualRect(view.model().index(combo.findData("revenue"), 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert mpanel.current_field() == "revenue"
    assert mpanel.proxy.headerData(COL_VALUE, Qt.Horizontal) == "Revenue"
    _assert_rows_match_stats(mpanel, model.doc)


def test_metrics_sort_tolerance_and_row_click(qtbot, mpanel, model):
    head = mpanel.table.horizontalHeader()
    x = head.sectionViewportPosition(COL_VALUE) + head.sectionSize(COL_VALUE) // 2
    qtbot.mouseClick(head.viewport(), Qt.LeftButton, pos=QPoint(x, head.height() // 2))
    values = [r["value"] for r in mpanel.displayed_rows()]
    assert values == sorted(values) or values == sorted(values, reverse=True)
    mpanel.tolerance_spin.setValue(50.0)
    assert "Outside tolerance: 0 of 3" in mpanel.summary_text()
    mpanel.tolerance_spin.setValue(0.5)
    assert "Outside tolerance: 0 of 3" not in mpanel.summary_text()
    row = next(r for r, d in enumerate(mpanel.displayed_rows()) if d["territory"] != model.active_territory)
    target = mpanel.displayed_rows()[row]["territory"]
    rect = mpanel.table.visualRect(mpanel.proxy.index(row, 0))
    with qtbot.waitSignal(mpanel.territoryActivated) as sig:
        qtbot.mouseClick(mpanel.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert sig.args == [target] and model.active_territory == target


# ---- territory panel -------------------------------------------------------------------------------
def test_tree_rows_and_live_counts(tpanel, model):
    assert tpanel.tree_model.rowCount() == 1  # region "Region one" with the three territories
    region = tpanel.tree_model.item(0, COL_NAME)
    assert region.text() == "Region one" and region.rowCount() == 3
    assert _index(tpanel, 1, COL_NAME).data() == "Territory 1"
    units = np.flatnonzero(model.doc.scenario.assignment == 0)[:2]
    model.push(MoveUnits(units, 1))
    s = model.doc.stats()
    assert [_index(tpanel, t, COL_UNITS).data() for t in range(3)] == [f"{int(u):,}" for u in s.units]
    model.undo_stack.undo()
    assert _index(tpanel, 1, COL_UNITS).data() == f"{int(model.doc.stats().units[1]):,}"


def test_select_row_sets_active_territory(qtbot, tpanel, model):
    rect = tpanel.tree.visualRect(_index(tpanel, 2, COL_UNITS))
    with qtbot.waitSignal(tpanel.territoryActivated) as sig:
        qtbot.mouseClick(tpanel.tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert sig.args == [2] and model.active_territory == 2
    with qtbot.waitSignal(tpanel.zoomToTerritoryRequested) as sig:
        qtbot.mouseDClick(tpanel.tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert sig.args == [2]
    model.set_active_territory(1)  # the canvas changed the paint target: the tree follows
    assert tpanel.current_territory() == 1


def test_lock_checkbox_click_refuses_moves(qtbot, tpanel, model):
    messages = []
    model.messageRequested.connect(messages.append)
    rect = tpanel.tree.visualRect(_index(tpanel, 1, COL_LOCKED))
    qtbot.mouseClick(tpanel.tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert model.doc.scenario.territories[1].locked
    assert _index(tpanel, 1, COL_LOCKED).data(Qt.CheckStateRole) in (Qt.Checked, Qt.Checked.value)
    unit = int(np.flatnonzero(model.doc.scenario.assignment == 0)[0])
    assert model.push(MoveUnits([unit], 1)) is False
    assert model.doc.scenario.assignment[unit] == 0 and "locked" in messages[-1]
    model.undo_stack.undo()
    assert not model.doc.scenario.territories[1].locked
    assert model.push(MoveUnits([unit], 1))


def test_visibility_checkbox(qtbot, tpanel, model):
    seen = []
    tpanel.visibilityChanged.connect(lambda: seen.append(1))
    index = _index(tpanel, 0, COL_NAME)
    qtbot.mouseClick(tpanel.tree.viewport(), Qt.LeftButton, pos=_check_rect(tpanel.tree, index).center())
    tid = model.doc.scenario.territories[0].id
    assert model.hidden_territories == {tid} and seen
    region = tpanel.tree_model.item(0, COL_NAME)
    assert region.checkState() == Qt.PartiallyChecked
    region.setCheckState(Qt.Unchecked)  # the region box hides every territory below it
    assert model.hidden_territories == {t.id for t in model.doc.scenario.territories}
    region.setCheckState(Qt.Checked)
    assert model.hidden_territories == set()


def test_add_rename_recolour_delete_merge(qtbot, tpanel, model, monkeypatch):
    doc, stack = model.doc, model.undo_stack
    terrs = lambda: doc.scenario.territories  # noqa: E731
    tpanel.tree.setCurrentIndex(_index(tpanel, 0, COL_NAME))
    monkeypatch.setattr(tpanel, "_ask_text", lambda *a, **k: "North")
    tpanel.act_add.trigger()
    assert [t.name for t in terrs()][-1] == "North" and terrs()[-1].region_id == "R1"
    assert terrs()[-1].color not in {t.color for t in terrs()[:-1]}
    assert model.active_territory == 3 and tpanel.current_territory() == 3
    stack.undo()
    assert len(terrs()) == 3 and tpanel.tree_model.item(0).rowCount() == 3
    stack.redo()

    tpanel.tree.setCurrentIndex(_index(tpanel, 3, COL_NAME))
    tpanel.act_rename.trigger()  # inline edit of the name cell
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "North-East")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: terrs()[3].name != "North")  # Qt commits the editor through a queued call
    assert terrs()[3].name == "North-East" and _index(tpanel, 3, COL_NAME).data() == "North-East"
    stack.undo()
    assert terrs()[3].name == "North" and _index(tpanel, 3, COL_NAME).data() == "North"

    monkeypatch.setattr(tpanel, "_ask_color", lambda *a: "#123456")
    tpanel.act_recolour.trigger()
    assert terrs()[3].color == "#123456"
    stack.undo()
    assert terrs()[3].color != "#123456"

    tpanel.tree.setCurrentIndex(_index(tpanel, 1, COL_NAME))
    before = doc.scenario.assignment.copy()
    monkeypatch.setattr(tpanel, "_confirm", lambda *a: True)
    tpanel.activateWindow()
    tpanel.tree.setFocus()
    qtbot.waitUntil(tpanel.tree.hasFocus)
    qtbot.keyClick(tpanel.tree, Qt.Key_Delete)  # the action's shortcut, live while the tree has focus
    assert [t.name for t in terrs()] == ["Territory 0", "Territory 2", "North"]
    assert (doc.scenario.assignment[before == 1] == -1).all()
    stack.undo()
    assert np.array_equal(doc.scenario.assignment, before) and terrs()[1].name == "Territory 1"

    tpanel.tree.setCurrentIndex(_index(tpanel, 2, COL_NAME))
    monkeypatch.setattr(tpanel, "_ask_choice", lambda title, label, items, current=0: items.index("Territory 0"))
    count = stack.index()
    tpanel.act_merge.trigger()
    assert [t.name for t in terrs()] == ["Territory 0", "Territory 1", "North"] and stack.index() == count + 1
    assert (doc.scenario.assignment[before == 2] == 0).all() and model.active_territory == 0
    stack.undo()
    assert np.array_equal(doc.scenario.assignment, before) and len(terrs()) == 4
    doc.engine.check_against_full()


def test_auto_colour_rep_assign_zoom(qtbot, tpanel, model, monkeypatch):
    doc, stack = model.doc, model.undo_stack
    for t in doc.scenario.territories:
        t.color = "#8dd3c7"  # everyone the same colour
    old = [t.color for t in doc.scenario.territories]
    count = stack.index()
    tpanel.act_autocolour.trigger()
    colours = [t.color for t in doc.scenario.territories]
    assert colours[0] != colours[1] and colours[1] != colours[2] and stack.index() == count + 1
    stack.undo()
    assert [t.color for t in doc.scenario.territories] == old

    tpanel.tree.setCurrentIndex(_index(tpanel, 2, COL_NAME))
    monkeypatch.setattr(tpanel, "_ask_choice", lambda title, label, items, current=0: items.index("Rep 0"))
    tpanel.act_set_rep.trigger()
    assert doc.scenario.territories[2].rep_id == "R0" and tpanel._rows[2][1].text() == "Rep 0"
    stack.undo()
    assert doc.scenario.territories[2].rep_id == "R2"

    assert not tpanel.act_assign.isEnabled()
    model.set_selection([0, 1, 6])
    assert tpanel.act_assign.isEnabled()
    tpanel.act_assign.trigger()
    assert (doc.scenario.assignment[[0, 1, 6]] == 2).all()
    stack.undo()
    assert (doc.scenario.assignment[[0, 1, 6]] == 0).all()
    with qtbot.waitSignal(tpanel.zoomToTerritoryRequested) as sig:
        tpanel.act_zoom.trigger()
    assert sig.args == [2]


def test_drop_units_on_territory_row(tpanel, model):
    doc = model.doc
    mime = QMimeData()
    mime.setData(UNITS_MIME, b"0,1,6")

    def drop_at(index) -> None:
        pos = QPointF(tpanel.tree.visualRect(index).center())
        tpanel.tree.dropEvent(QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))

    count = model.undo_stack.count()
    drop_at(_index(tpanel, 2, COL_UNITS))
    assert (doc.scenario.assignment[[0, 1, 6]] == 2).all() and model.undo_stack.count() == count + 1
    model.undo_stack.undo()
    assert (doc.scenario.assignment[[0, 1, 6]] == 0).all()
    drop_at(tpanel.tree_model.item(0, COL_NAME).index())  # a region row is no drop target
    assert (doc.scenario.assignment[[0, 1, 6]] == 0).all() and model.undo_stack.count() == count + 1


def test_scenarios_duplicate_switch_rename_delete(qtbot, tpanel, model, monkeypatch):
    project, stack, lst = model.doc.project, model.undo_stack, tpanel.scenario_list
    monkeypatch.setattr(tpanel, "_ask_text", lambda *a, **k: "Plan B")
    tpanel.act_scn_duplicate.trigger()
    assert [s.name for s in project.scenarios] == ["Base", "Plan B"] and lst.count() == 2
    lst.setCurrentRow(1)
    rect = lst.visualItemRect(lst.item(1))
    qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=rect.center())  # a double click starts with a click
    qtbot.mouseDClick(lst.viewport(), Qt.LeftButton, pos=rect.center())
    assert project.active == "Plan B"
    assert lst.item(1).font().bold() and not lst.item(0).font().bold()
    model.push(MoveUnits([0], 2))
    assert project.get_scenario("Base").assignment[0] == 0
    monkeypatch.setattr(tpanel, "_ask_text", lambda *a, **k: "Plan C")
    tpanel.act_scn_rename.trigger()
    assert project.active == "Plan C" and lst.currentItem().text() == "Plan C"
    lst.setCurrentRow(0)
    monkeypatch.setattr(tpanel, "_confirm", lambda *a: True)
    tpanel.act_scn_delete.trigger()
    assert [s.name for s in project.scenarios] == ["Plan C"] and lst.count() == 1
    stack.undo()
    assert [s.name for s in project.scenarios] == ["Base", "Plan C"]
    lst.setCurrentRow(1)
    tpanel.act_scn_delete.trigger()  # the active scenario cannot be deleted: refused, reported
    assert len(project.scenarios) == 2
    while stack.canUndo():
        stack.undo()
    assert [s.name for s in project.scenarios] == ["Base"] and project.active == "Base"
    assert lst.count() == 1 and lst.item(0).font().bold()


# ---- screenshots -----------------------------------------------------------------------------------
def test_render_panels(qtbot, make_grid, tmp_path):
    project = make_grid(12, 10, 6)
    sc = project.scenario
    sc.regions = [Region("R1", "Central"), Region("R2", "North", "R1"), Region("R3", "West")]
    for t, rid in zip(sc.territories, ["R2", "R2", "R1", "R3", None, "R3"]):
        t.region_id = rid
    sc.territories[2].locked = True
    sc.assignment[:5] = -1
    sc.assignment[11] = 0  # a detached piece
    model = DocModel(Document(project))
    model.hidden_territories.add(sc.territories[3].id)
    model.doc.project.scenarios.append(sc.copy("Plan B"))
    out = Path(os.environ.get("TD_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    tp = _show(qtbot, TerritoryPanel(model), 380, 520)
    mp = _show(qtbot, MetricsPanel(model), 440, 640)
    mp.tolerance_spin.setValue(5.0)
    model.set_active_territory(4)
    for name, widget in (("territory_panel", tp), ("metrics_panel", mp)):
        assert widget.grab().save(str(out / f"{name}.png"))
    assert "Non-contiguous territories: 1" in mp.summary_text()
    assert "Unassigned: 5 units" in mp.summary_text()
    mp.resize(360, 560)  # a narrow dock: names elide, numbers stay whole
    QApplication.processEvents()
    assert mp.grab().save(str(out / "metrics_panel_narrow.png"))


def test_panels_on_a_project_without_territories(qtbot, make_grid, monkeypatch):
    project = make_grid(4, 4, 3)
    project.scenario.territories, project.scenario.regions = [], []
    project.scenario.assignment[:] = -1
    model = DocModel(Document(project))
    tp = _show(qtbot, TerritoryPanel(model), 380, 480)
    mp = _show(qtbot, MetricsPanel(model), 460, 600)
    assert tp.tree_model.rowCount() == 0 and mp.displayed_rows() == []
    assert "Max |deviation|: –" in mp.summary_text() and "Unassigned: 16 units" in mp.summary_text()
    assert not tp.act_delete.isEnabled() and not tp.act_autocolour.isEnabled()
    monkeypatch.setattr(tp, "_ask_text", lambda *a, **k: "First")
    tp.act_add.trigger()
    assert [r["name"] for r in mp.displayed_rows()] == ["First"] and tp.current_territory() == 0
    model.set_selection(range(16))
    tp.act_assign.trigger()
    assert mp.displayed_rows()[0]["units"] == 16 and "Unassigned: 0 units" in mp.summary_text()
    model.undo_stack.undo()
    model.undo_stack.undo()
    assert mp.displayed_rows() == [] and tp.tree_model.rowCount() == 0
