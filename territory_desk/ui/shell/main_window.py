"""The main window: map canvas in the centre, Territories dock on the left, Metrics dock on the right,
menus, toolbar, status bar. File workflows live in files.py."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QLabel, QMainWindow, QMessageBox,
)

from territory_desk.domain.editing.territories import MoveUnits
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.ui.shell.doc_model import DocModel
from territory_desk.ui.shell.files import ProjectActions
from territory_desk.ui.shell.undo_view import undo_history_view

TOOLS = [("select", "Select", "S"), ("lasso", "Lasso", "L"), ("paint", "Paint", "P"), ("pan", "Pan", "H")]


class MainWindow(ProjectActions, QMainWindow):
    documentChanged = Signal()  # a project was opened: window.model / window.canvas are new

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("territory_desk")
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.model: DocModel | None = None
        self.canvas = None
        self.read_only = False
        self.area_menu_actions: dict[str, list[QAction]] = {}
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_status()
        self._show_start_page()
        self.init_project_actions()
        s = QSettings()
        if s.value("window/geometry"):
            self.restoreGeometry(s.value("window/geometry"))
        if s.value("window/state"):
            self.restoreState(s.value("window/state"))
        self._update_enabled()

    # ---- layout ---------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.territory_dock = QDockWidget("Territories", self)
        self.territory_dock.setObjectName("territoriesDock")
        self.metrics_dock = QDockWidget("Metrics", self)
        self.metrics_dock.setObjectName("metricsDock")
        self.history_dock = QDockWidget("Undo history", self)
        self.history_dock.setObjectName("historyDock")
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.territory_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.metrics_dock)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        self.territory_dock.setMinimumWidth(300)
        self.metrics_dock.setMinimumWidth(360)

    def _act(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        return a

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._act("&New project from base layer…", self.new_project_dialog, K.New)
        self.act_demo = self._act("New &demo project…", self.new_demo_dialog)
        self.act_open = self._act("&Open…", self.open_dialog, K.Open)
        self.act_save = self._act("&Save", self.save, K.Save)
        self.act_save_as = self._act("Save &as…", self.save_as_dialog, K.SaveAs)
        self.act_quit = self._act("&Quit", self.close, K.Quit)
        self.act_undo = self._act("&Undo", lambda: self.model and self.model.undo_stack.undo(), K.Undo)
        self.act_redo = self._act("&Redo", lambda: self.model and self.model.undo_stack.redo(),
                                  [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_select_all = self._act("Select &all units", self.select_all, K.SelectAll)
        self.act_clear_sel = self._act("&Clear selection", lambda: self.model and self.model.set_selection([]))
        self.act_assign = self._act("Assign selection to active territory", self.assign_selection, "Ctrl+Return")
        self.act_unassign = self._act("Unassign selection", self.unassign_selection, "Delete")
        self.act_full = self._act("Zoom to &full extent", lambda: self.canvas and self.canvas.zoom_full(), "F")
        self.act_zoom_in = self._act("Zoom &in", lambda: self.canvas and self.canvas.zoom_by(1.5),
                                     [QKeySequence("+"), QKeySequence("=")])
        self.act_zoom_out = self._act("Zoom &out", lambda: self.canvas and self.canvas.zoom_by(1 / 1.5), "-")
        self.act_zoom_sel = self._act("Zoom to &selection", self.zoom_selection, "Z")
        self.act_zoom_terr = self._act("Zoom to active &territory", self.zoom_active, "T")
        self.layer_actions = {}
        for key, text, on in (("accounts", "&Accounts", False), ("basemap", "State &outlines", True),
                              ("unit_labels", "&Unit labels", True), ("territory_labels", "Territory &labels", True)):
            a = self._act(text, lambda checked, k=key: self.canvas and self.canvas.set_layer_visible(k, checked),
                          checkable=True)
            a.setChecked(on)
            self.layer_actions[key] = a
        self.act_history = self.history_dock.toggleViewAction()
        self.act_history.setText("Undo &history")
        self.tool_group = QActionGroup(self)
        self.tool_actions = {}
        for key, text, sc in TOOLS:
            a = self._act(text, lambda checked, k=key: self.canvas and self.canvas.set_tool(k), sc, checkable=True)
            self.tool_group.addAction(a)
            self.tool_actions[key] = a
        self.tool_actions["select"].setChecked(True)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        for a in (self.act_new, self.act_demo, self.act_open):
            f.addAction(a)
        self.recent_menu = f.addMenu("Open &recent")
        f.addSeparator()
        f.addAction(self.act_save)
        f.addAction(self.act_save_as)
        f.addSeparator()
        f.addAction(self.act_quit)
        e = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, self.act_select_all, self.act_clear_sel, None,
                  self.act_assign, self.act_unassign):
            e.addSeparator() if a is None else e.addAction(a)
        self.territory_menu = mb.addMenu("&Territories")
        self.scenario_menu = mb.addMenu("S&cenarios")
        v = mb.addMenu("&View")
        for a in (self.act_full, self.act_zoom_in, self.act_zoom_out, self.act_zoom_sel, self.act_zoom_terr, None):
            v.addSeparator() if a is None else v.addAction(a)
        for a in self.layer_actions.values():
            v.addAction(a)
        v.addSeparator()
        v.addAction(self.territory_dock.toggleViewAction())
        v.addAction(self.metrics_dock.toggleViewAction())
        v.addAction(self.act_history)
        t = mb.addMenu("T&ools")
        for a in self.tool_actions.values():
            t.addAction(a)
        self.menus = {"file": f, "edit": e, "territories": self.territory_menu, "scenarios": self.scenario_menu,
                      "view": v, "tools": t}
        from territory_desk.ui.areas import compare as compare_actions
        from territory_desk.ui.areas import export as export_actions
        from territory_desk.ui.areas import freeform as freeform_actions
        from territory_desk.ui.areas import imports as import_actions
        from territory_desk.ui.areas import kpis as kpi_actions
        from territory_desk.ui.areas import leads as lead_actions
        from territory_desk.ui.areas import optimize as optimize_actions
        from territory_desk.ui.areas import reps as rep_actions
        from territory_desk.ui.areas import territory_layers as segment_actions

        for area in (import_actions, optimize_actions, export_actions, rep_actions, segment_actions,
                     lead_actions, compare_actions, kpi_actions, freeform_actions):
            area.install(self)
        h = mb.addMenu("&Help")
        h.addAction(self._act("&About territory_desk", self.about))
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        for a in (self.act_open, self.act_save, None, self.act_undo, self.act_redo, None):
            tb.addSeparator() if a is None else tb.addAction(a)
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        for a in (self.act_full, self.act_zoom_sel):
            tb.addAction(a)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.coord_label = QLabel("")
        self.unit_label = QLabel("")
        self.sel_label = QLabel("")
        for w in (self.unit_label, self.sel_label, self.coord_label):
            sb.addPermanentWidget(w)

    def _show_start_page(self) -> None:
        from territory_desk.ui.shell.start_page import start_page_for

        self.setCentralWidget(start_page_for(self))

    # ---- the open document ----------------------------------------------------------------------
    def set_document(self, doc: Document, read_only: bool = False) -> None:
        from territory_desk.ui.canvas.map_canvas import MapCanvas
        from territory_desk.ui.panels.metrics.panel import MetricsPanel
        from territory_desk.ui.panels.territories.panel import TerritoryPanel

        self.read_only = read_only
        self.model = model = DocModel(doc, self)
        model.read_only = read_only
        self.canvas = MapCanvas(model, self)
        self.setCentralWidget(self.canvas)
        self.territory_panel = TerritoryPanel(model, self)
        self.metrics_panel = MetricsPanel(model, self)
        self.territory_dock.setWidget(self.territory_panel)
        self.metrics_dock.setWidget(self.metrics_panel)
        self.history_dock.setWidget(undo_history_view(model.undo_stack, self))
        if not QSettings().value("window/state"):
            QTimer.singleShot(0, self._size_docks)  # once the new panels are laid out
        self._fill_territory_menu()
        basemap = self.load_basemap(doc)
        if basemap is not None:
            self.canvas.set_basemap(*basemap)
        for key, a in self.layer_actions.items():
            self.canvas.set_layer_visible(key, a.isChecked())
        checked = next((k for k, a in self.tool_actions.items() if a.isChecked()), "select")
        try:
            self.canvas.set_tool(checked)
        except ValueError:  # an area's tool, registered on documentChanged below: start with Select
            self.canvas.set_tool("select")
            self.tool_actions["select"].setChecked(True)
        self.canvas.hoverUnitChanged.connect(self._on_hover)
        # bound methods, not lambdas: Qt disconnects them when the window goes (an undo stack that
        # outlives its window must not call into it)
        self.canvas.toolChanged.connect(self._on_tool_changed)
        self.canvas.cursorMoved.connect(self._on_cursor_moved)
        self.territory_panel.zoomToTerritoryRequested.connect(self.canvas.zoom_to_territory)
        self.territory_panel.visibilityChanged.connect(self.canvas.refresh)
        model.selectionChanged.connect(self._on_selection)
        model.messageRequested.connect(self.show_message)
        model.undo_stack.cleanChanged.connect(self._on_clean_changed)
        model.undo_stack.canUndoChanged.connect(self.act_undo.setEnabled)
        model.undo_stack.canRedoChanged.connect(self.act_redo.setEnabled)
        self.act_undo.setEnabled(False)
        self.act_redo.setEnabled(False)
        self.setWindowModified(False)
        self.update_title()
        self._update_enabled()
        self.canvas.setFocus()
        self.documentChanged.emit()  # areas attach their panels and canvas overlays to the new model
        if not QSettings().value("window/state"):  # first start: the editor's own docks in front of the tabs
            QTimer.singleShot(0, self._front_docks)

    def _front_docks(self) -> None:
        self.metrics_dock.raise_()
        self.territory_dock.raise_()

    def _on_tool_changed(self, name: str) -> None:
        if name in self.tool_actions:
            self.tool_actions[name].setChecked(True)

    def _on_cursor_moved(self, lon: float, lat: float) -> None:
        self.coord_label.setText(f"{lat:.4f}°, {lon:.4f}°")

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _size_docks(self) -> None:
        """First start: give the map most of the width (docks ~26 % and ~29 %)."""
        width = max(self.width(), 1000)
        self.resizeDocks([self.territory_dock, self.metrics_dock], [int(width * 0.26), int(width * 0.29)],
                         Qt.Orientation.Horizontal)

    def _fill_territory_menu(self) -> None:
        m = self.territory_menu
        m.clear()
        for a in self.territory_panel.territory_actions:
            m.addAction(a)
        s = self.scenario_menu
        s.clear()
        for a in self.territory_panel.scenario_actions:
            s.addAction(a)
        for name, extra in self.area_menu_actions.items():  # areas' actions survive the refill
            menu = self.menus[name]
            if menu in (m, s) and extra:
                menu.addSeparator()
                for a in extra:
                    menu.addAction(a)

    def add_menu_action(self, menu: str, action: QAction) -> None:
        """Add an area's action to one of ``self.menus`` (kept when the Territories/Scenarios menus
        are rebuilt for a new document)."""
        self.area_menu_actions.setdefault(menu, []).append(action)
        self.menus[menu].addAction(action)

    def _update_enabled(self) -> None:
        has = self.model is not None
        for a in (self.act_save, self.act_save_as, self.act_select_all, self.act_clear_sel, self.act_assign,
                  self.act_unassign, self.act_full, self.act_zoom_in, self.act_zoom_out, self.act_zoom_sel,
                  self.act_zoom_terr, *self.layer_actions.values(), *self.tool_actions.values()):
            a.setEnabled(has)
        self.act_save.setEnabled(has and not self.read_only)

    def update_title(self) -> None:
        doc = self.model.doc if self.model else None
        name = (doc.path or "untitled.gpkg").rsplit("/", 1)[-1] if doc else ""
        ro = " (read-only)" if self.read_only else ""
        self.setWindowTitle(f"{name}[*]{ro} — territory_desk" if doc else "territory_desk")

    # ---- status & small edits -------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _on_hover(self, unit: int) -> None:
        if self.model is None or unit < 0:
            self.unit_label.setText("")
            return
        doc = self.model.doc
        t = doc.territory_of(unit)
        terr = doc.scenario.territories[t].name if t != UNASSIGNED else "unassigned"
        self.unit_label.setText(f"{doc.project.units.names[unit]} ({doc.project.units.ids[unit]}) — {terr}")

    def _on_selection(self) -> None:
        n = len(self.model.selection) if self.model else 0
        self.sel_label.setText(f"{n} selected" if n else "")

    def select_all(self) -> None:
        if self.model:
            self.model.set_selection(range(len(self.model.doc.project.units)))

    def assign_selection(self) -> None:
        m = self.model
        if m and m.selection and m.active_territory >= 0 and not self.refuse_read_only():
            m.push(MoveUnits(sorted(m.selection), m.active_territory))

    def unassign_selection(self) -> None:
        m = self.model
        if m and m.selection and not self.refuse_read_only():
            m.push(MoveUnits(sorted(m.selection), UNASSIGNED, "Unassign units"))

    def zoom_selection(self) -> None:
        if self.canvas and self.model and self.model.selection:
            self.canvas.zoom_to_units(sorted(self.model.selection))

    def zoom_active(self) -> None:
        if self.canvas and self.model and self.model.active_territory >= 0:
            self.canvas.zoom_to_territory(self.model.active_territory)

    def about(self) -> None:
        from territory_desk import __version__

        QMessageBox.about(self, "About territory_desk",
                          f"<b>territory_desk {__version__}</b><p>Open-source sales territory planning.</p>")
