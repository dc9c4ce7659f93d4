"""Territory (and account) layers as GIS files: GeoPackage, GeoJSON, Shapefile and KML (pyogrio/GDAL).

What a GIS user gets, as QGIS 3.22 and GDAL 3.6 (Debian 12) and later open it:

* **GeoPackage 1.3** (GDAL's ``VERSION=1.3``: the version GDAL 3.6's ``validate_gpkg.py`` checks and
  QGIS 3.22 reads without a "partially supported" warning) in the units' CRS, with each layer's
  default style (QML and SLD) in ``layer_styles``.
* **GeoJSON** (RFC 7946: longitude/latitude, 6 decimals ≈ 10 cm, bounding boxes) and **Shapefile**
  (the units' CRS, UTF-8 with a ``.cpg``) with ``NAME.qml`` (QGIS loads it by itself) and ``NAME.sld``
  beside; shapefiles also get ``NAME.fields.csv``, the map of full field names to their 10-character
  dBase names (layer_fields.py), and dBase fields of the right width and decimals (the .dbf is
  written with pyshp: GDAL gives every real 15 decimals).
* **KML** with each territory's colour as its style and an HTML-escaped description (Google Earth
  renders it as HTML; ``$[`` is escaped too, so a name cannot call up Google Earth's balloon
  entities). GDAL writes every text as XML text or CDATA, so names stay the text they are, with one
  exception we work around: libkml puts a text holding ``]]>`` into one CDATA section unsplit,
  which breaks the file, so KML text is written as placeholders then replaced by the XML-escaped text.

GeoPackage and Shapefile hold the units' own vertices, exactly as their source gave them (the
dissolve adds none). GeoJSON and KML coordinates are reprojected, then rounded to 6 decimals; a
polygon that reprojection or rounding made invalid (which libkml refuses to write) is snapped to
the same grid by GEOS, which keeps it valid. Everything is written into a temporary folder beside the target and
moved into place when complete, so a failed export leaves no half-written files.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import sqlite3
import tempfile
import warnings
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_text

import geopandas as gpd
import numpy as np
import pyogrio

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import LONLAT
from territory_desk.io.exporters import layer_styles
from territory_desk.io.exporters.dbf_table import write_dbf
from territory_desk.io.exporters.figures import compact, signed_pct
from territory_desk.io.exporters.layer_fields import field_map_rows, short_names
from territory_desk.io.exporters.layer_frames import ExportLayer, rounded_geometries
from territory_desk.io.tables.safe_csv import write_csv_file
from territory_desk.persistence import gpkg

LAYER_FORMATS = {  # format -> (GDAL driver, file extension)
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
    "kml": ("LIBKML", ".kml"),
}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
LONLAT_DECIMALS = 6  # GeoJSON and KML (RFC 7946 §11.2: 6 decimals ≈ 10 cm)
GPKG_VERSION = "1.3"
GEOJSON_OPTIONS = {"RFC7946": "YES", "WRITE_NAME": "NO", "WRITE_BBOX": "YES",
                   "COORDINATE_PRECISION": str(LONLAT_DECIMALS), "SIGNIFICANT_FIGURES": "15"}
STYLE_NAME = "territory_desk"


@dataclass
class WrittenLayers:
    files: list[str]  # every file written, the main one first
    notes: list[str] = field(default_factory=list)


def write_layers(path: str, fmt: str, layers: list[ExportLayer], metric: str = "", raw_csv: bool = False) -> WrittenLayers:
    """Write ``layers`` (territories first, optionally accounts) to ``path`` in ``fmt`` (a key of
    LAYER_FORMATS). A GeoPackage holds every layer; GeoJSON and Shapefile write a second layer as
    ``NAME_accounts.*`` beside; KML holds the territories."""
    if fmt not in LAYER_FORMATS:
        raise InputError(f"unknown layer format {fmt!r}; formats: {', '.join(LAYER_FORMATS)}")
    if not layers or len(layers[0].frame) == 0:
        raise InputError("no territory has units: nothing to export")
    folder, name = os.path.split(os.path.abspath(path))
    stem = os.path.splitext(name)[0]
    notes = [n for layer in layers for n in layer.notes]
    tmp = tempfile.mkdtemp(prefix=".td-export-", dir=folder)
    try:
        if fmt == "gpkg":
            _write_gpkg(os.path.join(tmp, name), layers)
        elif fmt == "kml":
            _write_kml(kml_columns(layers[0], metric), os.path.join(tmp, name))
            if len(layers) > 1:
                notes.append("KML holds the territories only: export GeoPackage, GeoJSON or Shapefile for the accounts")
        else:
            for k, layer in enumerate(layers):
                base = os.path.join(tmp, stem if k == 0 else f"{stem}_{layer.name}")
                if fmt == "geojson":
                    _write_geojson(layer, base + ".geojson")
                else:
                    notes += _write_shapefile(layer, base, raw_csv)
        written = sorted(os.listdir(tmp), key=lambda f: (f != name, f))
        for f in written:
            os.replace(os.path.join(tmp, f), os.path.join(folder, f))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return WrittenLayers([os.path.join(folder, f) for f in written], notes)


def _rounded(frame: gpd.GeoDataFrame, decimals: int) -> gpd.GeoDataFrame:
    out = frame.copy()
    out[out.geometry.name] = rounded_geometries(np.asarray(frame.geometry.values, dtype=object), decimals)
    return out


def _write(frame: gpd.GeoDataFrame, path: str, driver: str, **options) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on geometry it writes as it is
        pyogrio.write_dataframe(frame, path, driver=driver, promote_to_multi=True, **options)


def _styles(layer: ExportLayer) -> tuple[str, str]:
    """(QML, SLD) of a layer, keyed on its field names."""
    if layer.kind == "territories":
        return (layer_styles.territory_qml(layer.categories, layer.style_field, layer.label),
                layer_styles.territory_sld(layer.name, layer.categories, layer.style_field, layer.label))
    return (layer_styles.account_qml(layer.categories, layer.style_field),
            layer_styles.account_sld(layer.name, layer.categories, layer.style_field))


def _write_styles(layer: ExportLayer, base: str) -> None:
    qml, sld = _styles(layer)
    for ext, text in ((".qml", qml), (".sld", sld)):
        with open(base + ext, "w", encoding="utf-8") as fh:
            fh.write(text)


# ---- GeoPackage -------------------------------------------------------------------------------------
def _write_gpkg(path: str, layers: list[ExportLayer]) -> None:
    for k, layer in enumerate(layers):
        frame = layer.frame
        options: dict = {"layer": layer.name, "layer_options": {
            "IDENTIFIER": layer.name.capitalize(), "DESCRIPTION": _DESCRIPTIONS[layer.kind]}}
        if k == 0:
            options["dataset_options"] = {"VERSION": GPKG_VERSION}
        _write(frame, path, "GPKG", **options)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a file in the export's temporary folder, as GDAL writes it
        with conn:
            gpkg.create_layer_styles(conn)
            for layer in layers:
                qml, sld = _styles(layer)
                gpkg.add_default_style(conn, layer.name, f"{layer.name} ({STYLE_NAME})", qml,
                                       _DESCRIPTIONS[layer.kind], sld=sld)
    finally:
        conn.close()


_DESCRIPTIONS = {"territories": "Dissolved territories with their balance figures",
                 "accounts": "Accounts with the territory they are counted in"}


# ---- GeoJSON and Shapefile --------------------------------------------------------------------------
def _write_geojson(layer: ExportLayer, path: str) -> None:
    frame = _rounded(layer.frame.to_crs(LONLAT), LONLAT_DECIMALS)
    _write(frame, path, "GeoJSON", layer=layer.name, layer_options=GEOJSON_OPTIONS)
    _write_styles(layer, os.path.splitext(path)[0])


def _write_shapefile(layer: ExportLayer, base: str, raw_csv: bool) -> list[str]:
    """.shp/.shx/.prj from GDAL, the .dbf from pyshp (field widths and decimals), .cpg, styles keyed on
    the short names and the field map. Returns notes on text that did not fit the dBase limits."""
    short = short_names([f.name for f in layer.fields])
    layer = layer.renamed(short)
    _write(gpd.GeoDataFrame(geometry=layer.frame.geometry.values, crs=layer.frame.crs), base + ".shp",
           "ESRI Shapefile", encoding="UTF-8")
    notes = write_dbf(base + ".dbf", layer.frame, layer.fields)
    with open(base + ".cpg", "w", encoding="ascii") as fh:
        fh.write("UTF-8")
    _write_styles(layer, base)
    original = {v: k for k, v in short.items()}
    full = [f.__class__(original[f.name], f.kind, f.description, f.decimals) for f in layer.fields]
    write_csv_file(base + ".fields.csv", field_map_rows(full, short), raw_csv)
    return [f"{os.path.basename(base)}.shp: {n}" for n in notes]


# ---- KML --------------------------------------------------------------------------------------------
def kml_columns(layer: ExportLayer, metric: str = "") -> gpd.GeoDataFrame:
    """Placemark name, an escaped HTML description and the territory colour as OGR style, in
    longitude/latitude."""
    df = layer.frame
    out = _rounded(df.to_crs(LONLAT), LONLAT_DECIMALS)
    desc = []
    for _, r in df.iterrows():
        lines = [f"Region: {r['region']}" if r["region"] else "", f"Rep: {r['rep'] or 'vacant'}",
                 f"Units: {int(r['units']):,}", f"Accounts: {int(r['accounts']):,}"]
        dev = f"{metric}_dev_pct"
        if metric and metric in df.columns and dev in df.columns:
            lines.append(f"{metric}: {compact(_number(r[metric]))} ({signed_pct(_number(r[dev]))})")
        desc.append("<br/>".join(html.escape(x).replace("$[", "&#36;[") for x in lines if x))
    out["description"] = desc
    out["OGR_STYLE"] = [f"BRUSH(fc:{c}b3);PEN(c:#262626,w:2px)" for c in df["color"]]
    return out


def _number(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


_KML_TOKEN = re.compile(r"tdkmltext[0-9]{8}")


def _write_kml(df: gpd.GeoDataFrame, path: str) -> None:
    """LIBKML with every text cell (but the OGR style) as a placeholder, then the placeholders replaced
    by the XML-escaped text: well-formed whatever a name holds (libkml does not split ``]]>``)."""
    texts: dict[str, str] = {}

    def token(v):
        if not isinstance(v, str) or not v:
            return v
        key = f"tdkmltext{len(texts):08d}"
        texts[key] = v
        return key

    out = df.copy()
    for col in out.columns:
        if col not in (out.geometry.name, "OGR_STYLE") and out[col].dtype.kind == "O":  # object or str
            out[col] = [token(v) for v in out[col]]
    _write(out, path, "LIBKML", layer="territories")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_KML_TOKEN.sub(lambda m: xml_text(texts[m.group(0)]), text))
