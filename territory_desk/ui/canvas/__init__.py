"""The territory map canvas: MapCanvas (the widget), LayerRenderer (drawing onto any paint
device, reused by exports), GeometryCache (simplified geometry and picking), ViewTransform."""
from .geometry_cache import GeometryCache
from .layer_renderer import LAYERS, LayerRenderer, LayerStyle
from .map_canvas import UNITS_MIME, MapCanvas
from .view_transform import ViewTransform

__all__ = ["GeometryCache", "LAYERS", "LayerRenderer", "LayerStyle", "MapCanvas", "UNITS_MIME", "ViewTransform"]
