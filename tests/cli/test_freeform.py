"""`territory-desk freeform`: new scenario, draw from WKT in longitude/latitude, from units, check,
clip; `stats`, `check` and `export` on a freeform scenario; one-line errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.domain.stats.test_freeform_engine import known_project
from tests.cli_runner import run

NORTH = "POLYGON((-100 38, -99.4 38, -99.4 38.4, -100 38.4, -100 38))"  # cells x 0-2, y 0-1
SOUTH = "POLYGON((-99.6 38, -98.8 38, -98.8 38.4, -99.6 38.4, -99.6 38))"  # cells x 2-5, y 0-1


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "grid.gpkg"
    save_project(known_project(), p)
    return str(p)


def test_freeform_workflow(path, capsys, tmp_path):
    code, out, _ = run(capsys, "freeform", path, "--new-scenario", "Drawn")
    assert code == 0 and "created freeform scenario 'Drawn'" in out and "36 of 36 accounts" in out
    code, out, _ = run(capsys, "freeform", path, "--draw", "North", "--wkt", NORTH)
    assert code == 0 and "drew new territory 'North'" in out and "North 6" in out
    code, out, _ = run(capsys, "freeform", path, "--draw", "South", "--wkt", SOUTH)
    assert code == 0 and "South 8" in out
    code, out, _ = run(capsys, "freeform", path, "--check")
    assert code == 1 and "'North' and 'South' overlap" in out and "2 account(s) counted in both: C20, C21" in out
    assert "24 account(s) in no territory" in out
    code, out, _ = run(capsys, "check", path)
    assert code == 1 and "overlap" in out
    code, out, _ = run(capsys, "freeform", path, "--clip", "North", "--by", "South")
    assert code == 0 and "North 4, South 8" in out
    code, out, _ = run(capsys, "freeform", path, "--from-units", "Territory 2", "--source", "Base")
    assert code == 0 and "Territory 2 12" in out
    code, out, _ = run(capsys, "stats", path, "--format", "json")
    d = json.loads(out)
    assert d["scenario"] == "Drawn"
    assert [(t["name"], t["accounts"]) for t in d["territories"]] == [("North", 4), ("South", 8), ("Territory 2", 12)]
    # redraw by name replaces the polygon
    code, out, _ = run(capsys, "freeform", path, "--draw", "north", "--wkt", NORTH.replace("38.4", "38.6"))
    assert code == 0 and "redrew territory 'north'" in out
    project = load_project(path)
    assert len(project.scenario.territories) == 3
    code, out, _ = run(capsys, "export", path, "-o", str(tmp_path / "t.geojson"))
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
def test_errors_are_one_line(path, capsys, args, message):
    assert run(capsys, "freeform", path, "--new-scenario", "Drawn")[0] == 0
    code, out, err = run(capsys, "freeform", path, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_freeform_needs_a_freeform_scenario(path, capsys):
    code, _, err = run(capsys, "freeform", path, "--check")
    assert code == 2 and "no freeform scenario" in err
    run(capsys, "freeform", path, "--new-scenario", "Drawn")
    code, _, err = run(capsys, "move", path, "--units", "U0000", "--to", "none")
    assert code == 2 and "freeform" in err
