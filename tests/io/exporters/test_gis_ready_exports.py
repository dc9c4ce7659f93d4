"""GIS-ready layer exports, checked the way a GIS user would: GDAL 3.6's GeoPackage validator, pyogrio,
the .dbf as dBase sees it, the styles parsed, and QGIS 3.22 opening and drawing each export."""
from __future__ import annotations

import copy
import csv
import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pyogrio
import pytest
import shapefile
import shapely

from territory_desk.domain.model.projection import transform_geometries
from territory_desk.domain.model.units import UnitLayer
from territory_desk.services.exports import export

from tests.conftest import make_grid_project
from tests.gis_tools import qgis_probe, validate_gpkg

SLD = "{http://www.opengis.net/sld}"
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
NAME = "Doña Ana — Ñandú & <Co>"


@pytest.fixture(scope="module")
def demo(demo_project):
    """The demo with a name XML, CSV and dBase must all carry as it is."""
    project = copy.deepcopy(demo_project)
    project.scenario.territories[0].name = NAME
    return project


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    """{format: main file} of the demo's territories and accounts, labelled with the potential."""
    files = {fmt: tmp_path_factory.mktemp(fmt) / f"plan.{fmt}" for fmt in ("gpkg", "shp", "geojson")}
    for fmt, path in files.items():
        export(demo, fmt, str(path), accounts=True, label_metric=True, metric="potential")
    return files


def colours(demo) -> dict[str, str]:
    return {t.id: t.color.lower() for t in demo.scenario.territories}


def qml_categories(qml: str) -> tuple[str, dict[str, str]]:
    """(the attribute, {value: fill colour as #rrggbb}) of a categorized QML renderer."""
    root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
    r = root.find("renderer-v2")
    assert r.get("type") == "categorizedSymbol"
    symbols = {}
    for s in r.find("symbols"):
        rgba = s.find("layer/prop[@k='color']").get("v")
        symbols[s.get("name")] = "#" + "".join(f"{int(c):02x}" for c in rgba.split(",")[:3])
    return r.get("attr"), {c.get("value"): symbols[c.get("symbol")] for c in r.find("categories")}


def sld_rules(sld: str) -> dict[str, str]:
    root = ET.fromstring(sld)
    out = {}
    for rule in root.iter(f"{SE}Rule"):
        literal = rule.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}Literal")
        fill = rule.find(f".//{SE}Fill/{SE}SvgParameter[@name='fill']")
        if literal is not None:
            out[literal.text or ""] = fill.text
    return out


# ---- GeoPackage ------------------------------------------------------------------------------------
def test_gpkg_is_geopackage_1_3_and_passes_gdal_3_6_validator(exported):
    conn = sqlite3.connect(exported["gpkg"])
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    finally:
        conn.close()
    assert "rtree_territories_geom_update1" in triggers  # the 1.3 triggers GDAL 3.6 checks (Req 75)
    validate_gpkg(exported["gpkg"])


def test_gpkg_in_a_custom_projected_crs_is_valid_too(tmp_path):
    p = make_grid_project()
    crs = "+proj=aea +lat_0=23 +lat_1=29.5 +lat_2=45.5 +lon_0=-96 +datum=NAD83 +units=m +no_defs"
    u = p.units
    p.units = UnitLayer(u.ids, u.names, transform_geometries(u.geometry, u.source_crs, crs), crs,
                        numeric=u.numeric, text=u.text)
    for accounts in (False, True):
        out = tmp_path / f"grid-{accounts}.gpkg"
        export(p, "gpkg", str(out), accounts=accounts)
        validate_gpkg(out)


def test_gpkg_carries_default_styles_for_territories_and_accounts(exported, demo):
    conn = sqlite3.connect(exported["gpkg"])
    try:
        rows = conn.execute('SELECT f_table_name, f_geometry_column, "styleQML", "styleSLD", "useAsDefault" '
                            "FROM layer_styles ORDER BY f_table_name").fetchall()
    finally:
        conn.close()
    assert [(r[0], r[1], r[4]) for r in rows] == [("accounts", "geom", 1), ("territories", "geom", 1)]
    styles = {r[0]: (r[2], r[3]) for r in rows}
    attr, cats = qml_categories(styles["territories"][0])
    assert attr == "territory_id" and cats == colours(demo)
    assert sld_rules(styles["territories"][1]) == colours(demo)
    attr, cats = qml_categories(styles["accounts"][0])
    assert attr == "territory_id" and {k: v for k, v in cats.items() if k} == colours(demo) and "" in cats


def test_gpkg_field_types_are_what_the_values_are(exported):
    info = pyogrio.read_info(exported["gpkg"], layer="territories")
    types = dict(zip(info["fields"], info["ogr_types"]))
    for name in ("units", "accounts", "pieces", "population", "revenue", "potential"):
        assert types[name] == "OFTInteger64", name
    for name in ("area_km2", "polsby_popper", "land_km2", "population_dev_pct", "accounts_dev_pct"):
        assert types[name] == "OFTReal", name
    assert types["name"] == "OFTString"
    df = pyogrio.read_dataframe(exported["gpkg"], layer="territories")
    assert NAME in set(df["name"])
    assert np.allclose(df["population_dev_pct"], df["population_dev_pct"].round(1))
    acc = pyogrio.read_dataframe(exported["gpkg"], layer="accounts")
    assert len(acc) == 4000 and set(acc["territory_id"]) <= set(df["territory_id"]) | {""}


# ---- Shapefile -------------------------------------------------------------------------------------
def test_shapefile_has_utf8_cpg_and_a_complete_unique_field_map(exported, demo):
    shp = exported["shp"]
    assert shp.with_suffix(".cpg").read_text() == "UTF-8"
    with open(shp.with_suffix(".fields.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    dbf = shapefile.Reader(dbf=open(shp.with_suffix(".dbf"), "rb"))
    dbf_fields = [f[0] for f in dbf.fields[1:]]
    assert [r["shapefile_field"] for r in rows] == dbf_fields  # every field, in order
    assert len({n.casefold() for n in dbf_fields}) == len(dbf_fields) and all(len(n) <= 10 for n in dbf_fields)
    gpkg_fields = pyogrio.read_info(exported["gpkg"], layer="territories")["fields"].tolist()
    assert [r["field"] for r in rows] == gpkg_fields  # the full names, as the GeoPackage has them
    by_full = {r["field"]: r for r in rows}
    assert by_full["population_dev_pct"]["shapefile_field"] == "pop_dev"
    assert by_full["units"]["type"] == "integer" and by_full["land_km2"]["type"] == "real"
    assert all(r["description"] for r in rows)
    df = pyogrio.read_dataframe(shp)
    assert NAME in set(df["name"]) and len(df) == len(demo.scenario.territories)


def test_shapefile_dbf_fields_have_the_types_and_decimals_of_their_values(exported):
    dbf = shapefile.Reader(dbf=open(exported["shp"].with_suffix(".dbf"), "rb"), encoding="utf-8")
    spec = {f[0]: (f[1], f[3]) for f in dbf.fields[1:]}
    assert spec["units"] == ("N", 0) and spec["population"] == ("N", 0) and spec["accounts"] == ("N", 0)
    assert spec["pop_dev"] == ("N", 1) and spec["area_km2"] == ("N", 2) and spec["polsby_pp"] == ("N", 4)
    assert spec["name"][0] == "C"
    raw = exported["shp"].with_suffix(".dbf").read_bytes()
    assert b"259.000000000000000" not in raw and b".000000000" not in raw  # no 15-decimal reals


def test_shapefile_text_beyond_the_dbase_limit_is_reported(demo_copy, tmp_path):
    demo_copy.scenario.territories[1].name = "Ä" * 200  # 400 bytes of UTF-8
    res = export(demo_copy, "shp", str(tmp_path / "long.shp"))
    assert "longer than 254 bytes" in res.message
    names = set(pyogrio.read_dataframe(tmp_path / "long.shp")["name"])
    assert "Ä" * 127 in names  # cut at a character boundary, still valid UTF-8


def test_shapefile_and_geojson_styles_follow_their_field_names(exported, demo):
    for fmt, attr in (("shp", "terr_id"), ("geojson", "territory_id")):
        qml = exported[fmt].with_suffix(".qml").read_text(encoding="utf-8")
        got, cats = qml_categories(qml)
        assert got == attr and cats == colours(demo)
        fields = set(pyogrio.read_info(exported[fmt])["fields"])
        label = ET.fromstring(qml.split("\n", 1)[1]).find("labeling/settings/text-style").get("fieldName")
        referenced = set(re.findall(r'"([^"]+)"', label))
        assert referenced and referenced <= fields, (fmt, label)
        assert sld_rules(exported[fmt].with_suffix(".sld").read_text(encoding="utf-8")) == colours(demo)
        acc = exported[fmt].with_name(f"plan_accounts{exported[fmt].suffix}")
        assert qml_categories(acc.with_suffix(".qml").read_text(encoding="utf-8"))[0] == attr
        assert len(pyogrio.read_dataframe(acc)) == 4000


# ---- QGIS ------------------------------------------------------------------------------------------
def _inside_points(path, layer=None):
    df = pyogrio.read_dataframe(path, layer=layer)
    id_col = "territory_id" if "territory_id" in df else "terr_id"
    # the widest part of each territory: well inside, away from outlines and labels
    big = [max(shapely.get_parts(g), key=lambda q: q.area) for g in df.geometry.values]
    pts = [shapely.Point(shapely.get_coordinates(shapely.maximum_inscribed_circle(b, 1e-3))[0]) for b in big]
    return list(df[id_col]), [[p.x, p.y] for p in pts]


def test_qgis_opens_every_export_in_the_territories_colours(exported, demo, tmp_path):
    requests, expected = [], []
    for fmt, uri, layer in (("gpkg", f"{exported['gpkg']}|layername=territories", "territories"),
                            ("shp", str(exported["shp"]), None), ("geojson", str(exported["geojson"]), None)):
        ids, points = _inside_points(exported[fmt], layer)
        sld = str(exported[fmt].with_suffix(".sld")) if fmt != "gpkg" else None
        requests.append({"uri": uri, "points": points, "sld": sld})
        expected.append((fmt, ids))
    requests.append({"uri": f"{exported['gpkg']}|layername=accounts"})
    requests.append({"uri": str(exported["shp"].with_name("plan_accounts.shp"))})
    answer, warnings = qgis_probe(requests, tmp_path)
    assert not warnings, warnings  # no "GeoPackage 1.4 may only be partially supported"
    want = colours(demo)
    for (fmt, ids), got in zip(expected, answer["layers"]):
        assert got["valid"] and got["features"] == len(demo.scenario.territories), fmt
        assert got["renderer"] == "categorizedSymbol" and got["attribute"] in ("territory_id", "terr_id"), fmt
        assert {v: c for v, c, _ in got["categories"]} == want, fmt
        assert NAME in {label for _, _, label in got["categories"]}, fmt
        assert got["labels"] and '"name"' in got["label_expression"] and "format_number" in got["label_expression"]
        assert got["colors"] == [want[i] for i in ids], fmt  # drawn in their own colours
        if fmt != "gpkg":
            assert got["sld"]["loaded"] and {c for _, c, _ in got["sld"]["rules"] if c} >= set(want.values())
    for got in answer["layers"][3:]:
        assert got["valid"] and got["features"] == 4000 and got["renderer"] == "categorizedSymbol"
        assert len(got["categories"]) == len(want) + 1  # and "No territory"
    json.dumps(answer)  # the probe's answer is plain data
