"""The ``freeform_territories`` feature layer: the drawn polygons of every freeform scenario.

Columns: fid, geom (MULTIPOLYGON in the units' CRS, so QGIS draws it over the units), scenario
(td_scenarios.ord), territory_id, name, color; a default QGIS style fills them in their colours.
In memory the polygons live in the working CRS (``Scenario.shapes``); they are reprojected on save
and load. A scenario is freeform exactly when its territory layer is of kind "freeform".

``territory_geometries`` gives the polygons exporters draw for any scenario: the drawn shapes of a
freeform scenario, the dissolved units otherwise.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import shapely

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import to_crs, transform_geometries
from territory_desk.persistence import gpkg
from territory_desk.persistence import territory_layer_tables as segment_tables
from territory_desk.persistence.dissolve import dissolve_territories
from territory_desk.persistence.schema import check_table
from territory_desk.persistence.values import Damaged, ints, rows, texts

TABLE = "freeform_territories"
COLUMNS = [("scenario", "INTEGER NOT NULL"), ("territory_id", "TEXT NOT NULL"), ("name", "TEXT"), ("color", "TEXT")]


def _freeform_layers(layers) -> set[str]:
    return {layer.name.casefold() for layer in layers if layer.kind == "freeform"}


def write_shapes(conn: sqlite3.Connection, project) -> None:
    """Write every freeform scenario's polygons (nothing when the project has no freeform scenario)."""
    freeform = _freeform_layers(project.layers)
    scenarios = [(k, s) for k, s in enumerate(project.scenarios) if s.is_freeform]
    if not scenarios:
        return
    units = project.units
    records = []
    for k, s in scenarios:
        if s.layer.casefold() not in freeform:
            raise InputError(f"scenario {s.name!r} has drawn territories but its layer is not a freeform layer")
        for t in s.territories:
            g = s.shapes.get(t.id)
            if g is not None and not shapely.is_empty(g):
                records.append((k, t.id, t.name, t.color, g))
    srs = gpkg.register_srs(conn, to_crs(units.crs))
    gpkg.create_feature_table(conn, TABLE, "MULTIPOLYGON", srs, COLUMNS,
                              "territory_desk: drawn territories of the freeform scenarios")
    geoms = np.array([r[4] for r in records], dtype=object)
    if len(geoms):
        geoms = gpkg.promote_to_multi(transform_geometries(geoms, units.working_crs, units.source_crs))
    blobs = gpkg.encode_geometries(geoms, srs)
    conn.executemany(f"INSERT INTO {TABLE} (fid, geom, scenario, territory_id, name, color) VALUES (?, ?, ?, ?, ?, ?)",
                     [(n + 1, b, *r[:4]) for n, (b, r) in enumerate(zip(blobs, records))])
    gpkg.set_extent(conn, TABLE, geoms)
    gpkg.add_spatial_index(conn, TABLE, geoms)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone():
        gpkg.add_default_style(conn, TABLE, "territory colours",
                               gpkg.fill_style_qml("coalesce(\"color\", '#888888')", "40,40,40,255", 0.5, 0.6))


def read_shapes(conn: sqlite3.Connection, objects: dict, scenarios: list, units, notes: list[str]) -> None:
    """Give every scenario of a freeform layer its polygons (in the working CRS), validated.

    An empty polygon is a territory without a drawn shape (the writer stores no row for one): it is
    dropped, with a note. Coordinates that are not finite (or project to infinity) are refused."""
    freeform = _freeform_layers(segment_tables.read_layers(conn))
    for s in scenarios:
        if s.layer.casefold() in freeform:
            s.shapes = {}
    if TABLE not in objects:
        return
    present = check_table(conn, objects, TABLE)
    missing = [c for c in ("fid", "geom", "scenario", "territory_id") if c not in present]
    if missing:
        raise Damaged(f"{TABLE} lacks the column {missing[0]!r}")
    _, blob, sc, tid = rows(conn, f"SELECT fid, geom, scenario, territory_id FROM {TABLE} ORDER BY fid", 4)
    if not blob:
        return
    sc = ints(sc, f"{TABLE}.scenario", 0, len(scenarios)).tolist()
    tid = texts(tid, f"{TABLE}.territory_id")
    geoms = gpkg.decode_geometries(blob)
    if not np.isin(shapely.get_type_id(geoms), (3, 6)).all():
        raise Damaged(f"{TABLE} holds a missing or non-polygon geometry")
    empty = shapely.is_empty(geoms)
    if empty.any():
        notes.append(f"{TABLE}: dropped {int(empty.sum())} empty drawn shape(s) (territory "
                     f"{', '.join(repr(t) for t in np.asarray(tid, dtype=object)[empty][:5])}); those territories "
                     "have no drawn shape, as a save would store them")
        keep = ~empty
        geoms, sc, tid = geoms[keep], [s for s, k in zip(sc, keep) if k], [t for t, k in zip(tid, keep) if k]
    if not np.isfinite(shapely.get_coordinates(geoms)).all():
        raise Damaged(f"{TABLE} holds a polygon with a coordinate that is not a finite number")
    geoms = transform_geometries(geoms, units.source_crs, units.working_crs)
    if not np.isfinite(shapely.get_coordinates(geoms)).all():
        raise Damaged(f"{TABLE} holds a geometry that cannot be projected")
    for k, t, g in zip(sc, tid, geoms):
        s = scenarios[k]
        if not s.is_freeform:
            raise Damaged(f"{TABLE} draws territory {t!r} in scenario {s.name!r}, which is not freeform")
        if not any(x.id == t for x in s.territories):
            raise Damaged(f"{TABLE} names territory {t!r}, which scenario {s.name!r} lacks")
        if t in s.shapes:
            raise Damaged(f"{TABLE} draws territory {t!r} of scenario {s.name!r} twice")
        g = _valid(g, t)
        s.shapes[t] = shapely.get_geometry(g, 0) if shapely.get_num_geometries(g) == 1 else g  # as drawn


def _valid(geom, territory_id: str):
    """A polygon edited outside territory_desk may be invalid: repaired (make_valid, polygons kept)."""
    if shapely.is_valid(geom):
        return geom
    parts = shapely.get_parts(shapely.make_valid(geom))
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    fixed = shapely.union_all(parts) if len(parts) else None
    if fixed is None or shapely.is_empty(fixed):
        raise Damaged(f"{TABLE}: the polygon of territory {territory_id!r} is invalid and cannot be repaired")
    return fixed


def territory_geometries(project, scenario) -> np.ndarray:
    """One polygon per territory of ``scenario`` in the units' CRS (None for a territory without
    units or shape): drawn shapes for a freeform scenario, dissolved units otherwise."""
    k = len(scenario.territories)
    if not scenario.is_freeform:
        return dissolve_territories(project.units.geometry, scenario.assignment, k)
    out = np.full(k, None, dtype=object)
    have = [(i, scenario.shapes.get(t.id)) for i, t in enumerate(scenario.territories)]
    have = [(i, g) for i, g in have if g is not None and not shapely.is_empty(g)]
    if have:
        units = project.units
        geoms = transform_geometries(np.array([g for _, g in have], dtype=object), units.working_crs, units.source_crs)
        for (i, _), g in zip(have, geoms):
            out[i] = g
    return out
