"""The territory map canvas: MapCanvas (map_canvas.py, the widget) with its mouse tools (tools.py) and
navigation, LayerRenderer (drawing onto any paint device, reused by exports), GeometryCache
(simplified geometry and picking), ViewTransform; overlays/ (thematic map, heat map, pins, scenario
differences) and freeform/ (drawn territories: overlay, drawing and edit tools)."""
