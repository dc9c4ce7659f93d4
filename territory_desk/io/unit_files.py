"""Read base-unit polygons from GIS files with pyogrio/GDAL: shapefiles (the .shp, a folder of them
or a .zip), GeoJSON, GeoPackage (choose the layer), KML and KMZ.

Any CRS is accepted; a file without CRS whose coordinates look like longitude/latitude is taken as
EPSG:4326 and the report says so. A shapefile without a .cpg is read as UTF-8 when its text is valid
UTF-8, else as Windows-1252 or Latin-1 (shapefile_encoding.py); the report says which, and an
``encoding`` overrides it. Invalid geometries are repaired with make_valid and reported;
features without an area are skipped and reported; missing or repeated ids are made unique and
reported (a field with many repeats is refused: it is no id field).

XML layers (KML, the KML inside a KMZ, GML, GPX, also inside a .zip or a folder) are checked before
GDAL opens them: one that declares a DTD is refused with one line (xml_guard.py), so no entity is
expanded and no external entity can pull a local file or a URL into a unit's name, whatever the
GDAL build does with DTDs. GDAL virtual layers (VRT) are refused: they can point at any file.
"""
from __future__ import annotations

import collections
import os
import warnings
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from territory_desk.domain.model.errors import InputError, first_line
from territory_desk.domain.model.units import UnitLayer
from territory_desk.io.shapefile_encoding import TextEncoding, choose_encoding
from territory_desk.io.tables.xml_guard import check_xml_file, check_zip_members
from territory_desk.persistence.dissolve import polygonal_part

ID_CANDIDATES = ("unit_id", "id", "geoid", "geoid20", "geoid10", "zcta5ce20", "zcta5ce10", "zip", "zipcode",
                 "postcode", "plz", "fips", "code", "objectid")
NAME_CANDIDATES = ("name", "namelsad", "name20", "name10", "label", "title")
# XML that GDAL reads as layers (metadata beside a shapefile, such as .shp.xml, is never parsed by it)
LAYER_XML = (".kml", ".gml", ".gpx", ".vrt")
_VIRTUAL = ("it is a GDAL virtual layer, which can read any file on this computer: import the layer's own file instead")
REFUSED_ROOTS = {"OGRVRTDataSource": _VIRTUAL, "VRTDataset": _VIRTUAL}


@dataclass
class UnitImportReport:
    path: str
    features: int = 0
    crs_note: str = ""
    repaired: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    layer: str = ""
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (feature number, reason): not imported
    renamed: list[tuple[int, str]] = field(default_factory=list)  # (feature number, what happened to its id)
    encoding: str = ""  # the text encoding the attributes were decoded with ("": the format's own, UTF-8)

    def text(self) -> str:
        out = [f"{self.path}: {self.features} polygon feature(s)" + (f" from layer {self.layer!r}" if self.layer
                                                                       else "")]
        if self.crs_note:
            out.append(self.crs_note)
        if self.repaired:
            out.append(f"repaired {len(self.repaired)} invalid geometr{'y' if len(self.repaired) == 1 else 'ies'} "
                       "(make_valid): " + ", ".join(self.repaired[:10]) + (" ..." if len(self.repaired) > 10 else ""))
        if self.renamed:
            out.append(f"{len(self.renamed)} id(s) were missing or duplicated and were made unique: "
                       + "; ".join(f"feature {k}: {w}" for k, w in self.renamed[:5])
                       + (" ..." if len(self.renamed) > 5 else ""))
        if self.skipped:
            out.append(f"skipped {len(self.skipped)} feature(s): "
                       + "; ".join(f"feature {k}: {w}" for k, w in self.skipped[:5])
                       + (" ..." if len(self.skipped) > 5 else ""))
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


def list_unit_layers(path: str) -> list[tuple[str, str]]:
    """[(layer name, geometry type)] of a GIS file, folder of shapefiles or .zip."""
    import pyogrio  # GDAL: loaded when a GIS file is read, not with the command line

    if not os.path.exists(path):
        raise InputError(f"{path} does not exist")
    check_xml_layers(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [(str(n), str(g or "")) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(f"{path}: cannot read as a GIS layer ({first_line(exc)})") from None


def list_unit_fields(path: str, layer: str | None = None, encoding: str | None = None) -> list[str]:
    """Attribute field names of a layer (for choosing the id field)."""
    import pyogrio  # GDAL: loaded when a GIS file is read, not with the command line

    check_xml_layers(path)
    enc = choose_encoding(path, layer, encoding).encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(f) for f in pyogrio.read_info(path, layer=layer, encoding=enc)["fields"]]
    except Exception as exc:
        raise InputError(f"{path}: cannot read the fields ({first_line(exc)})") from None


def check_xml_layers(path: str) -> None:
    """Refuse XML layers (a file, the members of a ZIP/KMZ, the layers of a folder) that declare a
    DTD, and GDAL virtual layers (VRT), which point at other files."""
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if name.lower().endswith(LAYER_XML) and os.path.isfile(os.path.join(path, name)):
                check_xml_file(os.path.join(path, name), roots=REFUSED_ROOTS)
        return
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                check_zip_members(zf, path, LAYER_XML, REFUSED_ROOTS)
        except zipfile.BadZipFile:
            return  # not a ZIP after all: GDAL says what it is
    elif path.lower().endswith(LAYER_XML) or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or \
            head.startswith((b"\xff\xfe", b"\xfe\xff")):
        check_xml_file(path, roots=REFUSED_ROOTS)


def _candidate_layers(path: str, layers: list[tuple[str, str]], layer: str | None) -> list[str]:
    names = [n for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(names)})")
        return [layer]
    if len(layers) <= 1:
        return names[:1] or [None]  # type: ignore[list-item]
    polys = [n for n, g in layers if "polygon" in g.lower()]
    unknown = [n for n, g in layers if not g or g.lower() in ("unknown", "geometrycollection", "geometry")]
    if not polys and not unknown:
        raise InputError(f"{path}: no polygon layer (layers: {', '.join(names)})")
    return polys + unknown


def read_unit_layer(
    path: str, id_field: str | None = None, name_field: str | None = None, layer: str | None = None,
    encoding: str | None = None,
) -> tuple[UnitLayer, UnitImportReport]:
    """Read a polygon layer (shapefile, folder of shapefiles, .zip, GeoJSON, GeoPackage, KML/KMZ) as a
    UnitLayer; ``encoding`` overrides the text encoding chosen for a shapefile. Raises InputError with
    one clear line when it cannot."""
    path = os.fspath(path)
    layers = list_unit_layers(path)
    candidates = _candidate_layers(path, layers, layer)
    df, chosen, text = _read_first_polygon_layer(path, candidates, encoding)
    report = UnitImportReport(path, layer=chosen if len(layers) > 1 else "", encoding=text.encoding or "")
    if text.note:
        report.lines.append(text.note)
    others = [n for n in candidates if n != chosen]
    if layer is None and len(layers) > 1 and others:
        report.lines.append(f"used layer {chosen!r}; other layers: {', '.join(others)} (choose with --layer)")
    if path.lower().endswith(".shp") and not any(os.path.exists(os.path.splitext(path)[0] + e)
                                                 for e in (".dbf", ".DBF")):
        report.lines.append("the shapefile has no .dbf file: it has no attributes")
    if df is None or df.geometry is None or len(df) == 0:
        raise InputError(f"{path}: the layer has no features")
    df, geoms, features, repaired = _polygons(path, df, report)
    columns = [c for c in df.columns if c != "geometry"]
    idc = _pick(columns, id_field, ID_CANDIDATES, "id")
    namec = _pick(columns, name_field, NAME_CANDIDATES, "name")
    if idc:
        ids = _unique_ids(path, _texts(df[idc]), features, idc, report)
    else:
        ids = [str(i + 1) for i in range(len(df))]
        report.lines.append("no id field found: units are numbered 1..n (choose one with --id-field)")
    names = _texts(df[namec]) if namec else list(ids)
    report.repaired = [ids[i] for i in np.flatnonzero(repaired)]
    crs_text = _crs_text(path, df.crs, geoms, report)
    numeric, text = _attributes(df, [c for c in columns if c not in (idc, namec)])
    report.features = len(ids)
    return UnitLayer(ids, names, geoms, crs_text, numeric=numeric, text=text), report


def _read_first_polygon_layer(path: str, candidates: list[str], encoding: str | None = None):
    """(frame, layer name, its TextEncoding) of the first candidate layer holding a polygon (else the
    last one read)."""
    import pyogrio  # GDAL: loaded when a GIS file is read, not with the command line

    df, chosen, text = None, None, TextEncoding(None, "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in candidates:
                text = choose_encoding(path, name, encoding)
                df = pyogrio.read_dataframe(path, layer=name, encoding=text.encoding)
                chosen = name
                if df.geometry is not None and len(df) and np.isin(
                        shapely.get_type_id(np.asarray(df.geometry.values, dtype=object)), (3, 6)).any():
                    break
    except InputError:
        raise
    except UnicodeDecodeError as exc:  # an encoding chosen by the user that the text is not in
        raise InputError(f"{path}: the text is not {text.encoding} (byte 0x{exc.object[exc.start]:02x} cannot be "
                         "decoded): choose another encoding, e.g. cp1252 or latin-1") from None
    except Exception as exc:  # GDAL's messages are the clearest we have
        raise InputError(f"{path}: cannot read as a GIS layer ({first_line(exc)})") from None
    return df, chosen, text


def _polygons(path: str, df, report: UnitImportReport):
    """The features that are areas, invalid ones repaired: (frame, geometries, feature numbers, which
    were repaired). The others are reported as skipped."""
    geoms = np.asarray(df.geometry.values, dtype=object)
    keep = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)  # Polygon, MultiPolygon
    if not keep.any():
        raise InputError(f"{path}: the layer has no polygons (units must be areas)")
    for i in np.flatnonzero(~keep):
        what = "no geometry" if geoms[i] is None or shapely.is_empty(geoms[i]) else \
            f"a {geoms[i].geom_type} is not an area"
        report.skipped.append((int(i) + 1, what))
    features = np.flatnonzero(keep) + 1
    df = df[keep].reset_index(drop=True)
    geoms = geoms[keep]
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = np.array([_area_of(g) for g in shapely.make_valid(geoms[bad])], dtype=object)
        lost = bad & shapely.is_empty(geoms)
        for i in np.flatnonzero(lost):
            report.skipped.append((int(features[i]), "an invalid geometry with no area left after repair"))
        if lost.all():
            raise InputError(f"{path}: every polygon is invalid and has no area left after repair")
        df, geoms, features, bad = df[~lost].reset_index(drop=True), geoms[~lost], features[~lost], bad[~lost]
    report.skipped.sort()
    return df, geoms, features, bad


def _crs_text(path: str, crs, geoms: np.ndarray, report: UnitImportReport) -> str:
    """The layer's CRS as WKT; without one, EPSG:4326 when the coordinates look like lon/lat (reported)."""
    if crs is not None:
        return crs.to_wkt()
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if not (-180.5 <= xmin and xmax <= 180.5 and -90.5 <= ymin and ymax <= 90.5):
        raise InputError(f"{path}: the file has no CRS (.prj) and its coordinates are not longitude/latitude")
    report.crs_note = "the file has no CRS (.prj): coordinates look like longitude/latitude, assumed EPSG:4326"
    return "EPSG:4326"


def _attributes(df, columns: list[str]) -> tuple[dict, dict]:
    """The numeric and the text columns among ``columns`` (other kinds, such as dates, are left out)."""
    numeric, text = {}, {}
    for c in columns:
        col = df[c]
        if col.dtype.kind in "iuf" and col.dtype.kind != "b":
            numeric[_clean(c)] = col.to_numpy(dtype=float, na_value=np.nan)
        elif col.dtype.kind in "OUSb" or str(col.dtype) in ("string", "str"):
            text[_clean(c)] = _texts(col)
    return numeric, text


def _unique_ids(path: str, ids: list[str], features: np.ndarray, field_name: str,
               report: UnitImportReport) -> list[str]:
    """Ids made unique: an empty id becomes "feature-N", a repeated one "ID-2"; both reported. More
    than 5 % repeated means the field is no id field at all: one clear error."""
    counts = collections.Counter(i for i in ids if i.strip())
    dupes = sum(c - 1 for c in counts.values() if c > 1)
    if dupes and dupes > max(1, len(ids) // 20):
        raise InputError(f"{path}: field {field_name!r} has {dupes} duplicate id(s); choose a unique field "
                         "with --id-field")
    used = set(counts)
    seen: set[str] = set()
    out: list[str] = []
    for i, feature in zip(ids, features.tolist()):
        key = i.strip()
        if not key:
            new = f"feature-{feature}"
            while new in used:
                new += "_"
            report.renamed.append((feature, f"empty id, now {new!r}"))
        elif key in seen:
            k = 2
            while f"{key}-{k}" in used:
                k += 1
            new = f"{key}-{k}"
            report.renamed.append((feature, f"repeated id {key!r}, now {new!r}"))
        else:
            new = key
        seen.add(key)
        used.add(new)
        out.append(new)
    return out


def _texts(col) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in col]


def _area_of(g):
    """Only the polygon parts of a repaired geometry (an empty polygon when it has none)."""
    area = polygonal_part(g)
    return shapely.Polygon() if area is None else area


def _clean(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower()).strip("_") or "field"
