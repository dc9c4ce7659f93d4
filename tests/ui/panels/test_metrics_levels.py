"""Balance per hierarchy level in the Metrics panel: the Level combo shows region (or area) groups whose
figures are the sums of their territories, live during edits, and follows the hierarchy as it changes."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.regions import AddRegion
from territory_desk.domain.editing.territories import EditTerritory, MoveUnits
from territory_desk.domain.model.territories import Region
from territory_desk.domain.stats.hierarchy import NO_REGION
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.metrics.panel import MetricsPanel

from tests.conftest import make_grid_project


@pytest.fixture
def model():
    p = make_grid_project(10, 6, 5)
    sc = p.scenario
    sc.regions = [Region("E", "East"), Region("N", "North", "E"), Region("S", "South", "E"), Region("W", "West")]
    for terr, region in zip(sc.territories, ["N", "S", "N", "W", None]):
        terr.region_id = region
    p.settings["balance_fields"] = ["population"]
    return DocModel(Document(p))


@pytest.fixture
def panel(qtbot, model):
    w = MetricsPanel(model)
    qtbot.addWidget(w)
    w.resize(460, 620)
    w.show()
    qtbot.waitExposed(w)
    return w


def choose_level(qtbot, panel, name):
    """Pick a level with the keyboard, as a user would: focus the combo and type its first letters."""
    combo = panel.level_combo
    assert combo.isEnabled() and combo.findText(name) >= 0
    combo.setFocus()
    while combo.currentText() != name:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.findText(name) > combo.currentIndex() else Qt.Key.Key_Up)
    QApplication.processEvents()


def expected_groups(model, member_of):
    """Per group name: the sums of its territories' figures, from the territory stats."""
    s = model.doc.stats()
    k = s.field_index("population")
    a = s.field_index("accounts")
    out = {}
    for t, terr in enumerate(model.doc.scenario.territories):
        g = out.setdefault(member_of(terr), {"value": 0.0, "accounts": 0, "units": 0})
        g["value"] += s.value[t, k]
        g["accounts"] += int(s.value[t, a])
        g["units"] += int(s.units[t])
    return out


def shown(panel):
    return {r["name"]: {"value": r["value"], "accounts": r["accounts"], "units": r["units"]}
            for r in panel.displayed_rows()}


def region_of(terr, regions={"N": "North", "S": "South", "W": "West"}):
    return regions.get(terr.region_id, NO_REGION)


def area_of(terr):
    return {"N": "East", "S": "East", "W": "West"}.get(terr.region_id, NO_REGION)


def assert_groups(panel, model, member_of):
    got, want = shown(panel), expected_groups(model, member_of)
    assert set(got) == set(want)
    for name, g in want.items():
        assert got[name]["value"] == pytest.approx(g["value"])
        assert got[name]["accounts"] == g["accounts"] and got[name]["units"] == g["units"]


def test_level_combo_shows_groups_whose_sums_equal_the_territories(qtbot, panel, model, tmp_path):
    combo = panel.level_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Territory", "Region", "Area"]
    assert combo.isEnabled() and len(panel.displayed_rows()) == 5
    choose_level(qtbot, panel, "Region")
    assert panel.level == 1 and panel.table_model.headerData(0, Qt.Horizontal) == "Region"
    assert panel.chart.group_label == "region" and panel.chart.names == ["North", "South", "West", NO_REGION]
    assert_groups(panel, model, region_of)
    devs = [r["deviation_pct"] for r in panel.displayed_rows()]
    mean = np.mean([r["value"] for r in panel.displayed_rows()])
    assert devs == pytest.approx([(r["value"] - mean) / mean * 100 for r in panel.displayed_rows()])
    assert f"{max(abs(d) for d in devs):.1f} %" == panel.summary_labels["maxdev"].text()
    choose_level(qtbot, panel, "Area")
    assert_groups(panel, model, area_of)
    assert [r["name"] for r in panel.displayed_rows()] == ["East", "West", NO_REGION]
    assert panel.grab().save(str(tmp_path / "metrics_area.png"))


def test_groups_update_live_and_on_undo(qtbot, panel, model):
    choose_level(qtbot, panel, "Region")
    before = shown(panel)
    units = np.flatnonzero(model.doc.scenario.assignment == 1)[:5].tolist()  # South -> North (territory 0)
    model.preview_move(units, 0)  # the live preview while the mouse moves
    assert_groups(panel, model, region_of)
    assert shown(panel)["North"]["units"] == before["North"]["units"] + 5
    model.commit_preview()
    model.undo_stack.undo()
    assert shown(panel) == before
    model.push(MoveUnits(units, 3))  # South -> West (territory 3)
    assert_groups(panel, model, region_of)
    assert panel.table_model.rowCount() == 4


def test_active_territory_selects_its_group_and_group_rows_do_not_repaint_the_target(qtbot, panel, model):
    choose_level(qtbot, panel, "Region")
    model.set_active_territory(3)  # West
    assert panel.table.currentIndex().data() == "West" and panel.chart.active == 2
    rect = panel.table.visualRect(panel.proxy.index(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert model.active_territory == 3 and panel.chart.active == 0  # the paint target stays


def test_the_level_list_follows_the_hierarchy(qtbot, panel, model):
    choose_level(qtbot, panel, "Area")
    sc = model.doc.scenario
    # moving the only West territory under East leaves the areas East and (no region)
    model.push(EditTerritory(3, region_id="N"))
    assert [r["name"] for r in panel.displayed_rows()] == ["East", NO_REGION]
    model.undo_stack.undo()
    # without areas the hierarchy has two levels: the panel falls back from Area to Territory
    for r in sc.regions:
        r.parent_id = None
    model.push(EditTerritory(0, name="Renamed"))
    assert [panel.level_combo.itemText(i) for i in range(panel.level_combo.count())] == ["Territory", "Region"]
    assert panel.level == 0 and len(panel.displayed_rows()) == 5 and panel.chart.group_label == "territory"
    model.push(AddRegion("Everything", children=[r.id for r in sc.regions]))
    assert panel.level_combo.count() == 3
    choose_level(qtbot, panel, "Area")
    assert "Everything" in [r["name"] for r in panel.displayed_rows()]


def test_single_level_project_disables_the_combo(qtbot):
    p = make_grid_project(6, 6, 3)
    for terr in p.scenario.territories:
        terr.region_id = None
    p.scenario.regions = []
    w = MetricsPanel(DocModel(Document(p)))
    qtbot.addWidget(w)
    assert w.level_combo.count() == 1 and not w.level_combo.isEnabled() and w.level == 0
