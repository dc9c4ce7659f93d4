"""The built-in US demo project: real county geography, synthetic business data.

Real (bundled, offline): the 3,108 counties of the contiguous US (Census 2016, 1:500k), their land
area, the GeoNames cities, the Census regions.

Estimated: county ``population``. No census population table is bundled, so it is estimated as
the population of the GeoNames cities (>= 15,000 people, districts removed) whose centre lies in
the county, plus a "rural" population proportional to land area, with a density that is higher
east of the 100th meridian and near big cities (a gravity index: city population x exp(-d/60 km)
within 200 km), scaled so the national total is about 320 million. County figures are in the
right order of magnitude, not census counts.

Synthetic (made up, deterministic for a seed): accounts (``synthetic_accounts``), reps (names,
capacity, skills) and the "Base" alignment (k-means seeds per Census region, a balanced
power-diagram assignment, fragments merged into neighbours so every territory is contiguous).
"""
from __future__ import annotations

import copy
import functools

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from territory_desk.domain.model.accounts import locate_points
from territory_desk.domain.model.adjacency import Adjacency, build_adjacency
from territory_desk.domain.stats.contiguity import count_pieces
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import LONLAT, transform_points
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import Region, Scenario, Territory
from territory_desk.domain.model.units import UnitLayer
from territory_desk.io.bundled_data import (
    CENSUS_CRS, CENSUS_REGIONS, REGION_IDS, REGION_OF_STATE, read_counties, read_us_cities,
)
from territory_desk.services.synthetic_accounts import INDUSTRIES, generate_accounts

US_POPULATION = 320e6  # contiguous US, mid-2010s
DEMO_SETTINGS = {"title": "US demo", "balance_fields": ["potential", "accounts"], "tolerance_pct": 5.0}
# a qualitative palette (Tableau 10 + light variants): every territory gets its own colour
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#bab0ac", "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d", "#f1ce63", "#86bcb6", "#d37295", "#fabfd2",
    "#d4a6c8", "#79706e",
)
_FIRST = ("Maria", "James", "Aisha", "Robert", "Mei", "Carlos", "Emily", "David", "Priya", "Michael",
          "Sofia", "Daniel", "Grace", "Luis", "Hannah", "Kevin", "Olivia", "Andre", "Rachel", "Tom")
_LAST = ("Garcia", "Johnson", "Nguyen", "Smith", "Patel", "Brown", "Martinez", "Kim", "Williams", "Lopez",
         "Davis", "Chen", "Miller", "Wilson", "Okafor", "Anderson", "Rivera", "Thompson", "Clark", "Moore")
_OTHER_LANGUAGES = ("fr", "zh", "vi", "pt", "de", "ko", "tl")
_NYC_BOROUGHS = ("Brooklyn", "Queens", "Manhattan", "The Bronx", "Staten Island")  # GeoNames lists them as cities


def build_demo_project(seed: int = 1, n_accounts: int = 4000, n_territories: int = 16) -> Project:
    """The US demo: counties, ~``n_accounts`` synthetic accounts, ~16 reps and territories.

    Deterministic for a seed. The first build in a process takes a few seconds (the county
    adjacency graph is most of it); later builds reuse it and take well under a second.
    """
    rng = np.random.default_rng(seed)
    cities = read_us_cities()
    units, adjacency = (copy.deepcopy(x) for x in _county_base())
    project = Project(units=units, adjacency=adjacency, settings=dict(DEMO_SETTINGS))
    project.accounts = generate_accounts(rng, n_accounts, cities, _locator(units))
    scenario, reps = build_regional_scenario(project, cities, rng, n_territories)
    project.scenarios = [scenario]
    project.active = scenario.name
    project.reps = reps
    return project


@functools.lru_cache(maxsize=1)
def _county_base() -> tuple[UnitLayer, Adjacency]:
    """The seed-independent part (counties, estimated population, adjacency), built once per process.

    Callers get deep copies, so a project never shares mutable state with the cache.
    """
    counties = read_counties()
    state = counties["STUSPS"].tolist()
    geoms = np.asarray(counties.geometry.array, dtype=object)
    land = counties["ALAND"].to_numpy(dtype=float) / 1e6
    units = UnitLayer(
        ids=counties["GEOID"].tolist(),
        names=[f"{n}, {s}" for n, s in zip(counties["NAME"], state)],
        geometry=geoms,
        crs=CENSUS_CRS.to_wkt(),
        numeric={"population": estimate_county_population(geoms, land, read_us_cities()), "land_km2": land},
        text={"state": state},
    )
    return units, build_adjacency(units.projected())


def _locator(units: UnitLayer):
    crs = units.source_crs
    return lambda lon, lat: locate_points(lon, lat, units.geometry, crs)


def _km_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Local equirectangular kilometres around the contiguous US (good enough for distances < 300 km)."""
    return np.column_stack([np.radians(lon) * np.cos(np.radians(38.0)) * 6371.0, np.radians(lat) * 6371.0])


def estimate_county_population(geoms: np.ndarray, land_km2: np.ndarray, cities: pd.DataFrame) -> np.ndarray:
    """Estimated population per county (see the module docstring for the method)."""
    c_lon, c_lat = cities["lon"].to_numpy(), cities["lat"].to_numpy()
    c_pop = cities["population"].to_numpy(dtype=float)
    where = locate_points(c_lon, c_lat, geoms, CENSUS_CRS)
    inside = where >= 0
    urban = np.bincount(where[inside], weights=c_pop[inside], minlength=len(geoms))
    centre = shapely.get_coordinates(shapely.point_on_surface(geoms))
    tree_c = cKDTree(_km_xy(c_lon, c_lat))
    near = cKDTree(_km_xy(centre[:, 0], centre[:, 1])).sparse_distance_matrix(tree_c, 200.0, output_type="ndarray")
    gravity = np.bincount(near["i"], weights=c_pop[near["j"]] * np.exp(-near["v"] / 60.0), minlength=len(geoms))
    factor = np.clip(np.sqrt((gravity + 1.0) / (np.median(gravity) + 1.0)), 0.25, 4.0)
    density = 3.0 + 27.0 / (1.0 + np.exp(-(centre[:, 0] + 99.0) / 1.5))  # people/km², east vs west
    rural = land_km2 * density * factor
    rural *= max(US_POPULATION - urban.sum(), 0.2 * US_POPULATION) / max(rural.sum(), 1.0)
    return np.round(urban + rural + 50.0)


# ---- the regional alignment (shared with the ZIP benchmark project) ----------------------------------


def _allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers >= 1 proportional to ``weights`` that add up to ``total`` (largest remainder)."""
    raw = weights / weights.sum() * (total - len(weights))
    k = np.floor(raw).astype(int) + 1
    k[np.argsort(-(raw - np.floor(raw)), kind="stable")[: total - k.sum()]] += 1
    return k


def _kmeans(rng: np.random.Generator, xy: np.ndarray, w: np.ndarray, k: int, iters: int = 20) -> np.ndarray:
    """Weighted k-means (k-means++ seeding, Lloyd iterations); returns k centres."""
    p = w / w.sum()
    centres = [xy[rng.choice(len(xy), p=p)]]
    for _ in range(1, k):
        d2 = ((xy[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1).min(1)
        q = w * d2
        centres.append(xy[rng.choice(len(xy), p=q / q.sum())])
    c = np.asarray(centres)
    for _ in range(iters):
        lab = ((xy[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        for m in range(k):
            sel = lab == m
            if w[sel].sum() > 0:
                c[m] = np.average(xy[sel], axis=0, weights=w[sel])
    return c


def _balanced_assign(xy: np.ndarray, w: np.ndarray, centres: np.ndarray, iters: int = 150) -> np.ndarray:
    """Nearest centre with additive weights (a power diagram) tuned so the totals of ``w`` even out.

    Returns the most balanced labelling seen; each centre keeps the unit nearest to it.
    """
    d2 = ((xy[:, None, :] - centres[None]) ** 2).sum(-1)
    k = len(centres)
    scale = float(np.median(d2.min(1))) + 1.0
    bias = np.zeros(k)
    target = w.sum() / k
    best, best_dev = d2.argmin(1), np.inf
    for _ in range(iters):
        lab = (d2 - bias).argmin(1)
        lab[d2.argmin(0)] = np.arange(k)  # no empty territory
        tot = np.bincount(lab, weights=w, minlength=k)
        dev = float(np.abs(tot / target - 1.0).max())
        if dev < best_dev:
            best, best_dev = lab, dev
        bias += 0.3 * scale * np.clip((target - tot) / target, -1.0, 1.0)
    return best


def _make_contiguous(
    a: np.ndarray, project: Project, w: np.ndarray, u_region: np.ndarray, t_region: np.ndarray
) -> np.ndarray:
    """Merge every detached piece of a territory into an adjacent territory (same region first).

    A territory keeps its heaviest piece (by ``w``); the other pieces go to the neighbour they share
    the longest border with, preferring territories of their own region.
    """
    adj = project.adjacency
    i, j, length = adj.i, adj.j, adj.length
    n = len(a)
    for _ in range(200):
        same = a[i] == a[j]
        mat = coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
        ncomp, comp = connected_components(mat, directed=False)
        size = np.bincount(comp, weights=w, minlength=ncomp) + 1e-9 * np.bincount(comp, minlength=ncomp)
        comp_t = np.zeros(ncomp, dtype=np.int64)
        comp_t[comp] = a
        order = np.lexsort((-size, comp_t))  # per territory, the biggest piece first
        is_main = np.zeros(ncomp, dtype=bool)
        is_main[order[np.r_[True, comp_t[order][1:] != comp_t[order][:-1]]]] = True
        if is_main.all():
            return a
        src = np.concatenate([i, j])
        dst = np.concatenate([j, i])
        ln = np.concatenate([length, length])
        m = ~is_main[comp[src]] & is_main[comp[dst]] & (a[src] != a[dst])
        if not m.any():
            raise RuntimeError("cannot make the territories contiguous")
        fc, tt = comp[src[m]], a[dst[m]]
        score = ln[m] + 1e-3 + 1e12 * (t_region[tt] == u_region[src[m]])
        best: dict[tuple[int, int], float] = {}
        for key, s in zip(zip(fc.tolist(), tt.tolist()), score.tolist()):
            best[key] = best.get(key, 0.0) + s
        new_t = np.full(ncomp, -1, dtype=np.int64)
        top = np.full(ncomp, -1.0)
        for (c, t), s in best.items():
            if s > top[c]:
                top[c], new_t[c] = s, t
        moved = new_t[comp] >= 0
        a = np.where(moved, new_t[comp], a)
    raise RuntimeError("territory pieces did not converge")


def _colours(a: np.ndarray, project: Project, k: int) -> list[str]:
    """A palette colour per territory, neighbours as different in colour as the palette allows."""
    adj = project.adjacency
    cross = (a[adj.i] != a[adj.j]) & ~adj.virtual
    pairs = {(int(x), int(y)) for x, y in zip(a[adj.i[cross]], a[adj.j[cross]])}
    nbrs: list[set[int]] = [set() for _ in range(k)]
    for x, y in pairs:
        nbrs[x].add(y)
        nbrs[y].add(x)
    rgb = np.array([[int(c[q:q + 2], 16) for q in (1, 3, 5)] for c in PALETTE], dtype=float)
    chosen: dict[int, int] = {}
    for t in sorted(range(k), key=lambda t: -len(nbrs[t])):
        free = [c for c in range(len(PALETTE)) if c not in chosen.values()] or list(range(len(PALETTE)))
        near = [chosen[o] for o in nbrs[t] if o in chosen]
        dist = [min((np.linalg.norm(rgb[c] - rgb[o]) for o in near), default=0.0) for c in free]
        chosen[t] = free[int(np.argmax(dist))]
    return [PALETTE[chosen[t]] for t in range(k)]


def _reps(rng: np.random.Generator, homes: list[tuple[str, str, float, float]], regions: list[str]) -> list[Rep]:
    names = rng.permutation(len(_FIRST) * len(_LAST))[: len(homes)]
    reps = []
    for r, ((city, st, lon, lat), reg) in enumerate(zip(homes, regions)):
        langs = ["en"]
        if rng.random() < (0.6 if reg in ("South", "West") else 0.25):
            langs.append("es")
        if rng.random() < 0.2:
            langs.append(str(rng.choice(_OTHER_LANGUAGES)))
        industries = [str(x) for x in rng.choice(list(INDUSTRIES), size=int(rng.integers(2, 4)), replace=False)]
        reps.append(Rep(
            id=f"R{r + 1:02d}",
            name=f"{_FIRST[names[r] % len(_FIRST)]} {_LAST[names[r] // len(_FIRST)]}",
            home_lon=lon, home_lat=lat, home_city=f"{city}, {st}",
            capacity=float(rng.integers(200, 351)),
            skills={"languages": langs, "industries": industries,
                    "experience": str(rng.choice(["junior", "mid", "senior"], p=[0.25, 0.45, 0.3]))},
        ))
    return reps


def build_regional_scenario(
    project: Project, cities: pd.DataFrame, rng: np.random.Generator, n_territories: int = 16,
    weight_field: str = "potential", name: str = "Base",
) -> tuple[Scenario, list[Rep]]:
    """A contiguous alignment: Census regions split into territories balanced on account ``weight_field``.

    Needs the unit text column ``state`` and located accounts. Returns the scenario and one
    synthetic rep per territory, living in the territory's largest city.
    """
    units, acc = project.units, project.accounts
    n = len(units)
    u_region_name = np.array([REGION_OF_STATE.get(s, "") for s in units.text["state"]])
    region_names = [r for r in CENSUS_REGIONS if (u_region_name == r).any()]
    u_region = np.array([region_names.index(r) if r in region_names else -1 for r in u_region_name])
    if (u_region < 0).any():
        raise ValueError("some units have no Census region (unknown state)")
    inside = acc.unit_index >= 0
    w = np.bincount(acc.unit_index[inside], weights=acc.numeric[weight_field][inside], minlength=n)
    w = w + 1e-3 * max(w.mean(), 1.0)  # units without accounts still pull a little
    centre = shapely.get_coordinates(shapely.point_on_surface(units.geometry))
    xy = np.column_stack(transform_points(centre[:, 0], centre[:, 1], units.source_crs, units.working_crs)) / 1e3

    ks = _allocate(np.array([w[u_region == r].sum() for r in range(len(region_names))]), n_territories)
    a = np.full(n, -1, dtype=np.int64)
    t_region: list[int] = []
    for r, k in enumerate(ks):
        sel = np.flatnonzero(u_region == r)
        centres = _kmeans(rng, xy[sel], w[sel], int(k))
        centres = centres[np.argsort(-centres[:, 1] + centres[:, 0] * 1e-3)]  # north first, then west
        a[sel] = _balanced_assign(xy[sel], w[sel], centres) + len(t_region)
        t_region.extend([r] * int(k))
    a = _make_contiguous(a, project, w, u_region, np.asarray(t_region))
    k_total = len(t_region)
    if (count_pieces(a, k_total, project.adjacency.i, project.adjacency.j) != 1).any():
        raise RuntimeError("regional alignment is not contiguous")

    # each territory's largest city is its name and its rep's home
    c_unit = locate_points(cities["lon"].to_numpy(), cities["lat"].to_numpy(), units.geometry, units.source_crs)
    homes: list[tuple[str, str, float, float]] = []
    for t in range(k_total):
        idx = np.flatnonzero((c_unit >= 0) & (a[np.maximum(c_unit, 0)] == t))  # cities are sorted by size
        if len(idx):
            c = cities.iloc[int(idx[0])]
            homes.append((str(c["name"]), str(c["state"]), float(c["lon"]), float(c["lat"])))
        else:  # no city: the territory's heaviest unit
            u = int(np.flatnonzero(a == t)[np.argmax(w[a == t])])
            lon, lat = transform_points(centre[u:u + 1, 0], centre[u:u + 1, 1], units.source_crs, LONLAT)
            homes.append((units.names[u], units.text["state"][u], float(lon[0]), float(lat[0])))
    reps = _reps(rng, homes, [region_names[r] for r in t_region])
    colours = _colours(a, project, k_total)
    names: list[str] = []
    for city, st, _, _ in homes:
        city = "New York" if (st == "NY" and city in _NYC_BOROUGHS) else city
        names.append(f"{city} Area" if f"{city} Area" not in names else f"{city} ({st}) Area")
    territories = [
        Territory(id=f"T{t + 1:02d}", name=names[t], color=colours[t],
                  region_id=REGION_IDS[region_names[t_region[t]]], rep_id=reps[t].id)
        for t in range(k_total)
    ]
    regions = [Region(id=REGION_IDS[r], name=r) for r in region_names]
    return Scenario(name, territories=territories, regions=regions, assignment=a), reps
