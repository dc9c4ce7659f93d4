"""Main-window actions for export: menus and dialogs. Installed by MainWindow."""
from __future__ import annotations


def install(window) -> None:
    """Add this area's actions to the window's menus (window.menus[name] is a QMenu)."""
