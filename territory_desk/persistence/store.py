"""Save a project: one self-contained GeoPackage file, written atomically.

Save writes the whole file to a temporary file next to the target in one transaction, fsyncs it,
renames it over the target and fsyncs the directory, so a crash leaves the previous version intact.
The td_* tables are written in schema.py; this module does the file handling and the feature
layers (units, territories, accounts). Reading is in reader.py.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import stat
import time
from datetime import datetime, timezone

import numpy as np
import shapely

from territory_desk import __version__
from territory_desk.domain.model.errors import ProjectFileError, first_line
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import to_crs
from territory_desk.persistence import freeform_layer, gpkg, schema
from territory_desk.persistence import territory_layer_tables as segment_tables
from territory_desk.persistence import activity_tables, adjacency_table
from territory_desk.persistence.schema import lookup, sql_floats

# The R-tree is an optional GeoPackage extension; filling it costs ~16 s per million points (SQLite
# inserts one by one), so very large account layers are saved without it (QGIS reads them all the same).
ACCOUNTS_RTREE_LIMIT = 250_000
_STALE_AFTER_S = 600  # a temp file of a dead saving process older than this is removed by the next save


# --- save ----------------------------------------------------------------------------------------

def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` to ``path`` (a .gpkg file) atomically: all or nothing."""
    label = os.fspath(path)
    target = os.path.realpath(label)
    directory = os.path.dirname(target)
    if os.path.isdir(target):
        raise ProjectFileError(f"cannot save {label}: it is a directory")
    _remove_stale_temp_files(target)
    tmp = os.path.join(directory, f".{os.path.basename(target)}.{os.getpid()}-{secrets.token_hex(4)}.saving")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # umask applies
    except OSError as exc:
        raise ProjectFileError(f"cannot save {label}: {exc.strerror or exc}") from None
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # the temp file is discarded on any failure
            conn.execute("PRAGMA synchronous = OFF")  # we fsync once, below
            conn.execute("BEGIN")
            _write_project(conn, project)
            conn.execute("COMMIT")
        finally:
            conn.close()
        _fsync(tmp)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, (OSError, sqlite3.Error)):
            raise ProjectFileError(f"cannot save {label}: {first_line(exc)}") from None
        raise
    _fsync_dir(directory)


def _remove_stale_temp_files(target: str) -> None:
    """Delete what saves of this file killed mid-way left behind (their process is gone, and old)."""
    if os.name != "posix":
        return
    prefix = f".{os.path.basename(target)}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(os.path.dirname(target)):
            pid = entry.name[len(prefix):].split("-", 1)[0]
            if not (entry.name.startswith(prefix) and entry.name.endswith(".saving") and pid.isdigit()):
                continue
            try:
                os.kill(int(pid), 0)
                continue  # still running (or the pid was reused): leave it
            except ProcessLookupError:
                pass
            except OSError:
                continue
            if time.time() - entry.stat().st_mtime > _STALE_AFTER_S:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename itself
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_project(conn: sqlite3.Connection, project: Project) -> None:
    project.check()  # what the reader would refuse is never written
    gpkg.init_geopackage(conn)
    schema.create_td_tables(conn, gpkg.register_attributes)
    units = project.units
    srs = gpkg.register_srs(conn, to_crs(units.crs))
    unit_cols = _write_units(conn, project, srs)
    _write_territories(conn, project, srs)
    account_cols = _write_accounts(conn, project)
    meta = {
        "schema_version": str(schema.SCHEMA_VERSION), "app_version": __version__,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "active_scenario": project.active, "units_crs": units.crs, "work_crs": units.work_crs,
        "settings": schema.to_json(project.settings, "the project settings"),
        "units_columns": json.dumps(unit_cols), "accounts_columns": json.dumps(account_cols),
    }
    conn.executemany(f"INSERT INTO {schema.META_TABLE} (key, value) VALUES (?, ?)", meta.items())
    schema.write_scenarios(conn, project.scenarios, units.ids)
    schema.write_reps(conn, project.reps)
    segment_tables.write_layers(conn, project.layers)
    segment_tables.write_pins(conn, project.scenarios)
    activity_tables.write_activity(conn, project.activity)
    adjacency_table.write_adjacency(conn, project.adjacency)
    gpkg.create_layer_styles(conn)
    gpkg.add_default_style(conn, schema.TERRITORIES_LAYER, "territory colours",
                           gpkg.fill_style_qml("coalesce(\"color\", '#888888')", "50,50,50,255", 0.5))
    gpkg.add_default_style(conn, schema.UNITS_LAYER, "units by territory",
                           gpkg.fill_style_qml("coalesce(\"color\", '#dddddd')", "255,255,255,160", 0.1))
    freeform_layer.write_shapes(conn, project)  # drawn territories of freeform scenarios


def _write_units(conn: sqlite3.Connection, project: Project, srs: int) -> list[dict[str, str]]:
    units, active = project.units, project.scenario
    specs = schema.column_specs(units.numeric, units.text, [c for c, _ in schema.UNITS_FIXED])
    geoms = gpkg.promote_to_multi(units.geometry, only_if_mixed=True)
    gpkg.create_feature_table(conn, schema.UNITS_LAYER, gpkg.geometry_type_name(geoms), srs,
                              schema.UNITS_FIXED + _sql_columns(specs),
                              "territory_desk: unit polygons (territory and color of the active scenario)")
    n = len(units)
    _insert(conn, schema.UNITS_LAYER, [
        range(1, n + 1), gpkg.encode_geometries(geoms, srs), units.ids, units.names,
        lookup([t.id for t in active.territories], active.assignment),
        lookup([t.color for t in active.territories], active.assignment),
        *_data(specs, units.numeric, units.text)])
    gpkg.set_extent(conn, schema.UNITS_LAYER, geoms)
    gpkg.add_spatial_index(conn, schema.UNITS_LAYER, geoms)
    _insert(conn, "td_unit_measures", [range(1, n + 1), sql_floats(units.area_m2), sql_floats(units.perimeter_m)])
    return specs


def _write_territories(conn: sqlite3.Connection, project: Project, srs: int) -> None:
    """The active scenario's territories, dissolved, with unit counts and sums (for QGIS users)."""
    units, s = project.units, project.scenario
    k, a = len(s.territories), s.assignment
    sums = schema.column_specs(units.numeric, {}, [c for c, _ in schema.TERRITORIES_FIXED])
    gpkg.create_feature_table(conn, schema.TERRITORIES_LAYER, "MULTIPOLYGON", srs,
                              schema.TERRITORIES_FIXED + _sql_columns(sums),
                              f"territory_desk: territories of scenario {s.name!r} (derived, read-only)")
    inside = a >= 0
    geoms = gpkg.promote_to_multi(freeform_layer.territory_geometries(project, s))  # drawn shapes or dissolved units
    region_names: dict[str | None, str] = {r.id: r.name for r in s.regions}
    rep_names: dict[str | None, str] = {r.id: r.name for r in project.reps}
    ts = s.territories
    data = [range(1, k + 1), gpkg.encode_geometries(geoms, srs), [t.id for t in ts], [t.name for t in ts],
            [t.color for t in ts], [region_names.get(t.region_id) for t in ts], [rep_names.get(t.rep_id) for t in ts],
            [int(bool(t.locked)) for t in ts], np.bincount(a[inside], minlength=k).tolist()]
    for c in sums:
        v = units.numeric[c["name"]][inside]
        data.append(np.bincount(a[inside], weights=np.where(np.isfinite(v), v, 0.0), minlength=k).tolist())
    _insert(conn, schema.TERRITORIES_LAYER, data)
    gpkg.set_extent(conn, schema.TERRITORIES_LAYER, geoms)
    gpkg.add_spatial_index(conn, schema.TERRITORIES_LAYER, geoms)


def _write_accounts(conn: sqlite3.Connection, project: Project) -> list[dict[str, str]]:
    acc = project.accounts
    specs = schema.column_specs(acc.numeric, acc.text, [c for c, _ in schema.ACCOUNTS_FIXED])
    gpkg.create_feature_table(conn, schema.ACCOUNTS_LAYER, "POINT", 4326, schema.ACCOUNTS_FIXED + _sql_columns(specs),
                              "territory_desk: accounts (longitude/latitude) and the unit each lies in")
    ok = np.isfinite(acc.lon) & np.isfinite(acc.lat)  # others are stored without a geometry
    pts = np.full(len(acc), None, dtype=object)
    pts[ok] = shapely.points(acc.lon[ok], acc.lat[ok])
    unit_index = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1)
    _insert(conn, schema.ACCOUNTS_LAYER, [
        range(1, len(acc) + 1), gpkg.encode_geometries(pts, 4326, envelope=False), _sql_texts(acc.ids),
        _sql_texts(acc.names), lookup(project.units.ids, unit_index), *_data(specs, acc.numeric, acc.text)])
    gpkg.set_extent(conn, schema.ACCOUNTS_LAYER, pts)
    if len(acc) <= ACCOUNTS_RTREE_LIMIT:
        gpkg.add_spatial_index(conn, schema.ACCOUNTS_LAYER, pts)
    return specs


def _sql_columns(specs: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(s["column"], "REAL" if s["kind"] == "numeric" else "TEXT") for s in specs]


def _data(specs: list[dict[str, str]], numeric: dict, text: dict) -> list[list]:
    return [sql_floats(numeric[s["name"]]) if s["kind"] == "numeric" else _sql_texts(text[s["name"]])
            for s in specs]


def _sql_texts(values: list) -> list:
    if set(map(type, values)) <= {str}:
        return values
    return [None if v is None else str(v) for v in values]


def _insert(conn: sqlite3.Connection, table: str, columns: list) -> None:
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {gpkg.quote(table)} VALUES ({marks})", zip(*columns))

