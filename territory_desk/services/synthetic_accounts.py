"""Synthetic customer accounts placed around real US cities (for demos and benchmarks).

Everything an account carries is made up: company names are combinations of word lists, revenue
and potential are drawn from lognormal distributions, industry and segment are random draws. Only
the places are real: each account is put a few kilometres from a real GeoNames city, with cities
drawn with probability proportional to population**0.8 (big cities get many accounts, but not
in proportion to their size, as in real B2B customer lists).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from territory_desk.domain.model.accounts import AccountTable

INDUSTRIES: dict[str, float] = {  # industry -> share of accounts
    "Healthcare": 0.16,
    "Manufacturing": 0.15,
    "Retail": 0.14,
    "Technology": 0.12,
    "Construction": 0.11,
    "Finance": 0.10,
    "Hospitality": 0.09,
    "Education": 0.07,
    "Logistics": 0.06,
}

_PREFIXES = (
    "Summit", "Pioneer", "Harbor", "Cedar", "Blue Ridge", "Granite", "Evergreen", "Liberty", "Keystone",
    "Northstar", "Prairie", "Riverbend", "Silver Lake", "Redwood", "Coastal", "Heartland", "Ironwood",
    "Lakeside", "Maple", "Frontier", "Bayview", "Canyon", "Oakridge", "Sterling", "Copper", "Meridian",
    "Patriot", "Golden Gate", "Lone Star", "Magnolia", "Aspen", "Beacon", "Crescent", "Delta", "Eagle",
    "Falcon", "Highland", "Juniper", "Landmark", "Pinnacle", "Quarry", "Sagebrush", "Tidewater",
    "Union", "Vista", "Westfield", "Willow", "Birch", "Clearwater", "Brightside",
)
_CORES: dict[str, tuple[str, ...]] = {
    "Healthcare": ("Medical", "Health", "Dental", "Family Clinic", "Care", "Orthopedics", "Pharmacy"),
    "Manufacturing": ("Manufacturing", "Tool & Die", "Plastics", "Fabrication", "Industries", "Metalworks"),
    "Retail": ("Outfitters", "Market", "Home Goods", "Supply", "Hardware", "Boutique", "Foods"),
    "Technology": ("Software", "Systems", "Data", "Networks", "Labs", "Digital", "Analytics"),
    "Construction": ("Builders", "Construction", "Roofing", "Contractors", "Concrete", "Electric"),
    "Finance": ("Capital", "Financial", "Credit Union", "Insurance", "Advisors", "Bancorp"),
    "Hospitality": ("Hotels", "Restaurants", "Catering", "Inn & Suites", "Hospitality", "Grill"),
    "Education": ("Academy", "Learning", "College", "Schools", "Training", "Tutoring"),
    "Logistics": ("Logistics", "Freight", "Transport", "Distribution", "Trucking", "Warehousing"),
}
_SUFFIXES = ("LLC", "Inc.", "Co.", "Group", "Partners", "Corp.", "")


def company_names(rng: np.random.Generator, industries: list[str], cities: list[str]) -> list[str]:
    """Plausible, made-up company names such as "Summit Logistics LLC" or "Tulsa Dental Group"."""
    n = len(industries)
    pre = rng.integers(len(_PREFIXES), size=n)
    core = rng.random(n)
    suf = rng.integers(len(_SUFFIXES), size=n)
    use_city = rng.random(n) < 0.25
    out: list[str] = []
    for k in range(n):
        cores = _CORES[industries[k]]
        head = cities[k] if use_city[k] else _PREFIXES[pre[k]]
        out.append(" ".join(p for p in (head, cores[int(core[k] * len(cores))], _SUFFIXES[suf[k]]) if p))
    return out


def _jitter(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray, pop: np.ndarray):
    """Points scattered around city centres: radius grows with city size (2 km to ~20 km)."""
    scale_km = np.clip(2.0 + 6.0 * np.sqrt(pop / 1e6), 2.0, 20.0)
    r = np.abs(rng.normal(0.0, 1.0, len(lon))) * scale_km
    theta = rng.random(len(lon)) * 2.0 * np.pi
    dlat = r * np.sin(theta) / 111.32
    dlon = r * np.cos(theta) / (111.32 * np.cos(np.radians(lat)))
    return np.round(lon + dlon, 6), np.round(lat + dlat, 6)  # rounded before they are located


def generate_accounts(
    rng: np.random.Generator,
    n: int,
    cities: pd.DataFrame,
    locate: Callable[[np.ndarray, np.ndarray], np.ndarray],
    enterprise_share: float = 0.15,
    max_rounds: int = 50,
) -> AccountTable:
    """``n`` synthetic accounts near ``cities`` (columns name, state, lon, lat, population).

    ``locate(lon, lat)`` returns the unit index of each point (-1 outside every unit); points that
    fall outside (in the sea, across the border) are drawn again, from a new city, until every
    account lies in a unit, so the returned table has ``unit_index`` set and nothing outside.

    Fields: ids "A000001"..., names, numeric ``revenue`` (USD per year, lognormal, median about
    50k; Enterprise about 10x) and ``potential`` (>= revenue, correlated with it), text
    ``industry``, ``segment`` ("SMB" / "Enterprise"), ``city``, ``state``, ``language`` (the language the
    account prefers to be served in: mostly English, Spanish more often in the Southwest, Florida and New York).
    """
    if n <= 0:
        return AccountTable.empty()
    c_lon = cities["lon"].to_numpy(dtype=float)
    c_lat = cities["lat"].to_numpy(dtype=float)
    c_pop = cities["population"].to_numpy(dtype=float)
    # only cities whose centre is inside a unit (drops places the 1:500k coastline leaves offshore)
    ok = locate(c_lon, c_lat) >= 0
    c_lon, c_lat, c_pop = c_lon[ok], c_lat[ok], c_pop[ok]
    c_name = cities["name"].to_numpy()[ok]
    c_state = cities["state"].to_numpy()[ok]
    if len(c_lon) == 0:
        raise ValueError("no city lies inside the units")
    p = c_pop**0.8
    p /= p.sum()

    city = rng.choice(len(c_lon), size=n, p=p)
    lon, lat = _jitter(rng, c_lon[city], c_lat[city], c_pop[city])
    unit = locate(lon, lat)
    for _ in range(max_rounds):
        bad = np.flatnonzero(unit < 0)
        if len(bad) == 0:
            break
        city[bad] = rng.choice(len(c_lon), size=len(bad), p=p)
        lon[bad], lat[bad] = _jitter(rng, c_lon[city[bad]], c_lat[city[bad]], c_pop[city[bad]])
        unit[bad] = locate(lon[bad], lat[bad])
    bad = unit < 0
    if bad.any():  # practically never: put the stragglers on their city centre (inside by construction)
        lon[bad], lat[bad] = c_lon[city[bad]], c_lat[city[bad]]
        unit[bad] = locate(lon[bad], lat[bad])

    names_i = list(INDUSTRIES)
    w = np.array([INDUSTRIES[k] for k in names_i])
    industry = [names_i[k] for k in rng.choice(len(names_i), size=n, p=w / w.sum())]
    enterprise = rng.random(n) < enterprise_share
    revenue = rng.lognormal(np.log(50_000.0), 0.9, n) * np.where(enterprise, 10.0, 1.0)
    headroom = rng.lognormal(np.log(1.2), 0.45, n)  # potential/revenue - 1: median +120 %
    potential = revenue * (1.0 + headroom)
    city_names = [str(s) for s in c_name[city]]
    states = [str(s) for s in c_state[city]]
    # from its own stream (seeded by the positions), so the caller's generator, and everything it draws
    # afterwards (the demo's reps and territories), stays as it was before this column existed
    language = _languages(np.random.default_rng(int(abs(lon.sum() * 1e6)) % 2**32), states)
    return AccountTable(
        ids=[f"A{k + 1:06d}" for k in range(n)],
        names=company_names(rng, industry, city_names),
        lon=lon,
        lat=lat,
        numeric={"revenue": np.round(revenue, 0), "potential": np.round(potential, 0)},
        text={
            "industry": industry,
            "segment": ["Enterprise" if e else "SMB" for e in enterprise],
            "city": city_names,
            "state": states,
            "language": language,
        },
        unit_index=unit,
    )


SPANISH_SHARE = {"TX": 0.30, "CA": 0.28, "NM": 0.35, "AZ": 0.25, "FL": 0.22, "NV": 0.20, "NY": 0.12, "NJ": 0.12,
                 "IL": 0.10, "CO": 0.12}
OTHER_LANGUAGES = {"fr": 0.015, "de": 0.01, "zh": 0.02, "vi": 0.01}


def _languages(rng: np.random.Generator, states: list[str]) -> list[str]:
    """A preferred language per account: Spanish by the state's share (default 6 %), a few others, else English."""
    es = np.array([SPANISH_SHARE.get(s, 0.06) for s in states])
    r = rng.random(len(states))
    out = np.where(r < es, "es", "en").astype(object)
    lo = es.copy()
    for code, share in OTHER_LANGUAGES.items():
        out[(r >= lo) & (r < lo + share)] = code
        lo = lo + share
    return out.tolist()
