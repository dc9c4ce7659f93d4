"""Choice of the working projected CRS and coordinate transforms.

All area, perimeter and distance math is done in an equal-area projection chosen from the data's
extent (Albers equal-area conic with standard parallels at 1/6 and 5/6 of the latitude range,
as cartographers choose them), never in degrees.
"""
from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

LONLAT = CRS.from_epsg(4326)


def to_crs(value: str | CRS | None) -> CRS:
    """Parse a stored CRS (WKT, EPSG code, PROJ string). None means longitude/latitude."""
    if value is None or value == "":
        return LONLAT
    if isinstance(value, CRS):
        return value
    return CRS.from_user_input(value)


def equal_area_crs(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> CRS:
    """An Albers equal-area CRS fitted to a longitude/latitude extent."""
    lat_min, lat_max = max(lat_min, -85.0), min(lat_max, 85.0)
    span = max(lat_max - lat_min, 0.5)
    lat1 = lat_min + span / 6.0
    lat2 = lat_max - span / 6.0
    if abs(lat1 + lat2) < 1e-6:  # parallels symmetric about the equator: Albers degenerates
        lat2 += 0.5
    lon0 = (lon_min + lon_max) / 2.0
    lat0 = (lat_min + lat_max) / 2.0
    return CRS.from_proj4(
        f"+proj=aea +lat_1={lat1:.4f} +lat_2={lat2:.4f} +lat_0={lat0:.4f} +lon_0={lon0:.4f} "
        "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def transform_geometries(geoms: np.ndarray, src: CRS, dst: CRS) -> np.ndarray:
    """Reproject an array of shapely geometries (vectorised over all coordinates)."""
    if src == dst:
        return geoms
    tr = Transformer.from_crs(src, dst, always_xy=True)

    def _tx(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), _tx)


def transform_points(x: np.ndarray, y: np.ndarray, src: CRS, dst: CRS) -> tuple[np.ndarray, np.ndarray]:
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def lonlat_bounds(geoms: np.ndarray, src: CRS) -> tuple[float, float, float, float]:
    """Longitude/latitude bounds of geometries in any CRS."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if src.is_geographic:
        return float(xmin), float(ymin), float(xmax), float(ymax)
    tr = Transformer.from_crs(src, LONLAT, always_xy=True)
    return tuple(float(v) for v in tr.transform_bounds(xmin, ymin, xmax, ymax))  # type: ignore[return-value]
