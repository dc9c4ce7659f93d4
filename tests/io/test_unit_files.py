"""Base layers: shapefile (file, folder, .zip), GeoJSON, GeoPackage layers, KML/KMZ in any CRS; repairs
and id problems reported; add to the units or replace them keeping assignments where ids match."""
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from territory_desk.domain.editing.data import ReplaceUnits
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.io.unit_files import list_unit_fields, list_unit_layers, read_unit_layer
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.imports import ImportFailed, import_units, plan_units


def cells(ids, x0=-100.0, y0=38.0, size=0.2, per_row=6):
    return [shapely.box(x0 + (k % per_row) * size, y0 + (k // per_row) * size,
                        x0 + (k % per_row + 1) * size, y0 + (k // per_row + 1) * size) for k in range(len(ids))]


def write_layer(path: Path, ids, geoms, crs="EPSG:4326", driver=None, layer=None, **cols) -> str:
    frame = gpd.GeoDataFrame({"unit_id": ids, **cols}, geometry=geoms, crs="EPSG:4326").to_crs(crs)
    pyogrio.write_dataframe(frame, path, driver=driver, layer=layer)
    return str(path)


def grid_ids(project):
    return list(project.units.ids)


def test_replace_keeps_assignments_where_ids_match(make_grid, tmp_path):
    project = make_grid()
    ids = grid_ids(project)
    before = dict(zip(ids, project.scenario.assignment.tolist()))
    new_ids = ids[1:] + ["EXTRA"]  # drop the first cell, add one more (in Web Mercator)
    geoms = cells(ids)[1:] + [shapely.box(-98.8, 38.0, -98.6, 38.2)]
    path = write_layer(tmp_path / "u.geojson", new_ids, geoms, crs="EPSG:3857")
    r = import_units(project, path, replace=True)
    assert project.units.ids == new_ids and "Pseudo-Mercator" in project.units.crs
    a = project.scenario.assignment
    assert all(a[k] == before[u] for k, u in enumerate(new_ids[:-1])) and a[-1] == -1
    assert r.imported == 36 and r.removed_ids == [ids[0]]
    assert "35 id(s) kept with their assignments, 1 new, 1 removed" in r.summary()
    assert project.adjacency.n == 36 and (project.accounts.unit_index < 36).all()


def test_add_a_layer_reprojects_and_refuses_existing_ids(make_grid, tmp_path):
    project = make_grid()
    n = len(project.units)
    geoms = [shapely.box(-98.8, 38.0, -98.6, 38.2), shapely.box(-98.8, 38.2, -98.6, 38.4), cells(["x"])[0]]
    path = write_layer(tmp_path / "more.gpkg", ["E1", "E2", "U0000"], geoms, crs="EPSG:32614",
                       population=[5.0, 6.0, 7.0])
    r = import_units(project, path)
    assert project.units.ids[n:] == ["E1", "E2"] and project.units.crs == make_grid().units.crs
    assert project.scenario.assignment[n:].tolist() == [-1, -1]
    np.testing.assert_allclose(project.units.numeric["population"][n:], [5, 6])
    b = shapely.bounds(project.units.geometry[n])
    np.testing.assert_allclose(b, [-98.8, 38.0, -98.6, 38.2], atol=1e-6)
    assert [(x.row, x.reason) for x in r.rejected] == [(3, "duplicate id: unit 'U0000' is already in the project")]
    east_edge = project.units.index_of("U0005")  # the grid cell west of E1
    assert n in project.adjacency.neighbours[east_edge]
    with pytest.raises(ImportFailed, match="could be imported as new units"):
        import_units(project, write_layer(tmp_path / "same.geojson", ["E1"], geoms[:1]))


def test_shapefile_file_folder_zip_and_missing_dbf(tmp_path):
    folder = tmp_path / "shapes"
    folder.mkdir()
    write_layer(folder / "a.shp", ["A1", "A2"], cells(["a", "b"]))
    write_layer(folder / "b.shp", ["B1"], cells(["c"]), crs="EPSG:26914")
    units, rep = read_unit_layer(str(folder))
    assert rep.layer in ("a", "b") and units.ids == (["A1", "A2"] if rep.layer == "a" else ["B1"])
    assert "other layers" in rep.text()
    units, _ = read_unit_layer(str(folder), layer="b")
    assert units.ids == ["B1"]
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        for f in folder.glob("a.*"):
            z.write(f, f.name)
    assert read_unit_layer(str(tmp_path / "a.zip"))[0].ids == ["A1", "A2"]
    nodbf = tmp_path / "nodbf"
    nodbf.mkdir()
    for ext in ("shp", "shx", "prj"):
        (nodbf / f"a.{ext}").write_bytes((folder / f"a.{ext}").read_bytes())
    units, rep = read_unit_layer(str(nodbf / "a.shp"))
    assert units.ids == ["1", "2"] and "no .dbf" in rep.text() and "numbered 1..n" in rep.text()


def test_kml_kmz_and_kml_without_polygons(tmp_path):
    kml = write_layer(tmp_path / "a.kml", ["K1", "K2"], cells(["a", "b"]), driver="KML", name=["One", "Two"])
    with zipfile.ZipFile(tmp_path / "a.kmz", "w") as z:
        z.write(kml, "doc.kml")
    units, _ = read_unit_layer(str(tmp_path / "a.kmz"))
    assert len(units) == 2 and sorted(units.names) == ["One", "Two"]
    pts = gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(-99, 38)], crs="EPSG:4326")
    pyogrio.write_dataframe(pts, tmp_path / "points.kml", driver="KML")
    with pytest.raises(InputError, match="no polygon"):
        read_unit_layer(str(tmp_path / "points.kml"))


def test_geopackage_layer_choice_and_fields(tmp_path):
    path = tmp_path / "two.gpkg"
    write_layer(path, ["A"], cells(["a"]), layer="first", kind=["x"])
    write_layer(path, ["B", "C"], cells(["b", "c"]), layer="second")
    assert [n for n, _ in list_unit_layers(str(path))] == ["first", "second"]
    assert "kind" in list_unit_fields(str(path), "first")
    assert read_unit_layer(str(path), layer="second")[0].ids == ["B", "C"]
    with pytest.raises(InputError, match="no layer 'third'"):
        read_unit_layer(str(path), layer="third")


def test_invalid_geometries_repaired_and_id_problems_reported(tmp_path):
    bowtie = shapely.Polygon([(-100, 38), (-99.8, 38.2), (-99.8, 38), (-100, 38.2)])
    sliver = shapely.Polygon([(-99, 38), (-98.9, 38), (-98.8, 38)])  # no area at all
    geoms = cells(["a", "b", "c", "d", "e"]) + [bowtie, sliver]
    ids = ["A", "B", "B", "", "E", "F", "G"]
    units, rep = read_unit_layer(write_layer(tmp_path / "bad.geojson", ids, geoms))
    assert units.ids == ["A", "B", "B-2", "feature-4", "E", "F"]
    assert rep.repaired == ["F"] and shapely.is_valid(units.geometry).all()
    assert rep.skipped == [(7, "an invalid geometry with no area left after repair")]
    text = rep.text()
    assert "repeated id 'B', now 'B-2'" in text and "empty id, now 'feature-4'" in text and "make_valid" in text
    many = write_layer(tmp_path / "many.geojson", ["X"] * 5, cells(list("abcde")))
    with pytest.raises(InputError, match="4 duplicate id"):
        read_unit_layer(many)


def test_import_units_file_transaction(make_grid, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(make_grid(), path)
    stamp = (path.read_bytes(), os.stat(path).st_mtime_ns)
    bad = tmp_path / "noise.geojson"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        import_units(str(path), str(bad))
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == stamp
    ids = load_project(path).units.ids
    import_units(str(path), write_layer(tmp_path / "u.geojson", ids, cells(ids)), replace=True)
    p = load_project(path)
    assert p.units.ids == ids and np.array_equal(p.scenario.assignment, make_grid().scenario.assignment)


def test_replace_units_command_undo(make_grid, tmp_path):
    doc = Document(make_grid())
    old_units, old_stats = doc.project.units, doc.stats()
    ids = list(old_units.ids[:18])
    plan = plan_units(doc.project, write_layer(tmp_path / "half.geojson", ids, cells(ids)), replace=True)
    cmd = ReplaceUnits(plan.units, plan.adjacency, plan.assignments, plan.account_unit_index)
    cmd.redo(doc)
    assert len(doc.project.units) == 18 and doc.stats().units.sum() == 18
    assert (doc.project.accounts.unit_index < 18).all()
    cmd.undo(doc)
    assert doc.project.units is old_units and np.array_equal(doc.stats().units, old_stats.units)
    cmd.redo(doc)
    assert len(doc.project.units) == 18
