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
from territory_desk.persistence.values import Damaged


class _OutlineCache:
    """Dissolved outlines per set of units (the member indices' bytes), for each unit geometry array
    still alive: found by identity through a weak reference (never by ``id()``, which a new array may
    reuse), so that two open projects keep their own outlines and a dropped project frees its own."""

    LIMIT = 20_000  # outlines kept in all

    def __init__(self) -> None:
        self._layers: list[tuple[weakref.ref, dict[bytes, Any]]] = []

    def outlines_of(self, geoms: np.ndarray, create: bool = False) -> dict[bytes, Any] | None:
        self._layers = [(ref, d) for ref, d in self._layers if ref() is not None]
        found = next((d for ref, d in self._layers if ref() is geoms), None)
        if found is None and create:
            found = {}
            self._layers.append((weakref.ref(geoms), found))
        return found

    def remember(self, geoms: np.ndarray, members: np.ndarray, outline: Any) -> Any:
        if sum(len(d) for _, d in self._layers) >= self.LIMIT:
            self.clear()
        outlines = self.outlines_of(geoms, create=True)
        assert outlines is not None
        outlines[members.tobytes()] = outline
        return outline

    def clear(self) -> None:
        self._layers.clear()


_CACHE = _OutlineCache()


def dissolve_territories(geoms: np.ndarray, assignment: np.ndarray, k: int) -> np.ndarray:
    """The union of each territory's units (None for a territory without units).

    Tries the fast coverage union and keeps it when it is valid and loses no area (i.e. the units
    of the territory form a coverage); otherwise falls back to a full overlay union. Results are
    cached per set of units (and seeded on load from the saved layer), so a save after a few moves
    re-dissolves only the territories that changed.
    """
    out = np.full(k, None, dtype=object)
    known = _CACHE.outlines_of(geoms) or {}
    for t, members in enumerate(_members(assignment, k)):
        if len(members) == 0:
            continue
        key = members.tobytes()
        out[t] = known[key] if key in known else _CACHE.remember(geoms, members, _union(geoms[members]))
    return out


def _members(assignment: np.ndarray, k: int) -> list[np.ndarray]:
    """The (ascending) unit indices of each of k territories."""
    order = np.argsort(assignment, kind="stable")
    bounds = np.searchsorted(assignment[order], np.arange(k + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(k)]


def _union(parts: np.ndarray) -> Any:
    with contextlib.suppress(shapely.errors.ShapelyError):
        merged = shapely.coverage_union_all(parts)
        total = float(np.sum(shapely.area(parts)))
        if shapely.is_valid(merged) and abs(shapely.area(merged) - total) <= 1e-9 * max(total, 1e-300):
            return polygonal_part(merged)
    try:
        return polygonal_part(shapely.union_all(parts))
    except shapely.errors.ShapelyError:
        with contextlib.suppress(shapely.errors.ShapelyError):
            return polygonal_part(shapely.union_all(shapely.make_valid(parts)))
    return None  # the territories layer is derived data: never fail a save over it


def polygonal_part(geom: Any) -> Any:
    """Only the polygons of a geometry (a union or a repair may add lines and points, which a
    MULTIPOLYGON layer cannot hold); None when it has none."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    return shapely.union_all(parts) if len(parts) else None


def remember_saved_outlines(conn: sqlite3.Connection, objects: dict, project: Project) -> None:
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
                _CACHE.remember(project.units.geometry, m, g)
    except (Damaged, sqlite3.Error, ValueError, TypeError):
        return
