"""KPIs in the editor: the KPI dashboard dock, File → Import opportunities…/leads…/quotas…, View → KPI
dashboard, Thematic map…, Account heat map, and Tools → Snapshot KPIs…, Review periods….

Imports read and check the file off the UI thread and apply the result as ONE undoable command
(domain.kpis.reviews.ReplaceActivity); a snapshot is one undoable command too. Dialogs open through
small methods of KpiActions (``_ask_*``) so tests can replace them.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDockWidget, QInputDialog

from territory_desk.domain.editing.changes import ChangeKind
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.kpis.reviews import ReplaceActivity, TakeSnapshot
from territory_desk.domain.kpis.measures import compute_kpis
from territory_desk.services import activity_imports
from territory_desk.services.kpis import KPI_PREFIX, ThematicSpec, available_periods, default_period, thematic_values
from territory_desk.ui.dialogs.read_limits import Declined, with_raised_limits
from territory_desk.ui.workers import run_with_progress

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.
TABLE_FILTER = "Tables (*.csv *.tsv *.txt *.xlsx *.xlsm);;All files (*)"
KIND_TEXT = {"opportunities": "&opportunities…", "leads": "&leads…", "quotas": "&quotas…"}


class KpiActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dashboard = None
        self.thematic_overlay = None
        self.heatmap_overlay = None
        self.thematic_spec: ThematicSpec | None = None
        self.dock = QDockWidget("KPI dashboard", window)
        self.dock.setObjectName("kpiDashboardDock")
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.metrics_dock, self.dock)  # a tab beside Metrics: the full height
        self.dock.hide()
        self.act_dashboard = self.dock.toggleViewAction()
        self.act_dashboard.setText("&KPI dashboard")
        self.act_dashboard.toggled.connect(lambda on: on and self.dock.raise_())
        self.act_import = {k: self._action(f"Import {text}", lambda k=k: self.import_activity(k))
                           for k, text in KIND_TEXT.items()}
        self.act_thematic = self._action("&Thematic map…", self._thematic_toggled, checkable=True)
        self.act_heatmap = self._action("Account &heat map", self._heatmap_toggled, checkable=True)
        self.act_snapshot = self._action("&Snapshot KPIs…", self.snapshot)
        self.act_review = self._action("&Review periods…", self.review)
        self._rethematic = QTimer(self, singleShot=True, interval=300, timeout=self._rebuild_thematic)

    def _action(self, text: str, slot, checkable: bool = False) -> QAction:
        a = QAction(text, self.window)
        a.setCheckable(checkable)
        if checkable:
            a.triggered.connect(lambda checked: slot(checked))
        else:
            a.triggered.connect(lambda _checked=False: slot())
        return a

    @property
    def model(self):
        return self.window.model

    def update_enabled(self) -> None:
        has = self.model is not None
        for a in (*self.act_import.values(), self.act_snapshot):
            a.setEnabled(has and not self.window.read_only)
        for a in (self.act_dashboard, self.act_thematic, self.act_heatmap, self.act_review):
            a.setEnabled(has)

    # ---- a new document ------------------------------------------------------------------------
    def attach(self) -> None:
        from territory_desk.ui.panels.kpis.panel import DashboardPanel

        w = self.window
        self.thematic_overlay = self.heatmap_overlay = None
        self.act_thematic.setChecked(False)
        self.act_heatmap.setChecked(False)
        old = self.dashboard
        self.dashboard = DashboardPanel(w.model, self.dock)
        self.dock.setWidget(self.dashboard)
        if old is not None:
            old.deleteLater()
        w.model.changed.connect(self._on_changed)
        self.update_enabled()

    def _on_changed(self, change) -> None:
        if self.thematic_overlay is not None:
            self._rethematic.start()
        if change.kind == ChangeKind.DATA and self.heatmap_overlay is not None:
            self._heatmap_toggled(True)

    # ---- dialogs (small methods so tests can replace them) -------------------------------------
    def _ask_open_path(self, title: str) -> str:
        from PySide6.QtWidgets import QFileDialog

        return QFileDialog.getOpenFileName(self.window, title, os.getcwd(), TABLE_FILTER)[0]

    def _ask_mapping(self, path: str, kind: str):
        from territory_desk.ui.dialogs.activity_import_dialog import ActivityMappingDialog

        from territory_desk.ui.dialogs.import_dialogs import ask_table_mapping

        return ask_table_mapping(self.window, path, kind, activity_imports.preview, ActivityMappingDialog)

    def _show_report(self, report, error: str = "") -> None:
        from territory_desk.ui.dialogs.import_dialogs import ImportReportDialog

        dialog = ImportReportDialog(report, error, self.window)
        dialog.exec()
        dialog.deleteLater()

    def _ask_thematic(self, current: ThematicSpec | None) -> ThematicSpec | None:
        from territory_desk.ui.dialogs.thematic_dialog import ThematicDialog

        dialog = ThematicDialog(self.model.doc.project, current, self.window)
        try:
            return dialog.spec() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def _ask_snapshot_period(self) -> str | None:
        project = self.model.doc.project
        periods = available_periods(project)
        current = self.dashboard.period if self.dashboard is not None else default_period(project)
        text, ok = QInputDialog.getItem(self.window, "Snapshot KPIs", "Period to freeze into the project:", periods,
                                        max(0, periods.index(current)) if current in periods else len(periods) - 1, True)
        return text.strip() if ok and text.strip() else None

    def _show_review(self) -> None:
        from territory_desk.ui.dialogs.review_dialog import ReviewDialog

        dialog = ReviewDialog(self.model.doc.project, self.window)
        dialog.compare()
        dialog.exec()
        dialog.deleteLater()

    # ---- workflows ------------------------------------------------------------------------------
    def import_activity(self, kind: str, path: str = "") -> bool:
        w = self.window
        if self.model is None or w.refuse_read_only():
            return False
        from territory_desk.ui.dialogs.import_dialogs import choose_table

        chosen = choose_table(path or self._ask_open_path(f"Import {kind}"),
                              lambda p: self._ask_mapping(p, kind), w.show_error)
        if chosen is None:
            return False
        path, mapping, sheet = chosen
        project = self.model.doc.project
        label = f"Importing {kind} from {os.path.basename(path)}…"
        try:
            plan = with_raised_limits(w, lambda limits: run_with_progress(
                w, label, lambda: activity_imports.plan_activity(project, kind, path, mapping, sheet, limits)))
        except Declined:
            return False
        except activity_imports.ImportFailed as exc:
            self._show_report(exc.report, str(exc))
            return False
        except (TerritoryDeskError, OSError, MemoryError) as exc:
            w.show_error(f"Import failed: {exc}")
            return False
        if not self.model.push(ReplaceActivity(plan.activity, f"Import {kind} from {os.path.basename(path)}")):
            return False
        w.show_message(plan.report.summary_lines()[0])
        self._show_report(plan.report)
        return True

    def snapshot(self) -> bool:
        if self.model is None or self.window.refuse_read_only():
            return False
        period = self._ask_snapshot_period()
        if not period:
            return False
        level = self.dashboard.level_combo.currentIndex() if self.dashboard is not None else 0
        try:
            table = compute_kpis(self.model.doc.project, period, max(level, 0))
        except TerritoryDeskError as exc:
            self.window.show_error(str(exc))
            return False
        ok = self.model.push(TakeSnapshot(table))
        if ok:
            self.window.show_message(f"Saved a snapshot of the KPIs of {table.period.label} "
                                     f"({table.level.name.lower()} level) in the project")
        return ok

    def review(self) -> None:
        if self.model is not None:
            self._show_review()

    # ---- map layers -----------------------------------------------------------------------------
    def _thematic_toggled(self, checked: bool) -> None:
        canvas = self.window.canvas
        if canvas is None:
            self.act_thematic.setChecked(False)
            return
        if not checked:
            self.show_thematic(None)
            return
        spec = self._ask_thematic(self.thematic_spec)
        self.show_thematic(spec)

    def show_thematic(self, spec: ThematicSpec | None) -> bool:
        """Colour the map by ``spec`` (None: remove the thematic layer)."""
        from territory_desk.ui.canvas.overlays.thematic import ThematicLayer, ThematicOverlay

        canvas = self.window.canvas
        if self.thematic_overlay is not None:
            canvas.remove_overlay(self.thematic_overlay)
            self.thematic_overlay = None
        if spec is None or canvas is None:
            self.act_thematic.setChecked(False)
            return False
        try:
            values, label, basis = thematic_values(self.model.doc.project, spec.field, None, spec.period)
            layer = ThematicLayer(values, label, spec.method, spec.k, spec.ramp, basis)
        except TerritoryDeskError as exc:
            self.window.show_error(str(exc))
            self.act_thematic.setChecked(False)
            return False
        self.thematic_spec = spec
        self.thematic_overlay = ThematicOverlay(canvas, layer, spec)
        canvas.add_overlay(self.thematic_overlay)
        self.act_thematic.setChecked(True)
        return True

    def _rebuild_thematic(self) -> None:
        spec = self.thematic_spec
        if self.thematic_overlay is None or spec is None:
            return
        if not spec.field.startswith(KPI_PREFIX):  # a unit metric: only the territory borders moved
            self.thematic_overlay.invalidate()
            return
        self.show_thematic(spec)

    def _heatmap_toggled(self, checked: bool) -> None:
        from territory_desk.ui.canvas.overlays.heatmap import HeatmapLayer, HeatmapOverlay

        canvas = self.window.canvas
        if self.heatmap_overlay is not None and canvas is not None:
            canvas.remove_overlay(self.heatmap_overlay)
            self.heatmap_overlay = None
        if checked and canvas is not None:
            self.heatmap_overlay = HeatmapOverlay(canvas, HeatmapLayer(self.model.doc.project))
            canvas.add_overlay(self.heatmap_overlay)
        self.act_heatmap.setChecked(self.heatmap_overlay is not None)


def install(window) -> KpiActions:
    """File → Import opportunities/leads/quotas (after the other imports), View → KPI dashboard,
    Thematic map…, Account heat map, Tools → Snapshot KPIs…, Review periods…; the dashboard dock
    attaches to each opened project."""
    helper = KpiActions(window)
    menu = window.menus["file"]
    before = window.act_save
    acts = menu.actions()  # after the other imports, before their separator
    k = acts.index(before) if before in acts else -1
    before = acts[k - 1] if k > 0 and acts[k - 1].isSeparator() else before
    for a in helper.act_import.values():
        menu.insertAction(before, a)
    menu.aboutToShow.connect(helper.update_enabled)
    for a in (helper.act_dashboard, helper.act_thematic, helper.act_heatmap):
        window.add_menu_action("view", a)
    for a in (helper.act_snapshot, helper.act_review):
        window.add_menu_action("tools", a)
    window.menus["view"].aboutToShow.connect(helper.update_enabled)
    window.menus["tools"].aboutToShow.connect(helper.update_enabled)
    window.documentChanged.connect(helper.attach)
    helper.update_enabled()
    return helper
