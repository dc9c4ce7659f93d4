"""Map pictures for exports (PNG, SVG, PDF, deck pictures, clipboard), drawn with the map canvas
renderer: ``map_export.QtMapRenderer`` implements ``services.map_specs.MapRenderer``."""
