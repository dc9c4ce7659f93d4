"""The import commands of `territory-desk`: import-accounts, import-reps, import-units."""
import csv
import io
import os

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from territory_desk.cli import main
from territory_desk.cli.imports import ACCOUNT_TARGETS, REP_TARGETS
from territory_desk.io.imports.column_mapping import ACCOUNT_ROLES, REP_ROLES
from territory_desk.persistence.reader import load_project


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_help_lists_the_real_targets():
    assert ACCOUNT_TARGETS == ", ".join(ACCOUNT_ROLES) and REP_TARGETS == ", ".join(REP_ROLES)


def test_import_accounts_with_map_report_and_dry_run(project_file, tmp_path, capsys):
    src = tmp_path / "crm.csv"
    src.write_text("Cust,Company,Y,X,ARR,Segment\nC1,One,38.1,-99.9,10,SMB\nC2,Two,38.3,-99.3,20,ENT\n"
                   "C3,Three,45,-75,30,SMB\n", encoding="utf-8")
    before = os.stat(project_file).st_mtime_ns
    rc, out, err = cli(capsys, "import-accounts", project_file, src, "--map", "Cust=id", "--map", "Company=name",
                       "--map", "Y=lat", "--map", "X=lon", "--map", "ARR=numeric:revenue", "--dry-run")
    assert rc == 0 and "2 account(s) imported, 1 rejected" in out and os.stat(project_file).st_mtime_ns == before
    rc, out, err = cli(capsys, "import-accounts", project_file, src, "--map", "Cust=id", "--map", "Company=name",
                       "--map", "Y=lat", "--map", "X=lon", "--map", "ARR=numeric:revenue",
                       "--report", tmp_path / "report.csv")
    assert rc == 0 and err == ""
    assert "placed 2 by coordinates" in out and "row 4: outside every unit" in out
    p = load_project(project_file)
    assert p.accounts.ids == ["C1", "C2"] and p.accounts.text["segment"] == ["SMB", "ENT"]
    np.testing.assert_allclose(p.accounts.numeric["revenue"], [10, 20])
    rows = list(csv.reader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert [r[2] for r in rows[1:4]] == ["added", "added", "rejected"]
    rc, out, err = cli(capsys, "stats", project_file, "--format", "json")
    assert rc == 0 and '"revenue"' in out


def test_import_reps(project_file, tmp_path, capsys):
    src = tmp_path / "reps.csv"
    src.write_text("Rep ID,Name,Home ZIP,Capacity,Languages\nR0,Ann,74103,200,en;es\nR1,Bob,,150,en\n")
    rc, out, err = cli(capsys, "import-reps", project_file, src)
    assert rc == 0 and "2 rep(s) imported" in out and "placed 1 by zip" in out
    reps = load_project(project_file).reps
    assert [r.name for r in reps] == ["Ann", "Bob"] and reps[0].skills["languages"] == ["en", "es"]


def test_import_units_replace_and_layer(project_file, tmp_path, capsys):
    p = load_project(project_file)
    ids = p.units.ids
    frame = gpd.GeoDataFrame({"code": ids, "label": [f"Cell {i}" for i in ids]},
                             geometry=list(p.units.geometry), crs="EPSG:4326").to_crs("EPSG:5070")
    gpkg = tmp_path / "cells.gpkg"
    pyogrio.write_dataframe(frame.iloc[:1], gpkg, layer="decoy")
    pyogrio.write_dataframe(frame, gpkg, layer="cells")
    rc, out, err = cli(capsys, "import-units", project_file, gpkg, "--layer", "cells", "--id-field", "code",
                       "--name-field", "label", "--replace", "--report", tmp_path / "u.csv")
    assert rc == 0, err
    assert "36 id(s) kept with their assignments, 0 new, 0 removed" in out
    q = load_project(project_file)
    assert q.units.ids == ids and q.units.names[0] == f"Cell {ids[0]}"
    assert np.array_equal(q.scenario.assignment, p.scenario.assignment)
    assert len(q.accounts) == len(p.accounts) and (q.accounts.unit_index >= 0).all()
    more = gpd.GeoDataFrame({"code": ["X1"]}, geometry=[shapely.box(-98.8, 38.0, -98.6, 38.2)], crs="EPSG:4326")
    pyogrio.write_dataframe(more, tmp_path / "more.geojson")
    rc, out, err = cli(capsys, "import-units", project_file, tmp_path / "more.geojson", "--id-field", "code")
    assert rc == 0 and "added 1 unit(s) to the 36" in out
    assert load_project(project_file).units.ids[-1] == "X1"
