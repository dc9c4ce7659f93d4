"""Base units: the polygons (ZIP areas, counties, custom areas) that territories are made of.

Geometries stay in their source CRS; measures (area, perimeter) are computed once in the project's
equal-area working CRS and cached.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.magnitudes import check_columns
from territory_desk.domain.model.projection import equal_area_crs, lonlat_bounds, to_crs, transform_geometries


@dataclass
class UnitLayer:
    """Unit polygons with ids, names and attributes.

    ``numeric`` holds float64 columns (balance candidates such as population; NaN = missing, every
    value within ±MAX_MAGNITUDE, see magnitudes.py); ``text`` holds string columns.
    ``area_m2``/``perimeter_m`` are measured in ``work_crs`` (equal-area).
    """

    ids: list[str]
    names: list[str]
    geometry: np.ndarray  # shapely (Multi)Polygons in `crs`
    crs: str  # WKT of the source CRS
    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, list[str]] = field(default_factory=dict)
    work_crs: str = ""
    area_m2: np.ndarray | None = None
    perimeter_m: np.ndarray | None = None
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.geometry = np.asarray(self.geometry, dtype=object)
        if len(self.names) != n or len(self.geometry) != n:
            raise InputError("unit ids, names and geometries differ in length")
        if len(set(self.ids)) != n:
            raise InputError("unit ids are not unique")
        check_columns(self.numeric, self.text, self.ids, "unit")
        if not self.work_crs:
            src = to_crs(self.crs)
            self.work_crs = equal_area_crs(*lonlat_bounds(self.geometry, src)).to_wkt()
        if self.area_m2 is None or self.perimeter_m is None:
            self.measure()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def source_crs(self) -> CRS:
        return to_crs(self.crs)

    @property
    def working_crs(self) -> CRS:
        return to_crs(self.work_crs)

    def index_of(self, unit_id: str) -> int:
        if self._index is None:
            self._index = {u: i for i, u in enumerate(self.ids)}
        try:
            return self._index[unit_id]
        except KeyError:
            raise InputError(f"no unit with id {unit_id!r}") from None

    def indices_of(self, unit_ids: list[str]) -> np.ndarray:
        return np.array([self.index_of(u) for u in unit_ids], dtype=np.int64)

    def projected(self) -> np.ndarray:
        """Geometries in the working (equal-area) CRS."""
        return transform_geometries(self.geometry, self.source_crs, self.working_crs)

    def measure(self, projected: np.ndarray | None = None) -> None:
        geoms = self.projected() if projected is None else projected
        self.area_m2 = shapely.area(geoms).astype(np.float64)
        self.perimeter_m = shapely.length(geoms).astype(np.float64)
