"""The project file: one self-contained GeoPackage (.gpkg) per project, readable by GDAL and QGIS."""
from territory_desk.persistence.reader import is_project_file, load_project
from territory_desk.persistence.store import save_project

__all__ = ["is_project_file", "load_project", "save_project"]
