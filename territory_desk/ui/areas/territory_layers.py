"""Main-window actions of territory layers (accounts a rule chooses, with their own territories): the
"Territory layers" dock, picking and pinning accounts, and promoting a scenario to the live plan.

* View → Territory layers (the dock, tabbed with Territories): territory layers, their scenarios, pins.
* Scenarios → Add territory layer…, Promote active scenario to live plan.
* Tools → Pick accounts: click accounts on the map (shift-click for several); the accounts layer is
  switched on. Territories → Pin picked accounts to territory… and Pin accounts from list….
* Pinned accounts show on the map (``canvas.overlays.pins.PinsOverlay``); the metrics count them.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QInputDialog, QLabel

from territory_desk.domain.stats.membership import counted_accounts
from territory_desk.domain.editing.territory_layers import PinAccounts, PromoteScenario
from territory_desk.ui.canvas.overlays.pins import PickAccountsTool, PinsOverlay

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.


class TerritoryLayerActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel = None
        self.overlay: PinsOverlay | None = None
        self.pin_dialog = None
        self.dock = QDockWidget("Territory layers", window)
        self.dock.setObjectName("layersDock")  # the saved window layout knows the dock by this name
        placeholder = QLabel("Open a project to see its territory layers.", self.dock)
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dock.setWidget(placeholder)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        if not QSettings().value("window/state"):
            # tabbed with Territories once the window is built: tabifying two dock groups before the
            # window is shown leaves a stray tab bar on screen (Qt 6.11)
            QTimer.singleShot(0, self._tabify)
        toggle = self.dock.toggleViewAction()
        toggle.setText("Territory &layers")
        window.add_menu_action("view", toggle)

        self.act_add_layer = self._action("Add territory &layer…", self.add_layer,
                                          "The accounts a rule chooses, with their own territories and scenarios")
        self.act_promote = self._action("&Promote active scenario to live plan", self.promote_active,
                                        "The plan in force of its territory layer (lead routing uses it)")
        self.act_pick = self._action("Pick &accounts", self.pick_tool, "Click accounts on the map to pin them",
                                     checkable=True)
        self.act_pin_picked = self._action("&Pin picked accounts to territory…", self.pin_picked,
                                           "Count the accounts picked on the map in a territory of your choice")
        self.act_pin_list = self._action("Pin accounts from &list…", self.pin_from_list,
                                         "Search accounts by id or name and pin them to a territory")
        window.add_menu_action("scenarios", self.act_add_layer)
        window.add_menu_action("scenarios", self.act_promote)
        window.add_menu_action("territories", self.act_pin_picked)
        window.add_menu_action("territories", self.act_pin_list)
        # the pick tool joins the canvas tools (exclusive with select, lasso, paint, pan)
        window.tool_group.addAction(self.act_pick)
        window.tool_actions[PickAccountsTool.name] = self.act_pick
        window.add_menu_action("tools", self.act_pick)
        window.documentChanged.connect(self.attach)
        self.update_enabled()

    def _tabify(self) -> None:
        self.window.tabifyDockWidget(self.window.territory_dock, self.dock)
        self.window.territory_dock.raise_()

    def _action(self, text: str, slot, tip: str, checkable: bool = False) -> QAction:
        a = QAction(text, self.window)
        a.setStatusTip(tip)
        a.setCheckable(checkable)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    @property
    def model(self):
        return self.window.model

    def update_enabled(self) -> None:
        has = self.model is not None
        for a in (self.act_add_layer, self.act_promote, self.act_pick, self.act_pin_picked, self.act_pin_list):
            a.setEnabled(has)

    # ---- a document was opened --------------------------------------------------------------------
    def attach(self) -> None:
        from territory_desk.ui.panels.territory_layers import TerritoryLayerPanel

        old = self.dock.widget()
        self.panel = TerritoryLayerPanel(self.model, self.dock)
        self.panel.pinRequested.connect(self.pin_from_list)
        self.dock.setWidget(self.panel)
        if old is not None:
            old.deleteLater()
        canvas = self.window.canvas
        canvas.register_tool(PickAccountsTool(canvas))
        self.overlay = PinsOverlay(canvas)
        self.overlay.listeners.append(self._on_picked)
        canvas.add_overlay(self.overlay)
        self.update_enabled()

    # ---- actions ----------------------------------------------------------------------------------
    def add_layer(self) -> None:
        if self.panel is not None:
            self.dock.show()
            self.dock.raise_()
            self.panel.add_layer()

    def promote_active(self) -> None:
        if self.model is not None:
            self.model.push(PromoteScenario(self.model.doc.project.active))

    def pick_tool(self) -> None:
        canvas = self.window.canvas
        if canvas is None:
            return
        self.window.layer_actions["accounts"].setChecked(True)
        canvas.set_layer_visible("accounts", True)
        canvas.set_tool(PickAccountsTool.name)
        self.window.show_message("Click accounts to pick them (shift-click for several), then "
                                 "Territories → Pin picked accounts to territory…")

    def _on_picked(self, picked: list[int]) -> None:
        acc = self.model.doc.project.accounts
        if not picked:
            self.window.show_message("No accounts picked")
            return
        first = f"{acc.names[picked[0]]} ({acc.ids[picked[0]]})"
        more = f" and {len(picked) - 1} more" if len(picked) > 1 else ""
        self.window.show_message(f"Picked {first}{more} — Territories → Pin picked accounts to territory…")

    def _ask_territory(self, names: list[str], current: int) -> int | None:
        """Which territory to pin to (tests replace this)."""
        text, ok = QInputDialog.getItem(self.window, "Pin accounts", "Count the picked accounts in:", names,
                                        max(current, 0), False)
        return names.index(text) if ok and text in names else None

    def pin_picked(self) -> None:
        m = self.model
        if m is None or self.overlay is None:
            return
        picked = list(self.overlay.picked)
        if not picked:
            self.window.show_message("Pick accounts on the map first (Tools → Pick accounts), or use "
                                     "Territories → Pin accounts from list…")
            return
        doc = m.doc
        sc = doc.scenario
        if not sc.territories:
            self.window.show_message(f"Scenario {sc.name!r} has no territories to pin accounts to")
            return
        counted = counted_accounts(doc.project, sc)
        ids = [doc.project.accounts.ids[i] for i in picked if counted[i]]
        if not ids:
            self.window.show_message("The picked accounts belong to another territory layer than this scenario's")
            return
        names = [f"{t.name} ({t.id})" for t in sc.territories]
        t = self._ask_territory(names, m.active_territory)
        if t is None:
            return
        if m.push(PinAccounts(ids, sc.territories[t].id)):
            self.overlay.set_picked([])
            skipped = len(picked) - len(ids)
            self.window.show_message(f"Pinned {len(ids)} account(s) to {sc.territories[t].name}"
                                     + (f"; {skipped} of another territory layer left out" if skipped else ""))

    def pin_from_list(self) -> None:
        from territory_desk.ui.dialogs.territory_layer_dialog import PinDialog

        m = self.model
        if m is None or not m.doc.scenario.territories:
            return
        picked = list(self.overlay.picked) if self.overlay is not None else []
        dialog = PinDialog(m.doc.project, m.doc.scenario, m.active_territory, picked, self.window)
        self.pin_dialog = dialog

        def accepted() -> None:
            ids, territory = dialog.values()
            if ids and territory and m.push(PinAccounts(ids, territory)) and self.overlay is not None:
                self.overlay.set_picked([])

        dialog.accepted.connect(accepted)
        dialog.open()


def install(window) -> TerritoryLayerActions:
    """Called by MainWindow once its menus exist."""
    return TerritoryLayerActions(window)
