"""Thematic maps and the account heat map: classes, colours on the canvas, legends, and exports."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.services.kpis import ThematicSpec, classify, parse_thematic, thematic_values

from tests.conftest import make_grid_project


def test_parse_and_classify():
    assert parse_thematic("population") == ThematicSpec("population", "quantiles", 5)
    assert parse_thematic("kpi:revenue:natural_breaks:4") == ThematicSpec("kpi:revenue", "natural_breaks", 4)
    for bad in ("x:kmeans", "x:quantiles:12", "x:quantiles:many", ""):
        with pytest.raises(InputError):
            parse_thematic(bad)
    values = np.array([1, 2, 3, 4, 10, 20, 30, 40, np.nan])
    assert classify(values, "equal_interval", 2).tolist() == [20.5, 40.0]
    assert classify(values, "quantiles", 4).tolist() == [2.75, 7.0, 22.5, 40.0]
    assert classify(values, "natural_breaks", 2).tolist() == classify(values, "natural_breaks", 2).tolist()
    assert classify(np.array([5.0, 5.0]), "quantiles", 5).tolist() == [5.0]


def test_kpi_values_are_classified_over_territories():
    p = make_grid_project()
    values, label, basis = thematic_values(p, "kpi:accounts", None, "all")
    a = p.scenario.assignment
    counts = np.bincount(a[p.accounts.unit_index], minlength=3)
    assert basis.tolist() == counts.tolist() and values.tolist() == counts[a].tolist()
    assert label == "Accounts"


@pytest.fixture
def shown(window, qtbot):
    window.set_document(Document(make_grid_project()))
    window.canvas.flush()
    return window


def _nearest(color: QColor, candidates: list[QColor]) -> int:
    d = [abs(color.red() - c.red()) + abs(color.green() - c.green()) + abs(color.blue() - c.blue()) for c in candidates]
    return int(np.argmin(d))


def test_thematic_overlay_colours_units_by_class(shown, qtbot, tmp_path):
    w = shown
    ka = w.areas["kpis"]
    spec = ThematicSpec("population", "equal_interval", 3, "Blues")
    ka._ask_thematic = lambda current: spec
    ka.act_thematic.trigger()  # View → Thematic map… (the dialog answers ``spec``)
    assert ka.act_thematic.isChecked() and ka.thematic_overlay in w.canvas.overlays
    layer = ka.thematic_overlay.layer
    image = w.canvas.grab().toImage()
    image.save(str(tmp_path / "thematic.png"))
    pop = w.model.doc.project.units.numeric["population"]
    for unit in (int(np.argmin(pop)), int(np.argmax(pop)), 7):
        pt = w.canvas.unit_screen_point(unit)
        pixel = image.pixelColor(int(pt.x() + 6), int(pt.y() + 6))
        assert _nearest(pixel, layer.colors) == layer.classes[unit], unit
    assert layer.classes[int(np.argmin(pop))] == 0 and layer.classes[int(np.argmax(pop))] == layer.k - 1
    assert [text for _, text in layer.legend_rows()][0].startswith(f"{pop.min():,.0f} – ")
    overlay = ka.thematic_overlay
    picture = overlay._image
    w.canvas.pan_by(25, 10)
    w.canvas.repaint()
    assert overlay._image is picture  # panning moves the cached picture
    w.canvas.zoom_by(2.0)
    w.canvas.flush()
    w.canvas.repaint()
    assert overlay._image is not picture  # a new scale draws it again
    ka.act_thematic.trigger()  # unchecked: the layer goes away
    assert ka.thematic_overlay is None and overlay not in w.canvas.overlays


def test_thematic_kpi_follows_edits(shown, qtbot):
    from territory_desk.domain.editing.territories import MoveUnits

    w = shown
    ka = w.areas["kpis"]
    assert ka.show_thematic(ThematicSpec("kpi:accounts", "quantiles", 3, "YlOrRd", "all"))
    before = ka.thematic_overlay.layer.values.copy()
    a = w.model.doc.scenario.assignment
    w.model.push(MoveUnits(np.flatnonzero(a == 1).tolist(), 0))
    qtbot.waitUntil(lambda: not np.array_equal(ka.thematic_overlay.layer.values, before), timeout=3000)
    assert np.isnan(ka.thematic_overlay.layer.values).sum() == 0
    assert ka.show_thematic(ThematicSpec("nothing")) is False and w.errors


def test_heat_map_layer(shown, qtbot, tmp_path):
    w = shown
    ka = w.areas["kpis"]
    ka.act_heatmap.trigger()
    assert ka.heatmap_overlay in w.canvas.overlays
    image = w.canvas.grab().toImage()
    image.save(str(tmp_path / "heat.png"))
    acc = w.model.doc.project.accounts
    from territory_desk.ui.canvas.overlays.heatmap import HeatmapLayer

    heat = HeatmapLayer(w.model.doc.project)
    grid_image, rect = heat.image(w.canvas.view)
    assert heat.count == len(acc) and not grid_image.isNull() and rect.width() > 0
    alpha = np.array([grid_image.pixelColor(x, y).alpha() for x in range(0, grid_image.width(), 7)
                      for y in range(0, grid_image.height(), 7)])
    assert alpha.max() > 150 and (alpha == 0).any()  # dense spots and empty surroundings
    overlay = ka.heatmap_overlay
    ka.act_heatmap.trigger()
    assert ka.heatmap_overlay is None and overlay not in w.canvas.overlays


def test_exports_show_the_map_layers_on_the_canvas(shown, qtbot):
    """The thematic map and heat map shown on the canvas go into File → Export… and Copy map."""
    w = shown
    ka, export = w.areas["kpis"], w.areas["export"]
    assert w.canvas.export_options() == {}
    spec = ThematicSpec("population", "equal_interval", 3, "Blues")
    assert ka.show_thematic(spec)
    ka.act_heatmap.trigger()
    assert w.canvas.export_options() == {"thematic": spec, "heatmap": True}
    dialog = export.make_dialog()
    try:
        assert dialog.map_extras == {"thematic": spec, "heatmap": True}
    finally:
        dialog.deleteLater()
    ka.act_heatmap.trigger()
    ka.show_thematic(None)
    assert w.canvas.export_options() == {}


def _count_near(image: QImage, color: QColor, tol: int = 12) -> int:
    n = 0
    for x in range(0, image.width(), 3):
        for y in range(0, image.height(), 3):
            c = image.pixelColor(x, y)
            n += abs(c.red() - color.red()) + abs(c.green() - color.green()) + abs(c.blue() - color.blue()) <= tol
    return n


def test_map_export_draws_the_thematic_layer(tmp_path, qtbot):
    from territory_desk.services.exports import export
    from territory_desk.ui.export.map_export import QtMapRenderer

    p = make_grid_project()
    renderer = QtMapRenderer()
    spec = ThematicSpec("population", "equal_interval", 2, "Blues")
    export(p, "png", str(tmp_path / "plain.png"), dpi=72, map_renderer=renderer)
    export(p, "png", str(tmp_path / "them.png"), dpi=72, map_renderer=renderer, thematic=spec, heatmap=True)
    dark = QColor("#08519c")
    with_layer = _count_near(QImage(str(tmp_path / "them.png")), dark)
    assert with_layer > 200 and _count_near(QImage(str(tmp_path / "plain.png")), dark) < 5
    with pytest.raises(InputError, match="no metric or KPI"):
        export(p, "png", str(tmp_path / "x.png"), dpi=72, map_renderer=renderer, thematic="galaxy")


def test_export_cli_thematic_and_heatmap(tmp_path, capsys):
    from territory_desk.cli import main
    from territory_desk.persistence.store import save_project

    save_project(make_grid_project(), tmp_path / "p.gpkg")
    code = main(["export", str(tmp_path / "p.gpkg"), "-o", str(tmp_path / "m.png"), "--dpi", "72",
                 "--thematic", "kpi:accounts:quantiles:3", "--thematic-period", "all", "--heatmap"])
    assert code == 0 and (tmp_path / "m.png").stat().st_size > 1000
    code = main(["export", str(tmp_path / "p.gpkg"), "-o", str(tmp_path / "n.png"), "--thematic-period", "2026Q3"])
    assert code == 2 and "--thematic-period needs --thematic" in capsys.readouterr().err
