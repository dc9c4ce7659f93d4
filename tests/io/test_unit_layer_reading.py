"""Base-unit layers from GIS files (here: plain GeoPackages written with pyogrio) become projects."""
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project
from territory_desk.io.unit_files import read_unit_layer
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project


def project_from_file(path, layer=None, id_field=None, name_field=None) -> Project:
    return Project.from_units(read_unit_layer(str(path), id_field, name_field, layer)[0])


def _county_geoms() -> np.ndarray:
    return np.array([shapely.box(-100 + k, 35, -99 + k, 36) for k in range(4)], dtype=object)


def write_plain_geopackage(path: Path, with_points: bool = False) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"GEOID": [48001, 48003, 48005, 48007], "NAME": ["A", "B", "C", "D"],
                              "pop": [10, 20, 30, 40], "kind": ["x", None, "y", "z"]},
                             geometry=list(_county_geoms()), crs="EPSG:4269")
    pyogrio.write_dataframe(frame, path, layer="counties")
    if with_points:
        pts = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
        pyogrio.write_dataframe(pts, path, layer="stores")


def test_project_from_geopackage_guesses_id_and_name(tmp_path: Path) -> None:
    path = tmp_path / "counties.gpkg"
    write_plain_geopackage(path, with_points=True)
    project = project_from_file(path)
    units = project.units
    assert units.ids == ["48001", "48003", "48005", "48007"] and units.names == ["A", "B", "C", "D"]
    assert list(units.numeric) == ["pop"] and units.text == {"kind": ["x", "", "y", "z"]}
    assert CRS(units.crs) == CRS("EPSG:4269")
    assert project.adjacency.edge_count == 3
    save_project(project, tmp_path / "new.gpkg")
    assert load_project(tmp_path / "new.gpkg").units.ids == units.ids


def test_project_from_geopackage_with_explicit_fields(tmp_path: Path) -> None:
    path = tmp_path / "counties.gpkg"
    write_plain_geopackage(path)
    units = project_from_file(path, layer="counties", id_field="name", name_field="kind").units
    assert units.ids == ["A", "B", "C", "D"] and units.names == ["x", "", "y", "z"]
    with pytest.raises(InputError, match="no id field 'nope'"):
        project_from_file(path, id_field="nope")


def test_project_from_geopackage_refuses_points(tmp_path: Path) -> None:
    path = tmp_path / "stores.gpkg"
    write_plain_geopackage(path, with_points=True)
    with pytest.raises(InputError, match="polygon"):
        project_from_file(path, layer="stores")
    with pytest.raises(InputError, match="no layer 'roads'"):
        project_from_file(path, layer="roads")


def test_project_from_something_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "noise.gpkg"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="cannot read"):
        project_from_file(path)
    with pytest.raises(InputError, match="does not exist"):
        project_from_file(tmp_path / "missing.gpkg")
