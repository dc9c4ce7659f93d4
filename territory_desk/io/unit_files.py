"""Read base-unit polygons from GIS files (shapefile, GeoJSON, GeoPackage, KML) with pyogrio/GDAL.

Any CRS is accepted; a file without CRS whose coordinates look like longitude/latitude is taken as
EPSG:4326 and the report says so. Invalid geometries are repaired with make_valid and reported.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import shapely

from ..domain.errors import InputError
from ..domain.units import UnitLayer

ID_CANDIDATES = ("unit_id", "id", "geoid", "geoid20", "geoid10", "zcta5ce20", "zcta5ce10", "zip", "zipcode",
                 "postcode", "plz", "fips", "code", "objectid")
NAME_CANDIDATES = ("name", "namelsad", "name20", "name10", "label", "title")


@dataclass
class UnitImportReport:
    path: str
    features: int = 0
    crs_note: str = ""
    repaired: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = [f"{self.path}: {self.features} polygon feature(s)"]
        if self.crs_note:
            out.append(self.crs_note)
        if self.repaired:
            out.append(f"repaired {len(self.repaired)} invalid geometr{'y' if len(self.repaired) == 1 else 'ies'}: "
                       + ", ".join(self.repaired[:10]) + (" ..." if len(self.repaired) > 10 else ""))
        out.extend(self.lines)
        return "\n".join(out)


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str | None:
    if wanted:
        for c in columns:
            if c == wanted or c.casefold() == wanted.casefold():
                return c
        raise InputError(f"no {what} field {wanted!r}; fields are: {', '.join(columns) or '(none)'}")
    low = {c.casefold(): c for c in columns}
    return next((low[c] for c in candidates if c in low), None)


def read_unit_layer(
    path: str, id_field: str | None = None, name_field: str | None = None, layer: str | None = None
) -> tuple[UnitLayer, UnitImportReport]:
    """Read a polygon layer as a UnitLayer. Raises InputError with one clear line when it cannot."""
    import pyogrio

    if not os.path.exists(path):
        raise InputError(f"{path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = pyogrio.list_layers(path)
            if layer is not None and layer not in [str(n) for n, _ in layers]:
                raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(str(n) for n, _ in layers)})")
            if layer is None and len(layers) > 1:
                polys = [str(n) for n, g in layers if g and "polygon" in str(g).lower()]
                if not polys:
                    raise InputError(f"{path}: no polygon layer (layers: {', '.join(str(n) for n, _ in layers)})")
                layer = polys[0]
            df = pyogrio.read_dataframe(path, layer=layer)
    except InputError:
        raise
    except Exception as exc:  # GDAL's messages are the clearest we have
        raise InputError(f"{path}: cannot read as a GIS layer ({str(exc).splitlines()[0]})") from None
    report = UnitImportReport(path)
    if df.geometry is None or len(df) == 0:
        raise InputError(f"{path}: the layer has no features")
    geoms = np.asarray(df.geometry.values, dtype=object)
    types = shapely.get_type_id(geoms)
    keep = np.isin(types, (3, 6))  # Polygon, MultiPolygon
    if not keep.any():
        raise InputError(f"{path}: the layer has no polygons (units must be areas)")
    if not keep.all():
        report.lines.append(f"skipped {int((~keep).sum())} non-polygon feature(s) (rows "
                            + ", ".join(str(i + 1) for i in np.flatnonzero(~keep)[:10]) + ")")
    df = df[keep].reset_index(drop=True)
    geoms = geoms[keep]
    columns = [c for c in df.columns if c != "geometry"]
    idc = _pick(columns, id_field, ID_CANDIDATES, "id")
    namec = _pick(columns, name_field, NAME_CANDIDATES, "name")
    ids = [str(v) for v in df[idc]] if idc else [str(i + 1) for i in range(len(df))]
    if idc is None:
        report.lines.append("no id field found: units are numbered 1..n (choose one with --id-field)")
    dupes = len(ids) - len(set(ids))
    if dupes:
        raise InputError(f"{path}: field {idc!r} has {dupes} duplicate id(s); choose a unique field with --id-field")
    names = _texts(df[namec]) if namec else list(ids)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad])
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        geoms[bad] = fixed
        report.repaired = [ids[i] for i in np.flatnonzero(bad)]
    crs = df.crs
    if crs is None:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if -180.5 <= xmin and xmax <= 180.5 and -90.5 <= ymin and ymax <= 90.5:
            crs_text = "EPSG:4326"
            report.crs_note = "the file has no CRS (.prj): coordinates look like longitude/latitude, assumed EPSG:4326"
        else:
            raise InputError(f"{path}: the file has no CRS (.prj) and its coordinates are not longitude/latitude")
    else:
        crs_text = crs.to_wkt()
    numeric, text = {}, {}
    for c in columns:
        if c in (idc, namec):
            continue
        col = df[c]
        if col.dtype.kind in "iuf" and col.dtype.kind != "b":
            numeric[_clean(c)] = col.to_numpy(dtype=float, na_value=np.nan)
        elif col.dtype.kind in "OUSb" or str(col.dtype) in ("string", "str"):
            text[_clean(c)] = _texts(col)
    report.features = len(ids)
    units = UnitLayer(ids, names, geoms, crs_text, numeric=numeric, text=text)
    return units, report


def _texts(col) -> list[str]:
    import pandas as pd

    return ["" if pd.isna(v) else str(v) for v in col]


def _polygonal(g):
    """Keep only the polygon parts of a repaired geometry."""
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _clean(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower()).strip("_") or "field"
