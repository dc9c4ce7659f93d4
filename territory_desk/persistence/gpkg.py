"""OGC GeoPackage plumbing, in one place: the standard gpkg_* tables, spatial reference systems,
geometry blobs (GeoPackageBinary header + ISO WKB, vectorised with shapely), feature and attribute
table registration, R-tree spatial indexes and the QGIS ``layer_styles`` table.

Nothing here knows about territories; store.py decides what goes into which table.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable, Sequence, cast

import numpy as np
import shapely
from pyproj import CRS
from pyproj.enums import WktVersion

from territory_desk.domain.model.errors import first_line

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database (a GeoPackage is one)
APPLICATION_ID = 0x47504B47  # 'GPKG'
USER_VERSION = 10300  # GeoPackage 1.3.0

_CORE_DDL = [
    """CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
    organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
    description TEXT)""",
    """CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
    identifier TEXT UNIQUE, description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
    definition TEXT NOT NULL, scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
]

_WGS84_WKT = CRS.from_epsg(4326).to_wkt(WktVersion.WKT1_GDAL)
_REQUIRED_SRS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT,
     "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
]
FIRST_CUSTOM_SRS_ID = 100000  # as GDAL does for CRSs without an authority code

# GeoPackageBinary header: magic 'GP', version 0, flags, srs_id, then an optional envelope.
_HEADER_XY = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"),
                       ("env", "<f8", (4,))])  # 40 bytes: envelope [minx, maxx, miny, maxy]
_HEADER_NONE = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4")])
_ENVELOPE_BYTES = np.array([0, 32, 48, 48, 64, 0, 0, 0], dtype=np.int64)  # by envelope indicator
_FLAG_LITTLE_ENDIAN = 0x01
_FLAG_ENVELOPE_XY = 0x02  # indicator 1 in bits 1-3
_FLAG_EMPTY = 0x10
_FLAG_EXTENDED = 0x20


class GeometryBlobError(ValueError):
    """A geometry blob that is not a standard GeoPackage geometry."""


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    if "\x00" in name:
        raise ValueError("identifier contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def init_geopackage(conn: sqlite3.Connection) -> None:
    """Make an empty database a GeoPackage: PRAGMAs, core tables, the required SRS rows."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    for ddl in _CORE_DDL:
        conn.execute(ddl)
    conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _REQUIRED_SRS)


def register_srs(conn: sqlite3.Connection, crs: CRS) -> int:
    """The srs_id for a CRS, adding a gpkg_spatial_ref_sys row when needed.

    CRSs identified with an EPSG code use it (what GDAL and QGIS recognise best); others get a
    custom id >= 100000 with their WKT1 definition ('undefined' if WKT1 cannot express them).
    """
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        row = conn.execute("SELECT srs_id FROM gpkg_spatial_ref_sys WHERE organization = 'EPSG' "
                           "AND organization_coordsys_id = ?", (code,)).fetchone()
        if row:
            return int(row[0])
        in_use = conn.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (code,)).fetchone()
        srs_id = _next_custom_id(conn) if in_use else code
        definition = CRS.from_epsg(code).to_wkt(WktVersion.WKT1_GDAL) or "undefined"
        conn.execute("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, 'EPSG', ?, ?, NULL)",
                     (crs.name or f"EPSG:{code}", srs_id, code, definition))
        return srs_id
    definition = crs.to_wkt(WktVersion.WKT1_GDAL) or "undefined"
    row = conn.execute("SELECT srs_id FROM gpkg_spatial_ref_sys WHERE organization = 'NONE' "
                       "AND definition = ? AND srs_id >= ?", (definition, FIRST_CUSTOM_SRS_ID)).fetchone()
    if row:
        return int(row[0])
    srs_id = _next_custom_id(conn)
    conn.execute("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
                 (crs.name or "custom", srs_id, "NONE", srs_id, definition, None))
    return srs_id


def _next_custom_id(conn: sqlite3.Connection) -> int:
    (top,) = conn.execute("SELECT max(srs_id) FROM gpkg_spatial_ref_sys").fetchone()
    return max(int(top or 0) + 1, FIRST_CUSTOM_SRS_ID)


def encode_geometries(geoms: np.ndarray, srs_id: int, envelope: bool = True) -> list[bytes | None]:
    """GeoPackage geometry blobs (None stays NULL). Z/M are dropped: our layers are 2D."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    wkb = shapely.to_wkb(geoms, output_dimension=2, byte_order=1, flavor="iso")
    empty = shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    flags = np.full(n, _FLAG_LITTLE_ENDIAN, dtype=np.uint8)
    flags[empty] |= _FLAG_EMPTY
    if envelope:
        header = np.zeros(n, dtype=_HEADER_XY)
        flags |= _FLAG_ENVELOPE_XY
        b = shapely.bounds(geoms)  # minx, miny, maxx, maxy (NaN for empty and missing)
        header["env"] = b[:, [0, 2, 1, 3]]
    else:
        header = np.zeros(n, dtype=_HEADER_NONE)
    header["magic"] = b"GP"
    header["flags"] = flags
    header["srs_id"] = srs_id
    raw = header.tobytes()
    size = header.dtype.itemsize
    return [None if w is None else raw[k * size:(k + 1) * size] + w for k, w in enumerate(wkb.tolist())]


def decode_geometries(blobs: Sequence[object]) -> np.ndarray:
    """Shapely geometries from GeoPackage blobs (NULL -> None), with one shapely.from_wkb call.

    Raises GeometryBlobError for anything that is not a standard GeoPackage geometry.
    """
    n = len(blobs)
    present = [b is not None for b in blobs]
    values = [b for b in blobs if b is not None]
    if not all(type(b) is bytes for b in values):
        raise GeometryBlobError("a geometry is not a binary value")
    body = cast(list[bytes], values)
    if any(len(b) < 8 for b in body):
        raise GeometryBlobError("a geometry blob is too short")
    out = np.full(n, None, dtype=object)
    if not body:
        return out
    head = np.frombuffer(b"".join(b[:4] for b in body), dtype=np.uint8).reshape(-1, 4)
    if not ((head[:, 0] == 0x47) & (head[:, 1] == 0x50)).all():
        raise GeometryBlobError("a geometry blob lacks the GeoPackage 'GP' magic")
    flags = head[:, 3]
    if (head[:, 2] != 0).any() or (flags & _FLAG_EXTENDED).any():
        raise GeometryBlobError("a geometry blob uses an unsupported GeoPackage version or extension")
    indicator = (flags >> 1) & 0x07
    if (indicator > 4).any():
        raise GeometryBlobError("a geometry blob has an invalid envelope indicator")
    skip = 8 + _ENVELOPE_BYTES[indicator]
    if (skip[0] == skip).all():
        s = int(skip[0])
        wkb = [b[s:] for b in body]
    else:
        wkb = [b[s:] for b, s in zip(body, skip.tolist())]
    try:
        geoms = shapely.from_wkb(wkb, on_invalid="raise")
    except shapely.errors.ShapelyError as exc:
        raise GeometryBlobError(f"invalid WKB geometry ({first_line(exc)})") from None
    if len(body) == n:
        return np.asarray(geoms, dtype=object)
    out[np.asarray(present, dtype=bool)] = geoms
    return out


def create_feature_table(conn: sqlite3.Connection, table: str, geometry_type: str, srs_id: int,
                         columns: Iterable[tuple[str, str]], description: str = "",
                         geometry_column: str = "geom") -> None:
    """A feature table with an integer primary key ``fid``, registered in gpkg_contents."""
    cols = "".join(f", {quote(name)} {sqltype}" for name, sqltype in columns)
    conn.execute(f"CREATE TABLE {quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                 f"{quote(geometry_column)} {geometry_type}{cols})")
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                 "VALUES (?, 'features', ?, ?, ?)", (table, table, description, srs_id))
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
                 (table, geometry_column, geometry_type, srs_id))


def set_extent(conn: sqlite3.Connection, table: str, geoms: np.ndarray) -> None:
    """Record the bounding box of a feature table in gpkg_contents (NULL when all are empty)."""
    geoms = np.asarray(geoms, dtype=object)
    box = [float(v) for v in shapely.total_bounds(geoms)] if len(geoms) else [np.nan] * 4
    values = [v if np.isfinite(v) else None for v in box]
    conn.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                 (*values, table))


def register_attributes(conn: sqlite3.Connection, table: str, description: str = "") -> None:
    """Register a non-spatial table so GDAL and QGIS list it (data_type 'attributes')."""
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                 "VALUES (?, 'attributes', ?, ?, 0)", (table, table, description))


def promote_to_multi(geoms: np.ndarray, only_if_mixed: bool = False) -> np.ndarray:
    """Polygons as one-part MultiPolygons (a GeoPackage layer has one geometry type).

    With ``only_if_mixed`` a layer of nothing but Polygons is left as it is.
    """
    geoms = np.asarray(geoms, dtype=object)
    kinds = shapely.get_type_id(geoms)
    single = np.flatnonzero(kinds == 3)
    if len(single) == 0 or (only_if_mixed and not (kinds == 6).any()):
        return geoms
    geoms = geoms.copy()
    geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(len(single)))
    return geoms


def geometry_type_name(geoms: np.ndarray) -> str:
    """'POLYGON' when every geometry is a Polygon, 'POINT' for points, else 'MULTIPOLYGON'."""
    ids = shapely.get_type_id(np.asarray(geoms, dtype=object))
    ids = ids[ids >= 0]
    if len(ids) and (ids == 3).all():
        return "POLYGON"
    if len(ids) and (ids == 0).all():
        return "POINT"
    return "MULTIPOLYGON"


def add_spatial_index(conn: sqlite3.Connection, table: str, geoms: np.ndarray,
                      geometry_column: str = "geom") -> None:
    """The GeoPackage 1.3 R-tree extension (as GDAL 3.6 writes it) for a table whose fid is index + 1.

    The triggers that keep the index in step call GDAL's ST_* SQL functions, so they are created
    after our own inserts; GDAL and QGIS run them when someone edits the layer.
    """
    t, c = table, geometry_column
    rt = f"rtree_{t}_{c}"
    conn.execute(f"CREATE VIRTUAL TABLE {quote(rt)} USING rtree(id, minx, maxx, miny, maxy)")
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    keep = np.flatnonzero(np.isfinite(b).all(axis=1))
    rows = zip((keep + 1).tolist(), b[keep, 0].tolist(), b[keep, 2].tolist(),
               b[keep, 1].tolist(), b[keep, 3].tolist())
    conn.executemany(f"INSERT INTO {quote(rt)} VALUES (?, ?, ?, ?, ?)", rows)
    qt, qc, qr = quote(t), quote(c), quote(rt)
    new_box = f'NEW.{qc}), ST_MaxX(NEW.{qc}), ST_MinY(NEW.{qc}), ST_MaxY(NEW.{qc})'
    ins = f"INSERT OR REPLACE INTO {qr} VALUES (NEW.fid, ST_MinX({new_box})"
    has_new = f"NEW.{qc} NOT NULL AND NOT ST_IsEmpty(NEW.{qc})"
    triggers = {
        "insert": f"AFTER INSERT ON {qt} WHEN ({has_new}) BEGIN {ins}; END",
        "update1": f"AFTER UPDATE OF {qc} ON {qt} WHEN OLD.fid = NEW.fid AND ({has_new}) BEGIN {ins}; END",
        "update2": f"AFTER UPDATE OF {qc} ON {qt} WHEN OLD.fid = NEW.fid AND "
                   f"(NEW.{qc} ISNULL OR ST_IsEmpty(NEW.{qc})) BEGIN DELETE FROM {qr} WHERE id = OLD.fid; END",
        "update3": f"AFTER UPDATE ON {qt} WHEN OLD.fid != NEW.fid AND ({has_new}) BEGIN "
                   f"DELETE FROM {qr} WHERE id = OLD.fid; {ins}; END",
        "update4": f"AFTER UPDATE ON {qt} WHEN OLD.fid != NEW.fid AND (NEW.{qc} ISNULL OR "
                   f"ST_IsEmpty(NEW.{qc})) BEGIN DELETE FROM {qr} WHERE id IN (OLD.fid, NEW.fid); END",
        "delete": f"AFTER DELETE ON {qt} WHEN OLD.{qc} NOT NULL BEGIN DELETE FROM {qr} WHERE id = OLD.fid; END",
    }
    for name, body in triggers.items():
        conn.execute(f"CREATE TRIGGER {quote(f'{rt}_{name}')} {body}")
    conn.execute("INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
                 "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (t, c))


def open_readonly(path: str) -> sqlite3.Connection:
    """A read-only connection that runs nothing from the file.

    ``mode=ro`` URI; no extension loading; ``trusted_schema=OFF`` so views and triggers of the file
    cannot call SQL functions; ``query_only``; and a cap on the size of any single value read.
    """
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        if hasattr(conn, "enable_load_extension"):
            conn.enable_load_extension(False)
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA cell_size_check = ON")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    except BaseException:
        conn.close()
        raise
    return conn


MAX_VALUE_BYTES = 256 * 1024 * 1024  # SQLite refuses to return any single value larger than this


# --- QGIS default styles -------------------------------------------------------------------------

def create_layer_styles(conn: sqlite3.Connection) -> None:
    """The ``layer_styles`` table QGIS reads a layer's default style from (registered as attributes)."""
    conn.execute(
        'CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, f_table_catalog TEXT(256), '
        'f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), "styleName" TEXT(30), '
        '"styleQML" TEXT, "styleSLD" TEXT, "useAsDefault" BOOLEAN, description TEXT, owner TEXT(30), '
        "ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
    register_attributes(conn, "layer_styles", "QGIS layer styles")


def add_default_style(conn: sqlite3.Connection, table: str, style_name: str, qml: str,
                      description: str = "", geometry_column: str = "geom", sld: str = "") -> None:
    conn.execute(
        'INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, '
        '"styleName", "styleQML", "styleSLD", "useAsDefault", description, owner, ui) '
        "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL)",
        (table, geometry_column, style_name, qml, sld, description))


def fill_style_qml(color_expression: str, outline_color: str, outline_width_mm: float,
                   opacity: float = 1.0) -> str:
    """A single-symbol polygon style whose fill colour is data-defined by a QGIS expression.

    Symbol-layer properties are written both as an ``Option`` map (QGIS >= 3.26) and as ``prop``
    elements (older QGIS, e.g. 3.22 on Debian), as QGIS itself did during the transition.
    """
    props = {"border_width_map_unit_scale": "3x:0,0,0,0,0,0", "color": "200,200,200,255",
             "joinstyle": "bevel", "offset": "0,0", "offset_map_unit_scale": "3x:0,0,0,0,0,0",
             "offset_unit": "MM", "outline_color": outline_color, "outline_style": "solid",
             "outline_width": f"{outline_width_mm:g}", "outline_width_unit": "MM", "style": "solid"}
    options = "".join(f'<Option name="{k}" type="QString" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    expr = _xml_attr(color_expression)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Symbology">\n'
        '  <renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">\n'
        "    <symbols>\n"
        f'      <symbol type="fill" name="0" alpha="{opacity:g}" clip_to_extent="1" force_rhr="0">\n'
        '        <layer class="SimpleFill" pass="0" locked="0" enabled="1">\n'
        f'          <Option type="Map">{options}</Option>\n'
        f"          {legacy}\n"
        "          <data_defined_properties>\n"
        '            <Option type="Map">\n'
        '              <Option name="name" type="QString" value=""/>\n'
        '              <Option name="properties" type="Map">\n'
        '                <Option name="fillColor" type="Map">\n'
        '                  <Option name="active" type="bool" value="true"/>\n'
        f'                  <Option name="expression" type="QString" value="{expr}"/>\n'
        '                  <Option name="type" type="int" value="3"/>\n'
        "                </Option>\n"
        "              </Option>\n"
        '              <Option name="type" type="QString" value="collection"/>\n'
        "            </Option>\n"
        "          </data_defined_properties>\n"
        "        </layer>\n"
        "      </symbol>\n"
        "    </symbols>\n"
        "    <rotation/>\n"
        "    <sizescale/>\n"
        "  </renderer-v2>\n"
        "</qgis>\n"
    )


def _xml_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;"))
