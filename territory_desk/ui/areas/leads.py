"""Main-window action for lead routing: Tools → Lead routing rules….

The dialog edits a copy of the project's rule list; OK stores it in the project settings as one
undoable command (domain.leads.rules.SetLeadRules), so Edit → Undo restores the previous rules.
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from territory_desk.domain.leads.rules import SETTINGS_KEY, SetLeadRules

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.


class LeadActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.act_rules = QAction("Lead &routing rules…", window)
        self.act_rules.setObjectName("actionLeadRules")
        self.act_rules.setStatusTip("The ordered rules that give new leads a territory and a rep; test them on a file")
        self.act_rules.triggered.connect(lambda _checked=False: self.edit_rules())
        window.add_menu_action("tools", self.act_rules)
        window.menus["tools"].aboutToShow.connect(self.update_enabled)
        window.documentChanged.connect(self.update_enabled)
        self.update_enabled()

    def update_enabled(self) -> None:
        self.act_rules.setEnabled(self.window.model is not None)

    # ---- small steps tests can replace -------------------------------------------------------------
    def make_dialog(self):
        from territory_desk.ui.dialogs.lead_rules_dialog import LeadRulesDialog

        project = self.window.model.doc.project
        return LeadRulesDialog(project, project.settings.get(SETTINGS_KEY) or [], self.window)

    def _run_dialog(self, dialog) -> bool:
        return bool(dialog.exec())

    # ---- the action --------------------------------------------------------------------------------
    def edit_rules(self) -> bool:
        """Show the dialog; store the rules when they changed. True when a change was stored."""
        model = self.window.model
        if model is None:
            return False
        dialog = self.make_dialog()
        try:
            if not self._run_dialog(dialog):
                return False
            rules = dialog.rules()
        finally:
            dialog.deleteLater()
        if rules == (model.doc.project.settings.get(SETTINGS_KEY) or []):
            return False
        return model.push(SetLeadRules(rules))


def install(window) -> LeadActions:
    """Add this area's actions to the window's menus (window.add_menu_action(menu, action))."""
    return LeadActions(window)
