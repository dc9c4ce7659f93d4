"""The `territory-desk` command, driven as a consultant's script would drive it."""
import json
import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from territory_desk.cli import main
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.cli_runner import run

pytestmark = pytest.mark.project_file("demo")


def test_demo_is_deterministic(demo_file, tmp_path):
    again = tmp_path / "again.gpkg"
    assert main(["demo", str(again), "--seed", "1"]) == 0
    a, b = load_project(demo_file), load_project(again)
    assert a.accounts.ids == b.accounts.ids and np.array_equal(a.accounts.lon, b.accounts.lon)
    assert np.array_equal(a.scenario.assignment, b.scenario.assignment)


def test_stats_json_interface(project_file, capsys):
    code, out, err = run(capsys, "stats", project_file, "--format", "json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert d["scenario"] == "Base"
    assert len(d["territories"]) == 16
    t = d["territories"][0]
    assert {"id", "name", "units", "accounts", "pieces", "polsby_popper", "metrics"} <= set(t)
    assert {"value", "deviation_pct"} <= set(t["metrics"]["potential"])
    s = d["summary"]
    assert {"max_abs_deviation_pct", "non_contiguous", "unassigned_units", "accounts_outside_units"} <= set(s)
    assert s["non_contiguous"] == 0 and s["unassigned_units"] == 0
    assert sum(t["units"] for t in d["territories"]) == 3108
    assert sum(t["accounts"] for t in d["territories"]) == len(load_project(project_file).accounts)
    devs = [t["metrics"]["potential"]["deviation_pct"] for t in d["territories"]]
    assert s["max_abs_deviation_pct"]["potential"] == pytest.approx(max(abs(x) for x in devs), abs=1e-5)


def test_stats_table_and_csv(project_file, capsys):
    code, out, _ = run(capsys, "stats", project_file)
    assert code == 0 and "max |deviation| %" in out and "Territory" in out
    code, out, _ = run(capsys, "stats", project_file, "--format", "csv")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("territory_id,name") and len(lines) == 17


def test_move_check_and_undo_by_moving_back(project_file, capsys):
    p = load_project(project_file)
    sc = p.scenario
    # a unit on the border of territory A whose neighbour is in B
    nbrs = p.adjacency.neighbours
    a = sc.assignment
    u = next(u for u in range(len(a)) if any(a[w] != a[u] for w in nbrs[u]))
    w = next(w for w in nbrs[u] if a[w] != a[u])
    src, dst = sc.territories[a[u]], sc.territories[a[w]]
    uid = p.units.ids[u]
    code, out, _ = run(capsys, "move", project_file, "--units", uid, "--to", dst.name)
    assert code == 0 and "moved 1 unit" in out
    assert load_project(project_file).scenario.assignment[u] == a[w]
    code, out, _ = run(capsys, "stats", project_file, "--format", "json")
    d = json.loads(out)
    units = {t["id"]: t["units"] for t in d["territories"]}
    assert units[dst.id] == int((a == a[w]).sum()) + 1 and units[src.id] == int((a == a[u]).sum()) - 1
    # unassign it: check now reports a problem and exits 1
    assert run(capsys, "move", project_file, "--units", uid, "--to", "none")[0] == 0
    code, out, _ = run(capsys, "check", project_file)
    assert code == 1 and "1 unassigned unit(s)" in out and uid in out
    assert run(capsys, "move", project_file, "--units", uid, "--to", src.id)[0] == 0
    assert run(capsys, "check", project_file)[0] == 0


def test_check_reports_non_contiguous(project_file, capsys):
    p = load_project(project_file)
    a = p.scenario.assignment
    # move a unit deep inside territory 0 to territory 5: territory 5 gets an enclave
    nbrs = p.adjacency.neighbours
    inner = next(u for u in range(len(a)) if a[u] == 0 and all(a[w] == 0 for w in nbrs[u]))
    code, _, _ = run(capsys, "move", project_file, "--units", p.units.ids[inner], "--to", p.scenario.territories[5].id)
    code, out, _ = run(capsys, "check", project_file)
    assert code == 1 and "is not contiguous (2 pieces)" in out


def test_move_errors_are_one_line(project_file, capsys):
    code, out, err = run(capsys, "move", project_file, "--units", "NOPE", "--to", "T01")
    assert code == 2 and err.strip() == "territory-desk: error: no unit with id 'NOPE'"
    first_unit = load_project(project_file).units.ids[0]
    code, _, err = run(capsys, "move", project_file, "--units", first_unit, "--to", "Atlantis")
    assert code == 2 and "no territory 'Atlantis'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "stats", project_file, "--scenario", "Nope")
    assert code == 2 and "no scenario named 'Nope'" in err


def test_locked_territory_refuses_move(project_file, capsys):
    p = load_project(project_file)
    p.scenario.territories[0].locked = True
    save_project(p, project_file)
    u = int(np.flatnonzero(p.scenario.assignment == 0)[0])
    code, _, err = run(capsys, "move", project_file, "--units", p.units.ids[u], "--to", p.scenario.territories[1].id)
    assert code == 2 and "is locked" in err


def _grid_frame(crs: str) -> gpd.GeoDataFrame:
    geoms = [shapely.box(-98 + x * 0.5, 35 + y * 0.5, -97.5 + x * 0.5, 35.5 + y * 0.5)
             for y in range(4) for x in range(5)]
    df = gpd.GeoDataFrame({"CODE": [f"Z{i:02d}" for i in range(20)], "NAME": [f"Zone {i}" for i in range(20)],
                           "households": np.arange(20) * 10.0}, geometry=geoms, crs="EPSG:4326")
    return df.to_crs(crs)


@pytest.mark.parametrize("fmt,ext,crs", [("ESRI Shapefile", ".shp", "EPSG:3857"),
                                          ("GeoJSON", ".geojson", "EPSG:4326"),
                                          ("GPKG", ".gpkg", "EPSG:32614"),
                                          ("KML", ".kml", "EPSG:4326")])
def test_new_from_gis_files(tmp_path, capsys, fmt, ext, crs):
    src = tmp_path / f"zones{ext}"
    pyogrio.write_dataframe(_grid_frame(crs), src, driver=fmt)
    proj = tmp_path / "zones-project.gpkg"
    code, out, err = run(capsys, "new", proj, "--units", src, "--id-field", "CODE" if fmt != "KML" else "Name",
                         *(["--name-field", "NAME"] if fmt != "KML" else []))
    assert code == 0, err
    p = load_project(proj)
    assert len(p.units) == 20
    assert p.adjacency.edge_count == 5 * 3 + 4 * 4  # rook adjacency of a 5 x 4 grid
    areas = p.units.area_m2 / 1e6
    assert np.all((areas > 2000) & (areas < 2600))  # 0.5 deg cells near 35N: ~45 x 55 km
    code, out, _ = run(capsys, "stats", proj, "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["unassigned_units"] == 20


def test_new_refuses_bad_inputs(tmp_path, capsys):
    noise = tmp_path / "noise.shp"
    noise.write_bytes(os.urandom(500))
    code, _, err = run(capsys, "new", tmp_path / "p.gpkg", "--units", noise)
    assert code == 2 and err.startswith("territory-desk: error:") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "new", tmp_path / "p.sqlite", "--units", noise)
    assert code == 2 and "end in .gpkg" in err


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"SQLite format 3\x00" + os.urandom(2000)])
def test_bad_project_files_give_one_line(tmp_path, content, capsys):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(content)
    for cmd in (["stats"], ["check"], ["move", "--units", "X", "--to", "Y"]):
        code, out, err = run(capsys, cmd[0], bad, *cmd[1:])
        assert code == 2 and out == "", (out, err)
        assert len(err.strip().splitlines()) == 1 and err.startswith("territory-desk: error:"), err
    # and as a real process: nothing else on stderr (no traceback, no warning)
    r = subprocess.run([sys.executable, "-m", "territory_desk.cli", "stats", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_help_for_every_command(capsys):
    r = subprocess.run([sys.executable, "-m", "territory_desk.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage: territory-desk" in r.stdout  # the real entry point
    for cmd in (["new"], ["demo"], ["stats"], ["check"], ["move"]):
        with pytest.raises(SystemExit) as exit_:
            main([*cmd, "--help"])
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and out.startswith(f"usage: territory-desk {cmd[0]}"), cmd
