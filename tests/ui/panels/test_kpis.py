"""The KPI dashboard dock: sortable table, charts, selection both ways with the map; activity imports,
snapshots and reviews from the menus (each one undo step)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.activity import LOST, OPEN, WON, Activity, Opportunities, Quotas
from territory_desk.domain.model.periods import parse_period

from tests.conftest import make_grid_project

D = "datetime64[D]"


def kpi_project():
    """Grid project (T0, T1, T2 by column bands) with deals on accounts of every territory."""
    p = make_grid_project()
    acc = p.accounts
    terr = p.scenario.assignment[acc.unit_index]
    first = {t: acc.ids[int(np.flatnonzero(terr == t)[0])] for t in range(3)}
    opps = Opportunities(
        ["o1", "o2", "o3", "o4", "o5"], [first[0], first[1], first[1], first[2], first[2]],
        [1000.0, 5000.0, 700.0, 300.0, 900.0], [""] * 5, [WON, WON, LOST, WON, OPEN],
        np.array(["2026-05-01", "2026-07-01", "2026-07-05", "2026-04-01", "2026-08-01"], D),
        np.array(["2026-07-15", "2026-08-01", "2026-08-20", "2026-05-20", "NaT"], D), [""] * 5)
    q3 = parse_period("2026Q3")
    quotas = Quotas(["", ""], ["T0", "T1"], ["2026Q3"] * 2, [q3.start] * 2, [q3.end] * 2, [2000.0, 4000.0])
    p.activity = Activity(opps, quotas=quotas)
    return p


@pytest.fixture
def dash(window, qtbot):
    window.set_document(Document(kpi_project()))
    ka = window.areas["kpis"]
    ka.act_dashboard.trigger()  # View → KPI dashboard
    qtbot.waitUntil(lambda: ka.dock.isVisible())
    d = ka.dashboard
    d.set_period("2026Q3")
    return d


def row_rect(d, group):
    idx = d.proxy.mapFromSource(d.kpi_model.index(group, 1))
    return d.view.visualRect(idx)


def test_table_shows_the_period_kpis(dash):
    assert dash.kpi_model.rowCount() == 3
    assert dash.table.column("revenue").tolist() == [1000.0, 5000.0, 0.0]  # o4 closed in Q2
    assert dash.kpi_model.data(dash.kpi_model.index(0, 1 + dash.kpi_model.keys.index("attainment_pct"))) == "50.0 %"
    assert dash.kpi_model.data(dash.kpi_model.index(2, 1 + dash.kpi_model.keys.index("close_rate_pct"))) == "–"
    assert dash.bars.values == [1000.0, 5000.0, 0.0] and dash.bars.quotas == [2000.0, 4000.0, 0.0]
    dash.set_period("2026Q2")
    assert dash.table.column("revenue").tolist() == [0.0, 0.0, 300.0]


def test_clicking_a_row_selects_the_territory_on_the_map(window, dash, qtbot):
    qtbot.mouseClick(dash.view.viewport(), Qt.LeftButton, pos=row_rect(dash, 1).center())
    a = window.model.doc.scenario.assignment
    assert window.model.selection == set(np.flatnonzero(a == 1).tolist())
    assert window.model.active_territory == 1
    assert dash.current_group() == 1 and dash.bars.active == 1
    assert "Territory 1" in dash.trend.title


def test_sorting_then_clicking_still_selects_the_right_territory(window, dash, qtbot):
    head = dash.view.horizontalHeader()
    col = 1 + dash.kpi_model.keys.index("revenue")
    x = head.sectionViewportPosition(col) + head.sectionSize(col) // 2
    qtbot.mouseClick(head.viewport(), Qt.LeftButton, pos=QPoint(x, head.height() // 2))
    qtbot.mouseClick(head.viewport(), Qt.LeftButton, pos=QPoint(x, head.height() // 2))  # descending
    first = dash.proxy.mapToSource(dash.proxy.index(0, 0)).row()
    assert first == 1  # the highest revenue
    qtbot.mouseClick(dash.view.viewport(), Qt.LeftButton, pos=dash.view.visualRect(dash.proxy.index(0, 1)).center())
    assert window.model.active_territory == 1


def test_selecting_units_on_the_map_selects_the_row(window, dash, qtbot):
    canvas = window.canvas
    canvas.flush()
    a = window.model.doc.scenario.assignment
    unit = int(np.flatnonzero(a == 2)[3])
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=canvas.unit_screen_point(unit).toPoint())
    assert window.model.selection == {unit}
    assert dash.current_group() == 2
    assert dash.view.selectionModel().isRowSelected(dash.proxy.mapFromSource(dash.kpi_model.index(2, 0)).row())


def test_clicking_a_bar_selects_the_territory(window, dash, qtbot):
    dash.bars.resize(400, 200)
    dash.bars.repaint()
    qtbot.mouseClick(dash.bars, Qt.LeftButton, pos=dash.bars.bar_centre(0).toPoint())
    assert window.model.active_territory == 0 and dash.current_group() == 0


def test_region_level_and_edits_refresh(window, dash, qtbot):
    dash.set_level(1)
    assert dash.table.group_names == ["Region one"] and dash.table.column("revenue").tolist() == [6000.0]
    dash.set_level(0)
    # moving the units of T1 into T0 moves its revenue (after the debounce)
    from territory_desk.domain.editing.territories import MoveUnits

    a = window.model.doc.scenario.assignment
    window.model.push(MoveUnits(np.flatnonzero(a == 1).tolist(), 0))
    qtbot.waitUntil(lambda: dash.table.column("revenue").tolist() == [6000.0, 0.0, 0.0], timeout=3000)
    window.model.undo_stack.undo()
    qtbot.waitUntil(lambda: dash.table.column("revenue").tolist() == [1000.0, 5000.0, 0.0], timeout=3000)


def test_import_snapshot_review_from_the_menus(window, dash, qtbot, tmp_path):
    from territory_desk.services.activity_imports import preview

    ka = window.areas["kpis"]
    csv = tmp_path / "deals.csv"
    csv.write_text("Opportunity ID,Account ID,Amount,Stage,Created Date,Close Date\n"
                   f"n1,{window.model.doc.project.accounts.ids[0]},250,Closed Won,2026-07-01,2026-07-02\n"
                   "n2,A001,x,Closed Won,2026-07-01,2026-07-02\n")
    reports = []
    ka._ask_open_path = lambda title: str(csv)
    ka._ask_mapping = lambda path, kind: (preview(path, kind)[1], None)
    ka._show_report = lambda report, error="": reports.append(report)
    assert ka.act_import["opportunities"].isEnabled()
    ka.act_import["opportunities"].trigger()
    assert reports and reports[0].imported == 1 and reports[0].rejected[0].row == 3
    assert len(window.model.doc.project.activity.opportunities) == 1
    qtbot.waitUntil(lambda: dash.table.column("won").sum() == 1, timeout=3000)
    window.model.undo_stack.undo()
    assert len(window.model.doc.project.activity.opportunities) == 5
    ka._ask_snapshot_period = lambda: "2026Q3"
    ka.act_snapshot.trigger()
    assert window.model.doc.project.activity.snapshots.keys()[0][2] == "2026Q3"
    from territory_desk.ui.dialogs.review_dialog import ReviewDialog

    dialog = ReviewDialog(window.model.doc.project, window)
    dialog.before.setCurrentText("2026Q3")
    dialog.after.setCurrentText("2026Q3")
    assert dialog.compare() and dialog.table.rowCount() == 4 and "0 rebalancing" in dialog.summary.text()
    dialog.before.setCurrentText("2026Q2")
    assert dialog.compare() and "rebalancing candidate" in dialog.summary.text()
    dialog.before.setCurrentText("2026Q9")
    assert not dialog.compare() and "2026Q9" in dialog.summary.text()
    dialog.deleteLater()
    window.model.undo_stack.undo()
    assert len(window.model.doc.project.activity.snapshots) == 0


def test_activity_mapping_dialog(qtbot, tmp_path):
    from PySide6.QtWidgets import QDialogButtonBox

    from territory_desk.services.activity_imports import preview
    from territory_desk.ui.dialogs.activity_import_dialog import ActivityMappingDialog

    path = tmp_path / "q.csv"
    path.write_text("Rep ID,Quarter,Quota\nR0,2026Q3,100\n")
    raw, mapping = preview(str(path), "quotas")
    dialog = ActivityMappingDialog(raw, mapping, "quotas")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.mapping().targets == {"Rep ID": "rep", "Quarter": "period", "Quota": "amount"} and ok.isEnabled()
    dialog.set_target("Quota", "ignore")
    assert not ok.isEnabled() and "amount" in dialog.problem.text()
    dialog.grab().save(str(tmp_path / "mapping.png"))
