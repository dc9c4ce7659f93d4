"""GUI of rep matching: the "Reps" dock (View menu) and Territories → Suggest reps….

The dock is created once and gets a new RepPanel for every opened document (``documentChanged``);
the dialog proposes the optimal plan, and Apply pushes one undoable command.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.


class RepActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel = None
        self.dock = QDockWidget("Reps", window)
        self.dock.setObjectName("repsDock")
        placeholder = QLabel("Open a project to see its reps.", self.dock)
        placeholder.setAlignment(Qt.AlignCenter)
        self.dock.setWidget(placeholder)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.metrics_dock, self.dock)
        window.metrics_dock.raise_()
        toggle = self.dock.toggleViewAction()
        toggle.setText("&Reps")
        toggle.setObjectName("actionToggleReps")
        window.add_menu_action("view", toggle)
        self.act_suggest = QAction("Suggest &reps…", window)
        self.act_suggest.setObjectName("actionSuggestReps")
        self.act_suggest.setStatusTip("Find the best rep for every territory from skills, language, experience, "
                                      "distance and capacity")
        self.act_suggest.triggered.connect(lambda _checked=False: self.suggest_dialog())
        self.act_suggest.setEnabled(False)
        window.add_menu_action("territories", self.act_suggest)
        window.documentChanged.connect(self._on_document)

    def _on_document(self) -> None:
        from territory_desk.ui.panels.reps import RepPanel

        model = self.window.model
        self.act_suggest.setEnabled(model is not None)
        if model is None:
            return
        old = self.dock.widget()
        self.panel = RepPanel(model, self.dock)
        self.panel.suggestRequested.connect(self.suggest_dialog)
        self.panel.territoryActivated.connect(self._zoom_to)
        self.dock.setWidget(self.panel)
        if old is not None:
            old.deleteLater()

    def _zoom_to(self, t: int) -> None:
        if self.window.canvas is not None:
            self.window.canvas.zoom_to_territory(t)

    # ---- small steps tests can replace -------------------------------------------------------------
    def make_dialog(self):
        from territory_desk.ui.dialogs.rep_match_dialog import RepMatchDialog

        return RepMatchDialog(self.window.model, self.window)

    def _run_dialog(self, dialog) -> bool:
        return bool(dialog.exec())

    # ---- actions -----------------------------------------------------------------------------------
    def suggest_dialog(self) -> bool:
        """Open the dialog; on Apply push the plan as one undo step. Returns True when applied."""
        model = self.window.model
        if model is None or model.refuse_read_only():
            return False
        if not model.doc.project.reps:
            self.window.show_message("The project has no reps: import them first (File → Import → Reps).")
            return False
        dialog = self.make_dialog()
        try:
            if not self._run_dialog(dialog):
                return False
            command = dialog.command()
            if command is None:
                return False
            applied = model.push(command)
            if applied:
                self.window.show_message(f"{command.text}; total match score {dialog.match.total:.2f} "
                              f"(was {dialog.match.current_total:.2f})")
            return applied
        finally:
            dialog.deleteLater()


def install(window) -> RepActions:
    """The Reps dock (View menu) and Territories → Suggest reps…"""
    return RepActions(window)
