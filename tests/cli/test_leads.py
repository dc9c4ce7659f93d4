"""`territory-desk rules` and `territory-desk assign`, driven as a sales-ops script would drive them."""
import csv
import json

import pytest

from territory_desk.persistence.reader import load_project

from tests.cli_runner import digest, run
from tests.conftest import make_grid_project

RULES = [
    {"name": "Named", "type": "account", "id_column": "Account Id"},
    {"name": "Key accounts", "type": "condition", "when": "employees >= 1000", "target": "rep", "value": "R2"},
    {"name": "By unit", "type": "unit", "column": "unit", "when": "country = US", "cap": 2},
    {"name": "Web", "type": "round_robin", "team": "Inside", "when": "source = web"},
    {"name": "Rest", "type": "fallback", "target": "queue", "value": "Unrouted", "when": "country = US"},
]
LEADS = [
    ["Lead", "Account Id", "Employees", "Unit", "Country", "Source"],
    ["l1", "A001", "", "", "", ""],
    ["l2", "", "5000", "U0000", "US", ""],
    ["l3", "", "10", "U0000", "US", ""],
    ["l4", "", "10", "U0001", "US", ""],
    ["l5", "", "10", "U0100", "US", "web"],
    ["l6", "", "", "U0100", "CA", "web"],
    ["l7", "", "", "U0100", "CA", ""],
]


def routing_grid():
    """The grid with account A001 in U0005 (territory T2, rep R2) and reps R0, R1 in the team Inside."""
    p = make_grid_project()
    p.accounts.lon[1], p.accounts.lat[1] = -98.9, 38.1
    p.locate_accounts()
    for r in p.reps[:2]:
        r.skills["team"] = "Inside"
    return p


pytestmark = pytest.mark.project_file(build=routing_grid)


@pytest.fixture
def files(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    leads = tmp_path / "leads.csv"
    with open(leads, "w", newline="") as f:
        csv.writer(f).writerows(LEADS)
    return rules, leads


def test_rules_are_set_shown_and_used_by_assign(project_file, files, tmp_path, capsys):
    rules, leads = files
    code, out, _ = run(capsys, "rules", project_file)
    assert code == 0 and "no lead routing rules" in out
    code, out, err = run(capsys, "rules", project_file, "--set", rules)
    assert code == 0 and err == "" and "saved 5 lead routing rule(s)" in out
    assert "3. By unit: unit: 'unit' as unit id, when country = US, cap 2" in out
    code, out, _ = run(capsys, "rules", project_file, "--show")
    assert [r["name"] for r in json.loads(out)] == [r["name"] for r in RULES]
    assert load_project(str(project_file)).settings["lead_rules"] == json.loads(out)

    assigned = tmp_path / "assigned.csv"
    code, out, err = run(capsys, "assign", project_file, leads, "-o", assigned, "--explain")
    assert code == 0 and err == ""
    with open(assigned, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["Lead"] for r in rows] == [f"l{k}" for k in range(1, 8)]
    assert [r["rule"] for r in rows] == ["Named", "Key accounts", "By unit", "By unit", "Web", "Web", "(none)"]
    # l3 and l4 fill R0's cap of 2 in "By unit"; l5 (R0's unit too) falls through to the turns of Web
    assert [r["rep_id"] for r in rows] == ["R2", "R2", "R0", "R0", "R0", "R1", ""]
    assert [r["territory_id"] for r in rows] == ["T2", "", "T0", "T0", "", "", ""]
    assert rows[4]["explain"].startswith("rule 4 'Web': source = web -> round robin in team 'Inside'")
    assert rows[6]["explain"] == "no rule matched: rule 1: no Account Id"
    assert "7 lead(s) read from leads.csv; 6 placed, 1 unmatched" in out
    assert "row 8: rule 1: no Account Id" in out
    assert f"written to {assigned}" in out


def test_rules_from_a_file_instead_of_the_projects(project_file, files, tmp_path, capsys):
    rules, leads = files
    out = tmp_path / "a.csv"
    before = digest(project_file)
    code, text, _ = run(capsys, "assign", project_file, leads, "-o", out, "--rules", rules)
    assert code == 0 and "  3. By unit" in text and digest(project_file) == before
    with open(out, newline="") as f:
        reps = [r["rep_id"] for r in csv.DictReader(f)]
    assert reps == ["R2", "R2", "R0", "R0", "R0", "R1", ""]


def test_a_refused_rule_list_leaves_the_project_file_as_it_was(project_file, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([RULES[0], {"name": "Typo", "type": "condition", "target": "rep", "value": "R9"}]))
    before = digest(project_file)
    code, out, err = run(capsys, "rules", project_file, "--set", bad)
    assert code == 2 and out == ""
    assert err == "territory-desk: error: rule 2 'Typo': the rep 'R9' is not in the project\n"
    assert digest(project_file) == before


def test_assign_errors_are_one_line(project_file, files, tmp_path, capsys):
    rules, leads = files
    out = tmp_path / "o.csv"
    code, _, err = run(capsys, "assign", project_file, leads, "-o", out)
    assert code == 2 and err.startswith("territory-desk: error: the project has no lead routing rules")
    other = tmp_path / "other.json"
    other.write_text(json.dumps([{"name": "Z", "type": "unit", "column": "zip", "match": "zip"}]))
    code, _, err = run(capsys, "assign", project_file, leads, "-o", out, "--rules", other)
    assert code == 2 and err.count("\n") == 1
    assert "rule 1 'Z' needs the column 'zip' (ZIP code), which the leads file does not have" in err
    assert not out.exists()
    code, _, err = run(capsys, "assign", project_file, tmp_path / "nope.csv", "-o", out, "--rules", rules)
    assert code == 2 and "nope.csv does not exist" in err
