"""What an exported GIS layer holds: the dissolved territories with their balance figures, and the
accounts with their territory, each as typed, rounded columns with a style.

Territory polygons are the union of each territory's units (``persistence.dissolve``: the fast
coverage union, checked against the summed unit area, with a full overlay union as fallback) or the
drawn shapes of a freeform scenario. Accounts are counted where the statistics count them (their
unit's territory, their pinned territory, their territory layer: ``domain.stats.kinds``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territory_desk.domain.model.projection import LONLAT, to_crs
from territory_desk.domain.stats.kinds import account_territories
from territory_desk.io.exporters.figures import metric_label, territory_rows
from territory_desk.io.exporters.layer_fields import (
    AREA_DECIMALS, COMPACTNESS_DECIMALS, PCT_DECIMALS, LayerField, int_field, text_field, typed_column,
)
from territory_desk.io.exporters.layer_styles import StyleCategory, TerritoryLabel
from territory_desk.persistence.freeform_layer import territory_geometries

TERRITORY_LAYER = "territories"
ACCOUNT_LAYER = "accounts"
_TERRITORY_TEXT = (("territory_id", "territory id"), ("name", "territory name"), ("region", "region name"),
                   ("rep_id", "rep id (empty when vacant)"), ("rep", "rep name (empty when vacant)"),
                   ("color", "fill colour in the editor (#rrggbb)"))


@dataclass
class ExportLayer:
    name: str  # the layer name (territories, accounts)
    kind: str  # "territories" or "accounts"
    frame: gpd.GeoDataFrame  # one column per field, in order, and the geometry
    fields: list[LayerField]
    style_field: str  # the field the style's categories are keyed on (a territory id)
    categories: list[StyleCategory]  # territory id -> colour and legend label
    label: TerritoryLabel | None = None  # territory labels (field names as in ``frame``)
    notes: list[str] = field(default_factory=list)

    def renamed(self, names: dict[str, str]) -> "ExportLayer":
        """The layer with its fields renamed (shapefile names), the style following them."""
        frame = self.frame.rename(columns=names)
        fields = [replace(f, name=names[f.name]) for f in self.fields]
        label = None if self.label is None else TerritoryLabel(
            names[self.label.name_field], self.label.metric_field and names[self.label.metric_field],
            self.label.deviation_field and names[self.label.deviation_field])
        return replace(self, frame=frame, fields=fields, style_field=names[self.style_field], label=label)


def dissolved_territories(project, scenario, territories=None) -> tuple[list[int], np.ndarray]:
    """(territory indices, their dissolved polygons in the units' CRS); territories without units
    are left out."""
    k = len(scenario.territories)
    polys = territory_geometries(project, scenario)  # drawn polygons of a freeform scenario
    keep = range(k) if territories is None else sorted(int(t) for t in territories)
    idx = [t for t in keep if polys[t] is not None]
    return idx, np.array([polys[t] for t in idx], dtype=object)


def territory_layer(project, scenario, d: dict, territories=None, label_metric: str = "") -> ExportLayer:
    """One feature per territory with units: ids, names, colour, rep, counts, area, compactness and
    every metric's value and deviation. ``label_metric``: the metric shown under the name in labels."""
    idx, geoms = dissolved_territories(project, scenario, territories)
    rows = {r.index: r for r in territory_rows(project, scenario, d, idx)}
    ordered = [rows[t] for t in idx]
    cols: dict[str, object] = {}
    fields: list[LayerField] = []

    def add(name, values, f: LayerField):
        cols[name] = values
        fields.append(f)

    texts = {"territory_id": [r.id for r in ordered], "name": [r.name for r in ordered],
             "region": [r.region for r in ordered], "rep_id": [r.rep_id or "" for r in ordered],
             "rep": [r.rep for r in ordered], "color": [r.color for r in ordered]}
    for name, what in _TERRITORY_TEXT:
        add(name, texts[name], text_field(name, what))
    for name, what in (("units", "number of units"), ("accounts", "accounts counted in the territory"),
                       ("pieces", "contiguous parts (1 = contiguous)")):
        add(name, pd.array([int(r.stats[name]) for r in ordered], dtype="Int64"), int_field(name, what))
    for name, what, digits in (("area_km2", "area, km²", AREA_DECIMALS),
                               ("polsby_popper", "compactness (Polsby-Popper, 0-1)", COMPACTNESS_DECIMALS)):
        values = np.asarray([np.nan if r.stats[name] is None else r.stats[name] for r in ordered], dtype=float)
        add(name, np.round(values, digits), LayerField(name, "real", what, digits))
    metric_columns = {}
    for key in d["summary"]["max_abs_deviation_pct"]:
        label = metric_label(project, key)
        name = key if key not in cols else f"metric_{key}"
        if key != "accounts":  # the accounts metric is the accounts count above
            series, f = typed_column([r.value(key) for r in ordered], f"{label}: territory total", name)
            add(name, series.array, f)
            metric_columns[key] = name
        dev = f"{key}_dev_pct"
        values = np.asarray([np.nan if r.deviation(key) is None else r.deviation(key) for r in ordered], dtype=float)
        add(dev, np.round(values, PCT_DECIMALS),
            LayerField(dev, "real", f"{label}: deviation from the mean over territories, %", PCT_DECIMALS))
    metric_columns["accounts"] = "accounts"
    frame = gpd.GeoDataFrame(pd.DataFrame({k: v for k, v in cols.items()}), geometry=list(geoms),
                             crs=to_crs(project.units.crs))
    categories = [StyleCategory(r.id, r.color, r.name) for r in ordered]
    metric = metric_columns.get(label_metric) if label_metric else None
    label = TerritoryLabel("name", metric, f"{label_metric}_dev_pct" if metric else None)
    return ExportLayer(TERRITORY_LAYER, "territories", frame, fields, "territory_id", categories, label)


def account_layer(project, scenario, d: dict, territories=None) -> ExportLayer:
    """One point per account (EPSG:4326; no geometry when it has no location) with the territory it
    is counted in (empty when none) and every account field; only the accounts of ``territories``
    when given."""
    acc = project.accounts
    terr = np.asarray(account_territories(project, scenario), dtype=np.int64)
    keep = np.arange(len(acc)) if territories is None else np.flatnonzero(np.isin(terr, list(territories)))
    rows = {r.index: r for r in territory_rows(project, scenario, d)}
    units = project.units
    where = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1)
    t_of = terr[keep]
    info = [(rows[t].id, rows[t].name, rows[t].rep) if t >= 0 else ("", "", "") for t in t_of.tolist()]
    cols: dict[str, object] = {
        "account_id": [acc.ids[i] for i in keep.tolist()], "name": [acc.names[i] for i in keep.tolist()],
        "territory_id": [i[0] for i in info], "territory": [i[1] for i in info], "rep": [i[2] for i in info],
        "unit_id": [units.ids[u] if u >= 0 else "" for u in where[keep].tolist()],
    }
    fields = [text_field("account_id", "account id"), text_field("name", "account name"),
              text_field("territory_id", "id of the territory the account is counted in (empty: none)"),
              text_field("territory", "territory name"), text_field("rep", "rep of the territory"),
              text_field("unit_id", "unit the account lies in (empty: outside every unit)")]
    for key, values in acc.numeric.items():
        name = key if key not in cols else f"field_{key}"
        series, f = typed_column(np.asarray(values, dtype=float)[keep], f"account field {key}", name)
        cols[name] = series.array
        fields.append(f)
    for key, values in acc.text.items():
        name = key if key not in cols else f"field_{key}"
        cols[name] = [values[i] for i in keep.tolist()]
        fields.append(text_field(name, f"account field {key}"))
    lon, lat = acc.lon[keep], acc.lat[keep]
    located = np.isfinite(lon) & np.isfinite(lat)
    points = np.full(len(keep), None, dtype=object)
    points[located] = shapely.points(lon[located], lat[located])
    frame = gpd.GeoDataFrame(pd.DataFrame(cols), geometry=list(points), crs=LONLAT)
    notes = [f"{int((~located).sum()):,} account(s) without a location have no point"] if (~located).any() else []
    categories = [StyleCategory(r.id, r.color, r.name) for r in rows.values()]
    return ExportLayer(ACCOUNT_LAYER, "accounts", frame, fields, "territory_id", categories, notes=notes)


def rounded_geometries(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Coordinates rounded to ``decimals``; a polygon the rounding (or a reprojection before it) left
    invalid is snapped to the same grid with GEOS's precision model, which keeps it valid."""
    geoms = np.asarray(geoms, dtype=object)
    out = shapely.transform(geoms, lambda c: np.round(c, decimals))
    bad = np.flatnonzero(~shapely.is_valid(out) & ~shapely.is_missing(out))
    if len(bad):
        out[bad] = shapely.set_precision(geoms[bad], 10.0 ** -decimals)
    return out
