"""Exporters without Qt: tables (CSV/XLSX), territory layers (GeoPackage, GeoJSON, Shapefile, KML),
the offline interactive HTML map and the PowerPoint deck assembly (map images come in as PNG bytes).

They format data they are given (the project, a scenario and ``services.reports.stats_dict``);
choosing what to export and where is ``services.exports``.
"""
