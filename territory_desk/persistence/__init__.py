"""The project file: one self-contained GeoPackage (.gpkg) per project, readable by GDAL and QGIS."""
from .reader import is_project_file, load_project
from .store import save_project

__all__ = ["is_project_file", "load_project", "save_project"]
