"""services.exports: options, errors in one line, atomic writes, and the PowerPoint deck (read back with
python-pptx; map pictures from a stand-in renderer, the Qt one is tested in tests/ui)."""
from __future__ import annotations

import copy
import io
import os

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from territory_desk.cli import main
from territory_desk.domain.model.errors import InputError
from territory_desk.persistence.store import save_project
from territory_desk.services.export_formats import format_for_path, output_path
from territory_desk.services.exports import export, map_spec


class FakeRenderer:
    """Records the specs and writes a small PNG (stands in for the Qt renderer)."""

    def __init__(self, fail: bool = False):
        self.specs = []
        self.fail = fail

    def png_bytes(self, spec):
        self.specs.append(spec)
        buf = io.BytesIO()
        w, h = spec.page_size_in
        Image.new("RGB", (max(1, int(w * 20)), max(1, int(h * 20))), "#4e79a7").save(buf, "PNG")
        return buf.getvalue()

    def write(self, spec, fmt, path):
        self.specs.append(spec)
        if self.fail:
            with open(path, "wb") as fh:
                fh.write(b"half")
            raise InputError("renderer failed")
        with open(path, "wb") as fh:
            fh.write(self.png_bytes(spec))


@pytest.fixture(scope="module")
def demo(demo_project):
    p = copy.deepcopy(demo_project)
    p.scenarios.append(p.scenario.copy("Alternative"))
    p.scenarios[1].assignment[p.scenarios[1].assignment == 1] = 0
    return p


def test_formats_and_paths():
    assert format_for_path("x/map.PDF") == "pdf" and format_for_path("a.json") == "geojson"
    assert format_for_path("a.txt") is None
    assert output_path("png", "out") == "out.png"
    assert output_path("geojson", "t.json") == "t.json"
    with pytest.raises(InputError, match="written to a .png file"):
        output_path("png", "map.pdf")
    with pytest.raises(InputError, match="unknown format"):
        output_path("docx", "a.docx")


def test_options_are_checked(demo, tmp_path):
    out = str(tmp_path / "m.png")
    r = FakeRenderer()
    for kwargs, message in (({"region": "Atlantis"}, "no region 'Atlantis'.*regions: Northeast"),
                            ({"territory": "T99"}, "no territory 'T99'"),
                            ({"dpi": 1200}, "between 72 and 600"),
                            ({"page": "a3"}, "unknown page"),
                            ({"metric": "weight"}, "no metric 'weight'"),
                            ({"scenario": "Nope"}, "no scenario"),
                            ({"region": "West", "territory": "T01"}, "not both"),
                            ({"table": "alignment"}, "--table applies to csv")):
        with pytest.raises(InputError, match=message):
            export(demo, "png", out, map_renderer=r, **kwargs)
    with pytest.raises(InputError, match="need the map renderer"):
        export(demo, "pdf", out.replace(".png", ".pdf"))
    with pytest.raises(InputError, match="does not exist"):
        export(demo, "csv", str(tmp_path / "missing" / "a.csv"))
    assert list(tmp_path.iterdir()) == []


def test_the_project_file_is_never_the_target(demo, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(demo, str(path))
    before = path.read_bytes()
    with pytest.raises(InputError, match="is the project file"):
        export(demo, "gpkg", str(path), project_path=str(path))
    assert path.read_bytes() == before


def test_a_failed_export_leaves_the_old_file_and_no_temporary(demo, tmp_path):
    out = tmp_path / "map.png"
    out.write_bytes(b"previous")
    with pytest.raises(InputError, match="renderer failed"):
        export(demo, "png", str(out), map_renderer=FakeRenderer(fail=True))
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_map_spec_defaults(demo):
    spec = map_spec(demo, region="west", dpi=150, inset=True)
    assert spec.title == "US demo" and spec.metric == "potential" and spec.metric_label == "Potential"
    assert spec.focus_label == "Region West" and spec.subtitle == "Scenario Base \u00b7 Region West"
    assert sorted(spec.territories) == [i for i, t in enumerate(demo.scenario.territories) if t.region_id == "W"]
    assert spec.basemap is not None  # US state outlines
    assert spec.page_size_in == (11.0, 8.5) and "territory_desk" in spec.note


def test_deck_slides_tables_chart_and_comparison(demo, tmp_path):
    out = tmp_path / "deck.pptx"
    r = FakeRenderer()
    res = export(demo, "pptx", str(out), map_renderer=r, title="Q3 plan")
    prs = Presentation(str(out))
    titles = [s.shapes.title.text for s in prs.slides]
    regions = [reg.name for reg in demo.scenario.regions]
    assert titles == ["Q3 plan", "Overview \u2014 Base"] + [f"Region: {n}" for n in regions] + [
        "Balance: deviation from the mean", "Scenario comparison"]
    assert f"{len(prs.slides)} slides" in res.message
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    # one map per region slide and the overview, rendered by the renderer without a page title
    assert len(r.specs) == 1 + len(regions) and not any(s.show_title for s in r.specs)
    west = next(s for s in prs.slides if s.shapes.title.text == "Region: West")
    pics = [sh for sh in west.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    table = next(sh for sh in west.shapes if sh.has_table).table
    names = [table.cell(i, 1).text for i in range(1, len(table.rows))]
    assert len(pics) == 1
    assert names == [t.name for t in demo.scenario.territories if t.region_id == "W"]
    chart_slide = next(s for s in prs.slides if s.shapes.title.text.startswith("Balance"))
    chart = next(sh for sh in chart_slide.shapes if sh.has_chart).chart
    assert list(chart.plots[0].categories) == [t.name for t in demo.scenario.territories]
    assert [s.name for s in chart.series] == ["Potential", "Accounts"]
    comp = next(sh for sh in prs.slides[-1].shapes if sh.has_table).table
    assert [comp.cell(i, 0).text for i in (1, 2)] == ["Base (shown)", "Alternative"]


def test_cli_exports_tables_and_layers_without_qt(demo, tmp_path, capsys):
    path = tmp_path / "demo.gpkg"
    save_project(demo, str(path))
    assert main(["export", str(path), "-o", str(tmp_path / "align")]) == 2  # no extension, no --format
    assert "give --format" in capsys.readouterr().err
    assert main(["export", str(path), "--format", "csv", "-o", str(tmp_path / "align")]) == 0
    assert "3,108 alignment rows" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "align.csv")
    assert main(["export", str(path), "-o", str(tmp_path / "t.kml"), "--region", "Nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("territory-desk: error: no region 'Nowhere'") and err.count("\n") == 1
