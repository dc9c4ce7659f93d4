"""The export formats, the file extensions they are written to, and the name of an export's file.

Kept apart from exports.py (which loads the exporters' libraries) so that the command line builds
its ``--format`` choices without loading them.
"""
from __future__ import annotations

import os

from territory_desk.domain.model.errors import InputError

MAP_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("csv", "xlsx")
LAYER_FORMATS = ("gpkg", "geojson", "shp", "kml")
FORMATS = MAP_FORMATS + ("pptx", "html") + TABLE_FORMATS + LAYER_FORMATS
EXTENSIONS = {"png": (".png",), "svg": (".svg",), "pdf": (".pdf",), "pptx": (".pptx",), "html": (".html", ".htm"),
              "csv": (".csv",), "xlsx": (".xlsx",), "gpkg": (".gpkg",), "geojson": (".geojson", ".json"),
              "shp": (".shp",), "kml": (".kml",)}
NEEDS_RENDERER = MAP_FORMATS + ("pptx",)


def format_for_path(path: str) -> str | None:
    ext = os.path.splitext(path)[1].lower()
    return next((f for f, exts in EXTENSIONS.items() if ext in exts), None)


def output_path(fmt: str, out: str) -> str:
    """``out`` with the format's extension (added when missing; a different one is an error)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    ext = os.path.splitext(out)[1].lower()
    if not ext:
        return out + EXTENSIONS[fmt][0]
    if ext not in EXTENSIONS[fmt]:
        raise InputError(f"{out}: a {fmt} export is written to a {EXTENSIONS[fmt][0]} file")
    return out
