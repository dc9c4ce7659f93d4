"""Tools → Design territories… as a planner uses it: fill the dialog with mouse and keyboard, run on a
worker thread, cancel keeps the best plan so far, the result is a new active scenario that one
undo removes, and a refused request says why."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QPushButton

from territory_desk.domain.editing.document import Document
from territory_desk.domain.stats.kinds import engine_for

from tests.conftest import make_grid_project


@pytest.fixture
def window(window):
    window.default_answer = QMessageBox.StandardButton.Discard
    return window


def open_grid(window, nx=10, ny=8, seed=3):
    p = make_grid_project(nx, ny, 3, seed=seed)
    p.settings["balance_fields"] = ["population"]
    window.set_document(Document(p))
    QApplication.processEvents()
    return p


def click_check(qtbot, table, row):
    """Click the check box at the left of a metric's cell."""
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))


def test_dialog_collects_the_options_from_mouse_and_keyboard(qtbot, window, tmp_path):
    open_grid(window)
    from territory_desk.ui.dialogs.optimize_dialog import OptimizeDialog

    d = OptimizeDialog(window.model.doc, {1, 2, 3}, window)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    rows = {d.table.item(r, 0).text(): r for r in range(d.table.rowCount())}
    assert d.checked_metrics() == [rows["population"]]
    click_check(qtbot, d.table, rows["revenue"])  # tick "revenue" with the mouse
    assert d.checked_metrics() == [rows["population"], rows["revenue"]]
    d.k.lineEdit().selectAll()
    qtbot.keyClicks(d.k.lineEdit(), "5")
    tol = d.table.cellWidget(rows["revenue"], 1)
    tol.lineEdit().selectAll()
    qtbot.keyClicks(tol.lineEdit(), "8")
    o = d.options()
    assert o.territories == 5 and o.source is None
    assert o.balance == [("population", pytest.approx(0.05)), ("revenue", pytest.approx(0.08))]
    qtbot.mouseClick(d.index, Qt.MouseButton.LeftButton)  # one weighted index instead
    o = d.options()
    assert o.balance == [] and set(o.weights) == {"population", "revenue"} and o.tolerance == pytest.approx(0.05)
    d.scope.setCurrentIndex(1)
    assert d.options().units == [1, 2, 3]
    qtbot.mouseClick(d.rebalance, Qt.MouseButton.LeftButton)
    o = d.options()
    assert o.source == "Base" and o.min_disruption and o.territories is None
    assert not d.k.isEnabled() and d.buttons.button(QDialogButtonBox.StandardButton.Ok).text() == "Rebalance"
    assert d.grab().save(str(tmp_path / "optimize_dialog.png"))
    # no metric checked: the dialog says so and stays open
    for r in d.checked_metrics():
        click_check(qtbot, d.table, r)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert d.isVisible() and "at least one metric" in d.error.text()


def run_design(qtbot, window, fill):
    acts = window.areas["optimize"]

    def run_dialog(dialog):
        fill(dialog)
        return True

    acts._run_dialog = run_dialog
    shown = []
    acts._show_result = lambda title, text, details: shown.append((text, details))
    with qtbot.waitSignal(acts.finished, timeout=60_000) as blocker:
        assert acts.act_design.isEnabled()
        acts.act_design.trigger()
    return blocker.args[0], shown


def test_design_lands_as_new_active_scenario_and_undo_removes_it(qtbot, window):
    p = open_grid(window)

    def fill(d):
        d.k.setValue(4)
        d.name.setText("Four territories")

    result, shown = run_design(qtbot, window, fill)
    assert result is not None and p.active == "Four territories"
    assert len(p.scenario.territories) == 4
    s = engine_for(p).stats()
    assert s.non_contiguous == 0 and s.max_abs_deviation_pct[s.field_index("population")] <= 5 + 1e-6
    scenarios = window.territory_panel.scenario_list
    names = [scenarios.item(i).text() for i in range(scenarios.count())]
    assert any("Four territories" in n for n in names)
    assert "max deviation population" in shown[0][0]
    assert window.model.doc.engine.n_territories == 4
    window.act_undo.trigger()
    assert p.active == "Base" and [s.name for s in p.scenarios] == ["Base"]
    assert window.model.doc.engine.n_territories == 3
    window.act_redo.trigger()
    assert p.active == "Four territories"


def test_rebalance_shows_what_moved(qtbot, window):
    p = open_grid(window)
    pop = p.units.numeric["population"]
    pop[p.scenario.assignment == 0] *= 1.3
    window.model.doc.reload_data()

    def fill(d):
        d.rebalance.setChecked(True)
        d.set_metric("population", tolerance_pct=3.0)

    result, shown = run_design(qtbot, window, fill)
    assert result.moves and p.active == "Base rebalanced"
    text, details = shown[0]
    assert "changed territory" in text
    for uid, _, _ in result.moves:
        assert uid in details


def test_cancel_keeps_the_best_plan_so_far(qtbot, window):
    p = open_grid(window, 40, 40, seed=5)
    acts = window.areas["optimize"]

    def fill(d):
        d.k.setValue(12)
        d.set_metric("population", tolerance_pct=1.0)

    acts._run_dialog = lambda d: (fill(d), True)[1]
    acts._show_result = lambda *a: None
    with qtbot.waitSignal(acts.finished, timeout=60_000) as blocker:
        acts.act_design.trigger()
        assert acts.progress is not None and acts.progress.isVisible()
        cancel = acts.progress.findChild(QPushButton)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.solution.stopped == "cancelled"
    assert "best plan so far" in result.summary_lines()[-1]
    assert p.active == result.scenario.name
    a = p.scenario.assignment
    assert (a >= 0).all() and (np.bincount(a, minlength=12) > 0).all()
    assert engine_for(p).stats().non_contiguous == 0


def test_refused_request_says_why_and_changes_nothing(qtbot, window):
    p = open_grid(window, 6, 6)
    p.units.numeric["population"][0] = p.units.numeric["population"].sum() * 3

    def fill(d):
        d.k.setValue(10)

    result, shown = run_design(qtbot, window, fill)
    assert result is None and not shown
    assert window.errors and "alone holds" in window.errors[0]
    assert [s.name for s in p.scenarios] == ["Base"] and not window.model.undo_stack.canUndo()
