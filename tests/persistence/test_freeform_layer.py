"""Freeform territories in the project file (the freeform_territories GeoPackage layer), the recovery
file, and exports (GeoJSON polygons, account tables)."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pyogrio
import pytest
import shapely

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.freeform import AddFreeformScenario, DrawTerritory
from territory_desk.domain.model.errors import ProjectFileError
from territory_desk.domain.model.projection import LONLAT, transform_geometries
from territory_desk.persistence.freeform_layer import TABLE, territory_geometries
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services import session_files as sf
from territory_desk.services.exports import export
from territory_desk.services.freeform import freeform_problems

from tests.domain.stats.test_freeform_engine import box_between, known_project
from tests.round_trip import assert_same_project


@pytest.fixture
def drawn():
    doc = Document(known_project())
    AddFreeformScenario("Drawn").redo(doc)
    DrawTerritory(box_between(doc.project, 0, 0, 3, 2), name="North", color="#e41a1c").redo(doc)
    DrawTerritory(box_between(doc.project, 2, 0, 5, 2), name="South").redo(doc)
    return doc


def _same(a, b) -> bool:
    return shapely.equals_exact(a, b, tolerance=1e-4)


def test_save_load_round_trip(drawn, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(drawn.project, path)
    back = load_project(path)
    assert_same_project(drawn.project, back)
    sc = back.get_scenario("Drawn")
    assert back.active == "Drawn" and not back.get_scenario("Base").is_freeform
    assert [(t.id, t.name, t.color) for t in sc.territories] == [
        (t.id, t.name, t.color) for t in drawn.scenario.territories]
    for t in sc.territories:
        assert _same(sc.shapes[t.id], drawn.scenario.shapes[t.id])
    assert np.allclose(Document(back).stats().value, drawn.stats().value)
    # a GIS reads the layer in the units' CRS, with the colours
    frame = pyogrio.read_dataframe(path, layer=TABLE)
    assert frame["name"].tolist() == ["North", "South"] and frame.crs.to_epsg() == 4326
    lonlat = transform_geometries(np.array([drawn.scenario.shapes["T01"]]), back.units.working_crs, LONLAT)[0]
    assert shapely.equals_exact(frame.geometry[0].geoms[0], lonlat, tolerance=1e-9)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM layer_styles WHERE f_table_name = ?", (TABLE,)).fetchone() == (1,)
    # and saving again gives the same file content for the layer
    save_project(back, tmp_path / "again.gpkg")
    again = load_project(tmp_path / "again.gpkg").get_scenario("Drawn")
    assert all(_same(again.shapes[k], sc.shapes[k]) for k in sc.shapes)


def test_projects_without_freeform_scenarios_have_no_layer(tmp_path):
    save_project(known_project(), tmp_path / "p.gpkg")
    assert TABLE not in pyogrio.list_layers(tmp_path / "p.gpkg")[:, 0]
    assert not load_project(tmp_path / "p.gpkg").scenario.is_freeform


def _edit(project, path, sql: str) -> None:
    """Save, then change the layer behind territory_desk's back (the R-tree triggers need GDAL's SQL
    functions: dropped first)."""
    save_project(project, path)
    with sqlite3.connect(path) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(sql)


def test_damaged_layer_is_refused_with_one_line(drawn, tmp_path):
    path = tmp_path / "p.gpkg"
    _edit(drawn.project, path, f"UPDATE {TABLE} SET territory_id = 'nope' WHERE fid = 1")
    with pytest.raises(ProjectFileError, match="names territory 'nope'"):
        load_project(path)
    _edit(drawn.project, path, f"UPDATE {TABLE} SET scenario = 0")  # Base is not freeform
    with pytest.raises(ProjectFileError, match="not freeform"):
        load_project(path)
    _edit(drawn.project, path, f"UPDATE {TABLE} SET geom = x'0102' WHERE fid = 2")
    with pytest.raises(ProjectFileError, match="damaged"):
        load_project(path)
    _edit(drawn.project, path, f"INSERT INTO {TABLE} (geom, scenario, territory_id) SELECT geom, scenario, "
                               f"territory_id FROM {TABLE} WHERE fid = 1")
    with pytest.raises(ProjectFileError, match="twice"):
        load_project(path)


def test_recovery_keeps_the_polygons(drawn, tmp_path):
    snap = json.loads(json.dumps(sf.recovery_snapshot(drawn.project)))
    project = known_project()
    sf.apply_recovery(project, snap)
    sc = project.get_scenario("Drawn")
    assert project.active == "Drawn" and not project.get_scenario("Base").is_freeform
    assert all(_same(sc.shapes[k], drawn.scenario.shapes[k]) for k in sc.shapes)
    snap["scenarios"][1]["shapes"]["T01"] = shapely.to_wkb(shapely.Point(0, 0), hex=True)
    with pytest.raises(ProjectFileError, match="damaged"):
        sf.apply_recovery(known_project(), snap)


def test_exports_and_check(drawn, tmp_path):
    project = drawn.project
    geoms = territory_geometries(project, drawn.scenario)
    assert len(geoms) == 2 and all(g is not None for g in geoms)
    result = export(project, "geojson", str(tmp_path / "t.geojson"))
    data = json.loads((tmp_path / "t.geojson").read_text())
    assert [f["properties"]["name"] for f in data["features"]] == ["North", "South"]
    assert [f["properties"]["accounts"] for f in data["features"]] == [6, 6]
    poly = shapely.geometry.shape(data["features"][0]["geometry"])
    assert poly.bounds[0] == pytest.approx(-100.0, abs=1e-6) and poly.bounds[2] == pytest.approx(-99.4, abs=1e-6)
    assert "2 territories" in result.message
    export(project, "csv", str(tmp_path / "a.csv"), table="accounts")
    rows = (tmp_path / "a.csv").read_text().splitlines()
    assert any(r.startswith("C00,C00,T01,North") for r in rows)
    assert any(r.startswith("C40,C40,T02,South") for r in rows)
    lines = freeform_problems(project, drawn.scenario)
    assert lines[0].startswith("territories 'North' and 'South' overlap")
    assert "2 account(s) counted in both: C20, C21" in lines[0]
    assert lines[1].startswith("26 account(s) in no territory")
