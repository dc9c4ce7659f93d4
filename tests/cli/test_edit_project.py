"""Every command that writes a project file goes through the one place that opens, edits and saves
(services.project_files.edit_project; creation through create_project), and a refused command leaves
the file byte for byte as it was."""
from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest
import shapely

from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.session_files import lock_path

from tests.cli_runner import digest, run
from tests.conftest import make_grid_project

SQUARE = "POLYGON((-100 38, -99.5 38, -99.5 38.5, -100 38.5, -100 38))"


@pytest.fixture
def workspace(tmp_path):
    """A grid project whose first two territories have no rep, and CRM files beside it to import."""
    path = tmp_path / "p.gpkg"
    project = make_grid_project()
    for t in project.scenario.territories[:2]:
        t.rep_id = None  # two territories without a rep: match-reps --apply has something to do
    save_project(project, path)
    files = {
        "accounts.csv": "Account ID,Account Name,Latitude,Longitude\nB1,Acme,38.1,-99.9\nB2,Beta,38.5,-99.5\n",
        "reps.csv": "Rep ID,Name,Latitude,Longitude\nR0,Ann,38.2,-99.8\nR1,Bob,38.6,-99.2\n",
        "opps.csv": "Opportunity ID,Account ID,Amount,Stage,Created Date,Close Date\n"
                    "O1,A000,1000,Closed Won,2026-04-01,2026-05-01\n",
        "leads.csv": "Lead ID,Created Date,Account ID\nL1,2026-04-01,A000\n",
        "quotas.csv": "rep,period,amount\nR0,2026Q3,5\n",
        "rules.json": json.dumps([{"name": "Rest", "type": "fallback", "target": "queue", "value": "Unrouted"}]),
        "bad.json": json.dumps([{"name": "X", "type": "nonsense"}]),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    cell = shapely.box(-98.8, 38.0, -98.6, 38.2)
    (tmp_path / "more.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"unit_id": "NEW1"}, "geometry": shapely.geometry.mapping(cell)}]}))
    return path


def _writers(d: Path) -> list[tuple[list[list[str]], list[str]]]:
    """(setup commands, the writing command) for every command that changes a project file."""
    p = str(d / "p.gpkg")
    add_e = ["layers", p, "--add", "E", "--rule", "segment = Enterprise"]
    return [
        ([], ["move", p, "--units", "U0000,U0001", "--to", "T2"]),
        ([], ["move", p, "--units", "U0000", "--to", "none"]),
        ([], ["layers", p, "--add", "Enterprise", "--rule", "segment = Enterprise", "--from-scenario", "Base"]),
        ([add_e], ["layers", p, "--edit", "E", "--rename", "K"]),
        ([add_e], ["layers", p, "--move", "E", "--position", "0"]),
        ([add_e], ["layers", p, "--delete", "E", "--with-scenarios"]),
        ([], ["pin", p, "A001", "--territory", "T1"]),
        ([["pin", p, "A001", "--territory", "T1"]], ["unpin", p, "--all"]),
        ([["optimize", p, "--territories", "2", "--balance", "population:20%", "--time-limit", "5"]],
         ["promote", p, "Base"]),
        ([], ["regions", p, "--add", "East", "--assign", "T0", "--to", "East"]),
        ([], ["freeform", p, "--new-scenario", "Drawn"]),
        ([["freeform", p, "--new-scenario", "Drawn"]], ["freeform", p, "--draw", "North", "--wkt", SQUARE]),
        ([["freeform", p, "--new-scenario", "Drawn"]], ["freeform", p, "--from-units", "T0", "--source", "Base"]),
        ([], ["match-reps", p, "--apply"]),
        ([], ["rules", p, "--set", str(d / "rules.json")]),
        ([], ["optimize", p, "--territories", "2", "--balance", "population:20%", "--time-limit", "5"]),
        ([], ["snapshot", p, "--period", "all"]),
        ([], ["import-accounts", p, str(d / "accounts.csv")]),
        ([], ["import-reps", p, str(d / "reps.csv")]),
        ([], ["import-units", p, str(d / "more.geojson")]),
        ([], ["import-opportunities", p, str(d / "opps.csv")]),
        ([], ["import-leads", p, str(d / "leads.csv")]),
        ([], ["import-quotas", p, str(d / "quotas.csv")]),
    ]


def _spy_on_project_writes(monkeypatch) -> list[set[str]]:
    """Every project file put in place (the atomic rename of a save): the functions on the stack."""
    writes: list[set[str]] = []
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith(".gpkg"):
            frame, names = sys._getframe(1), set()
            while frame is not None:
                names.add(f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}")
                frame = frame.f_back
            writes.append(names)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return writes


@pytest.mark.parametrize("case", range(len(_writers(Path("x")))),
                         ids=[" ".join(w[1][:1] + w[1][2:4]) for w in _writers(Path("x"))])
def test_every_writing_command_saves_through_edit_project(workspace, capsys, monkeypatch, case):
    setup, args = _writers(workspace.parent)[case]
    for s in setup:
        code, _, err = run(capsys, *s)
        assert code == 0, err
    before = digest(workspace)
    writes = _spy_on_project_writes(monkeypatch)
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert len(writes) == 1, f"{args[0]} wrote the project {len(writes)} times"
    assert "project_files.py:edit_project" in writes[0]
    assert digest(workspace) != before
    load_project(workspace)  # and the result opens


def test_creating_a_project_goes_through_create_project(workspace, capsys, monkeypatch, tmp_path):
    writes = _spy_on_project_writes(monkeypatch)
    code, _, err = run(capsys, "new", tmp_path / "new.gpkg", "--units", tmp_path / "more.geojson")
    assert code == 0, err
    assert len(writes) == 1 and "project_files.py:create_project" in writes[0]


@pytest.mark.parametrize("args,message", [
    (["move", "{p}", "--units", "U0000", "--to", "Nowhere"], "no territory"),
    (["move", "{p}", "--units", "U0000,ZZZ", "--to", "T1"], "ZZZ"),
    (["move", "{p}", "--units", "U0000", "--to", "T1", "--scenario", "Nope"], "no scenario named 'Nope'"),
    (["regions", "{p}", "--add", "South", "--delete", "Ghost"], "no region 'Ghost'"),  # the add is undone too
    (["layers", "{p}", "--edit", "Ghost", "--rename", "X"], "Ghost"),
    (["pin", "{p}", "A001", "--territory", "T9"], "no territory 'T9'"),
    (["freeform", "{p}", "--draw", "X", "--wkt", SQUARE], "no freeform scenario"),
    (["rules", "{p}", "--set", "{d}/bad.json"], "nonsense"),
    (["optimize", "{p}", "--from", "Nope", "--balance", "population"], "no scenario named 'Nope'"),
    (["snapshot", "{p}", "--period", "someday"], "someday"),
    (["import-accounts", "{p}", "{d}/quotas.csv"], "no column holds account coordinates"),
    (["import-accounts", "{p}", "{p}"], "the project file itself"),
])
def test_a_refused_command_leaves_the_file_as_it_was(workspace, capsys, args, message):
    before = digest(workspace)
    code, _, err = run(capsys, *[a.format(p=workspace, d=workspace.parent) for a in args])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert digest(workspace) == before
    assert sorted(p.name for p in workspace.parent.glob("*.gpkg*")) == ["p.gpkg"]


def test_a_project_open_in_the_editor_elsewhere_is_not_changed_behind_it(workspace, capsys):
    Path(lock_path(str(workspace))).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getppid()}))
    before = digest(workspace)
    for args in (["move", workspace, "--units", "U0000", "--to", "T2"], ["regions", workspace, "--add", "E"],
                 ["import-reps", workspace, workspace.parent / "reps.csv"]):
        code, _, err = run(capsys, *args)
        assert code == 2 and "is open in territory_desk" in err
    assert digest(workspace) == before


def test_nothing_to_do_writes_nothing(workspace, capsys):
    assert run(capsys, "pin", workspace, "A001", "--territory", "T1")[0] == 0
    assert run(capsys, "unpin", workspace, "--all")[0] == 0
    mtime = os.stat(workspace).st_mtime_ns
    code, out, _ = run(capsys, "unpin", workspace, "--all")
    assert code == 0 and "has no pins" in out
    assert os.stat(workspace).st_mtime_ns == mtime


def test_move_acts_on_the_named_scenario_and_keeps_the_active_one(workspace, capsys):
    p = load_project(workspace)
    p.scenarios.append(p.scenario.copy("Plan B"))
    save_project(p, workspace)
    code, out, err = run(capsys, "move", workspace, "--units", "U0000,U0001,U0002", "--to", "Territory 1",
                         "--scenario", "Plan B")
    assert code == 0, err
    assert out.strip() == "moved 2 unit(s) to Territory 1 (1 already there)"
    after = load_project(workspace)
    assert after.active == "Base"
    assert after.get_scenario("Plan B").assignment[:2].tolist() == [1, 1]
    assert after.scenario.assignment[:2].tolist() == [0, 0]
