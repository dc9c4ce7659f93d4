"""`territory-desk freeform`: new scenario, draw from WKT in longitude/latitude, from units, check,
clip; `stats`, `check` and `export` on a freeform scenario; one-line errors."""
from __future__ import annotations

import json

import pytest

from territory_desk.persistence.reader import load_project

from tests.cli_runner import run
from tests.domain.stats.test_freeform_engine import known_project

NORTH = "POLYGON((-100 38, -99.4 38, -99.4 38.4, -100 38.4, -100 38))"  # cells x 0-2, y 0-1
SOUTH = "POLYGON((-99.6 38, -98.8 38, -98.8 38.4, -99.6 38.4, -99.6 38))"  # cells x 2-5, y 0-1


pytestmark = pytest.mark.project_file(build=known_project)


def test_freeform_workflow(project_file, capsys, tmp_path):
    code, out, _ = run(capsys, "freeform", project_file, "--new-scenario", "Drawn")
    assert code == 0 and "created freeform scenario 'Drawn'" in out and "36 of 36 accounts" in out
    code, out, _ = run(capsys, "freeform", project_file, "--draw", "North", "--wkt", NORTH)
    assert code == 0 and "drew new territory 'North'" in out and "North 6" in out
    code, out, _ = run(capsys, "freeform", project_file, "--draw", "South", "--wkt", SOUTH)
    assert code == 0 and "South 8" in out
    code, out, _ = run(capsys, "freeform", project_file, "--check")
    assert code == 1 and "'North' and 'South' overlap" in out and "2 account(s) counted in both: C20, C21" in out
    assert "24 account(s) in no territory" in out
    code, out, _ = run(capsys, "check", project_file)
    assert code == 1 and "overlap" in out
    code, out, _ = run(capsys, "freeform", project_file, "--clip", "North", "--by", "South")
    assert code == 0 and "North 4, South 8" in out
    code, out, _ = run(capsys, "freeform", project_file, "--from-units", "Territory 2", "--source", "Base")
    assert code == 0 and "Territory 2 12" in out
    code, out, _ = run(capsys, "stats", project_file, "--format", "json")
    d = json.loads(out)
    assert d["scenario"] == "Drawn"
    assert [(t["name"], t["accounts"]) for t in d["territories"]] == [("North", 4), ("South", 8), ("Territory 2", 12)]
    # redraw by name replaces the polygon
    code, out, _ = run(capsys, "freeform", project_file, "--draw", "north", "--wkt", NORTH.replace("38.4", "38.6"))
    assert code == 0 and "redrew territory 'north'" in out
    project = load_project(project_file)
    assert len(project.scenario.territories) == 3
    code, out, _ = run(capsys, "export", project_file, "-o", str(tmp_path / "t.geojson"))
    assert code == 0 and "3 territories" in out
    features = json.loads((tmp_path / "t.geojson").read_text())["features"]
    assert [f["properties"]["name"] for f in features] == ["North", "South", "Territory 2"]


@pytest.mark.parametrize("args, message", [
    (["--draw", "X", "--wkt", "POLYGON((-100 38, -99 39, -99 38, -100 39, -100 38))"], "crosses itself"),
    (["--draw", "X", "--wkt", "POLYGON((0 0, 1 1"], "does not parse"),
    (["--draw", "X", "--wkt", "POINT(-100 38)"], "POLYGON or MULTIPOLYGON"),
    (["--draw", "X", "--wkt", "POLYGON((-500000 0, 0 0, 0 100000, -500000 0))"], "longitude/latitude"),
    (["--draw", "X"], "needs --wkt"),
    (["--clip", "X"], "needs --by"),
    (["--from-units", "nope"], "no territory 'nope'"),
    (["--check", "--wkt", "POLYGON((0 0, 1 0, 1 1, 0 0))"], "--wkt goes with --draw"),
])
def test_errors_are_one_line(project_file, capsys, args, message):
    assert run(capsys, "freeform", project_file, "--new-scenario", "Drawn")[0] == 0
    code, out, err = run(capsys, "freeform", project_file, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_freeform_needs_a_freeform_scenario(project_file, capsys):
    code, _, err = run(capsys, "freeform", project_file, "--check")
    assert code == 2 and "no freeform scenario" in err
    run(capsys, "freeform", project_file, "--new-scenario", "Drawn")
    code, _, err = run(capsys, "move", project_file, "--units", "U0000", "--to", "none")
    assert code == 2 and "freeform" in err
