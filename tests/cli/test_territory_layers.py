"""`territory-desk layers / pin / unpin / promote / compare` end to end on a small project file."""
from __future__ import annotations

import csv
import io
import json

import pytest

from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.cli_runner import digest, run


def test_layers_add_edit_move_delete(project_file, capsys):
    code, out, err = run(capsys, "layers", project_file)
    assert code == 0 and "All accounts" in out and "*>Base" in out
    code, out, err = run(capsys, "layers", project_file, "--add", "Enterprise", "--rule", "segment = Enterprise",
                         "--from-scenario", "Base", "--description", "big")
    assert code == 0 and err == ""
    assert "added territory layer 'Enterprise'" in out and "10 account(s)" in out and "'Enterprise plan'" in out
    p = load_project(str(project_file))
    assert [(tl.name, tl.rule, tl.description) for tl in p.layers] == [("Enterprise", "segment = Enterprise", "big")]
    assert p.active == "Enterprise plan" and p.scenario.live and p.scenario.layer == "Enterprise"
    assert run(capsys, "layers", project_file, "--add", "SMB", "--no-assignment", "--from-scenario", "Base")[0] == 0
    assert (load_project(str(project_file)).get_scenario("SMB plan").assignment == -1).all()
    code, out, _ = run(capsys, "layers", project_file)
    assert "Enterprise" in out and "segment = Enterprise" in out and "(every account left)" in out
    code, out, _ = run(capsys, "layers", project_file, "--edit", "Enterprise", "--rename", "Key", "--rule",
                       "revenue >= 50")
    assert code == 0 and "territory layer 'Key'" in out
    p = load_project(str(project_file))
    assert p.layers[0].name == "Key" and p.get_scenario("Enterprise plan").layer == "Key"
    assert run(capsys, "layers", project_file, "--move", "SMB", "--position", "0")[0] == 0
    assert [tl.name for tl in load_project(str(project_file)).layers] == ["SMB", "Key"]
    code, out, err = run(capsys, "layers", project_file, "--delete", "Key")
    assert code == 2 and "still has 1 scenario(s)" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, "layers", project_file, "--delete", "Key", "--with-scenarios")
    assert code == 0 and "Enterprise plan" in out
    assert [tl.name for tl in load_project(str(project_file)).layers] == ["SMB"]


@pytest.mark.parametrize("args, message", [
    (["--add", "X", "--rule", "employees >= 1000"], "'employees', which is not a column"),
    (["--add", "X", "--rule", "revenue >>"], "expected a value"),
    (["--edit", "Nope", "--rule", "revenue > 1"], "no territory layer named 'Nope'"),
    (["--edit", "Nope"], "--edit needs --rule, --rename or --description"),
    (["--delete", "Nope"], "no territory layer named 'Nope'"),
    (["--move", "Nope"], "--move needs --position"),
    (["--rename", "X"], "--rename does not go with listing the layers"),
    (["--add", "X", "--with-scenarios"], "--with-scenarios does not go with --add"),
])
def test_layers_errors_are_one_line_and_leave_the_file(project_file, capsys, args, message):
    before = digest(project_file)
    code, out, err = run(capsys, "layers", project_file, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert digest(project_file) == before


def test_pin_list_unpin_promote(project_file, capsys):
    code, out, err = run(capsys, "pin", project_file, "A001", "A002", "--territory", "Territory 2")
    assert code == 0 and "pinned 2 account(s) to Territory 2 (T2) in scenario 'Base'" in out
    assert load_project(str(project_file)).scenario.pins == {"A001": "T2", "A002": "T2"}
    stats = json.loads(run(capsys, "stats", project_file, "--format", "json")[1])
    assert sum(t["accounts"] for t in stats["territories"]) + stats["summary"]["unassigned_accounts"] == 40
    code, out, _ = run(capsys, "pin", project_file, "--list")
    assert "2 pin(s)" in out and "A001" in out and "Territory 2" in out
    before = digest(project_file)
    for args, message in ((["A001"], "--territory T is required"), (["zz", "-t", "T1"], "no account with id 'zz'"),
                          (["A001", "-t", "T9"], "no territory 'T9'"), ([], "give the ids")):
        code, _, err = run(capsys, "pin", project_file, *args)
        assert code == 2 and message in err
    assert digest(project_file) == before
    assert run(capsys, "unpin", project_file, "A001")[0] == 0
    assert load_project(str(project_file)).scenario.pins == {"A002": "T2"}
    code, _, err = run(capsys, "unpin", project_file, "A001")
    assert code == 2 and "'A001' is not pinned in scenario 'Base'" in err
    assert run(capsys, "unpin", project_file, "--all")[0] == 0
    assert load_project(str(project_file)).scenario.pins == {}
    # promote
    p = load_project(str(project_file))
    p.scenarios.append(p.scenario.copy("Plan B"))
    save_project(p, str(project_file))
    code, out, _ = run(capsys, "promote", project_file, "Plan B")
    assert code == 0 and "live plan of 'All accounts'" in out
    p = load_project(str(project_file))
    assert p.active == "Plan B" and [s.live for s in p.scenarios] == [False, True]
    code, _, err = run(capsys, "promote", project_file, "Nope")
    assert code == 2 and "no scenario named 'Nope'" in err


@pytest.fixture
def two_plans(project_file, capsys):
    p = load_project(str(project_file))
    b = p.scenario.copy("Plan B")
    b.assignment[[0, 1]] = 1  # U0000, U0001: T0 -> T1
    p.scenarios.append(b)
    save_project(p, str(project_file))
    return project_file


def test_compare_every_format(two_plans, capsys, tmp_path):
    code, out, err = run(capsys, "compare", two_plans, "Base", "Plan B")
    assert code == 0 and err == ""
    assert "Comparing Base (A) with Plan B (B)" in out and "Units that change territory" in out
    assert "2 of 36 (5.6 %)" in out
    code, out, _ = run(capsys, "compare", two_plans, "Base", "Plan B", "--format", "json")
    d = json.loads(out)
    assert d["disruption"]["units_territory"]["changed"] == 2
    assert [u["id"] for u in d["changed_units"]] == ["U0000", "U0001"]
    t0 = d["territories"][0]
    assert t0["metrics"]["units"] == {"a": 12, "b": 10, "change": -2, "change_pct": pytest.approx(-16.666667)}
    code, out, _ = run(capsys, "compare", two_plans, "Base", "Plan B", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "territory_id" and len(rows) == 1 + 3 + 1 + 1 + 4 + 2
    out_file = tmp_path / "cmp.csv"
    code, out, _ = run(capsys, "compare", two_plans, "Base", "Plan B", "--format", "csv", "-o", out_file)
    assert code == 0 and f"wrote {out_file}" in out and out_file.read_text().startswith("territory_id,")
    code, out, _ = run(capsys, "compare", two_plans, "Base", "Plan B", "--list", "units")
    assert out.startswith("2 unit(s) change between Base and Plan B") and "U0001" in out
    code, out, _ = run(capsys, "compare", two_plans, "Base", "Plan B", "--list", "accounts", "--format", "csv")
    assert out.startswith("account_id,account_name,territory_Base,territory_Plan B,rep_Base,rep_Plan B")


@pytest.mark.parametrize("args, message", [
    (["Base", "Nope"], "no scenario named 'Nope'"),
    (["Base", "Plan B", "--fields", "zz"], "--fields: no measure 'zz'"),
])
def test_compare_errors(two_plans, capsys, args, message):
    code, out, err = run(capsys, "compare", two_plans, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_compare_refuses_to_overwrite_the_project(two_plans, capsys):
    before = digest(two_plans)
    code, _, err = run(capsys, "compare", two_plans, "Base", "Plan B", "-o", two_plans)
    assert code == 2 and "is the project file" in err
    assert digest(two_plans) == before
