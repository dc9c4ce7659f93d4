"""GUI of freeform territories: the drawing tools (Tools menu and toolbar, enabled in freeform
scenarios), Scenarios → New freeform scenario…, Territories → Freeform territory from selected units,
the map overlay, and the "Overlaps and gaps" dock."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QDockWidget, QInputDialog

from territory_desk.domain.editing.freeform import AddFreeformScenario, from_units
from territory_desk.domain.editing.scenarios import unique_scenario_name
from territory_desk.domain.model.errors import InputError
from territory_desk.ui.canvas.freeform.edit import EditTool
from territory_desk.ui.canvas.freeform.overlay import FreeformOverlay
from territory_desk.ui.canvas.freeform.tools import (
    DrawCircleTool, DrawPolygonTool, DrawRectangleTool, Snapper, SplitTool,
)
from territory_desk.ui.canvas.layer_renderer import LayerStyle
from territory_desk.ui.panels.freeform_issues import FreeformIssuesPanel

# the freeform tools (registered on every canvas) and their actions: text, shortcut, status tip
TOOL_ACTIONS = [(DrawPolygonTool, "Draw polygon", "D", "Draw a territory: click the corners, double-click to close"),
                (DrawRectangleTool, "Draw rectangle", "R", "Draw a rectangular territory: press and drag"),
                (DrawCircleTool, "Draw circle", "C", "Draw a circular territory: press at the centre and drag"),
                (EditTool, "Edit shapes", "E", "Drag vertices, click an edge to add one, Delete or "
                                               "right-click removes one, drag inside to move"),
                (SplitTool, "Split with a line", "K", "Click a line across a territory; double-click splits")]
KEYS_FOR_TOOLS = {Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Return, Qt.Key.Key_Enter}


class FreeformController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.overlay: FreeformOverlay | None = None
        self.panel: FreeformIssuesPanel | None = None
        self.snapper: Snapper | None = None  # the current canvas's (this window's switch)
        self.tool_actions: dict[str, QAction] = {}
        for cls, text, shortcut, tip in TOOL_ACTIONS:
            key = cls.name
            a = QAction(text, window)
            a.setShortcut(QKeySequence(shortcut))
            a.setCheckable(True)
            a.setToolTip(f"{text} ({shortcut}): {tip}")
            a.setStatusTip(tip)
            a.triggered.connect(lambda _checked=False, k=key: self.select_tool(k))
            window.tool_group.addAction(a)
            window.tool_actions[key] = a  # the toolbar and toolChanged find them with the others
            window.add_menu_action("tools", a)
            self.tool_actions[key] = a
        self.act_snap = QAction("Snap to vertices and edges", window, checkable=True, checked=True)
        self.act_snap.toggled.connect(self._set_snapping)
        window.add_menu_action("tools", self.act_snap)
        self.act_new_scenario = QAction("New freeform scenario…", window)
        self.act_new_scenario.triggered.connect(lambda: self.new_scenario())
        window.add_menu_action("scenarios", self.act_new_scenario)
        self.act_from_units = QAction("Freeform territory from selected units", window)
        self.act_from_units.triggered.connect(lambda: self.territory_from_selection())
        window.add_menu_action("territories", self.act_from_units)
        self.dock = QDockWidget("Overlaps and gaps", window)
        self.dock.setObjectName("freeformIssuesDock")
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        # an action of our own (the dock's toggleViewAction does not survive the Territories menu refill)
        self.act_issues = QAction("Overlaps and gaps", window, checkable=True)
        self.act_issues.toggled.connect(self.dock.setVisible)
        self.dock.visibilityChanged.connect(self.act_issues.setChecked)
        window.add_menu_action("territories", self.act_issues)
        window.documentChanged.connect(self._attach)
        self.update_enabled()

    # ---- the open document ----------------------------------------------------------------------
    def _attach(self) -> None:
        w = self.window
        model, canvas = w.model, w.canvas
        self.snapper = Snapper(canvas, self.act_snap.isChecked())
        for cls, *_ in TOOL_ACTIONS:
            canvas.register_tool(cls(canvas, self.snapper))
        self.overlay = FreeformOverlay(model, canvas)
        canvas.add_overlay(self.overlay)
        canvas.installEventFilter(self)
        self.panel = FreeformIssuesPanel(model, self.dock)
        self.panel.zoomRequested.connect(canvas.zoom_to_territory)
        self.dock.setWidget(self.panel)
        model.scenarioChanged.connect(self._on_scenario)
        model.changed.connect(lambda _c: canvas.update())
        model.activeTerritoryChanged.connect(lambda _t: canvas.update())
        self._on_scenario()

    def is_freeform(self) -> bool:
        m = self.window.model
        return m is not None and m.doc.scenario.is_freeform

    def _on_scenario(self) -> None:
        self.update_enabled()
        free = self.is_freeform()
        canvas = self.window.canvas
        if canvas is not None:  # under drawn polygons the units are a plain base map, not "unassigned"
            hatch = QColor(0, 0, 0, 0) if free else LayerStyle().unassigned_hatch
            if canvas.renderer.style.unassigned_hatch != hatch:
                canvas.renderer.style.unassigned_hatch = hatch
                canvas.refresh()
        if not free and canvas is not None and canvas.tool in self.tool_actions:
            canvas.set_tool("select")
        self.dock.setVisible(free)
        if self.panel is not None:
            self.panel.refresh()

    def update_enabled(self) -> None:
        free = self.is_freeform()
        for a in self.tool_actions.values():
            a.setEnabled(free)
            a.setVisible(free)  # the drawing tools crowd the toolbar of unit scenarios
        has = self.window.model is not None
        self.act_new_scenario.setEnabled(has and not self.window.read_only)
        self.act_from_units.setEnabled(free)

    # ---- actions ---------------------------------------------------------------------------------
    def select_tool(self, name: str) -> None:
        if self.window.canvas is not None:
            self.window.canvas.set_tool(name)

    def _set_snapping(self, on: bool) -> None:
        if self.snapper is not None:
            self.snapper.enabled = bool(on)

    def _ask_name(self, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, "New freeform scenario",
                                        "Name of the scenario (its territories are drawn on the map):", text=default)
        return text.strip() if ok and text.strip() else None

    def new_scenario(self, name: str | None = None) -> bool:
        m = self.window.model
        if m is None:
            return False
        name = name or self._ask_name(unique_scenario_name(m.doc.project, "Drawn territories"))
        if not name:
            return False
        ok = m.push(AddFreeformScenario(name))
        if ok:
            self.select_tool("freeform_polygon")
            m.messageRequested.emit(f"Freeform scenario {name!r}: draw territories with the polygon, rectangle "
                                    "or circle tool")
        return ok

    def territory_from_selection(self, units=None) -> bool:
        """A new freeform territory with the outline of the selected units (of the base layer)."""
        m = self.window.model
        if m is None or not self.is_freeform():
            return False
        units = sorted(m.selection if units is None else units)
        try:
            cmd = from_units(m.doc.project, units)
        except InputError as exc:
            m.messageRequested.emit(str(exc))
            return False
        ok = m.push(cmd)
        if ok:
            m.set_active_territory(len(m.doc.scenario.territories) - 1)
            m.set_selection([])
        return ok

    # ---- keys and right-clicks the tools need ------------------------------------------------------
    def eventFilter(self, obj, ev) -> bool:
        canvas = self.window.canvas
        if obj is not canvas or canvas is None or canvas.tool not in self.tool_actions:
            return False
        if ev.type() == QEvent.Type.ShortcutOverride and ev.key() in KEYS_FOR_TOOLS:
            tool = canvas.active_tool
            if tool.busy or (isinstance(tool, EditTool) and tool.hover_vertex >= 0):
                ev.accept()  # the key goes to the tool, not to a window shortcut (Delete = unassign)
                return True
        if ev.type() == QEvent.Type.MouseButtonPress and ev.button() == Qt.MouseButton.RightButton:
            tool = canvas.active_tool
            if isinstance(tool, EditTool) and tool.right_click(ev):
                canvas.update()
                return True
        return False


def install(window) -> FreeformController:
    """Add the freeform tools and actions; the overlay and dock attach to each new document."""
    return FreeformController(window)
