"""Dissolved territory layers: GeoPackage, GeoJSON, Shapefile and KML, read back with pyogrio and an XML
parser. (What GIS programs make of them: test_gis_ready_exports.py.)"""
from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pyogrio
import pytest
import shapely

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import transform_geometries
from territory_desk.io.exporters.layer_frames import rounded_geometries, territory_layer
from territory_desk.services.exports import export
from territory_desk.services.reports import stats_dict

from tests.gis_tools import validate_gpkg

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def demo(demo_project):
    p = copy.deepcopy(demo_project)
    p.scenario.territories[0].name = "<script>alert(1)</script> & Co"
    return p


def test_dissolved_polygons_cover_their_units(demo):
    frame = territory_layer(demo, demo.scenario, stats_dict(demo)).frame
    assert len(frame) == len(demo.scenario.territories)
    work = demo.units.working_crs
    areas = shapely.area(transform_geometries(np.asarray(frame.geometry.values), demo.units.source_crs, work))
    a = demo.scenario.assignment
    for t in range(len(frame)):
        expected = demo.units.area_m2[a == t].sum()
        assert areas[t] == pytest.approx(expected, rel=1e-6)
    assert shapely.is_valid(np.asarray(frame.geometry.values)).all()


@pytest.mark.parametrize("fmt,ext", [("gpkg", ".gpkg"), ("geojson", ".geojson"), ("shp", ".shp"), ("kml", ".kml")])
def test_layer_formats_open_with_their_reader(demo, tmp_path, fmt, ext):
    out = tmp_path / f"territories{ext}"
    res = export(demo, fmt, str(out))
    assert res.path == str(out)
    df = pyogrio.read_dataframe(out, layer="territories" if fmt == "gpkg" else None)
    assert len(df) == len(demo.scenario.territories)
    assert shapely.is_valid(np.asarray(df.geometry.values)).all()
    names = set(df["name"] if "name" in df else df["Name"])
    assert "<script>alert(1)</script> & Co" in names
    if fmt in ("geojson", "kml"):
        assert df.crs.to_epsg() == 4326
        x0, y0, x1, y1 = df.total_bounds
        assert -125 < x0 < x1 < -66 and 24 < y0 < y1 < 50
    if fmt == "shp":
        assert all(len(c) <= 10 for c in df.columns)
        assert not list(tmp_path.glob(".td-export-*"))  # the temporary folder is gone
    if fmt == "gpkg":
        assert {"territory_id", "rep", "color", "potential", "potential_dev_pct"} <= set(df.columns)
        validate_gpkg(out)


def test_kml_is_xml_with_colours_and_escaped_descriptions(demo, tmp_path):
    out = tmp_path / "t.kml"
    export(demo, "kml", str(out))
    root = ET.parse(out).getroot()
    marks = list(root.iter(f"{KML}Placemark"))
    assert len(marks) == len(demo.scenario.territories)
    first = marks[0]
    assert first.find(f"{KML}name").text == "<script>alert(1)</script> & Co"
    colour = first.find(f".//{KML}PolyStyle/{KML}color").text
    rgb = demo.scenario.territories[0].color.lstrip("#").lower()
    assert colour.lower().endswith(rgb[4:6] + rgb[2:4] + rgb[0:2])  # KML colours are aabbggrr
    desc = first.find(f"{KML}description").text
    assert "Rep:" in desc and "<script" not in desc


def test_geojson_is_rfc7946(demo, tmp_path):
    out = tmp_path / "t.geojson"
    export(demo, "geojson", str(out), region="West")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    west = [t for t in demo.scenario.territories if t.region_id == "W"]
    assert len(data["features"]) == len(west)
    assert "crs" not in data  # RFC 7946: always WGS 84
    assert len(data["bbox"]) == 4 and all(len(f["bbox"]) == 4 for f in data["features"])
    coords = np.concatenate([shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
                             for f in data["features"]])
    assert np.array_equal(coords, np.round(coords, 6))  # 6 decimals (about 10 cm), no float noise
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in data["features"])


def test_geojson_numbers_are_rounded_and_counts_are_integers(demo, tmp_path):
    out = tmp_path / "t.geojson"
    export(demo, "geojson", str(out))
    text = out.read_text(encoding="utf-8")
    props = [f["properties"] for f in json.loads(text)["features"]]
    for p in props:
        assert all(type(p[k]) is int for k in ("units", "accounts", "pieces", "population"))
        assert all(p[k] == round(p[k], 1) for k in p if k.endswith("_dev_pct"))
        assert p["area_km2"] == round(p["area_km2"], 2) and p["polsby_popper"] == round(p["polsby_popper"], 4)
    assert not re.search(r"\.[0-9]{7,}", text)  # no float noise (228999.62010299999) anywhere, coordinates too


def test_rounding_that_would_break_a_polygon_keeps_it_valid():
    # a notch reaching to 4e-7 of the bottom edge: rounding to 6 decimals makes it touch the edge
    notch = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0.5, 0.0000004), (0, 1)])
    assert notch.is_valid
    (out,) = rounded_geometries(np.array([notch], dtype=object), 6)
    assert out.is_valid and out.area == pytest.approx(notch.area, rel=1e-5)
    assert np.array_equal(shapely.get_coordinates(out), np.round(shapely.get_coordinates(out), 6))


def test_empty_selection_is_refused(demo_copy, tmp_path):
    p = demo_copy
    p.scenario.assignment[:] = -1
    with pytest.raises(InputError, match="no territory has units"):
        export(p, "gpkg", str(tmp_path / "x.gpkg"))
    assert not list(tmp_path.iterdir())  # nothing half-written left behind
