"""The project file: round trips, GDAL/QGIS readability, atomic saves, defensive loads, migrations."""
from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.errors import InputError, ProjectFileError
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import Region, Territory
from territory_desk.domain.model.units import UnitLayer
from territory_desk.persistence import dissolve, gpkg, schema
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.io.test_unit_layer_reading import _county_geoms, write_plain_geopackage
from tests.round_trip import assert_same_project

ROWS = COLS = 6


# --- fixtures --------------------------------------------------------------------------------------

def grid_units(crs: str = "EPSG:4326", mixed: bool = False) -> UnitLayer:
    ids, names, geoms = [], [], []
    for r in range(ROWS):
        for c in range(COLS):
            ids.append(f"U{r}{c}")
            names.append(f"Unit {r},{c}")
            geoms.append(shapely.box(-100 + c * 0.5, 35 + r * 0.5, -99.5 + c * 0.5, 35.5 + r * 0.5))
    geoms = np.array(geoms, dtype=object)
    if mixed:  # some units as one-part MultiPolygons (as shapefiles deliver them)
        geoms[::5] = shapely.multipolygons(geoms[::5], indices=np.arange(len(geoms[::5])))
    if crs != "EPSG:4326":
        from territory_desk.domain.model.projection import to_crs, transform_geometries
        geoms = transform_geometries(geoms, to_crs("EPSG:4326"), to_crs(crs))
    n = len(ids)
    revenue = np.linspace(0, 1, n)
    revenue[3] = np.nan
    return UnitLayer(ids, names, geoms, crs, numeric={"pop": np.arange(n) * 10.0, "revenue": revenue},
                     text={"state": ["TX" if k % 2 else "OK" for k in range(n)],
                           "Name": [f"alt {k}" for k in range(n)]})  # collides with the fixed 'name' column


def grid_project(crs: str = "EPSG:4326", mixed: bool = False) -> Project:
    project = Project.from_units(grid_units(crs, mixed))
    n = len(project.units)
    base = project.scenario
    base.regions = [Region("R1", "West"), Region("R2", "West-North", parent_id="R1")]
    base.territories = [Territory("T01", "Dallas", "#ff0000", "R1", "rep1"),
                        Territory("T02", "Tulsa", "#00aa00", "R2", None, locked=True),
                        Territory("T03", "Empty", "#0000ff")]
    base.assignment = np.where(np.arange(n) < 18, 0, 1)
    base.assignment[-2:] = -1  # unassigned units
    plan_b = base.copy("Plan B")
    plan_b.territories = plan_b.territories[:2]
    plan_b.assignment = np.arange(n) % 2
    project.scenarios.append(plan_b)
    project.active = "Plan B"
    lon = np.array([-99.9, -99.1, -98.6, -97.2, -97.9, -120.0, np.nan])
    lat = np.array([35.1, 35.6, 36.2, 37.9, 36.7, 40.0, np.nan])
    project.accounts = AccountTable([f"A{k}" for k in range(7)], [f"Acct {k}" for k in range(7)], lon, lat,
                                    numeric={"revenue": np.arange(7) * 1.5},
                                    text={"segment": ["SMB", "ENT", "", "SMB", "MID", "ENT", "SMB"]})
    project.locate_accounts()
    project.reps = [Rep("rep1", "Ann", -97.0, 32.8, "Dallas", 120.0,
                        {"languages": ["en", "es"], "experience": "senior"}),
                    Rep("rep2", "Bo")]
    project.settings = {"balance_fields": ["pop"], "tolerance_pct": 5.0, "title": "Plan 2025 – Süd ✓"}
    return project


@pytest.fixture
def project() -> Project:
    return grid_project()


@pytest.fixture
def saved(tmp_path: Path, project: Project) -> Path:
    path = tmp_path / "plan.gpkg"
    save_project(project, path)
    return path


# --- round trip -------------------------------------------------------------------------------------

def test_round_trip_keeps_everything(saved: Path, project: Project) -> None:
    assert_same_project(project, load_project(saved))


def test_round_trip_of_a_projected_crs(tmp_path: Path) -> None:
    project = grid_project(crs="EPSG:5070")
    save_project(project, tmp_path / "albers.gpkg")
    assert_same_project(project, load_project(tmp_path / "albers.gpkg"))


def test_mixed_polygon_types_are_stored_as_multipolygons(tmp_path: Path) -> None:
    project = grid_project(mixed=True)
    save_project(project, tmp_path / "mixed.gpkg")
    loaded = load_project(tmp_path / "mixed.gpkg")
    assert set(shapely.get_type_id(loaded.units.geometry)) == {6}
    assert shapely.equals(loaded.units.geometry, project.units.geometry).all()


def test_load_does_not_measure_or_rebuild_adjacency(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("load must use the stored measures and adjacency")

    monkeypatch.setattr(UnitLayer, "measure", forbidden)
    monkeypatch.setattr("territory_desk.domain.model.project.build_adjacency", forbidden)
    monkeypatch.setattr("territory_desk.domain.model.project.locate_points", forbidden)
    assert len(load_project(saved).units) == ROWS * COLS


def test_load_does_not_modify_the_file(saved: Path) -> None:
    before = (saved.read_bytes(), saved.stat().st_mtime_ns)
    load_project(saved)
    assert (saved.read_bytes(), saved.stat().st_mtime_ns) == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["plan.gpkg"]


def test_save_replaces_previous_version_and_keeps_permissions(saved: Path, project: Project) -> None:
    os.chmod(saved, 0o640)
    project.settings["title"] = "second"
    save_project(project, saved)
    assert load_project(saved).settings["title"] == "second"
    assert saved.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in saved.parent.iterdir()) == ["plan.gpkg"]


def test_unsavable_settings_raise_input_error_and_keep_the_file(saved: Path, project: Project) -> None:
    project.settings["callback"] = object()
    with pytest.raises(InputError, match="settings cannot be saved"):
        save_project(project, saved)
    assert "callback" not in load_project(saved).settings
    assert sorted(p.name for p in saved.parent.iterdir()) == ["plan.gpkg"]


def test_saving_after_load_reuses_the_saved_territory_outlines(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dissolve._CACHE.clear()
    project = load_project(saved)
    calls: list[int] = []
    real_union = dissolve._union
    monkeypatch.setattr(dissolve, "_union", lambda parts: calls.append(len(parts)) or real_union(parts))
    save_project(project, saved)
    assert calls == []
    project.scenario.assignment[0] = 1  # Plan B alternates T01/T02: move unit 0 to T02
    save_project(project, saved)
    assert sorted(calls) == [17, 19]
    outlines = pyogrio.read_dataframe(saved, layer="territories")
    units = pyogrio.read_dataframe(saved, layer="units")
    assert outlines.geometry.values[1].equals(shapely.union_all(units.geometry.values[units["territory"] == "T02"]))


def test_columns_of_the_wrong_length_are_refused_not_truncated(saved: Path, project: Project) -> None:
    project.accounts.text["segment"] = project.accounts.text["segment"][:-1]
    with pytest.raises(InputError, match="account column 'segment' has 6 values for 7 accounts"):
        save_project(project, saved)


# --- GDAL / QGIS ------------------------------------------------------------------------------------

def test_gdal_reads_the_layers(saved: Path, project: Project) -> None:
    layers = dict(pyogrio.list_layers(saved))
    assert layers["units"] == "Polygon" and layers["territories"] == "MultiPolygon"
    assert layers["accounts"] == "Point"
    units = pyogrio.read_dataframe(saved, layer="units")
    territories = pyogrio.read_dataframe(saved, layer="territories")
    accounts = pyogrio.read_dataframe(saved, layer="accounts")
    assert len(units) == 36 and len(territories) == 2 and len(accounts) == 7
    assert CRS(units.crs) == CRS("EPSG:4326") and CRS(territories.crs) == CRS("EPSG:4326")
    assert CRS(accounts.crs) == CRS("EPSG:4326")
    assert list(units["unit_id"]) == project.units.ids
    assert list(units["Name_2"]) == project.units.text["Name"]
    # territories of the active scenario (Plan B: alternate units), dissolved
    assert list(territories["territory_id"]) == ["T01", "T02"]
    assert list(territories["units"]) == [18, 18]
    assert list(territories["color"]) == ["#ff0000", "#00aa00"]
    assert shapely.area(territories.geometry.values).sum() == pytest.approx(shapely.area(units.geometry.values).sum())
    assert list(units["color"][:2]) == ["#ff0000", "#00aa00"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every td_* table has GeoPackage column types GDAL knows
        for layer in pyogrio.list_layers(saved)[:, 0]:
            pyogrio.read_info(saved, layer=layer)


def test_gdal_reads_projected_crs_and_uses_the_spatial_index(tmp_path: Path) -> None:
    path = tmp_path / "albers.gpkg"
    save_project(grid_project(crs="EPSG:5070"), path)
    for layer in ("units", "territories"):
        assert CRS(pyogrio.read_info(path, layer=layer)["crs"]) == CRS("EPSG:5070")
    info = pyogrio.read_info(path, layer="units")
    assert info["capabilities"]["fast_spatial_filter"]
    flags = pyogrio.read_dataframe(path, sql="SELECT HasSpatialIndex('units', 'geom') AS u, "
                                   "HasSpatialIndex('accounts', 'geom') AS a", sql_dialect="SQLITE")
    assert flags.iloc[0].tolist() == [1, 1]


def test_custom_crs_is_registered_for_gdal(tmp_path: Path) -> None:
    proj = "+proj=aea +lat_1=30 +lat_2=40 +lat_0=35 +lon_0=-98 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    path = tmp_path / "custom.gpkg"
    project = grid_project(crs=proj)
    save_project(project, path)
    assert CRS(pyogrio.read_info(path, layer="units")["crs"]).equals(CRS(proj), ignore_axis_order=True)
    assert load_project(path).units.crs == proj


def _system_python_has(module: str) -> bool:
    if not Path("/usr/bin/python3").exists():
        return False
    return subprocess.run(["/usr/bin/python3", "-c", f"import {module}"], capture_output=True).returncode == 0


_VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.mark.skipif(not _VALIDATOR.exists() or not _system_python_has("osgeo"),
                    reason="GDAL's validate_gpkg.py (Debian python3-gdal) is not installed")
def test_gdal_validator_accepts_the_file(saved: Path) -> None:
    result = subprocess.run(["/usr/bin/python3", str(_VALIDATOR), str(saved)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_qgis_default_styles_colour_territories_by_their_color_field(saved: Path) -> None:
    with sqlite3.connect(saved) as conn:
        rows = conn.execute('SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, '
                            '"styleQML", "useAsDefault" FROM layer_styles').fetchall()
        registered = conn.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    assert registered == ("attributes",)
    styles = {r[2]: r for r in rows}
    assert set(styles) == {"territories", "units"}
    for catalog, schema_, _, geom_col, qml, default in rows:
        assert (catalog, schema_, geom_col, default) == ("", "", "geom", 1)
        root = ET.fromstring(qml.split("\n", 1)[1])
        fill = root.find(".//layer[@class='SimpleFill']/data_defined_properties/Option"
                         "/Option[@name='properties']/Option[@name='fillColor']")
        values = {o.get("name"): o.get("value") for o in fill}
        assert values["active"] == "true" and values["type"] == "3"
        assert '"color"' in values["expression"]


@pytest.mark.skipif(not _system_python_has("qgis.core"), reason="QGIS (Debian python3-qgis) is not installed")
def test_qgis_shows_territories_in_their_colours(saved: Path) -> None:
    script = textwrap.dedent("""
        import json, os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from qgis.core import (QgsApplication, QgsExpressionContext, QgsExpressionContextUtils,
                               QgsSymbolLayer, QgsVectorLayer)
        app = QgsApplication([], False)
        app.initQgis()
        out = {}
        for name in ("territories", "units"):
            layer = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
            _, loaded = layer.loadDefaultStyle()
            prop = layer.renderer().symbol().symbolLayer(0).dataDefinedProperties().property(
                QgsSymbolLayer.PropertyFillColor)
            ctx = QgsExpressionContext()
            ctx.appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
            colours = []
            for feature in layer.getFeatures():
                ctx.setFeature(feature)
                colours.append(prop.valueAsColor(ctx)[0].name())
            out[name] = {"valid": layer.isValid(), "style": loaded, "active": prop.isActive(),
                         "colours": colours, "crs": layer.crs().authid()}
        print(json.dumps(out), flush=True)
        os._exit(0)  # QGIS may crash while tearing down in a script
    """)
    result = subprocess.run(["/usr/bin/python3", "-c", script, str(saved)], capture_output=True, text=True,
                            timeout=120)
    import json
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["territories"] == {"valid": True, "style": True, "active": True, "crs": "EPSG:4326",
                                  "colours": ["#ff0000", "#00aa00"]}
    assert out["units"]["colours"][:4] == ["#ff0000", "#00aa00", "#ff0000", "#00aa00"]


# --- atomic save ------------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("stall", ["gpkg.add_default_style", "store._fsync"],
                         ids=["inside the transaction", "before the rename"])
def test_killed_save_leaves_the_previous_version(saved: Path, stall: str) -> None:
    child = textwrap.dedent(f"""
        import sys, time
        from territory_desk.persistence import gpkg, store
        from territory_desk.persistence.reader import load_project
        from territory_desk.persistence.store import save_project
        project = load_project(sys.argv[1])
        project.settings["title"] = "half-written"
        def slow(*args, **kwargs):
            print("saving", flush=True)
            time.sleep(120)
        {stall} = slow
        save_project(project, sys.argv[1])
    """)
    proc = subprocess.Popen([sys.executable, "-c", child, str(saved)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"saving\n"
        temps = list(saved.parent.glob(".plan.gpkg.*.saving"))
        assert len(temps) == 1
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert load_project(saved).settings["title"] == "Plan 2025 – Süd ✓"
    # the next save removes the leftover of the dead process once it is old enough
    old = time.time() - 3600
    os.utime(temps[0], (old, old))
    save_project(load_project(saved), saved)
    assert sorted(p.name for p in saved.parent.iterdir()) == ["plan.gpkg"]


def test_failed_save_keeps_the_previous_version(saved: Path, project: Project,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(gpkg, "add_default_style", broken)
    project.settings["title"] = "never saved"
    with pytest.raises(ProjectFileError, match="cannot save .*disk is full"):
        save_project(project, saved)
    assert load_project(saved).settings["title"] == "Plan 2025 – Süd ✓"
    assert sorted(p.name for p in saved.parent.iterdir()) == ["plan.gpkg"]


def test_save_into_a_missing_directory_is_one_clear_error(tmp_path: Path, project: Project) -> None:
    with pytest.raises(ProjectFileError, match="cannot save"):
        save_project(project, tmp_path / "nope" / "plan.gpkg")


# --- files that are not (valid) projects ------------------------------------------------------------

def _one_line_error(path: Path) -> str:
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.gpkg"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    assert "is not a SQLite/GeoPackage file" in _one_line_error(path)


def test_random_bytes_after_a_sqlite_header(tmp_path: Path) -> None:
    path = tmp_path / "noise.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + np.random.default_rng(2).bytes(8192))
    message = _one_line_error(path)
    assert "is damaged" in message or "is not a SQLite" in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    path.write_bytes(b"")
    assert "is empty" in _one_line_error(path)


def test_truncated_project(saved: Path) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    assert "is damaged: the file is truncated" in _one_line_error(saved)


def test_nonexistent_path(tmp_path: Path) -> None:
    assert "does not exist" in _one_line_error(tmp_path / "missing.gpkg")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.gpkg"
    folder.mkdir()
    assert "is a directory" in _one_line_error(folder)


def test_plain_geopackage_suggests_territory_desk_new(tmp_path: Path) -> None:
    path = tmp_path / "counties.gpkg"
    write_plain_geopackage(path)
    message = _one_line_error(path)
    assert "plain GeoPackage" in message and "territory-desk new" in message


def test_plain_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "other.gpkg"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert "is not a territory_desk project (no td_meta table)" in _one_line_error(path)


def test_newer_schema_version(saved: Path) -> None:
    _tamper(saved, "UPDATE td_meta SET value = '7' WHERE key = 'schema_version'")
    message = _one_line_error(saved)
    assert f"newer territory_desk (schema 7); this version reads up to {schema.SCHEMA_VERSION}" in message


def _tamper(path: Path, *statements: str, params: tuple = (), functions: dict | None = None) -> None:
    conn = sqlite3.connect(path)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # as GDAL provides them
        conn.create_function(name, 1, lambda blob: 0)
    for name, fn in (functions or {}).items():
        conn.create_function(name, -1, fn)
    for sql in statements:
        conn.execute(sql, params) if params and "?" in sql else conn.execute(sql)
    conn.commit()
    conn.close()


def _evil(*args):  # a function only the attacker's connection knows; must never be needed
    raise AssertionError("the loader executed SQL from the file")


HOSTILE = {
    "td_meta is a view calling a function": (
        ["ALTER TABLE td_meta RENAME TO td_meta_real",
         "CREATE VIEW td_meta AS SELECT key, value FROM td_meta_real WHERE evil(key) IS NULL"],
        "td_meta is a view"),
    "units is a view": (
        ["ALTER TABLE units RENAME TO units_real", "CREATE VIEW units AS SELECT * FROM units_real"],
        "units is a view"),
    "generated column": (["ALTER TABLE td_reps ADD COLUMN g AS (zeroblob(1000000000))"],
                         "td_reps has generated columns"),
    "binary unit id": (["UPDATE units SET unit_id = x'00ff' WHERE fid = 2"], "units.unit_id holds binary data"),
    "text in a numeric column": (["UPDATE units SET pop = 'lots' WHERE fid = 2"], "units.pop holds text"),
    "infinite number": (["UPDATE units SET pop = 1e999 WHERE fid = 2"], "units.pop holds an infinite number"),
    "schema_version is a word": (["UPDATE td_meta SET value = 'one' WHERE key = 'schema_version'"],
                                 "schema_version is 'one'"),
    "schema_version is binary": (["UPDATE td_meta SET value = x'01' WHERE key = 'schema_version'"],
                                 "schema_version is b'\\x01'"),
    "settings invalid JSON": (["UPDATE td_meta SET value = '{\"a\": ' WHERE key = 'settings'"],
                              "settings is not valid JSON"),
    "settings pickle-looking text": (
        ["UPDATE td_meta SET value = 'cos\nsystem\n(S''echo pwned''\ntR.' WHERE key = 'settings'"],
        "settings is not valid JSON"),
    "settings a JSON list": (["UPDATE td_meta SET value = '[1, 2]' WHERE key = 'settings'"],
                             "settings is not a JSON object"),
    "settings nested too deep": (
        [f"UPDATE td_meta SET value = '{'[' * 200_000}' WHERE key = 'settings'"], "settings is not valid JSON"),
    "skills not an object": (["UPDATE td_reps SET skills = '\"senior\"'"], "skills of rep 'rep1' is not a JSON"),
    "huge adjacency index": (["UPDATE td_adjacency SET i = 4611686018427387904 WHERE fid = 1"],
                             "td_adjacency.i holds a value outside"),
    "adjacency length as text": (["UPDATE td_adjacency SET length_m = 'far' WHERE fid = 1"],
                                 "td_adjacency.length_m holds text"),
    "missing table": (["DROP TABLE td_adjacency"], "the td_adjacency table is missing"),
    "missing column": (["ALTER TABLE td_reps DROP COLUMN skills"], "td_reps lacks the column 'skills'"),
    "unknown unit in the alignment": (["UPDATE td_alignment SET unit_id = 'ZZZ' WHERE fid = 5"], "'ZZZ'"),
    "unknown territory in the alignment": (
        ["UPDATE td_alignment SET territory_id = 'T99' WHERE fid = 5"], "'T99'"),
    "unit assigned twice": (["UPDATE td_alignment SET unit_id = 'U00' WHERE fid = 2"], "assigns a unit twice"),
    "deleted unit": (["DELETE FROM units WHERE fid = 3"], "edited outside territory_desk"),
    "garbage geometry": (["UPDATE units SET geom = CAST(x'47500003e6100000' || randomblob(20) AS BLOB) "
                          "WHERE fid = 1"],
                         "invalid WKB"),
    "not a GeoPackage geometry": (["UPDATE units SET geom = x'0102030405060708' WHERE fid = 1"],
                                  "lacks the GeoPackage 'GP' magic"),
    "point as a unit": (["UPDATE units SET geom = (SELECT geom FROM accounts WHERE fid = 1) WHERE fid = 1"],
                        "non-polygon geometry"),
    "unknown active scenario": (["UPDATE td_meta SET value = 'Nope' WHERE key = 'active_scenario'"],
                                "active scenario 'Nope'"),
    "unreadable CRS": (["UPDATE td_meta SET value = 'not a crs' WHERE key = 'units_crs'"], "is damaged"),
    "column list lies": (["UPDATE td_meta SET value = '[{\"name\": \"x\", \"kind\": \"numeric\", "
                          "\"column\": \"x; DROP TABLE units\"}]' WHERE key = 'units_columns'"],
                         "units_columns names the column 'x; DROP TABLE units', which units lacks"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_or_damaged_content_is_one_clear_error(saved: Path, case: str) -> None:
    statements, expected = HOSTILE[case]
    _tamper(saved, *statements, functions={"evil": _evil})
    message = _one_line_error(saved)
    assert expected in message, message


def test_pickled_settings_are_never_unpickled(saved: Path) -> None:
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > pwned.txt",))

    _tamper(saved, "UPDATE td_meta SET value = ? WHERE key = 'settings'", params=(pickle.dumps(Boom()),))
    assert "settings holds binary data" in _one_line_error(saved)
    assert not (saved.parent / "pwned.txt").exists() and not Path("pwned.txt").exists()


def test_file_left_in_wal_mode_by_another_program_loads(saved: Path, project: Project) -> None:
    _tamper(saved, "PRAGMA journal_mode = WAL")
    assert_same_project(project, load_project(saved))


def test_triggers_in_the_file_never_run(saved: Path, project: Project) -> None:
    _tamper(saved, "CREATE TRIGGER t1 AFTER INSERT ON td_meta BEGIN SELECT evil(); END",
            "CREATE TRIGGER t2 BEFORE DELETE ON units BEGIN SELECT load_extension('/tmp/x.so'); END",
            functions={"evil": _evil})
    assert_same_project(project, load_project(saved))


def test_attributes_edited_in_qgis_are_loaded(saved: Path) -> None:
    _tamper(saved, "UPDATE units SET pop = 12345, state = NULL WHERE unit_id = 'U00'")
    units = load_project(saved).units
    assert units.numeric["pop"][0] == 12345.0 and units.text["state"][0] == ""


# --- schema versions ----------------------------------------------------------------------------------

def _make_v0(path: Path) -> None:
    """Pretend the file was written by schema 0, whose td_unit_measures called the perimeter 'perim'."""
    _tamper(path, "UPDATE td_meta SET value = '0' WHERE key = 'schema_version'",
            "ALTER TABLE td_unit_measures RENAME COLUMN perimeter_m TO perim")


def test_old_file_is_migrated_in_memory(saved: Path, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_v0(saved)
    calls = []

    def v0_to_v1(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE td_unit_measures RENAME COLUMN perim TO perimeter_m")

    monkeypatch.setitem(schema.MIGRATIONS, 0, v0_to_v1)
    before = saved.read_bytes()
    assert_same_project(project, load_project(saved))
    assert calls == [1] and saved.read_bytes() == before  # the file itself is untouched


def test_old_file_without_migration_is_a_clear_error(saved: Path) -> None:
    _make_v0(saved)
    assert "no migration from schema 0 to 1" in _one_line_error(saved)


def test_check_version_messages() -> None:
    schema.check_version(schema.SCHEMA_VERSION, "x.gpkg")
    with pytest.raises(ProjectFileError, match=r"^x\.gpkg was written by a newer territory_desk \(schema 9\)"):
        schema.check_version(9, "x.gpkg")
    with pytest.raises(ProjectFileError, match="damaged"):
        schema.check_version(-1, "x.gpkg")


# --- geometry blobs -----------------------------------------------------------------------------------

def test_geometry_blobs_round_trip_and_match_gdal(tmp_path: Path) -> None:
    geoms = np.array([shapely.box(0, 0, 1, 2), None, shapely.Polygon(), shapely.MultiPolygon(
        [shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])], dtype=object)
    blobs = gpkg.encode_geometries(geoms, 4326)
    assert blobs[1] is None and blobs[0][:2] == b"GP" and blobs[2][3] & 0x10  # empty flag
    back = gpkg.decode_geometries(blobs)
    assert back[1] is None and back[2].is_empty
    assert shapely.equals_exact(back[[0, 3]], geoms[[0, 3]]).all()
    # what GDAL writes decodes too (header with an envelope)
    path = tmp_path / "gdal.gpkg"
    write_plain_geopackage(path)
    with sqlite3.connect(path) as conn:
        gdal_blobs = [r[0] for r in conn.execute("SELECT geom FROM counties ORDER BY fid")]
    assert shapely.equals(gpkg.decode_geometries(gdal_blobs), _county_geoms()).all()


def test_points_without_envelope() -> None:
    pts = np.array([shapely.Point(1, 2), None], dtype=object)
    blobs = gpkg.encode_geometries(pts, 4326, envelope=False)
    assert len(blobs[0]) == 8 + 21
    assert gpkg.decode_geometries(blobs)[0].equals(pts[0])


# --- new project from a plain GeoPackage --------------------------------------------------------------
