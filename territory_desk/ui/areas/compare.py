"""Main-window action of scenario comparison: Scenarios → Compare scenarios… opens the comparison
dialog (ui/dialogs/compare_dialog.py) with its diff map on the canvas; opening another project
closes it (and removes its overlay)."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.


class CompareActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog = None
        self.act_compare = QAction("&Compare scenarios…", window)
        self.act_compare.setObjectName("actionCompareScenarios")
        self.act_compare.setStatusTip("Two scenarios side by side: changed units on the map, per-territory changes, "
                                      "disruption; export as CSV; promote to the live plan")
        self.act_compare.triggered.connect(lambda _checked=False: self.open_dialog())
        self.act_compare.setEnabled(False)
        window.add_menu_action("scenarios", self.act_compare)
        window.documentChanged.connect(self._on_document)

    def _on_document(self) -> None:
        self.close_dialog()
        self.act_compare.setEnabled(self.window.model is not None)

    def close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def open_dialog(self, a: str | None = None, b: str | None = None):
        from territory_desk.ui.dialogs.compare_dialog import CompareDialog

        if self.window.model is None:
            return None
        self.close_dialog()
        self.dialog = CompareDialog(self.window, a, b)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


def install(window) -> CompareActions:
    """Called by MainWindow once its menus exist."""
    return CompareActions(window)
