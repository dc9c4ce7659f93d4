"""Map pictures for exports (PNG, SVG, PDF, deck pictures, clipboard), drawn with the map canvas
renderer: ``QtMapRenderer`` implements ``services.map_specs.MapRenderer``."""
from territory_desk.ui.export.map_export import QtMapRenderer, ensure_gui_app

__all__ = ["QtMapRenderer", "ensure_gui_app"]
