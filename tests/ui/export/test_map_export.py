"""Map pages drawn with the canvas renderer: PNG (QImage/Pillow), PDF (pypdf, pdftoppm when installed),
SVG (XML parser, QSvgRenderer), the layout furniture and the deck pictures."""
from __future__ import annotations

import copy
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from territory_desk.io.exporters.figures import territory_rows
from territory_desk.services.exports import export, map_spec
from territory_desk.ui.canvas.view_transform import ViewTransform
from territory_desk.ui.export.map_export import QtMapRenderer, ensure_gui_app
from territory_desk.ui.export.map_layout import ground_metres_per_unit, nice_length, north_angle, plan_legend
from territory_desk.ui.export.svg_paths import split_long_paths

from tests.pdf_text import page_words

SVG = "{http://www.w3.org/2000/svg}"
NAME = "Boston <&> Area"


@pytest.fixture(scope="module")
def demo(demo_project):
    p = copy.deepcopy(demo_project)
    p.scenario.territories[0].name = NAME
    return p


@pytest.fixture(scope="module")
def renderer(demo, qapp):
    assert ensure_gui_app() is qapp  # the CLI's helper reuses a running application
    return QtMapRenderer()


def _pixels(path_or_image) -> np.ndarray:
    im = Image.open(path_or_image).convert("RGB")
    return np.asarray(im)


def _territory_colour_share(rgb: np.ndarray, color: str) -> float:
    target = np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)])
    return float(np.mean(np.abs(rgb.astype(int) - target).sum(axis=2) < 12))


def _colour_pixels(rgb: np.ndarray, color: str) -> int:
    return round(_territory_colour_share(rgb, color) * rgb.shape[0] * rgb.shape[1])


def test_png_has_the_requested_size_and_is_a_real_map(demo, renderer, tmp_path):
    out = tmp_path / "m.png"
    res = export(demo, "png", str(out), dpi=120, page="letter", map_renderer=renderer)
    assert "1320x1020 px" in res.message
    im = Image.open(out)
    assert im.size == (1320, 1020)
    assert round(im.info["dpi"][0]) == 120
    rgb = _pixels(out)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 200  # not blank: many colours
    for terr in demo.scenario.territories:
        assert _colour_pixels(rgb, terr.color) > 100, terr.name  # every territory is filled


def test_lines_keep_their_width_in_inches_at_any_dpi(demo, renderer, tmp_path):
    """Borders are 2/96 inch at 150 and at 600 dpi (pens scale with the resolution, not 1-pixel hairlines)."""
    small = map_spec(demo, dpi=150).with_(size_in=(3.0, 2.0), legend=False, show_title=False)
    shares = {}
    for dpi in (150, 600):
        img = renderer.image(small.with_(dpi=dpi))
        assert img.width() == round(3.0 * dpi)
        img.save(str(tmp_path / f"{dpi}.png"))
        rgb = _pixels(tmp_path / f"{dpi}.png")
        shares[dpi] = _territory_colour_share(rgb, "#262626") + _territory_colour_share(rgb, "#1a1a1a")
    assert shares[600] > 0.01
    assert 0.6 < shares[600] / shares[150] < 1.6


def test_pdf_pages_and_text(demo, renderer, tmp_path):
    sizes = {"letter": (792, 612), "a4": (842, 595), "slide": (960, 540)}
    for page, (w, h) in sizes.items():
        out = tmp_path / f"{page}.pdf"
        export(demo, "pdf", str(out), page=page, dpi=100, title="Sales plan 2025", map_renderer=renderer)
        reader = PdfReader(str(out))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (w, h)
    text = page_words(tmp_path / "letter.pdf")
    assert "Sales plan 2025" in text and "Houston Area" in text and NAME in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_rasterises_to_a_map(demo, renderer, tmp_path):
    out = tmp_path / "m.pdf"
    export(demo, "pdf", str(out), dpi=100, map_renderer=renderer)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(out), str(tmp_path / "r")], check=True)
    rgb = _pixels(tmp_path / "r.png")
    assert rgb.shape[:2] == (340, 440)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50
    houston = next(t for t in demo.scenario.territories if t.name == "Houston Area")
    assert _territory_colour_share(rgb, houston.color) > 0.002


def test_svg_is_xml_and_renders(demo, renderer, tmp_path):
    out = tmp_path / "m.svg"
    export(demo, "svg", str(out), dpi=100, map_renderer=renderer)
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 1056 816"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert NAME in texts  # a real <text>, escaped by the generator
    assert len(list(root.iter(f"{SVG}path"))) > 10
    r = QSvgRenderer(str(out))
    assert r.isValid()
    img = QImage(528, 408, QImage.Format.Format_ARGB32)
    img.fill(0xFFFFFFFF)
    p = QPainter(img)
    r.render(p)
    p.end()
    img.save(str(tmp_path / "svg.png"))
    assert len(np.unique(_pixels(tmp_path / "svg.png").reshape(-1, 3), axis=0)) > 50


def test_long_svg_paths_are_split_keeping_holes(tmp_path):
    ring = "M0,0 L10,0 L10,10 L0,10 Z "  # counter-clockwise in y-up terms
    hole = "M2,2 L2,8 L8,8 L8,2 Z "
    d = (ring + hole) * 30 + ring * 30
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><g fill="#ff0000"><path d="{d}"/></g>'
           f'<g fill="none"><path d="{ring * 60}"/></g></svg>')
    path = tmp_path / "t.svg"
    path.write_text(svg, encoding="utf-8")
    assert split_long_paths(str(path), limit=40) == 2
    root = ET.parse(path).getroot()
    filled = [p.get("d") for p in root.find(f"{SVG}g").iter(f"{SVG}path")]
    assert len(filled) > 1 and "".join(filled).split() == d.split()
    for piece in filled:
        assert piece.lstrip().startswith("M0,0")  # never starts with a hole
    strokes = [p.get("d") for p in root.findall(f"{SVG}g")[1].iter(f"{SVG}path")]
    assert len(strokes) > 1 and all(len(s.split("M")) - 1 <= 10 for s in strokes)


def test_region_focus_with_inset(demo, renderer, tmp_path):
    spec = map_spec(demo, region="Northeast", dpi=80, inset=True)
    img = renderer.image(spec)
    path = str(tmp_path / "region.png")
    img.save(path)
    rgb = _pixels(path)
    ne = [t for t in demo.scenario.territories if t.region_id == "NE"]
    for terr in ne:
        assert _colour_pixels(rgb, terr.color) > 100, terr.name
    seattle = next(t for t in demo.scenario.territories if t.name == "Seattle Area")
    assert _territory_colour_share(rgb, seattle.color) < 0.01  # only in the small inset, not the main map
    assert _territory_colour_share(rgb, "#d62728") > 0  # the red extent box of the inset


def test_legend_plans_fit_or_count_what_is_left_out(demo):
    rows = territory_rows(demo, demo.scenario, map_spec(demo).stats)
    plan = plan_legend(rows, "potential", "Territories", 400, 700)
    assert plan.two_lines and plan.columns == 1 and plan.more == 0
    many = rows * 10
    plan = plan_legend(many, "potential", "Territories", 400, 500)
    w, h = plan.size
    assert w <= 400 and h <= 500 + 1e-6
    assert len(plan.rows) + plan.more == len(many) and plan.more > 0


def test_scale_and_north(demo, renderer):
    assert [nice_length(v) for v in (0.9, 7, 230, 4999)] == [0.5, 5, 200, 2000]
    cache = renderer.cache(demo)
    work = demo.units.working_crs
    view = ViewTransform.fitted(cache.total_bounds, 1000, 700)
    per_unit = ground_metres_per_unit(view, work)
    assert per_unit == pytest.approx(view.metres_per_pixel, rel=0.03)  # Albers: near true scale at the centre
    west = ViewTransform(view.cx - 1.8e6, view.cy, view.scale, 1000, 700)
    east = ViewTransform(view.cx + 1.8e6, view.cy, view.scale, 1000, 700)
    assert abs(north_angle(view, work)) < 1.0
    assert north_angle(west, work) > 5.0 and north_angle(east, work) < -5.0  # meridians converge to the north
