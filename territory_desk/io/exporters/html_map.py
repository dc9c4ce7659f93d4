"""The interactive web map (folium/Leaflet) for planners and for reps on phones.

* Fully offline: folium's CDN <script>/<link> tags are switched off and the vendored Leaflet and
  markercluster files (resources/vendor/leaflet, from the npm registry, with their licences) are
  inlined; no tile server unless ``online_tiles`` is asked for. The files are looked up in
  ``$TERRITORY_DESK_RESOURCES/vendor/leaflet``, the installed package
  (``territory_desk/resources/vendor/leaflet``), a PyInstaller bundle, then the source checkout.
* Territories are filled in their colours (one overlay per region in the layer control) with a
  tooltip on hover and a popup on tap: name, region, rep, counts and every metric. Accounts are
  clustered circle markers. A collapsible legend lists territories, reps and the chosen metric.
* Every project string (names, reps, regions, titles, field values) is HTML-escaped before it goes
  into the page, and data reaches the scripts through folium's ``tojson`` (which also escapes ``<``,
  ``>`` and ``&``), so a territory named ``<script>alert(1)</script>`` shows as text.
"""
from __future__ import annotations

import base64
import functools
import html
import json
import math
import os
import re
import sys
from importlib import resources
from pathlib import Path

import folium
import numpy as np
import shapely
from branca.element import Element
from folium.plugins import FastMarkerCluster
from folium.utilities import JsCode

from ...domain.errors import TerritoryDeskError
from ...domain.membership import account_territories
from ...domain.projection import LONLAT, to_crs, transform_geometries
from .figures import compact, metric_label, signed_pct, territory_rows
from .layers import dissolved_territories

MAX_VERTICES_TOLERANCE = 1 / 4000  # simplification tolerance as a share of the map's extent
_EXTERNAL = re.compile(r"<script[^>]*\ssrc\s*=\s*[\"']?\s*(https?:)?//|<link[^>]*href\s*=\s*[\"']?\s*(https?:)?//",
                       re.IGNORECASE)
# Tooltips and popups are built as DOM nodes with textContent: project strings are never parsed as HTML.
TIP_JS = """
function tdTip(title, pairs) {
  var d = document.createElement('div'); d.className = 'td-tip';
  var b = document.createElement('b'); b.textContent = title; d.appendChild(b);
  var t = document.createElement('table'); d.appendChild(t);
  pairs.forEach(function (p) { var tr = t.insertRow(); tr.insertCell().textContent = p[0]; tr.insertCell().textContent = p[1]; });
  return d;
}"""
ON_EACH_TERRITORY = JsCode(
    "function (feature, layer) { var p = feature.properties;"
    " var tip = function () { return tdTip(p.name, p.pairs); };"
    " layer.bindTooltip(tip, {sticky: true}); layer.bindPopup(tip); }")
ACCOUNT_MARKER = """(function () {  // folium adds "var callback = "
  var T = %s, F = %s;
  return function (row) {
    var t = T[row[3]] || ["unassigned", "\u2013", "#bbbbbb"];
    var m = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 5, color: '#1f2a44', weight: 1, fillColor: t[2], fillOpacity: 0.9});
    var tip = function () {
      var pairs = [["Territory", t[0]], ["Rep", t[1]]];
      for (var k = 0; k < F.length; k++) { pairs.push([F[k], row[4 + k]]); }
      return tdTip(row[2], pairs);
    };
    m.bindTooltip(tip);
    m.bindPopup(tip);
    return m;
  };
})()"""
PAGE_CSS = """
.leaflet-container { background: #f3f2ee; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.td-legend { position: fixed; z-index: 1000; right: 10px; bottom: 22px; max-width: min(380px, 80vw);
  max-height: 55vh; overflow: auto; background: rgba(255,255,255,.94); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); padding: 6px 10px; }
.td-legend summary { font-weight: 600; cursor: pointer; }
.td-legend table { border-collapse: collapse; margin-top: 4px; }
.td-legend td { padding: 1px 5px 1px 0; vertical-align: middle; white-space: nowrap; }
.td-legend .sw { display: inline-block; width: 14px; height: 14px; border: 1px solid #333; border-radius: 2px; }
.td-legend .num { text-align: right; }
.td-legend .note { color: #555; font-size: 11px; margin-top: 4px; white-space: normal; }
.td-tip b { font-size: 14px; } .td-tip td { padding: 0 6px 0 0; }
@media (max-width: 600px) { .td-legend { font-size: 12px; max-height: 40vh; } }
"""
COLLAPSE_ON_PHONES = "<script>if (window.innerWidth < 600) { document.querySelectorAll('.td-legend').forEach(function (d) { d.removeAttribute('open'); }); }</script>"


# ---- the vendored Leaflet files -------------------------------------------------------------------
JS_FILES = ("leaflet.js", "leaflet.markercluster.js")
CSS_FILES = ("leaflet.css", "MarkerCluster.css", "MarkerCluster.Default.css")
LICENSES = ("LICENSE", "LICENSE-markercluster.txt")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")


def candidate_dirs() -> list[Path]:
    """Where the vendored Leaflet files may be, in the order they are looked for."""
    out = []
    env = os.environ.get("TERRITORY_DESK_RESOURCES")
    if env:
        out.append(Path(env) / "vendor" / "leaflet")
    try:
        out.append(Path(str(resources.files("territory_desk"))) / "resources" / "vendor" / "leaflet")
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual importers
        pass
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        out.append(Path(bundle) / "resources" / "vendor" / "leaflet")
    out.append(Path(__file__).resolve().parents[3] / "resources" / "vendor" / "leaflet")
    return out


def vendor_dir() -> Path:
    """The first folder that holds every vendored file."""
    needed = JS_FILES + CSS_FILES
    for d in candidate_dirs():
        if all((d / name).is_file() for name in needed):
            return d
    where = ", ".join(str(d) for d in candidate_dirs())
    raise TerritoryDeskError(f"the offline map library (Leaflet) is missing; looked in {where}")


@functools.lru_cache(maxsize=2)
def _inline(folder: str) -> tuple[str, str]:
    d = Path(folder)
    js = "\n".join(_SOURCE_MAP.sub("", (d / name).read_text(encoding="utf-8")) for name in JS_FILES)
    css = "\n".join(_data_uris(d, (d / name).read_text(encoding="utf-8")) for name in CSS_FILES)
    if re.search(r"</script", js, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise TerritoryDeskError("the vendored Leaflet files cannot be inlined (they contain a closing tag)")
    return js, css


def _data_uris(d: Path, css: str) -> str:
    """url(images/x.png) -> url(data:image/png;base64,...) for the images that are vendored."""
    def repl(m: re.Match) -> str:
        path = d / m.group(2)
        if not path.is_file():
            return "none"  # e.g. the default marker icon, which the exported maps do not use
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii") + ")"

    return _SOURCE_MAP.sub("", _CSS_URL.sub(repl, css)).replace("/*# sourceMappingURL", "/* ")


def inline_assets() -> tuple[str, str]:
    """(JavaScript, CSS) of Leaflet + markercluster, safe to put inside <script>/<style> elements."""
    return _inline(str(vendor_dir()))


def license_notice() -> str:
    """The licences of the inlined libraries (kept in the page as a comment)."""
    d = vendor_dir()
    texts = [(d / name).read_text(encoding="utf-8") for name in LICENSES if (d / name).is_file()]
    return "\n\n".join(t.replace("--", "- -") for t in texts)


# ---- the page ------------------------------------------------------------------------------------
class OfflineMap(folium.Map):
    """A folium map that links no CDN: the page gets the vendored files inline instead."""

    default_js: list = []
    default_css: list = []


class _OfflineCluster(FastMarkerCluster):
    default_js: list = []
    default_css: list = []


def external_references(page: str) -> list[str]:
    """<script src> and <link href> to http(s) or protocol-relative URLs (must be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(page)]


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def js_json(value) -> str:
    """JSON that is safe inside a <script> element (no <, >, & or non-ASCII characters)."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def simplified_lonlat(geoms: np.ndarray, src, work, tolerance: float) -> np.ndarray:
    """Polygons simplified in the working CRS (metres), as a coverage when possible so that shared
    borders stay shared, then in longitude/latitude with 6 decimals."""
    projected = transform_geometries(geoms, to_crs(src), to_crs(work))
    try:
        simple = shapely.coverage_simplify(projected, tolerance)
        if np.any(shapely.is_empty(simple) & ~shapely.is_empty(projected)):
            raise ValueError("a polygon vanished")
    except (shapely.errors.GEOSException, ValueError):
        simple = shapely.simplify(projected, tolerance, preserve_topology=True)
    return shapely.set_precision(transform_geometries(simple, to_crs(work), LONLAT), 1e-6)


def build_html_map(project, scenario, d: dict, *, title: str, metric: str = "", territories=None,
                   online_tiles: bool = False, basemap=None, note: str = "") -> str:
    """The page as a string. ``basemap``: optional (geometries, crs) of outlines (e.g. states)."""
    units = project.units
    rows = {r.index: r for r in territory_rows(project, scenario, d, territories)}
    idx, polys = dissolved_territories(project, scenario, territories)
    work = units.working_crs
    shown = polys if len(polys) else units.geometry  # no territory yet: frame the units
    box = shapely.total_bounds(transform_geometries(shown, units.source_crs, work))
    if not np.all(np.isfinite(box)):
        box = None
    tol = math.hypot(box[2] - box[0], box[3] - box[1]) * MAX_VERTICES_TOLERANCE if box is not None else 100.0
    lonlat = simplified_lonlat(polys, units.source_crs, work, tol) if len(polys) else polys
    fields = list(d["summary"]["max_abs_deviation_pct"])
    labels = {f: metric_label(project, f) for f in fields}

    m = OfflineMap(location=[39.0, -96.0], zoom_start=4, tiles=None, control_scale=True,
                    **{"minZoom": 2, "maxZoom": 18})
    root = m.get_root()
    root.title = _esc(title)
    js, css = inline_assets()
    root.header.add_child(Element(f"<!-- Leaflet and Leaflet.markercluster, inlined:\n{license_notice()}\n-->"),
                          name="td_license")
    root.header.add_child(Element(f"<style>{css}\n{PAGE_CSS}</style>"), name="td_css")
    root.header.add_child(Element(f"<script>{js}\n{TIP_JS}</script>"), name="td_js")
    if online_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    if basemap is not None:
        _add_basemap(m, basemap, work, tol, box)

    groups: dict[str, folium.FeatureGroup] = {}
    for t, geom, ll in zip(idx, polys, lonlat):
        r = rows[t]
        group_name = r.region or ("Territories" if not any(x.region for x in rows.values()) else "No region")
        if group_name not in groups:
            groups[group_name] = folium.FeatureGroup(name=_esc(group_name), show=True).add_to(m)
        s = r.stats
        pairs = [("Region", r.region or "–"), ("Rep", r.rep or "vacant"), ("Units", f"{s['units']:,}"),
                 ("Accounts", f"{s['accounts']:,}")]
        pairs += [(labels[f], f"{compact(s['metrics'][f]['value'])} ({signed_pct(s['metrics'][f]['deviation_pct'])})")
                  for f in fields if f != "accounts"]
        feature = {"type": "Feature", "geometry": shapely.geometry.mapping(ll),
                   "properties": {"name": r.name, "pairs": pairs, "color": r.color}}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#262626", "weight": 1.5,
                                      "fillOpacity": 0.72},
            highlight_function=lambda f: {"weight": 3.5, "fillOpacity": 0.85},
            on_each_feature=ON_EACH_TERRITORY, smooth_factor=0.5,
        ).add_to(groups[group_name])

    skipped = _add_accounts(m, project, scenario, rows, territories)
    folium.LayerControl(collapsed=True).add_to(m)
    if box is not None:
        (x0, y0), (x1, y1) = shapely.get_coordinates(transform_geometries(
            np.array([shapely.points(box[0], box[1]), shapely.points(box[2], box[3])]), work, LONLAT))
        m.fit_bounds([[min(y0, y1), min(x0, x1)], [max(y0, y1), max(x0, x1)]])
    notes = [note] if note else []
    if skipped:
        notes.append(f"{skipped:,} account(s) without valid coordinates are not shown.")
    root.html.add_child(Element(_legend_html(title, scenario.name, list(rows.values()), metric,
                                             labels.get(metric, metric), notes)), name="td_legend")
    page = root.render()
    bad = external_references(page)
    if bad:  # never hand out a page that silently needs the network
        raise RuntimeError(f"the HTML map links external resources: {bad[:3]}")
    return page


def _add_accounts(m, project, scenario, rows, territories) -> int:
    """Clustered account markers; returns how many accounts had no usable coordinates."""
    acc = project.accounts
    if len(acc) == 0:
        return 0
    where = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1)
    a = scenario.assignment
    terr = np.where(where >= 0, a[np.maximum(where, 0)], -1)
    if scenario.shapes is not None:  # freeform: the polygon each account lies in
        terr = account_territories(project, scenario)
    keep = np.ones(len(acc), dtype=bool) if territories is None else np.isin(terr, list(territories))
    ok = np.isfinite(acc.lon) & np.isfinite(acc.lat) & (np.abs(acc.lat) <= 90) & (np.abs(acc.lon) <= 180)
    skipped = int(np.count_nonzero(keep & ~ok))
    num = list(acc.numeric.items())[:4]
    table = {str(t): [r.name, r.rep or "vacant", r.color] for t, r in rows.items()}
    values = [[compact(float(x)) for x in np.nan_to_num(v)] for _, v in num]
    lat, lon = np.round(acc.lat, 6).tolist(), np.round(acc.lon, 6).tolist()
    data = [[lat[i], lon[i], acc.names[i], int(terr[i]) if int(terr[i]) in rows else -1, *(v[i] for v in values)]
            for i in np.flatnonzero(keep & ok).tolist()]
    if data:
        names = [k.replace("_", " ").capitalize() for k, _ in num]
        _OfflineCluster(data, callback=ACCOUNT_MARKER % (js_json(table), js_json(names)),
                        name=f"Accounts ({len(data):,})", show=False,
                        options={"chunkedLoading": True, "maxClusterRadius": 50}).add_to(m)
    return skipped


def _add_basemap(m, basemap, work, tol, box) -> None:
    """Outlines (e.g. states) as thin grey lines, cut to the map's extent plus a margin."""
    geoms, crs = basemap
    lines = shapely.boundary(np.asarray(geoms, dtype=object))
    projected = shapely.simplify(transform_geometries(lines, to_crs(crs), to_crs(work)), tol)
    if box is not None:
        pad = 0.5 * max(box[2] - box[0], box[3] - box[1])
        projected = shapely.clip_by_rect(projected, box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
    ll = shapely.set_precision(transform_geometries(projected, to_crs(work), LONLAT), 1e-5)
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {}}
                for g in ll if not shapely.is_empty(g)]
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name="Outlines", interactive=False,
                   style_function=lambda f: {"color": "#7a7a7a", "weight": 0.8, "fill": False}).add_to(m)


def _legend_html(title: str, scenario: str, rows, metric: str, metric_name: str, notes: list[str]) -> str:
    head = f"<summary>{_esc(title)}</summary><div class='note'>Scenario: {_esc(scenario)}</div>"
    body = []
    for r in rows:
        value = f"<td class='num'>{_esc(compact(r.value(metric)))}</td><td class='num'>{_esc(signed_pct(r.deviation(metric)))}</td>" if metric else ""
        body.append(f"<tr><td><span class='sw' style='background:{r.color}'></span></td><td>{_esc(r.name)}</td>"
                    f"<td>{_esc(r.rep or 'vacant')}</td>{value}</tr>")
    cols = f"<tr><th></th><th>Territory</th><th>Rep</th><th colspan='2'>{_esc(metric_name)}</th></tr>" if metric else ""
    foot = "".join(f"<div class='note'>{_esc(n)}</div>" for n in notes)
    return f"<details class='td-legend' open>{head}<table>{cols}{''.join(body)}</table>{foot}</details>{COLLAPSE_ON_PHONES}"
