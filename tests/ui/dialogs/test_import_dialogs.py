"""File → Import as a planner uses it: choose a CRM export, check the column mapping in the dialog
(preview + one combo per column), import with a progress dialog, read the report, undo with Ctrl+Z.
Units imports rebuild the map and undo too. Failed imports change nothing."""
import csv
import io

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from territory_desk.io.imports.column_mapping import auto_map
from territory_desk.persistence.store import save_project
from territory_desk.services.imports import plan_accounts, preview
from territory_desk.ui.dialogs.import_dialogs import ColumnMappingDialog, ImportReportDialog, UnitImportDialog

CSV = ("Account ID,Account Name,Billing Latitude,Billing Longitude,Shipping Latitude,Annual Revenue,Industry\n"
       "A1,Acme,38.1,-99.9,0,100,Retail\n"
       'A2,"=HYPERLINK(""http://x"",""Bob"")",38.3,-99.5,0,"$2,000",Tech\n'
       "A3,Far away,45,-75,0,5,Tech\n")


@pytest.fixture
def crm(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CSV, encoding="utf-8")
    return str(path)


@pytest.fixture
def window(qtbot, tmp_path, make_grid):
    from territory_desk.ui.shell.app import make_app
    from territory_desk.ui.shell.main_window import MainWindow

    make_app()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    save_project(make_grid(), tmp_path / "grid.gpkg")
    w = MainWindow()
    w.ask = lambda title, text, buttons, default: default
    w.errors = []
    w.show_error = w.errors.append
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "grid.gpkg"))
    yield w
    w.model.undo_stack.setClean()
    w.close()


def when_modal(qtbot, handler):
    """Run ``handler(dialog)`` on the next modal dialog that opens (dialogs block in exec())."""
    done = []

    def poll():
        d = QApplication.activeModalWidget()
        if d is not None and d.isVisible() and d.objectName() != "" and not done:
            done.append(d)
            handler(d)
        elif not done:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)
    return done


def ctrl_z(qtbot, w):
    """Ctrl+Z as the user presses it on the map (after a modal dialog the window must be active again)."""
    w.activateWindow()
    w.canvas.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    qtbot.keyClick(w.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def trigger_from_file_menu(w, text):
    menu = w.menus["file"]
    menu.aboutToShow.emit()
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    assert action.isEnabled()
    action.trigger()


def test_mapping_dialog_preview_auto_mapping_and_keyboard_overrides(qtbot, crm):
    raw, mapping = preview(crm, "accounts")
    d = ColumnMappingDialog(raw, mapping, "accounts")
    qtbot.addWidget(d)
    d.show()
    assert d.table.horizontalHeaderItem(1).text() == "Account Name"
    assert d.table.item(2, 1).text() == '=HYPERLINK("http://x","Bob")'  # shown as text, never run
    assert d.table.verticalHeaderItem(1).text() == "2"  # spreadsheet row numbers
    assert [d.target(c) for c in raw.columns] == ["id", "name", "lat", "lon", "ignore", "numeric", "text"]
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    lon = d.combos["Billing Longitude"]
    lon.setFocus()
    qtbot.keyClick(lon, Qt.Key.Key_End)  # "— ignore —": latitude without longitude
    assert d.target("Billing Longitude") == "ignore"
    assert not ok.isEnabled() and "no column is mapped to 'lon'" in d.problem.text()
    qtbot.keyClick(lon, Qt.Key.Key_Home)
    for _ in range(3):
        qtbot.keyClick(lon, Qt.Key.Key_Down)  # Id, Name, Latitude -> Longitude
    assert d.target("Billing Longitude") == "lon" and ok.isEnabled()
    ind = d.combos["Industry"]
    ind.setFocus()
    qtbot.keyClick(ind, Qt.Key.Key_End)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert d.result() == d.DialogCode.Accepted
    m = d.mapping()
    assert m.targets["Industry"] == "ignore" and m.column("lon") == "Billing Longitude"


def test_import_accounts_from_the_file_menu_then_undo(qtbot, window, crm):
    w = window
    old = w.model.doc.project.accounts
    w.areas["imports"]._ask_open_path = lambda title, filters: crm
    seen = {}

    def on_mapping(d):
        seen["mapping"] = isinstance(d, ColumnMappingDialog)
        qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        when_modal(qtbot, on_report)

    def on_report(d):
        seen["report"] = d.summary.toPlainText()
        seen["rows"] = d.model.rowCount()
        d.accept()

    when_modal(qtbot, on_mapping)
    trigger_from_file_menu(w, "Import accounts…")
    qtbot.waitUntil(lambda: "report" in seen)
    assert seen["mapping"] and seen["rows"] == 1 and "3 row(s) read, 2 account(s) imported" in seen["report"]
    acc = w.model.doc.project.accounts
    assert acc.ids == ["A1", "A2"] and "annual_revenue" in w.model.doc.fields
    assert w.isWindowModified() and w.model.undo_stack.undoText().startswith("Import accounts from crm.csv")
    ctrl_z(qtbot, w)
    assert w.model.doc.project.accounts is old and "annual_revenue" not in w.model.doc.fields
    assert not w.isWindowModified()


def test_failed_import_shows_the_report_and_changes_nothing(qtbot, window, tmp_path):
    w = window
    src = tmp_path / "far.csv"
    src.write_text("id,name,lat,lon\n1,a,45,-75\n2,b,46,-75\n")
    old = w.model.doc.project.accounts
    shown = []
    ia = w.areas["imports"]
    ia._ask_mapping = lambda path, kind: (auto_map(["id", "name", "lat", "lon"]), None)
    ia._show_report = lambda report, error="": shown.append((report, error))
    assert not ia.import_accounts(str(src))
    report, error = shown[0]
    assert "none of the 2 row(s) could be imported" in error and len(report.rejected) == 2
    assert w.model.doc.project.accounts is old and w.model.undo_stack.count() == 0
    ia._ask_mapping = lambda path, kind: (_ for _ in ()).throw(__import__(
        "territory_desk.domain.model.errors", fromlist=["InputError"]).InputError(f"{path} is empty"))
    assert not ia.import_accounts(str(tmp_path / "whatever.csv"))
    assert w.errors[-1].endswith("is empty")


def test_report_dialog_lists_rejected_rows_and_saves_them_as_csv(qtbot, make_grid, tmp_path, crm):
    report = plan_accounts(make_grid(), crm).report
    d = ImportReportDialog(report)
    qtbot.addWidget(d)
    d.show()
    assert d.model.rowCount() == 1
    assert d.model.data(d.model.index(0, 0)) == "4"
    assert d.model.data(d.model.index(0, 2)) == "outside every unit: (45, -75)"
    out = tmp_path / "out.csv"
    d._ask_save_path = lambda: str(out)
    qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["row", "id", "outcome", "method", "reason"]
    assert rows[2][1] == "A2" and rows[3][2] == "rejected"
    assert "Saved to out.csv" == d.save_button.text()


def write_units(path, ids, geoms):
    frame = gpd.GeoDataFrame({"unit_id": ids}, geometry=geoms, crs="EPSG:4326")
    pyogrio.write_dataframe(frame.iloc[:1], path, layer="decoy")
    pyogrio.write_dataframe(frame, path, layer="cells")
    return str(path)


def test_import_units_dialog_then_undo_rebuilds_the_map(qtbot, window, tmp_path):
    w = window
    project = w.model.doc.project
    ids = list(project.units.ids[:-1]) + ["NEW"]
    geoms = list(project.units.geometry[:-1]) + [shapely.box(-98.8, 38.0, -98.6, 38.2)]
    path = write_units(tmp_path / "cells.gpkg", ids, geoms)
    old_units, old_cache = project.units, w.canvas.cache
    w.model.set_selection([0, 1])
    w.areas["imports"]._ask_open_path = lambda title, filters: path
    w.areas["imports"]._show_report = lambda report, error="": w.errors.append(report.summary())

    def on_options(d):
        assert isinstance(d, UnitImportDialog)
        d.layer_combo.setCurrentIndex(d.layer_combo.findData("cells"))
        assert d.id_combo.findData("unit_id") >= 0
        qtbot.mouseClick(d.replace_radio, Qt.MouseButton.LeftButton)
        d.accept()

    when_modal(qtbot, on_options)
    trigger_from_file_menu(w, "Import units…")
    qtbot.waitUntil(lambda: w.model.doc.project.units is not old_units)
    units = w.model.doc.project.units
    assert units.ids[-1] == "NEW" and w.canvas.cache is not old_cache and w.model.selection == set()
    assert "35 id(s) kept with their assignments, 1 new, 1 removed" in w.errors[-1]
    assert w.model.doc.scenario.assignment[-1] == -1
    assert not w.canvas.render_to_image(400, 300).isNull()
    ctrl_z(qtbot, w)
    assert w.model.doc.project.units is old_units and len(w.canvas.cache.area) == len(old_units)
    assert np.array_equal(w.model.doc.stats().units, w.model.doc.engine.full_state(
        w.model.doc.scenario.assignment)[1][:-1])


def test_read_only_window_refuses_imports(qtbot, window, crm):
    w = window
    w.read_only = w.model.read_only = True
    w.menus["file"].aboutToShow.emit()
    assert not w.areas["imports"].act_accounts.isEnabled()
    assert not w.areas["imports"].import_accounts(crm)
    w.read_only = w.model.read_only = False


def test_mapping_dialog_switches_the_sheet_of_a_workbook(qtbot, tmp_path):
    from openpyxl import Workbook

    from territory_desk.io.tables.reader import list_sheets

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["just", "notes"])
    ws = wb.create_sheet("Accounts")
    ws.append(["Account ID", "Account Name", "Billing Zip"])
    ws.append(["A1", "Acme", 2134])
    path = str(tmp_path / "crm.xlsx")
    wb.save(path)
    raw, mapping = preview(path, "accounts")
    d = ColumnMappingDialog(raw, mapping, "accounts", list_sheets(path),
                            reload=lambda sheet: preview(path, "accounts", sheet))
    qtbot.addWidget(d)
    d.show()
    assert d.sheet() == "Notes" and not d.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert d.problem.text().startswith("Map a column to latitude/longitude, ZIP code")
    d.sheet_combo.setFocus()
    qtbot.keyClick(d.sheet_combo, Qt.Key.Key_Down)
    assert d.sheet() == "Accounts" and d.table.horizontalHeaderItem(2).text() == "Billing Zip"
    assert d.target("Billing Zip") == "zip" and d.table.item(1, 2).text() == "2134"
    assert d.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled() and d.problem.text() == ""


def test_import_reps_from_the_file_menu_then_undo(qtbot, window, tmp_path):
    w = window
    src = tmp_path / "reps.csv"
    src.write_text("Rep ID,Name,Home ZIP,Capacity\nR0,Ann Lee,74103,250\nR1,Bob Ray,,100\nR2,Cy Moe,,100\n")
    old = w.model.doc.project.reps
    shown = []
    ia = w.areas["imports"]
    ia._ask_open_path = lambda title, filters: str(src)
    ia._show_report = lambda report, error="": shown.append(report)

    def on_mapping(d):
        assert d.target("Home ZIP") == "zip" and d.target("Capacity") == "capacity"
        qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    when_modal(qtbot, on_mapping)
    trigger_from_file_menu(w, "Import reps…")
    qtbot.waitUntil(lambda: bool(shown))
    reps = w.model.doc.project.reps
    assert [r.name for r in reps] == ["Ann Lee", "Bob Ray", "Cy Moe"] and reps[0].home_city == "Tulsa, OK"
    assert shown[0].changed == 3 and w.model.undo_stack.undoText() == "Import reps from reps.csv"
    ctrl_z(qtbot, w)
    assert w.model.doc.project.reps is old


@pytest.mark.parametrize("answer", ["raise", "cancel"])
def test_a_file_beyond_a_reading_limit_can_be_read_with_the_limit_raised(qtbot, window, tmp_path, answer):
    from PySide6.QtWidgets import QMessageBox

    from territory_desk.io.tables.limits import ReadLimits

    w = window
    w.read_limits = ReadLimits(rows=2)  # the session's limits (the command line's --limits rows=2)
    src = tmp_path / "crm.csv"
    src.write_text(CSV, encoding="utf-8")
    ia = w.areas["imports"]
    ia._ask_mapping = lambda path, kind: (None, None)
    shown, seen = [], []
    ia._show_report = lambda report, error="": shown.append(report)

    def respond(box):
        seen.append((box.text(), box.informativeText()))
        button = next(b for b in box.buttons() if b.text().startswith("Read with")) if answer == "raise" else \
            box.button(QMessageBox.StandardButton.Cancel)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    when_modal(qtbot, respond)
    ok = ia.import_accounts(str(src))
    text, info = seen[0]
    assert text.endswith("crm.csv: the file has more than 2 rows (the row limit is 2; raise it with --limits rows=16)")
    assert "raised to 16 for this session" in info
    if answer == "raise":
        assert ok and w.read_limits.rows == 16 and w.model.doc.project.accounts.ids == ["A1", "A2"]
        assert shown and shown[0].rows_read == 3
    else:
        assert not ok and not shown and not w.errors and w.read_limits.rows == 2
        assert w.model.undo_stack.count() == 0


def test_a_raised_limit_is_kept_by_the_window_for_the_session(window, monkeypatch):
    """A dialog deep inside the window raises a limit: the window keeps it for the next file."""
    from PySide6.QtWidgets import QWidget

    from territory_desk.io.tables.limits import DEFAULT_LIMITS, LimitExceeded
    from territory_desk.ui.dialogs import read_limits

    assert window.read_limits == DEFAULT_LIMITS
    monkeypatch.setattr(read_limits, "ask_raise", lambda widget, exc: True)
    child = QWidget(QWidget(window))
    seen = []

    def read(limits):
        seen.append(limits.rows)
        if limits.rows < 10 * DEFAULT_LIMITS.rows:
            raise LimitExceeded("big.csv", "too many rows", "rows", limits.rows, 10 * DEFAULT_LIMITS.rows)
        return "read"

    assert read_limits.with_raised_limits(child, read) == "read"
    assert seen == [DEFAULT_LIMITS.rows, 10 * DEFAULT_LIMITS.rows]
    assert window.read_limits.rows == 10 * DEFAULT_LIMITS.rows
    assert read_limits.session_limits(QWidget(window)).rows == 10 * DEFAULT_LIMITS.rows
