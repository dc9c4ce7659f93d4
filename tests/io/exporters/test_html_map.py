"""The interactive HTML map: fully offline (Leaflet inlined, no CDN), escaped, with territories, accounts,
legend and layer control."""
from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

import pytest

from territory_desk.io.exporters.html_map import build_html_map
from territory_desk.io.exporters.leaflet_assets import (
    candidate_dirs,
    external_references,
    inline_assets,
    license_notice,
    vendor_dir,
)
from territory_desk.io.exporters.safe_html import js_json
from territory_desk.services.exports import export
from territory_desk.services.reports import stats_dict

EVIL = "<script>alert(1)</script>"
EVIL_REP = "</script><img src=x onerror=alert(2)>${alert(3)}`"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def territory_layers(page: str) -> list[dict]:
    """The GeoJSON FeatureCollections of the territory layers in a page."""
    return [json.loads(m) for m in re.findall(r"L\.geoJson\((\{.*?\}), \{\n\s*smoothFactor", page, re.S)]


def account_rows(page: str) -> list[list]:
    """The account rows the marker cluster is built from."""
    return json.loads(re.search(r", data = (\[.*?\]);\n", page, re.S).group(1))


@pytest.fixture(scope="module")
def demo(demo_project):
    p = copy.deepcopy(demo_project)
    p.scenario.territories[0].name = EVIL
    p.reps[0].name = EVIL_REP
    p.scenario.territories[0].rep_id = p.reps[0].id
    p.scenario.regions[0].name = "<b>North</b>east"
    p.accounts.names[0] = EVIL
    return p


@pytest.fixture(scope="module")
def page(demo):
    return build_html_map(demo, demo.scenario, stats_dict(demo), title=f"Plan {EVIL}", metric="potential")


def test_vendored_leaflet_is_found_with_its_licence():
    d = vendor_dir()
    assert d in candidate_dirs()
    for name in ("leaflet.js", "leaflet.css", "leaflet.markercluster.js", "LICENSE", "LICENSE-markercluster.txt"):
        assert (d / name).is_file()
    js, css = inline_assets()
    assert "L.markerClusterGroup" in js and ".leaflet-container" in css
    assert "url(images/" not in css  # images inlined as data URIs
    assert "BSD" in license_notice() and "MIT" in license_notice().upper()


def test_page_is_offline(page):
    assert external_references(page) == []
    tags = _Tags()
    tags.feed(page)
    for tag, attrs in tags.tags:
        if tag == "script":
            assert "src" not in attrs
        if tag == "link":
            assert not attrs.get("href", "").startswith(("http:", "https:", "//"))
    assert any("L.markerClusterGroup" in s for s in tags.scripts)  # the library is inline
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "code.jquery" not in page


def test_markup_in_names_is_escaped(page):
    assert EVIL not in page
    assert "<img src=x" not in page and "</script><img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the legend shows it as text
    # a region name in the layer control: HTML-escaped, then JSON-escaped (Leaflet sets it as innerHTML)
    assert "\\u0026lt;b\\u0026gt;North\\u0026lt;/b\\u0026gt;east" in page
    tags = _Tags()
    tags.feed(page)
    assert not [a for t, a in tags.tags if t == "img"]
    # scripts receive names only as escaped JSON strings and show them with textContent
    joined = "".join(tags.scripts)
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in joined
    assert "textContent" in joined and "innerHTML" not in joined.split("function tdTip")[1][:400]


def test_territories_accounts_legend_and_layer_control(demo, page):
    n = len(demo.scenario.territories)
    features = [f for fc in territory_layers(page) for f in fc["features"]]
    assert len(features) == n
    assert {f["properties"]["name"] for f in features} == {t.name for t in demo.scenario.territories}
    assert "L.control.layers" in page
    assert f"Accounts ({len(demo.accounts):,})" in page
    assert page.count("class='sw'") == n  # one legend swatch per territory
    rows = account_rows(page)
    assert len(rows) == len(demo.accounts)
    assert all(-90 <= r[0] <= 90 and -180 <= r[1] <= 180 for r in rows)


def test_region_export_and_online_tiles(demo, tmp_path):
    out = tmp_path / "west.html"
    res = export(demo, "html", str(out), region="West", online_tiles=True)
    text = out.read_text(encoding="utf-8")
    west = [t for t in demo.scenario.territories if t.region_id == "W"]
    assert text.count("class='sw'") == len(west)
    assert "tile.openstreetmap.org" in text  # tiles are images, not scripts or stylesheets
    assert external_references(text) == []
    assert "online tile background" in res.message


def test_js_json_cannot_close_a_script():
    text = js_json({"a": "</script><b>&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><b>&"}
