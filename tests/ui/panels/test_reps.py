"""The Reps dock and Territories → Suggest reps… as a planner uses them: the panel follows edits, the
dialog opens from the menu, a weight typed on the keyboard changes the plan, Apply is one undo step."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territories import EditTerritory, MoveUnits
from territory_desk.domain.model.reps import Rep
from territory_desk.services.project_files import open_document

from tests.conftest import make_grid_project


@pytest.fixture
def window(window):
    window.default_answer = QMessageBox.StandardButton.Discard
    return window


def swapped_homes():
    """Three vertical bands; each rep lives in the band at the other end from the one they hold."""
    p = make_grid_project(6, 6, 3)
    homes = [-98.9, -99.5, -99.9]  # R0 lives in T2's band, R1 in T1's, R2 in T0's
    p.reps = [Rep(f"R{i}", f"Rep {i}", lon, 38.6, f"Town {i}", 20.0, {"languages": ["en"], "experience": "mid"})
              for i, lon in enumerate(homes)]
    return p


def open_project(window, project):
    window.set_document(Document(project))
    QApplication.processEvents()
    return window.areas["reps"].panel


def menu_action(window, menu, name):
    return next(a for a in window.menus[menu].actions() if a.objectName() == name)


def type_weight(qtbot, dialog, key, text):
    edit = dialog.spins[key].lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_panel_lists_reps_and_follows_edits(qtbot, window):
    p = swapped_homes()
    panel = open_project(window, p)
    assert menu_action(window, "view", "actionToggleReps").text() == "&Reps"
    rows = panel.rows
    assert [r["name"] for r in rows] == ["Rep 0", "Rep 1", "Rep 2"]
    assert rows[0]["territories"] == ["Territory 0"] and rows[0]["home"] == "Town 0"
    stats = window.model.doc.stats()
    acc = stats.field_index("accounts")
    assert [r["workload"] for r in rows] == [stats.value[t, acc] for t in range(3)]
    assert all(0 <= r["score"] <= 1 for r in rows)
    assert panel.table.rowCount() == 3 and panel.table.item(0, 0).text() == "Rep 0"
    # give territory 1 to Rep 0 as well: the panel follows
    window.model.push(EditTerritory(1, rep_id="R0"))
    qtbot.waitUntil(lambda: panel.rows[0]["territories"] == ["Territory 0", "Territory 1"])
    assert panel.rows[1]["territories"] == [] and panel.rows[1]["score"] is None
    assert "1 territory without" not in panel.summary.text() and "2 with territories" in panel.summary.text()
    # paint units into territory 0: its rep's workload follows
    before = panel.rows[0]["workload"]
    units = np.flatnonzero(window.model.doc.scenario.assignment == 2)[:6].tolist()
    window.model.push(MoveUnits(units, 0))
    qtbot.waitUntil(lambda: panel.rows[0]["workload"] != before
                    or window.model.doc.stats().value[2, acc] == stats.value[2, acc])
    stats = window.model.doc.stats()
    assert panel.rows[0]["workload"] == stats.value[0, acc] + stats.value[1, acc]


def test_suggest_reps_from_the_menu_weights_apply_and_undo(qtbot, window, tmp_path):
    p = swapped_homes()
    panel = open_project(window, p)
    seen = {}

    def run_dialog(dialog):
        dialog.show()
        qtbot.waitExposed(dialog)
        plan = lambda: [dialog.plan.item(r, 3).text() for r in range(dialog.plan.rowCount())]  # noqa: E731
        seen["first"] = plan()
        assert seen["first"] == ["Rep 2", "Rep 1", "Rep 0"]  # distance sends every rep home
        assert dialog.apply_button.isEnabled()
        type_weight(qtbot, dialog, "distance", "0")  # distance off: every rep scores the same
        assert dialog.weights()["distance"] == 0.0
        assert plan() == ["Rep 0", "Rep 1", "Rep 2"] and not dialog.apply_button.isEnabled()
        type_weight(qtbot, dialog, "distance", "3")
        assert plan() == seen["first"] and "2 territories change rep" in dialog.total.text()
        dialog.plan.setCurrentCell(2, 1)  # the breakdown of the selected row
        assert "Territory 2" in dialog.caption.text()
        assert dialog.breakdown.item(3, 0).text() == "Distance"
        assert "km on average" in dialog.breakdown.item(3, 4).text()
        seen["png"] = dialog.grab().save(str(tmp_path / "rep_match_grid.png"))
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
        return dialog.result() == QDialog.DialogCode.Accepted

    window.areas["reps"]._run_dialog = run_dialog
    action = menu_action(window, "territories", "actionSuggestReps")
    assert action.isEnabled()
    action.trigger()
    assert seen["png"]
    reps = lambda: [t.rep_id for t in window.model.doc.scenario.territories]  # noqa: E731
    assert reps() == ["R2", "R1", "R0"]
    assert window.model.undo_stack.count() == 1
    assert p.settings["rep_matching"]["weights"]["distance"] == 3.0
    qtbot.waitUntil(lambda: panel.rows[0]["territories"] == ["Territory 2"])
    window.activateWindow()  # the dialog had the focus
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit → Undo
    assert reps() == ["R0", "R1", "R2"] and "rep_matching" not in p.settings
    qtbot.waitUntil(lambda: panel.rows[0]["territories"] == ["Territory 0"])
    window.model.undo_stack.redo()
    assert reps() == ["R2", "R1", "R0"]


def test_locked_territory_keeps_its_rep_and_the_panel_button_opens_the_dialog(qtbot, window):
    p = swapped_homes()
    p.scenario.territories[1].locked = True
    panel = open_project(window, p)
    opened = []

    def run_dialog(dialog):
        opened.append(dialog)
        keep = dialog.plan.item(1, 0)
        assert keep.checkState() == Qt.CheckState.Checked and not keep.flags() & Qt.ItemFlag.ItemIsEnabled
        assert [dialog.plan.item(r, 3).text() for r in range(3)] == ["Rep 2", "Rep 1", "Rep 0"]
        assert dialog.plan.item(1, 5).text() == "locked"
        dialog.show()
        qtbot.waitExposed(dialog)
        rect = dialog.plan.visualItemRect(dialog.plan.item(0, 0))  # tick Keep on territory 0 with the mouse
        qtbot.mouseClick(dialog.plan.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(rect.left() + 10, rect.center().y()))
        assert dialog.plan.item(0, 0).checkState() == Qt.CheckState.Checked
        assert [dialog.plan.item(r, 3).text() for r in range(3)] == ["Rep 0", "Rep 1", "Rep 2"]
        assert [dialog.plan.item(r, 5).text() for r in range(3)] == ["kept", "locked", "same"]
        return False  # Cancel

    window.areas["reps"]._run_dialog = run_dialog
    qtbot.mouseClick(panel.suggest_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1 and window.model.undo_stack.count() == 0
    window.model.read_only = True
    assert window.areas["reps"].suggest_dialog() is False and len(opened) == 1


@pytest.mark.project_file("demo")
def test_render_panel_and_dialog_on_the_demo(qtbot, window, project_file, tmp_path):
    window.set_document(open_document(str(project_file)))
    QApplication.processEvents()
    acts = window.areas["reps"]
    acts.dock.show()
    acts.dock.raise_()
    panel = acts.panel
    assert len(panel.rows) == len(window.model.doc.project.reps) == panel.table.rowCount()
    assert all(r["territories"] and r["score"] is not None for r in panel.rows)
    assert panel.grab().save(str(tmp_path / "rep_panel.png"))
    dialog = acts.make_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.plan.rowCount() == len(window.model.doc.scenario.territories)
    assert "Total score: now" in dialog.total.text()
    assert dialog.grab().save(str(tmp_path / "rep_match_dialog.png"))
