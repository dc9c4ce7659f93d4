"""Scenarios → Compare scenarios…: the changed units on the map, the figures, sorting, CSV export,
promotion, and the overlay going away with the dialog."""
from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import DuplicateScenario, SwitchScenario
from territory_desk.domain.editing.territories import MoveUnits
from territory_desk.ui.canvas.overlays.diff import DiffOverlay

from tests.conftest import make_grid_project


@pytest.fixture
def window(window):
    window.default_answer = QMessageBox.StandardButton.Discard
    return window


@pytest.fixture
def plans(window):
    """Base and Plan B, where units 0 and 1 (column 0, territory 0) went to territory 1; Base active."""
    p = make_grid_project(6, 6, 3)
    window.set_document(Document(p))
    m = window.model
    m.push(DuplicateScenario("Base", "Plan B"))
    m.push(SwitchScenario("Plan B"))
    m.push(MoveUnits([0, 1], 1))
    m.push(SwitchScenario("Base"))
    QApplication.processEvents()
    window.canvas.cache.wait()
    window.canvas.flush()
    return p


def overlays(window):
    return [o for o in window.canvas.overlays if isinstance(o, DiffOverlay)]


def test_compare_dialog_figures_overlay_sort_export_promote_close(qtbot, window, plans, tmp_path):
    p = plans
    canvas = window.canvas

    def colour_of_unit0() -> str:
        canvas.flush()
        image = canvas.grab().toImage()
        pt = canvas.unit_screen_point(0)
        dpr = image.devicePixelRatio()
        # a few pixels around the label point: the wash and the hatch change them all
        return sorted(image.pixelColor(round((pt.x() + dx) * dpr), round((pt.y() + dy) * dpr)).name()
                      for dx in (-3, 0, 3) for dy in (-3, 0, 3))

    plain = colour_of_unit0()
    assert set(plain) == {p.scenario.territories[0].color}
    act = window.areas["compare"].act_compare
    assert act in window.menus["scenarios"].actions() and act.isEnabled()
    act.trigger()
    d = window.areas["compare"].dialog
    qtbot.waitExposed(d)
    assert (d.combo_a.currentText(), d.combo_b.currentText()) == ("Base", "Plan B")
    assert d.summary.text().startswith("2 units change territory (5.6 % of 36)")
    assert d.findChild(type(d.summary), "disruption_units_territory_1").text() == "2"
    # the diff map is on the main canvas: the moved units are hatched in territory 1's colour
    [overlay] = overlays(window)
    assert overlay.units.tolist() == [0, 1] and list(overlay.groups) == [p.scenarios[1].territories[1].color]
    assert colour_of_unit0() != plain and p.scenario.territories[0].color not in colour_of_unit0()
    d.grab().save(str(tmp_path / "compare_dialog.png"))
    canvas.grab().save(str(tmp_path / "compare_canvas.png"))
    # per-territory table, sortable by clicking the header
    d.measure.setCurrentIndex(d.measure.findData("units"))
    rows = lambda col: [d.proxy.index(r, col).data() for r in range(d.proxy.rowCount())]  # noqa: E731
    assert sorted(zip(rows(0), rows(5))) == [("Territory 0", "-2"), ("Territory 1", "+2"), ("Territory 2", "0")]
    header = d.table.horizontalHeader()
    x = header.sectionViewportPosition(5) + header.sectionSize(5) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    first = rows(5)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert rows(5) == list(reversed(first)) and {first[0], first[-1]} == {"-2", "+2"}
    # export
    target = tmp_path / "cmp.csv"
    d._ask_save_path = lambda default: str(target)
    qtbot.mouseClick(d.btn_export, Qt.MouseButton.LeftButton)
    lines = target.read_text().splitlines()
    table = list(csv.DictReader(lines[:lines.index("")]))
    assert [(r["territory_id"], r["units_change"]) for r in table] == [("T0", "-2"), ("T1", "2"), ("T2", "0")]
    assert "units_territory,2,36,5.555556" in lines
    # promote B
    qtbot.mouseClick(d.btn_promote, Qt.MouseButton.LeftButton)
    assert p.active == "Plan B" and p.get_scenario("Plan B").live
    qtbot.waitUntil(lambda: not d.btn_promote.isEnabled())
    # closing removes the overlay
    qtbot.mouseClick(d.btn_close, Qt.MouseButton.LeftButton)
    assert overlays(window) == []
    window.act_undo.trigger()  # back to Base active, as when the overlay was drawn
    assert colour_of_unit0() == plain


def test_comparison_follows_edits_and_choices(qtbot, window, plans):
    window.areas["compare"].open_dialog("Base", "Plan B")
    d = window.areas["compare"].dialog
    assert len(overlays(window)[0]) == 2
    window.model.push(SwitchScenario("Plan B"))
    window.model.push(MoveUnits([6], 1))  # one more unit of territory 0
    qtbot.waitUntil(lambda: d.summary.text().startswith("3 units change"))
    assert len(overlays(window)) == 1 and len(overlays(window)[0]) == 3
    d.combo_b.setCurrentText("Base")
    assert d.summary.text().startswith("0 units change") and len(overlays(window)[0]) == 0
    window.set_document(Document(make_grid_project()))  # another project closes the comparison
    assert window.areas["compare"].dialog is None


def test_comparison_across_layers_says_so(qtbot, window, plans):
    from territory_desk.domain.editing.territory_layers import AddLayer

    window.model.push(AddLayer("Enterprise", "segment = Enterprise", from_scenario="Base"))
    d = window.areas["compare"].open_dialog("Base", "Enterprise plan")
    assert "A is in the territory layer 'All accounts' and B in 'Enterprise'" in d.summary.text()
