"""A ZIP-sized benchmark project: ~37,000 Voronoi cells around real ZIP centroids.

Real: the ZIP centroids (``zipcodes`` package, active ZIPs of the contiguous US, identical
coordinates de-duplicated) and the national outline (Census state boundaries, 1:500k).

Synthetic: the cells themselves (Voronoi polygons of the centroids clipped to the outline — real
ZIP areas look different), their ``population`` (lognormal, denser where cells are small), the
accounts (``synthetic_accounts``), the reps and the "Base" alignment (same method as the demo).

Geometry is computed and stored in an Albers equal-area CRS fitted to the contiguous US (the
units' source CRS equals their working CRS, so nothing is reprojected afterwards), unless
``lonlat=True`` asks for EPSG:4326.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import shapely

from territory_desk.domain.model.accounts import locate_points
from territory_desk.domain.model.adjacency import build_adjacency
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import LONLAT, equal_area_crs, transform_geometries, transform_points
from territory_desk.domain.model.units import UnitLayer
from territory_desk.io.bundled_data import CENSUS_CRS, read_states, read_us_cities, read_zip_centroids
from territory_desk.services.demo import build_regional_scenario
from territory_desk.services.synthetic_accounts import generate_accounts

ZIP_SETTINGS = {"title": "US ZIP benchmark", "balance_fields": ["potential", "accounts"], "tolerance_pct": 5.0}
_KIND_ORDER = {"STANDARD": 0, "PO BOX": 1, "UNIQUE": 2, "MILITARY": 3}
TILE_M = 150_000.0  # the outline is cut into tiles of this size so each clip sees a small outline


def contiguous_outline(crs) -> shapely.Geometry:
    """The outline of the 48 states and DC (a MultiPolygon) in ``crs``."""
    states = read_states()
    geoms = transform_geometries(np.asarray(states.geometry.array, dtype=object), CENSUS_CRS, crs)
    return shapely.coverage_union_all(geoms)


def _zip_points(kinds: tuple[str, ...] | None) -> pd.DataFrame:
    z = read_zip_centroids(kinds=kinds)
    z["_k"] = z["kind"].map(_KIND_ORDER).fillna(9)
    z = z.sort_values(["_k", "zip"]).drop_duplicates(["lon", "lat"]).sort_values("zip")
    return z.drop(columns="_k").reset_index(drop=True)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop the points and lines an overlay can leave in a GeometryCollection."""
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))
    for k in bad:
        parts = [p for p in shapely.get_parts(geoms[k]) if shapely.get_type_id(p) in (3, 6)]
        geoms[k] = shapely.union_all(parts) if parts else shapely.Polygon()
    return geoms


def clip_to_outline(cells: np.ndarray, outline: shapely.Geometry, tile: float = TILE_M) -> np.ndarray:
    """``cells ∩ outline`` for every cell, fast.

    Cells fully inside the outline are kept as they are (one vectorised ``contains``). The others
    are grouped by tile; each group is clipped against the outline cut to the group's bounding box,
    so no intersection has to walk the ~200k vertices of the whole national coastline.
    """
    shapely.prepare(outline)
    out = cells.copy()
    edge = np.flatnonzero(~shapely.contains(outline, cells))
    if len(edge) == 0:
        return out
    c = shapely.get_coordinates(shapely.centroid(cells[edge]))
    key = np.floor(c[:, 0] / tile).astype(np.int64) * 1_000_003 + np.floor(c[:, 1] / tile).astype(np.int64)
    groups, inverse = np.unique(key, return_inverse=True)
    boxes = np.empty(len(groups), dtype=object)
    b = shapely.bounds(cells[edge])
    for g in range(len(groups)):
        sel = b[inverse == g]
        boxes[g] = shapely.box(sel[:, 0].min(), sel[:, 1].min(), sel[:, 2].max(), sel[:, 3].max())
    local = shapely.intersection(outline, boxes)
    out[edge] = _polygonal(shapely.intersection(cells[edge], local[inverse]))
    return out


def voronoi_cells(x: np.ndarray, y: np.ndarray, outline: shapely.Geometry) -> np.ndarray:
    """Voronoi cell of every point (same order), clipped to ``outline``."""
    pts = shapely.points(x, y)
    frame = shapely.envelope(shapely.buffer(shapely.envelope(outline), 50_000.0))
    cells = np.asarray(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame,
                                                                   ordered=True)), dtype=object)
    if len(cells) != len(pts):
        raise RuntimeError("Voronoi cells do not match the points")
    return clip_to_outline(cells, outline)


def synthetic_population(rng: np.random.Generator, area_m2: np.ndarray) -> np.ndarray:
    """Made-up ZIP populations: lognormal (median ~9,000), higher where cells are small (dense)."""
    rel = area_m2 / np.median(area_m2)
    pop = rng.lognormal(np.log(9_000.0), 0.7, len(area_m2)) * np.clip(rel, 1e-3, 1e3) ** -0.35
    return np.round(np.clip(pop, 20.0, 120_000.0))


def build_zip_project(
    seed: int = 1,
    limit: int | None = None,
    n_accounts: int = 20_000,
    n_territories: int = 16,
    kinds: tuple[str, ...] | None = None,
    lonlat: bool = False,
    timings: dict[str, float] | None = None,
) -> Project:
    """The ZIP benchmark project, deterministic for a seed.

    ``limit`` keeps about that many ZIPs (every k-th, so they still cover the country) for quick
    tests; ``kinds`` restricts the ZIP types (("STANDARD",) gives ~29,500 cells instead of ~37,000);
    ``timings`` (a dict) receives the seconds spent per step.
    """
    clock = time.perf_counter()
    tm = timings if timings is not None else {}

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        tm[step] = now - clock
        clock = now

    rng = np.random.default_rng(seed)
    work = equal_area_crs(-124.8, 24.5, -66.9, 49.4)  # contiguous US
    outline = contiguous_outline(work)
    z = _zip_points(kinds)
    x, y = transform_points(z["lon"].to_numpy(), z["lat"].to_numpy(), LONLAT, work)
    shapely.prepare(outline)
    inside = shapely.contains_xy(outline, x, y)
    z, x, y = z[inside].reset_index(drop=True), x[inside], y[inside]
    if limit is not None and limit < len(z):
        take = np.unique(np.linspace(0, len(z) - 1, limit).round().astype(np.int64))
        z, x, y = z.iloc[take].reset_index(drop=True), x[take], y[take]
    lap("read")
    cells = voronoi_cells(x, y, outline)
    lap("voronoi")
    crs = work
    if lonlat:
        crs = LONLAT
        cells_src = transform_geometries(cells, work, LONLAT)
    else:
        cells_src = cells
    units = UnitLayer(
        ids=z["zip"].tolist(),
        names=[f"{zc} {c}, {s}" for zc, c, s in zip(z["zip"], z["city"], z["state"])],
        geometry=cells_src,
        crs=crs.to_wkt(),
        work_crs=work.to_wkt(),
        text={"state": z["state"].tolist(), "city": z["city"].tolist()},
    )
    units.numeric["population"] = synthetic_population(rng, units.area_m2)
    lap("units")
    project = Project(units=units, adjacency=build_adjacency(cells), settings=dict(ZIP_SETTINGS))
    lap("adjacency")
    cities = read_us_cities()
    src = units.source_crs
    locate = lambda lon, lat: locate_points(lon, lat, units.geometry, src)  # noqa: E731
    project.accounts = generate_accounts(rng, n_accounts, cities, locate)
    lap("accounts")
    scenario, reps = build_regional_scenario(project, cities, rng, n_territories)
    project.scenarios = [scenario]
    project.active = scenario.name
    project.reps = reps
    lap("territories")
    return project
