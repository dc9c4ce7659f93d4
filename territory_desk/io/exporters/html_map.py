"""The interactive web map (Leaflet) for planners and for reps on phones.

* Fully offline: folium's CDN <script>/<link> tags are switched off and the vendored Leaflet and
  markercluster files are inlined (leaflet_assets.py); no tile server unless ``online_tiles`` is
  asked for.
* Territories are filled in their colours (one overlay per region in the layer control) with a
  tooltip on hover and a popup on tap: name, region, rep, counts and every metric. Accounts are
  clustered circle markers. A collapsible legend lists territories, reps and the chosen metric.
* No template ever sees user text (safe_html.py says why and how): folium builds the frame (map,
  tiles, outlines, feature groups, bounds) and never receives a project string; territories,
  accounts and the layer control are our scripts (``PageScript``) fed with escaped JSON data, which
  build tooltips and popups as DOM nodes with ``textContent``; the legend is a fixed autoescaped
  template; the title is HTML-escaped. A territory named ``<script>alert(1)</script>`` or
  ``{{7*7}}`` shows as exactly that text.
"""
from __future__ import annotations

import math

import folium
import numpy as np
import shapely

from territory_desk.domain.stats.kinds import account_territories
from territory_desk.domain.model.projection import LONLAT, to_crs, transform_geometries
from territory_desk.io.exporters.figures import compact, metric_label, safe_color, signed_pct, territory_rows
from territory_desk.io.exporters.layer_frames import dissolved_territories
from territory_desk.io.exporters.leaflet_assets import external_references, inline_assets, license_notice
from territory_desk.io.exporters.safe_html import Markup, PageScript, html_template, html_text, js_json

MAX_VERTICES_TOLERANCE = 1 / 4000  # simplification tolerance as a share of the map's extent
# Tooltips and popups are built as DOM nodes with textContent: project strings are never parsed as HTML.
TIP_JS = """
function tdTip(title, pairs) {
  var d = document.createElement('div'); d.className = 'td-tip';
  var b = document.createElement('b'); b.textContent = title; d.appendChild(b);
  var t = document.createElement('table'); d.appendChild(t);
  pairs.forEach(function (p) { var tr = t.insertRow(); tr.insertCell().textContent = p[0]; tr.insertCell().textContent = p[1]; });
  return d;
}"""
# One region's territories: %(group)s is the feature group's variable, %(data)s their GeoJSON (js_json).
TERRITORIES_JS = """(function () {
  var base = {color: '#262626', weight: 1.5, fillOpacity: 0.72};
  L.geoJson(%(data)s, {
    smoothFactor: 0.5,
    style: function (f) { return L.extend({fillColor: f.properties.color}, base); },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      var tip = function () { return tdTip(p.name, p.pairs); };
      layer.bindTooltip(tip, {sticky: true});
      layer.bindPopup(tip);
      layer.on({mouseover: function (e) { e.target.setStyle({weight: 3.5, fillOpacity: 0.85}); },
                mouseout: function (e) { e.target.setStyle(base); }});
    }
  }).addTo(%(group)s);
})();"""
# The accounts: rows [lat, lon, name, territory, value...]; T: territory -> [name, rep, colour]; F: value names.
ACCOUNTS_JS = """var %(var)s = (function () {
  var T = %(table)s, F = %(fields)s, data = %(data)s;
  var cluster = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50});
  var markers = data.map(function (row) {
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
  });
  cluster.addLayers(markers);
  return cluster.addTo(%(map)s);  // shown on opening; the layer control hides it
})();"""
# The layer control: labels (HTML, as Leaflet inserts them) -> layer variables.
LAYERS_JS = """(function () {
  var base = {}, overlays = {};
%(entries)s
  L.control.layers(base, overlays, {collapsed: true}).addTo(%(map)s);
})();"""
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
# The legend: a fixed template; autoescape escapes every value for HTML text and attributes.
LEGEND = html_template(
    "<details class='td-legend' open><summary>{{ title }}</summary><div class='note'>Scenario: {{ scenario }}</div>"
    "<table>{% if metric %}<tr><th></th><th>Territory</th><th>Rep</th><th colspan='2'>{{ metric }}</th></tr>{% endif %}"
    "{% for r in rows %}<tr><td><span class='sw' style='background:{{ r.color }}'></span></td><td>{{ r.name }}</td>"
    "<td>{{ r.rep }}</td>{% if metric %}<td class='num'>{{ r.value }}</td><td class='num'>{{ r.deviation }}</td>"
    "{% endif %}</tr>{% endfor %}</table>{% for n in notes %}<div class='note'>{{ n }}</div>{% endfor %}</details>")
COLLAPSE_ON_PHONES = "<script>if (window.innerWidth < 600) { document.querySelectorAll('.td-legend').forEach(function (d) { d.removeAttribute('open'); }); }</script>"


class OfflineMap(folium.Map):
    """A folium map that links no CDN: the page gets the vendored files inline instead."""

    default_js: list = []
    default_css: list = []


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
    root.title = html_text(title)  # the Figure template puts it in <title> as it is
    js, css = inline_assets()
    root.header.add_child(Markup(f"<!-- Leaflet and Leaflet.markercluster, inlined:\n{license_notice()}\n-->"),
                          name="td_license")
    root.header.add_child(Markup(f"<style>{css}\n{PAGE_CSS}</style>"), name="td_css")
    root.header.add_child(Markup(f"<script>{js}\n{TIP_JS}</script>"), name="td_js")
    layers: list[tuple[str, str, bool]] = []  # (label, folium element, base layer?) for the layer control
    if online_tiles:
        tiles = folium.TileLayer("OpenStreetMap").add_to(m)
        layers.append(("OpenStreetMap (online)", tiles, True))
    if basemap is not None:
        layers.append(("Outlines", _add_basemap(m, basemap, work, tol, box), False))
    for label, features in _territory_features(rows, idx, lonlat, fields, labels).items():
        group = folium.FeatureGroup(show=True).add_to(m)  # no name: the labels are ours (below)
        group.add_child(PageScript(lambda _, var, f=features: TERRITORIES_JS % {
            "group": var, "data": js_json({"type": "FeatureCollection", "features": f})}))
        layers.append((label, group, False))
    accounts, skipped = _accounts(m, project, scenario, rows, territories)
    if accounts is not None:
        layers.append(accounts)
    m.add_child(PageScript(lambda _, var: LAYERS_JS % {"map": var, "entries": _layer_entries(layers)}))
    if box is not None:
        (x0, y0), (x1, y1) = shapely.get_coordinates(transform_geometries(
            np.array([shapely.points(box[0], box[1]), shapely.points(box[2], box[3])]), work, LONLAT))
        m.fit_bounds([[min(y0, y1), min(x0, x1)], [max(y0, y1), max(x0, x1)]])
    notes = [note] if note else []
    if skipped:
        notes.append(f"{skipped:,} account(s) without valid coordinates are not shown.")
    root.html.add_child(Markup(legend_html(title, scenario.name, list(rows.values()), metric,
                                           labels.get(metric, metric), notes)), name="td_legend")
    page = root.render()
    bad = external_references(page)
    if bad:  # never hand out a page that silently needs the network
        raise RuntimeError(f"the HTML map links external resources: {bad[:3]}")
    return page


def _territory_features(rows, idx, lonlat, fields, labels) -> dict[str, list[dict]]:
    """GeoJSON features of the territories per layer-control label (their region)."""
    any_region = any(x.region for x in rows.values())
    out: dict[str, list[dict]] = {}
    for t, ll in zip(idx, lonlat):
        r = rows[t]
        s = r.stats
        pairs = [("Region", r.region or "–"), ("Rep", r.rep or "vacant"), ("Units", f"{s['units']:,}"),
                 ("Accounts", f"{s['accounts']:,}")]
        pairs += [(labels[f], f"{compact(s['metrics'][f]['value'])} ({signed_pct(s['metrics'][f]['deviation_pct'])})")
                  for f in fields if f != "accounts"]
        label = r.region or ("No region" if any_region else "Territories")
        out.setdefault(label, []).append({"type": "Feature", "geometry": shapely.geometry.mapping(ll),
                                          "properties": {"name": r.name, "pairs": pairs, "color": safe_color(r.color)}})
    return out


def _layer_entries(layers) -> str:
    """JavaScript lines filling the layer control: labels are HTML-escaped (Leaflet inserts them as
    HTML), then JSON-escaped; the values are folium's variable names."""
    return "\n".join(f"  {'base' if is_base else 'overlays'}[{js_json(html_text(label))}] = {el.get_name()};"
                     for label, el, is_base in layers)


def _accounts(m, project, scenario, rows, territories):
    """Clustered account markers: ((label, element, False) or None, accounts without usable coordinates)."""
    acc = project.accounts
    if len(acc) == 0:
        return None, 0
    where = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1)
    a = scenario.assignment
    terr = np.where(where >= 0, a[np.maximum(where, 0)], -1)
    if scenario.is_freeform:  # freeform: the polygon each account lies in
        terr = account_territories(project, scenario)
    keep = np.ones(len(acc), dtype=bool) if territories is None else np.isin(terr, list(territories))
    ok = np.isfinite(acc.lon) & np.isfinite(acc.lat) & (np.abs(acc.lat) <= 90) & (np.abs(acc.lon) <= 180)
    skipped = int(np.count_nonzero(keep & ~ok))
    num = list(acc.numeric.items())[:4]
    table = {str(t): [r.name, r.rep or "vacant", safe_color(r.color)] for t, r in rows.items()}
    values = [[compact(float(x)) for x in np.nan_to_num(v)] for _, v in num]
    lat, lon = np.round(acc.lat, 6).tolist(), np.round(acc.lon, 6).tolist()
    data = [[lat[i], lon[i], acc.names[i], int(terr[i]) if int(terr[i]) in rows else -1, *(v[i] for v in values)]
            for i in np.flatnonzero(keep & ok).tolist()]
    if not data:
        return None, skipped
    names = [k.replace("_", " ").capitalize() for k, _ in num]
    el = PageScript(lambda var, parent: ACCOUNTS_JS % {"var": var, "map": parent, "table": js_json(table), "fields": js_json(names),
                                               "data": js_json(data)})
    m.add_child(el)
    return (f"Accounts ({len(data):,})", el, False), skipped


def _add_basemap(m, basemap, work, tol, box):
    """Outlines (e.g. states) as thin grey lines, cut to the map's extent plus a margin (bundled
    geometry only: no project string goes through folium)."""
    geoms, crs = basemap
    lines = shapely.boundary(np.asarray(geoms, dtype=object))
    projected = shapely.simplify(transform_geometries(lines, to_crs(crs), to_crs(work)), tol)
    if box is not None:
        pad = 0.5 * max(box[2] - box[0], box[3] - box[1])
        projected = shapely.clip_by_rect(projected, box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
    ll = shapely.set_precision(transform_geometries(projected, to_crs(work), LONLAT), 1e-5)
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {}}
                for g in ll if not shapely.is_empty(g)]
    return folium.GeoJson({"type": "FeatureCollection", "features": features}, interactive=False,
                          style_function=lambda f: {"color": "#7a7a7a", "weight": 0.8, "fill": False}).add_to(m)


def legend_html(title: str, scenario: str, rows, metric: str, metric_name: str, notes: list[str]) -> str:
    """The legend: the fixed LEGEND template with the names as values (escaped by autoescape)."""
    items = [{"color": safe_color(r.color), "name": r.name, "rep": r.rep or "vacant",
              "value": compact(r.value(metric)) if metric else "",
              "deviation": signed_pct(r.deviation(metric)) if metric else ""} for r in rows]
    return LEGEND.render(title=title, scenario=scenario, rows=items, metric=metric_name if metric else "",
                         notes=notes) + COLLAPSE_ON_PHONES
