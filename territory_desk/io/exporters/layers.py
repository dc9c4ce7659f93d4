"""Dissolved territory polygons as GIS layers: GeoPackage, GeoJSON, Shapefile and KML (pyogrio).

Polygons are the union of each territory's units (``persistence.dissolve.dissolve_territories``: the fast
coverage union, checked against the summed unit area, with a full overlay union as fallback).
GeoPackage and Shapefile keep the units' CRS; GeoJSON (RFC 7946) and KML are written in
longitude/latitude. Shapefile field names are cut to 10 characters without collisions; KML gets each
territory's colour as its style and an HTML-escaped description (Google Earth renders it as HTML;
``$[`` is escaped too, so a name cannot call up Google Earth's balloon entities). GDAL writes every
text as XML text or CDATA, so names stay the text they are in every format, with one exception we
work around: libkml puts a text holding ``]]>`` into one CDATA section unsplit, which breaks the
file, so KML text is written as placeholders that are then replaced by the XML-escaped text.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from xml.sax.saxutils import escape as xml_text

import geopandas as gpd
import numpy as np
import pyogrio

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import LONLAT, to_crs
from territory_desk.persistence.freeform_layer import territory_geometries
from territory_desk.io.exporters.figures import compact, signed_pct, territory_rows

LAYER_FORMATS = {  # format -> (GDAL driver, file extension)
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
    "kml": ("LIBKML", ".kml"),
}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
LAYER_NAME = "territories"


def dissolved_territories(project, scenario, territories=None) -> tuple[list[int], np.ndarray]:
    """(territory indices, their dissolved polygons in the units' CRS); territories without units
    are left out."""
    k = len(scenario.territories)
    polys = territory_geometries(project, scenario)  # drawn polygons of a freeform scenario
    keep = range(k) if territories is None else sorted(int(t) for t in territories)
    idx = [t for t in keep if polys[t] is not None]
    return idx, np.array([polys[t] for t in idx], dtype=object)


def territory_frame(project, scenario, d: dict, territories=None) -> gpd.GeoDataFrame:
    """One feature per territory with units: ids, names, colour, rep, counts, every metric."""
    idx, geoms = dissolved_territories(project, scenario, territories)
    rows = {r.index: r for r in territory_rows(project, scenario, d, idx)}
    fields = list(d["summary"]["max_abs_deviation_pct"])
    records = []
    for t in idx:
        r, s = rows[t], rows[t].stats
        rec = {"territory_id": r.id, "name": r.name, "region": r.region, "rep_id": r.rep_id or "", "rep": r.rep,
               "color": r.color, "units": s["units"], "accounts": s["accounts"], "pieces": s["pieces"],
               "area_km2": s["area_km2"], "polsby_popper": s["polsby_popper"]}
        for f in fields:
            rec[f] = s["metrics"][f]["value"]
            rec[f"{f}_dev_pct"] = s["metrics"][f]["deviation_pct"]
        records.append(rec)
    columns = list(records[0]) if records else ["territory_id", "name"]
    return gpd.GeoDataFrame(records, columns=columns, geometry=list(geoms), crs=to_crs(project.units.crs))


def write_territory_layer(frame: gpd.GeoDataFrame, path: str, fmt: str, metric: str = "") -> None:
    """Write ``frame`` (from ``territory_frame``) to ``path`` in ``fmt`` (a key of LAYER_FORMATS)."""
    if fmt not in LAYER_FORMATS:
        raise InputError(f"unknown layer format {fmt!r}; formats: {', '.join(LAYER_FORMATS)}")
    if len(frame) == 0:
        raise InputError("no territory has units: nothing to export")
    driver, _ = LAYER_FORMATS[fmt]
    df = frame
    if fmt in ("geojson", "kml"):
        df = df.to_crs(LONLAT)
    if fmt == "shp":
        df = shapefile_columns(df)
    if fmt == "kml":
        df = kml_columns(df, metric)
    if fmt == "shp":
        _write_shapefile(df, path, driver)
        return
    options: dict = {"layer": LAYER_NAME}
    if fmt == "gpkg":
        options["layer_options"] = {"IDENTIFIER": "Territories", "DESCRIPTION": "Dissolved territories"}
    elif fmt == "geojson":
        options["layer_options"] = {"RFC7946": "YES", "WRITE_NAME": "NO"}
    if fmt == "kml":
        _write_kml(df, path, driver, options)
        return
    pyogrio.write_dataframe(df, path, driver=driver, promote_to_multi=True, **options)


def shapefile_columns(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """dBase field names: at most 10 characters, unique."""
    names, taken = {}, set()
    for col in df.columns:
        if col == df.geometry.name:
            continue
        base = col.replace("_dev_pct", "_dev")[:10]
        name, n = base, 1
        while name.lower() in taken:
            suffix = str(n)
            name, n = base[: 10 - len(suffix)] + suffix, n + 1
        taken.add(name.lower())
        names[col] = name
    return df.rename(columns=names)


def kml_columns(df: gpd.GeoDataFrame, metric: str = "") -> gpd.GeoDataFrame:
    """Placemark name, an escaped HTML description and the territory colour as OGR style."""
    out = df.copy()
    desc = []
    for _, r in df.iterrows():
        lines = [f"Region: {r['region']}" if r["region"] else "", f"Rep: {r['rep'] or 'vacant'}",
                 f"Units: {int(r['units']):,}", f"Accounts: {int(r['accounts']):,}"]
        if metric and metric in df.columns:
            lines.append(f"{metric}: {compact(r[metric])} ({signed_pct(r[f'{metric}_dev_pct'])})")
        desc.append("<br/>".join(html.escape(x).replace("$[", "&#36;[") for x in lines if x))
    out["description"] = desc
    out["OGR_STYLE"] = [f"BRUSH(fc:{c}b3);PEN(c:#262626,w:2px)" for c in df["color"]]
    return out


_KML_TOKEN = re.compile(r"tdkmltext[0-9]{8}")


def _write_kml(df: gpd.GeoDataFrame, path: str, driver: str, options: dict) -> None:
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
    pyogrio.write_dataframe(out, path, driver=driver, promote_to_multi=True, **options)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_KML_TOKEN.sub(lambda m: xml_text(texts[m.group(0)]), text))


def _write_shapefile(df: gpd.GeoDataFrame, path: str, driver: str) -> None:
    """Write into a temporary folder, then move the .shp/.shx/.dbf/.prj/.cpg beside ``path``."""
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix=".td-export-", dir=folder)
    try:
        pyogrio.write_dataframe(df, os.path.join(tmp, stem + ".shp"), driver=driver, encoding="UTF-8",
                                promote_to_multi=True)
        for ext in SHAPEFILE_PARTS:
            part = os.path.join(tmp, stem + ext)
            if os.path.exists(part):
                os.replace(part, os.path.join(folder, stem + ext))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
