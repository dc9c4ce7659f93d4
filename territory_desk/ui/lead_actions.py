"""GUI actions of this area (placeholder; filled in by the area)."""
from __future__ import annotations


def install(window) -> None:
    """Add this area's actions to the window's menus (window.add_menu_action(menu, action));
    panels and overlays attach to each new document on window.documentChanged."""
