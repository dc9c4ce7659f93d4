"""Main-window actions for importing accounts, reps and units: File → Import accounts…/reps…/units….

Each import reads and checks the file off the UI thread (run_with_progress), then applies the result
as ONE undoable command on the window's model (Ctrl+Z restores the previous table), and shows the
report. Nothing is written to the project file until the user saves. Dialogs are opened through
small methods of ImportActions so tests can replace them.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QFileDialog

from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.data import ReplaceAccounts, ReplaceReps, ReplaceUnits
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.io.imports.column_mapping import ColumnMapping
from territory_desk.io.imports.report import ImportReport
from territory_desk.io.shapefile_encoding import text_preview
from territory_desk.io.unit_files import list_unit_fields, list_unit_layers
from territory_desk.services import imports
from territory_desk.ui.dialogs.read_limits import Declined, with_raised_limits
from territory_desk.ui.workers import run_with_progress

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.
TABLE_FILTER = "Tables (*.csv *.tsv *.txt *.xlsx *.xlsm);;All files (*)"
GIS_FILTER = "GIS files (*.shp *.zip *.geojson *.json *.gpkg *.kml *.kmz);;All files (*)"


class _UnitsReplaced(Command):
    """ReplaceUnits plus what the window must redo when the units change: a new geometry cache for
    the canvas and an empty selection (unit indices mean other units now)."""

    def __init__(self, window, inner: ReplaceUnits):
        self.window, self.inner, self.text = window, inner, inner.text

    def _refresh(self) -> None:
        w = self.window
        if w.model is not None:
            w.model.set_selection([])
            if w.canvas is not None:
                w.canvas.set_model(w.model)

    def redo(self, doc) -> None:
        self.inner.redo(doc)
        self._refresh()

    def undo(self, doc) -> None:
        self.inner.undo(doc)
        self._refresh()


class ImportActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.act_accounts = self._action("Import &accounts…", self.import_accounts)
        self.act_reps = self._action("Import &reps…", self.import_reps)
        self.act_units = self._action("Import &units…", self.import_units)

    def _action(self, text: str, slot) -> QAction:
        a = QAction(text, self.window)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    @property
    def actions(self) -> list[QAction]:
        return [self.act_accounts, self.act_reps, self.act_units]

    def update_enabled(self) -> None:
        ok = self.window.model is not None and not self.window.read_only
        for a in self.actions:
            a.setEnabled(ok)

    # ---- dialogs (small methods so tests can replace them) -------------------------------------
    def _ask_open_path(self, title: str, filters: str) -> str:
        start = str(QSettings().value("files/lastImportDir", QSettings().value("files/lastDir", os.getcwd())))
        path = QFileDialog.getOpenFileName(self.window, title, start, filters)[0]
        if path:
            QSettings().setValue("files/lastImportDir", os.path.dirname(path))
        return path

    def _ask_mapping(self, path: str, kind: str) -> tuple[ColumnMapping, str | None] | None:
        from territory_desk.ui.dialogs.import_dialogs import ColumnMappingDialog, ask_table_mapping

        return ask_table_mapping(self.window, path, kind, imports.preview, ColumnMappingDialog)

    def _ask_unit_options(self, path: str):
        from territory_desk.ui.dialogs.import_dialogs import UnitImportDialog

        layers = list_unit_layers(path)
        dialog = UnitImportDialog(path, layers, lambda layer: list_unit_fields(path, layer),
                                  len(self.window.model.doc.project.units), self.window,
                                  lambda layer, encoding: text_preview(path, layer, encoding))
        try:
            return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def _show_report(self, report: ImportReport, error: str = "") -> None:
        from territory_desk.ui.dialogs.import_dialogs import ImportReportDialog

        dialog = ImportReportDialog(report, error, self.window)
        dialog.exec()
        dialog.deleteLater()

    # ---- workflows ------------------------------------------------------------------------------
    def _ready(self) -> bool:
        w = self.window
        if w.model is None:
            w.show_message("Open a project first.")
            return False
        return not w.refuse_read_only()

    def import_accounts(self, path: str = "") -> bool:
        return self._import_table("accounts", path)

    def import_reps(self, path: str = "") -> bool:
        return self._import_table("reps", path)

    def _import_table(self, kind: str, path: str) -> bool:
        if not self._ready():
            return False
        from territory_desk.ui.dialogs.import_dialogs import choose_table

        chosen = choose_table(path or self._ask_open_path(f"Import {kind}", TABLE_FILTER),
                              lambda p: self._ask_mapping(p, kind), self.window.show_error)
        if chosen is None:
            return False
        path, mapping, sheet = chosen
        project = self.window.model.doc.project
        plan_fn = imports.plan_accounts if kind == "accounts" else imports.plan_reps
        plan = self._run(f"Importing {kind} from {os.path.basename(path)}…",
                         lambda limits: plan_fn(project, path, mapping, sheet, limits))
        if plan is None:
            return False
        name = os.path.basename(path)
        command = ReplaceAccounts(plan.accounts, f"Import accounts from {name}") if kind == "accounts" else \
            ReplaceReps(plan.reps, f"Import reps from {name}")
        if not self.window.model.push(command):
            return False
        self.window.show_message(plan.report.summary_lines()[0])
        self._show_report(plan.report)
        return True

    def import_units(self, path: str = "") -> bool:
        if not self._ready():
            return False
        path = path or self._ask_open_path("Import units", GIS_FILTER)
        if not path:
            return False
        try:
            options = self._ask_unit_options(path)
        except TerritoryDeskError as exc:
            self.window.show_error(str(exc))
            return False
        if options is None:
            return False
        project = self.window.model.doc.project
        plan = self._run(f"Reading {os.path.basename(path)} and building adjacency…",
                         lambda _limits: imports.plan_units(project, path, options.layer, options.id_field,
                                                            replace=options.replace, encoding=options.encoding))
        if plan is None:
            return False
        inner = ReplaceUnits(plan.units, plan.adjacency, plan.assignments, plan.account_unit_index,
                             f"Import units from {os.path.basename(path)}")
        if not self.window.model.push(_UnitsReplaced(self.window, inner)):
            return False
        self.window.show_message(plan.report.summary_lines()[0])
        self._show_report(plan.report)
        return True

    def _run(self, label: str, fn):
        """``fn(limits)`` off the UI thread; a file beyond a reading limit may be read again with it raised."""
        try:
            return with_raised_limits(self.window,
                                      lambda limits: run_with_progress(self.window, label, lambda: fn(limits)))
        except Declined:
            pass
        except imports.ImportFailed as exc:
            self._show_report(exc.report, str(exc))
        except TerritoryDeskError as exc:
            self.window.show_error(str(exc))
        except (OSError, MemoryError) as exc:
            self.window.show_error(f"Import failed: {exc}")
        return None


def install(window) -> ImportActions:
    """Add File → Import accounts…/reps…/units… (before Save) to the main window."""
    helper = ImportActions(window)
    menu = window.menus["file"]
    for a in helper.actions:
        menu.insertAction(window.act_save, a)
    menu.insertSeparator(window.act_save)
    menu.aboutToShow.connect(helper.update_enabled)
    helper.update_enabled()
    return helper
