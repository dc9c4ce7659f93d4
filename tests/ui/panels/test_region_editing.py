"""Building the sales hierarchy in the editor (issue 7): select regions with the mouse, add an area above
them from the Territories menu, move a territory to another region, drag rows onto a region, rename,
delete, name the levels — the tree and the Metrics dock's Level box follow, roll-ups equal the sums of
their regions, and every edit is one undo step."""
import json

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from territory_desk.domain.model.territories import Region
from territory_desk.domain.stats.hierarchy import NO_REGION
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.project_files import save_document
from territory_desk.ui.panels.territories.regions import ROWS_MIME
from territory_desk.ui.panels.territories.tree import COL_NAME, COL_UNITS

from tests.conftest import make_grid_project


@pytest.fixture
def grid_file(tmp_path):
    """Regions West (T0, T1), Central (T2, T3) and East (T4), all at the top level."""
    p = make_grid_project(10, 6, 5)
    sc = p.scenario
    sc.regions = [Region("W", "West"), Region("C", "Central"), Region("E", "East")]
    for terr, rid in zip(sc.territories, ["W", "W", "C", "C", "E"]):
        terr.region_id = rid
    p.settings["balance_fields"] = ["population"]
    path = tmp_path / "grid.gpkg"
    save_project(p, str(path))
    return str(path)


@pytest.fixture
def win(window, grid_file):
    assert window.open_path(grid_file)
    return window


def click_row(qtbot, panel, index, modifier=Qt.KeyboardModifier.NoModifier):
    rect = panel.tree.visualRect(index.siblingAtColumn(COL_UNITS))  # away from the check box
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def region_index(panel, rid):
    return panel._regions[rid][COL_NAME].index()


def menu_action(window, text):
    return next(a for a in window.menus["territories"].actions() if a.text() == text)


def levels(window):
    combo = window.metrics_panel.level_combo
    return [combo.itemText(i) for i in range(combo.count())]


def choose_level(qtbot, window, name):
    """Pick a level with the keyboard, as a user would."""
    combo = window.metrics_panel.level_combo
    assert combo.isEnabled() and combo.findText(name) >= 0
    combo.setFocus()
    while combo.currentText() != name:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.findText(name) > combo.currentIndex() else Qt.Key.Key_Up)
    QApplication.processEvents()


def rows(window):
    return {r["name"]: r for r in window.metrics_panel.displayed_rows()}


def tree_children(panel, rid):
    item = panel._regions[rid][COL_NAME]
    return [item.child(k, COL_NAME).text() for k in range(item.rowCount())]


def test_area_above_two_regions_rolls_up_their_sums_and_undoes(qtbot, win, monkeypatch):
    panel, doc = win.territory_panel, win.model.doc
    assert levels(win) == ["Territory", "Region"]
    choose_level(qtbot, win, "Region")
    by_region = rows(win)
    assert set(by_region) == {"West", "Central", "East"}

    click_row(qtbot, panel, region_index(panel, "W"))
    click_row(qtbot, panel, region_index(panel, "C"), Qt.KeyboardModifier.ControlModifier)
    assert panel.selected_rows() == ([], ["W", "C"])
    asked = []
    monkeypatch.setattr(panel, "_ask_text", lambda title, label, default="": asked.append(label) or "Coast")
    menu_action(win, "Add area above…").trigger()

    assert asked == ["Name of the new region holding West, Central:"]
    coast = next(r for r in doc.scenario.regions if r.name == "Coast")
    assert coast.parent_id is None and {r.id: r.parent_id for r in doc.scenario.regions}["W"] == coast.id
    assert tree_children(panel, coast.id) == ["West", "Central"]
    assert panel.tree.currentIndex() == region_index(panel, coast.id)
    units = [int(panel._regions[r][COL_UNITS].text().replace(",", "")) for r in (coast.id, "W", "C")]
    assert units[0] == units[1] + units[2] > 0

    assert levels(win) == ["Territory", "Region", "Area"]  # the Level box gained the new level
    assert rows(win) == by_region  # still showing regions, unchanged
    choose_level(qtbot, win, "Area")
    by_area = rows(win)
    assert set(by_area) == {"Coast", "East"}
    for key in ("value", "units", "accounts"):
        assert by_area["Coast"][key] == pytest.approx(by_region["West"][key] + by_region["Central"][key])
        assert by_area["East"][key] == pytest.approx(by_region["East"][key])
    s = doc.stats()
    k = s.field_index("population")
    assert by_area["Coast"]["value"] == pytest.approx(s.value[:4, k].sum())

    win.act_undo.trigger()  # one step
    assert [r.name for r in doc.scenario.regions] == ["West", "Central", "East"]
    assert all(r.parent_id is None for r in doc.scenario.regions)
    assert levels(win) == ["Territory", "Region"] and win.metrics_panel.level == 0
    assert set(panel._regions) == {"W", "C", "E"}
    win.act_redo.trigger()
    assert levels(win) == ["Territory", "Region", "Area"]


def test_move_a_territory_to_another_region(qtbot, win, monkeypatch):
    panel, doc = win.territory_panel, win.model.doc
    choose_level(qtbot, win, "Region")
    before = rows(win)
    click_row(qtbot, panel, panel._rows[4][COL_NAME].index())  # T4, in East
    assert win.model.active_territory == 4 and panel.selected_rows() == ([4], [])
    offered = []

    def pick(title, label, choices, current=0):
        offered.append([text for _, text in choices])
        assert choices[current][0] == "E"  # where it is now
        return [text.strip() for _, text in choices].index("West")

    monkeypatch.setattr(panel, "_ask_region", pick)
    count = win.model.undo_stack.count()
    menu_action(win, "Move to region…").trigger()
    assert offered == [["(no region)", "West", "Central", "East"]]
    assert doc.scenario.territories[4].region_id == "W" and win.model.undo_stack.count() == count + 1
    assert tree_children(panel, "W") == ["Territory 0", "Territory 1", "Territory 4"]
    after = rows(win)
    assert set(after) == {"West", "Central"}  # East holds nothing now
    assert after["West"]["value"] == pytest.approx(before["West"]["value"] + before["East"]["value"])
    win.act_undo.trigger()
    assert doc.scenario.territories[4].region_id == "E" and rows(win) == before


def drop_rows(panel, indexes, target):
    mime = panel.tree_model.mimeData(indexes)
    assert json.loads(bytes(mime.data(ROWS_MIME)).decode())
    pos = QPointF(panel.tree.visualRect(target).center())
    panel.tree.dropEvent(QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def test_drag_territories_and_regions_onto_a_region(qtbot, win):
    panel, doc, stack = win.territory_panel, win.model.doc, win.model.undo_stack
    count = stack.count()
    drop_rows(panel, [panel._rows[0][c].index() for c in range(5)], region_index(panel, "E"))
    assert doc.scenario.territories[0].region_id == "E" and stack.count() == count + 1
    drop_rows(panel, [region_index(panel, "W")], region_index(panel, "E"))  # a region under a region
    assert doc.scenario.region("W").parent_id == "E" and tree_children(panel, "E")[0] == "West"
    assert levels(win) == ["Territory", "Region", "Area"]
    drop_rows(panel, [region_index(panel, "E")], region_index(panel, "W"))  # a cycle: refused
    assert doc.scenario.region("E").parent_id is None and stack.count() == count + 2
    assert "cycle" in win.statusBar().currentMessage()
    drop_rows(panel, [panel._rows[1][COL_NAME].index()], panel._rows[2][COL_NAME].index())  # not a region
    assert doc.scenario.territories[1].region_id == "W" and stack.count() == count + 2
    stack.undo()
    stack.undo()
    assert [t.region_id for t in doc.scenario.territories] == ["W", "W", "C", "C", "E"]
    assert doc.scenario.region("W").parent_id is None


def test_add_rename_delete_region_and_name_levels(qtbot, win, monkeypatch, tmp_path):
    panel, doc, stack = win.territory_panel, win.model.doc, win.model.undo_stack
    click_row(qtbot, panel, region_index(panel, "C"))
    assert panel.act_region_rename.isEnabled() and panel.act_region_delete.isEnabled()
    monkeypatch.setattr(panel, "_ask_text", lambda *a, **k: "Mountain")
    menu_action(win, "Add region…").trigger()
    new = doc.scenario.regions[-1]
    assert (new.id, new.name, new.parent_id) == ("R04", "Mountain", None) and new.id in panel._regions

    click_row(qtbot, panel, region_index(panel, "C"))
    monkeypatch.setattr(panel, "_ask_text", lambda *a, **k: "Heartland")
    menu_action(win, "Rename region…").trigger()
    assert doc.scenario.region("C").name == "Heartland"
    assert panel._regions["C"][COL_NAME].text() == "Heartland"

    click_row(qtbot, panel, panel._rows[2][COL_NAME].index())  # a territory row: no region to rename
    assert not panel.act_region_rename.isEnabled() and not panel.act_region_delete.isEnabled()

    panel.move_rows([], ["C"], "R04")  # Heartland under Mountain, then delete Heartland
    click_row(qtbot, panel, region_index(panel, "C"))
    confirm = []
    monkeypatch.setattr(panel, "_confirm", lambda title, text: confirm.append(text) or True)
    menu_action(win, "Delete region…").trigger()
    assert confirm == ["Delete Heartland? Its 2 territories move to Mountain."]
    assert doc.scenario.region("C") is None
    assert [t.region_id for t in doc.scenario.territories] == ["W", "W", "R04", "R04", "E"]
    stack.undo()
    assert doc.scenario.region("C").parent_id == "R04" and doc.scenario.territories[2].region_id == "C"

    asked = []
    monkeypatch.setattr(panel, "_ask_level_names",
                        lambda names, n, used: asked.append((names, n, used)) or ["Territory", "District", "Zone"])
    menu_action(win, "Name hierarchy levels…").trigger()
    assert asked == [([], 4, 3)]
    assert levels(win) == ["Territory", "District", "Zone"]
    assert doc.project.settings["hierarchy_levels"] == ["Territory", "District", "Zone"]
    monkeypatch.setattr(panel, "_ask_level_names", lambda *a: ["Territory", "Zone", "zone"])
    menu_action(win, "Name hierarchy levels…").trigger()  # refused: two levels named Zone
    assert "two hierarchy levels" in win.statusBar().currentMessage() and levels(win)[1] == "District"
    stack.undo()
    assert levels(win) == ["Territory", "Region", "Area"] and "hierarchy_levels" not in doc.project.settings

    # the edits are saved with the project
    stack.redo()
    save_document(doc, str(tmp_path / "saved.gpkg"))
    back = load_project(str(tmp_path / "saved.gpkg"))
    assert [(r.id, r.name, r.parent_id) for r in back.scenario.regions] == \
        [(r.id, r.name, r.parent_id) for r in doc.scenario.regions]
    assert back.settings["hierarchy_levels"] == ["Territory", "District", "Zone"]
    assert NO_REGION not in [r["name"] for r in win.metrics_panel.displayed_rows()]
