"""Load a project, defensively: the file is opened read-only, nothing in it is executed (no views,
triggers or extensions; only SELECTs from known tables), every value is validated, SQLite's
integrity_check runs beside the load (integrity.py), and any problem becomes one ProjectFileError
line.

What the load refuses and what it repairs (only where the repair is exact; each repair is one line
in ``Project.repairs`` and is logged to the ``territory_desk.project_file`` logger):

- refused: files failing SQLite's integrity_check (quick_check plus the indexes); unit polygons that
  are missing, empty, or have a coordinate that is not finite or beyond ±1e15; accounts whose point
  has one NaN coordinate, an infinite one or one outside longitude ±180 / latitude ±90; numbers that
  are infinite or beyond ±1e15 (they would overflow sums; NULL is "missing" and stays NaN); negative
  unit measures; adjacency rows outside the units, self-loops, negative or missing lengths, or one
  pair twice with different values; td_* rows naming units, territories or scenarios that do not
  exist; a scenario whose alignment does not cover every unit exactly once.
- read as it is meant: an empty account point (GeoPackage writes "no location" as NaN coordinates)
  is an unlocated account, exactly as the NULL geometry our own writer stores for one.
- repaired: adjacency rows that repeat an earlier row exactly are dropped and reversed ones turned
  round (adjacency_table.py); empty drawn shapes of freeform territories are dropped (a territory
  without a shape, as the writer stores it).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import stat
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.errors import InputError, ProjectFileError, first_line
from territory_desk.domain.model.magnitudes import BOUND_TEXT, MAX_MAGNITUDE
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.units import UnitLayer
from territory_desk.persistence import freeform_layer, gpkg, schema
from territory_desk.persistence import territory_layer_tables as segment_tables
from territory_desk.persistence import activity_tables, adjacency_table
from territory_desk.persistence.dissolve import remember_saved_outlines
from territory_desk.persistence.integrity import IntegrityCheck, damaged_message
from territory_desk.persistence.values import Damaged, floats, json_value, rows, texts


NOTES_LOGGER = "territory_desk.project_file"  # repairs made on load, one WARNING record each
_log = logging.getLogger(NOTES_LOGGER)
_log.addHandler(logging.NullHandler())  # silent unless the application listens (the CLI prints them)


# --- load ----------------------------------------------------------------------------------------

def load_project(path: str | os.PathLike) -> Project:
    """Read a project file. Any problem with the file raises ProjectFileError with one clear line;
    what was repaired on the way is in ``project.repairs`` (and logged, "LABEL: repair")."""
    label = os.fspath(path)
    _check_file(label)
    try:
        conn = gpkg.open_readonly(label)
    except sqlite3.Error as exc:
        raise ProjectFileError(f"cannot open {label}: {first_line(exc)}") from None
    check = IntegrityCheck(label)
    try:
        project = _load(conn, label)
    except ProjectFileError:
        problem = check.problem()
        if problem is not None:  # the root cause, whatever the read stumbled on
            raise ProjectFileError(damaged_message(label, problem)) from None
        raise
    problem = check.problem()
    if problem is not None:
        raise ProjectFileError(damaged_message(label, problem))
    for note in project.repairs:
        _log.warning("%s: %s", label, note)
    return project


def _load(conn: sqlite3.Connection, label: str) -> Project:
    try:
        # every value is validated explicitly, so no numpy warnings; the rows read form no cycles
        with np.errstate(all="ignore"), activity_tables.gc_paused():
            return _read_project(conn, label)
    except ProjectFileError:
        raise
    except sqlite3.DatabaseError as exc:
        msg = first_line(exc)
        if "not a database" in msg:
            raise ProjectFileError(f"{label} is not a SQLite/GeoPackage file") from None
        raise ProjectFileError(f"{label} is damaged: {msg}") from None
    except (Damaged, InputError, CRSError, gpkg.GeometryBlobError, ValueError, TypeError, KeyError,
            IndexError, OverflowError, RecursionError, UnicodeError, MemoryError) as exc:
        raise ProjectFileError(f"{label} is damaged: {first_line(exc)}") from None
    finally:
        conn.close()


def _check_file(label: str) -> None:
    """Clear messages for the common non-project cases, before SQLite sees the file."""
    try:
        st = os.stat(label)
    except FileNotFoundError:
        raise ProjectFileError(f"{label} does not exist") from None
    except OSError as exc:
        raise ProjectFileError(f"cannot open {label}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ProjectFileError(f"{label} is a directory, not a project file")
    if not stat.S_ISREG(st.st_mode):
        raise ProjectFileError(f"{label} is not a regular file")
    try:
        with open(label, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise ProjectFileError(f"cannot read {label}: {exc.strerror or exc}") from None
    if not header:
        raise ProjectFileError(f"{label} is empty (0 bytes), not a project file")
    if not header.startswith(gpkg.SQLITE_MAGIC):
        raise ProjectFileError(f"{label} is not a SQLite/GeoPackage file")
    if len(header) < 100:
        raise ProjectFileError(f"{label} is damaged: the file is truncated")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and page_size * pages > st.st_size:  # the page count is valid
        raise ProjectFileError(
            f"{label} is damaged: the file is truncated ({st.st_size} of {page_size * pages} bytes)")


def _read_project(conn: sqlite3.Connection, label: str) -> Project:
    objects = _schema_objects(conn)
    if schema.META_TABLE not in objects:
        if "gpkg_contents" in objects:
            raise ProjectFileError(
                f"{label} is a plain GeoPackage, not a territory_desk project; create a project from "
                f"its polygons with `territory-desk new {label}`")
        raise ProjectFileError(f"{label} is not a territory_desk project (no {schema.META_TABLE} table)")
    schema.check_table(conn, objects, schema.META_TABLE)
    version = _read_meta(conn).get("schema_version")
    if type(version) is not str or not re.fullmatch(r"-?[0-9]{1,18}", version):
        raise Damaged(f"schema_version is {version!r}, not a whole number")
    found = int(version)
    schema.check_version(found, label)
    if not schema.needs_upgrade(found):
        project = _build_project(conn, objects)
        remember_saved_outlines(conn, objects, project)
        return project
    with contextlib.closing(_migrated_copy(conn, found, label)) as mem:
        return _build_project(mem, _schema_objects(mem))


def _schema_objects(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    return {name: (kind, sql or "") for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')")}


def _read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    result = conn.execute(f"SELECT key, value FROM {schema.META_TABLE}").fetchall()
    keys = texts([r[0] for r in result], f"{schema.META_TABLE}.key")
    if len(set(keys)) != len(keys):
        raise Damaged(f"{schema.META_TABLE} has a key twice")
    return dict(result)


def _migrated_copy(conn: sqlite3.Connection, found: int, label: str) -> sqlite3.Connection:
    """An in-memory copy of an older file, migrated to the current schema (the file is untouched)."""
    mem = sqlite3.connect(":memory:", isolation_level=None)
    mem.execute("PRAGMA trusted_schema = OFF")
    conn.backup(mem)
    for (name,) in mem.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        mem.execute(f"DROP TRIGGER {gpkg.quote(name)}")  # nothing of the file's runs while migrating
    schema.upgrade(mem, found, label)
    return mem


def _build_project(conn: sqlite3.Connection, objects: dict[str, tuple[str, str]]) -> Project:
    notes: list[str] = []
    present = {table: schema.check_table(conn, objects, table) for table in schema.REQUIRED_COLUMNS}
    meta = _read_meta(conn)
    units_crs, work_crs = _meta_text(meta, "units_crs"), _meta_text(meta, "work_crs")
    CRS.from_user_input(units_crs), CRS.from_user_input(work_crs)  # validate; raises CRSError
    units = _read_units(conn, units_crs, work_crs, schema.parse_column_specs(
        meta.get("units_columns"), "units_columns", present[schema.UNITS_LAYER], schema.UNITS_LAYER))
    index_of = {u: i for i, u in enumerate(units.ids)}
    accounts = _read_accounts(conn, index_of, schema.parse_column_specs(
        meta.get("accounts_columns"), "accounts_columns", present[schema.ACCOUNTS_LAYER], schema.ACCOUNTS_LAYER))
    scenarios = schema.read_scenarios(conn, index_of, len(units))
    segment_tables.read_pins(conn, scenarios)
    freeform_layer.read_shapes(conn, objects, scenarios, units, notes)  # drawn territories of freeform scenarios
    active = _meta_text(meta, "active_scenario")
    if active not in {s.name for s in scenarios}:
        raise Damaged(f"the active scenario {active!r} is not in td_scenarios")
    adjacency = adjacency_table.read_adjacency(conn, units.ids, notes)
    return Project(units=units, adjacency=adjacency, accounts=accounts,
                   reps=schema.read_reps(conn), scenarios=scenarios, active=active,
                   settings=json_value(meta.get("settings"), "settings", dict),
                   layers=segment_tables.read_layers(conn), activity=activity_tables.read_activity(conn),
                   repairs=notes)


def _meta_text(meta: dict, key: str) -> str:
    value = meta.get(key)
    if type(value) is not str:
        raise Damaged(f"{schema.META_TABLE} lacks a text value for {key!r}")
    return value


def _read_units(conn: sqlite3.Connection, crs: str, work_crs: str, specs: list) -> UnitLayer:
    cols = rows(conn, f"SELECT fid, geom, unit_id, name{_select(specs)} FROM units ORDER BY fid", 4 + len(specs))
    _check_fids(cols[0], "units")
    ids = texts(cols[2], "units.unit_id")
    geoms = gpkg.decode_geometries(cols[1])
    if not np.isin(shapely.get_type_id(geoms), (3, 6)).all():
        raise Damaged("units holds a missing or non-polygon geometry")
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise Damaged(f"unit {ids[int(np.argmax(empty))]!r} has an empty polygon (a unit must be an area)")
    _check_coordinates(geoms, ids, "unit")
    numeric, text = _data_columns(specs, cols[4:], "units")
    fid, area, perimeter = rows(conn, "SELECT fid, area_m2, perimeter_m FROM td_unit_measures ORDER BY fid", 3)
    _check_fids(fid, "td_unit_measures")
    if len(fid) != len(geoms):
        raise Damaged(f"td_unit_measures has {len(fid)} rows for {len(geoms)} units")
    area, perimeter = floats(area, "td_unit_measures.area_m2"), floats(perimeter, "td_unit_measures.perimeter_m")
    negative = (area < 0) | (perimeter < 0)  # NaN (NULL) is "not measured" and compares False
    if negative.any():
        raise Damaged(f"td_unit_measures gives unit {ids[int(np.argmax(negative))]!r} a negative area or perimeter")
    return UnitLayer(ids=ids, names=_texts_or_empty(cols[3], "units.name"), geometry=geoms, crs=crs,
                     numeric=numeric, text=text, work_crs=work_crs, area_m2=area, perimeter_m=perimeter)


def _check_coordinates(geoms: np.ndarray, ids: list[str], what: str) -> None:
    """Every coordinate finite and within ±MAX_MAGNITUDE (areas and lengths of larger ones overflow).

    Cheap: the bounds see infinities and huge values, the area sees a NaN vertex anywhere (the
    shoelace sum takes every vertex); only a failing polygon's coordinates are looked at."""
    ok = np.isfinite(shapely.area(geoms)) & (np.abs(shapely.bounds(geoms)) <= MAX_MAGNITUDE).all(axis=1)
    if ok.all():
        return
    k = int(np.argmin(ok))
    coords = shapely.get_coordinates(geoms[k])
    x, y = coords[int(np.argmin((np.abs(coords) <= MAX_MAGNITUDE).all(axis=1)))]
    raise Damaged(f"{what} {ids[k]!r} has the coordinate ({x:.6g}, {y:.6g}): {BOUND_TEXT}")


def _read_accounts(conn: sqlite3.Connection, index_of: dict[str, int], specs: list) -> AccountTable:
    cols = rows(conn, f"SELECT fid, geom, account_id, name, unit_id{_select(specs)} FROM accounts ORDER BY fid",
                5 + len(specs))
    _check_fids(cols[0], "accounts")
    pts = gpkg.decode_geometries(cols[1])
    if not np.isin(shapely.get_type_id(pts), (-1, 0)).all():
        raise Damaged("accounts holds a geometry that is not a point")
    # NULL and empty points (GeoPackage writes "no location" as NaN coordinates) are unlocated accounts
    located = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    lon, lat = np.full(len(pts), np.nan), np.full(len(pts), np.nan)
    lon[located], lat[located] = shapely.get_x(pts[located]), shapely.get_y(pts[located])
    try:
        unit_index = np.array([-1 if u is None else index_of[u]
                               for u in texts(cols[4], "accounts.unit_id", nullable=True)], dtype=np.int64)
    except KeyError as exc:
        raise Damaged(f"accounts names unit {exc.args[0]!r}, which is not in units") from None
    numeric, text = _data_columns(specs, cols[5:], "accounts")
    return AccountTable(ids=texts(cols[2], "accounts.account_id"), names=_texts_or_empty(cols[3], "accounts.name"),
                        lon=lon, lat=lat, numeric=numeric, text=text, unit_index=unit_index)


def _select(specs: list[dict[str, str]]) -> str:
    return "".join(f", {gpkg.quote(s['column'])}" for s in specs)


def _data_columns(specs: list[dict[str, str]], cols: list[tuple], table: str) -> tuple[dict, dict]:
    numeric, text = {}, {}
    for s, values in zip(specs, cols):
        if s["kind"] == "numeric":
            numeric[s["name"]] = floats(values, f"{table}.{s['column']}")
        else:
            text[s["name"]] = _texts_or_empty(values, f"{table}.{s['column']}")
    return numeric, text


def _texts_or_empty(values: tuple, what: str) -> list[str]:
    return ["" if v is None else v for v in texts(values, what, nullable=True)]


def _check_fids(fids: tuple, table: str) -> None:
    if list(fids) != list(range(1, len(fids) + 1)):
        raise Damaged(f"the features of {table} were edited outside territory_desk (ids are not 1..n)")


def is_project_file(path: str | os.PathLike) -> bool:
    """True when the file is a territory_desk project (a GeoPackage with our td_meta table)."""
    try:
        _check_file(os.fspath(path))
        conn = gpkg.open_readonly(os.fspath(path))
    except (ProjectFileError, sqlite3.Error):
        return False
    try:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='td_meta'").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()
