"""The territory map canvas: MapCanvas (the widget), LayerRenderer (drawing onto any paint
device, reused by exports), GeometryCache (simplified geometry and picking), ViewTransform."""
from territory_desk.ui.canvas.geometry_cache import GeometryCache
from territory_desk.ui.canvas.layer_renderer import LAYERS, LayerRenderer, LayerStyle
from territory_desk.ui.canvas.map_canvas import UNITS_MIME, MapCanvas
from territory_desk.ui.canvas.view_transform import ViewTransform

__all__ = ["GeometryCache", "LAYERS", "LayerRenderer", "LayerStyle", "MapCanvas", "UNITS_MIME", "ViewTransform"]
