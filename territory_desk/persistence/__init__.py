"""The project file: one self-contained GeoPackage (.gpkg) per project, readable by GDAL and QGIS.

Reading is ``persistence.reader`` (``load_project``, ``is_project_file``), saving is
``persistence.store`` (``save_project``); this package re-exports nothing.
"""
