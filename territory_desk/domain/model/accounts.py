"""Accounts: customer points with numeric and text fields, each located in the unit containing it."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.magnitudes import check_columns
from territory_desk.domain.model.projection import LONLAT, transform_points


@dataclass
class AccountTable:
    """Accounts with longitude/latitude (both NaN: unlocated, e.g. no usable address), numeric
    columns (NaN: missing; within ±MAX_MAGNITUDE) and text columns."""

    ids: list[str]
    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, list[str]] = field(default_factory=dict)
    unit_index: np.ndarray | None = None  # int64, -1 = outside every unit

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.lat = np.asarray(self.lat, dtype=np.float64)
        if len(self.names) != n or len(self.lon) != n or len(self.lat) != n:
            raise InputError("account ids, names and coordinates differ in length")
        if self.unit_index is not None:
            self.unit_index = np.asarray(self.unit_index, dtype=np.int64)
            if len(self.unit_index) != n:
                raise InputError("account unit index has the wrong length")
        check_columns(self.numeric, self.text, self.ids, "account")
        check_coordinates(self.lon, self.lat, self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "AccountTable":
        return cls([], [], np.zeros(0), np.zeros(0), unit_index=np.zeros(0, dtype=np.int64))

    def outside(self) -> np.ndarray:
        """Indices of accounts that lie in no unit."""
        assert self.unit_index is not None
        return np.flatnonzero(self.unit_index < 0)


def check_coordinates(lon: np.ndarray, lat: np.ndarray, ids: list[str]) -> None:
    """Each account is located (finite longitude within ±180, latitude within ±90) or unlocated
    (both NaN); anything else is refused naming the account."""
    with np.errstate(invalid="ignore"):
        bad = ~((np.isnan(lon) & np.isnan(lat)) | ((np.abs(lon) <= 180) & (np.abs(lat) <= 90)))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"account {ids[k]!r} has the coordinates ({lon[k]:.6g}, {lat[k]:.6g}); an account needs a "
                         "longitude within ±180 and a latitude within ±90, or none at all")


def locate_points(lon: np.ndarray, lat: np.ndarray, unit_geoms: np.ndarray, unit_crs) -> np.ndarray:
    """Index of the unit containing each point (-1 when none). Vectorised with an STRtree.

    A point on a shared border goes to the unit with the lowest index, so every point has one unit.
    """
    n = len(lon)
    result = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(unit_geoms) == 0:
        return result
    x, y = (lon, lat) if unit_crs == LONLAT or unit_crs.is_geographic else transform_points(lon, lat, LONLAT, unit_crs)
    ok = np.isfinite(x) & np.isfinite(y)
    pts = shapely.points(np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    tree = shapely.STRtree(unit_geoms)
    p_idx, u_idx = tree.query(pts, predicate="intersects")
    if len(p_idx):
        # keep the lowest unit index per point: sort by (point, unit) and take the first of each point
        order = np.lexsort((u_idx, p_idx))
        p_sorted, u_sorted = p_idx[order], u_idx[order]
        first = np.ones(len(p_sorted), dtype=bool)
        first[1:] = p_sorted[1:] != p_sorted[:-1]
        result[p_sorted[first]] = u_sorted[first]
    result[~ok] = -1
    return result
