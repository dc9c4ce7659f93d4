"""Dissolved territory outlines for the `territories` layer, cached per set of units so that a save
after a few moves re-dissolves only the territories that changed."""
from __future__ import annotations

import contextlib
import sqlite3
import weakref
from typing import Any

import numpy as np
import shapely

from territory_desk.domain.model.project import Project
from territory_desk.persistence import gpkg, schema
from territory_desk.persistence.schema import Damaged


_DISSOLVE_CACHE: dict[tuple[int, bytes], tuple[Any, Any]] = {}  # (id(geoms), members) -> (weakref, outline)


def _dissolve(geoms: np.ndarray, assignment: np.ndarray, k: int) -> np.ndarray:
    """The union of each territory's units (None for a territory without units).

    Tries the fast coverage union and keeps it when it is valid and loses no area (i.e. the units
    of the territory form a coverage); otherwise falls back to a full overlay union. Results are
    cached per set of units (and seeded on load from the saved layer), so a save after a few moves
    re-dissolves only the territories that changed.
    """
    out = np.full(k, None, dtype=object)
    for t, members in enumerate(_members(assignment, k)):
        if len(members) == 0:
            continue
        hit = _DISSOLVE_CACHE.get((id(geoms), members.tobytes()))
        out[t] = hit[1] if hit is not None and hit[0]() is geoms else _remember(geoms, members, _union(geoms[members]))
    return out


def _members(assignment: np.ndarray, k: int) -> list[np.ndarray]:
    """The (ascending) unit indices of each of k territories."""
    order = np.argsort(assignment, kind="stable")
    bounds = np.searchsorted(assignment[order], np.arange(k + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(k)]


def _remember(geoms: np.ndarray, members: np.ndarray, dissolved: Any) -> Any:
    if len(_DISSOLVE_CACHE) > 20_000:
        _DISSOLVE_CACHE.clear()
    _DISSOLVE_CACHE[(id(geoms), members.tobytes())] = (weakref.ref(geoms), dissolved)
    return dissolved


def _union(parts: np.ndarray) -> Any:
    with contextlib.suppress(shapely.errors.ShapelyError):
        merged = shapely.coverage_union_all(parts)
        total = float(np.sum(shapely.area(parts)))
        if shapely.is_valid(merged) and abs(shapely.area(merged) - total) <= 1e-9 * max(total, 1e-300):
            return _polygonal(merged)
    try:
        return _polygonal(shapely.union_all(parts))
    except shapely.errors.ShapelyError:
        with contextlib.suppress(shapely.errors.ShapelyError):
            return _polygonal(shapely.union_all(shapely.make_valid(parts)))
    return None  # the territories layer is derived data: never fail a save over it


def _polygonal(geom: Any) -> Any:
    """Only the polygons of a union result (a MULTIPOLYGON layer cannot hold lines or points)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    return shapely.union_all(parts) if len(parts) else None


def _seed_dissolve_cache(conn: sqlite3.Connection, objects: dict, project: Project) -> None:
    """Reuse the saved territory outlines, so the next save re-dissolves only what changed.

    Only a cache: the rows must match the active scenario's territories and unit counts; anything
    unexpected is ignored (the outlines are then simply recomputed on the next save).
    """
    s = project.scenario
    try:
        present = schema.check_table(conn, objects, schema.TERRITORIES_LAYER)
        if not {"territory_id", "units", "geom"} <= present:
            return
        result = conn.execute("SELECT territory_id, units, geom FROM territories ORDER BY fid").fetchall()
        members = _members(s.assignment, len(s.territories))
        if [(r[0], r[1]) for r in result] != [(t.id, len(m)) for t, m in zip(s.territories, members)]:
            return
        for m, g in zip(members, gpkg.decode_geometries([r[2] for r in result])):
            if len(m) and shapely.get_type_id(g) in (3, 6):
                _remember(project.units.geometry, m, g)
    except (Damaged, sqlite3.Error, ValueError, TypeError):
        return
