"""Lead rules as stored in a project: JSON form, validation that names the rule and the problem,
the undoable edit, and the round trip through a saved project."""
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.leads.rules import (
    SETTINGS_KEY,
    LeadRule,
    SetLeadRules,
    describe,
    parse_rules,
    project_rules,
    rules_json,
)
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territory_layers import TerritoryLayer
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.conftest import make_grid_project

GOOD = [
    {"name": "Named", "type": "account"},
    {"name": "Big", "type": "condition", "when": "employees >= 1000", "target": "territory", "value": "T1"},
    {"name": "ZIP", "type": "unit", "column": "zip", "match": "zip", "cap": 50, "when": "country = US"},
    {"name": "Where", "type": "point", "lat_column": "Latitude", "lon_column": "Longitude"},
    {"name": "Turns", "type": "round_robin", "team": "Inside", "rep_caps": {"R0": 3}},
    {"name": "Rest", "type": "fallback", "target": "queue", "value": "Unrouted"},
]


@pytest.fixture
def p():
    project = make_grid_project()
    project.reps[0].skills["team"] = "Inside"
    return project


def test_rules_round_trip_through_json_with_defaults_filled(p):
    rules = parse_rules(GOOD, p)
    assert [r.type for r in rules] == ["account", "condition", "unit", "point", "round_robin", "fallback"]
    assert rules[0].name_column == "company" and rules[2].cap == 50 and rules[4].rep_caps == {"R0": 3}
    js = rules_json(rules)
    assert js[0] == {"name": "Named", "type": "account", "name_column": "company"}
    assert js[2] == {"name": "ZIP", "type": "unit", "when": "country = US", "cap": 50, "column": "zip", "match": "zip"}
    assert rules_json(parse_rules(js, p)) == js
    assert describe(rules[2]) == "unit: 'zip' as ZIP code, when country = US, cap 50"


@pytest.mark.parametrize("rule, message", [
    ({"type": "unit"}, r"^rule 1: needs a name$"),
    ({"name": "X", "type": "zipcode"}, r"^rule 1 'X': unknown type 'zipcode' \(types: account, condition"),
    ({"name": "X", "type": "unit", "tem": "a"}, r"^rule 1 'X': 'tem' does not apply to a unit rule"),
    ({"name": "X", "type": "unit", "when": "employees >> 5"}, r"^rule 1 'X': .*condition 'employees >> 5'"),
    ({"name": "X", "type": "unit", "when": "employees >= "}, r"^rule 1 'X': the condition .* ends too early"),
    ({"name": "X", "type": "unit", "cap": -1}, r"^rule 1 'X': cap must be a whole number"),
    ({"name": "X", "type": "unit", "cap": 2.5}, r"^rule 1 'X': cap must be a whole number"),
    ({"name": "X", "type": "unit", "match": "county"}, r"^rule 1 'X': match must be 'id'"),
    ({"name": "X", "type": "condition", "target": "region", "value": "a"}, r"^rule 1 'X': target must be one of"),
    ({"name": "X", "type": "condition", "target": "rep"}, r"^rule 1 'X': name the rep the leads go to"),
    ({"name": "X", "type": "condition", "target": "rep", "value": "R9"}, r"^rule 1 'X': the rep 'R9' is not in"),
    ({"name": "X", "type": "condition", "target": "territory", "value": "T9"}, r"^rule 1 'X': no territory 'T9'"),
    ({"name": "X", "type": "condition", "target": "team", "value": "Field"},
     r"^rule 1 'X': no rep is in the team 'Field' \(teams: Inside\)"),
    ({"name": "X", "type": "unit", "layer": "Enterprise"}, r"^rule 1 'X': no territory layer named 'Enterprise'"),
    ({"name": "X", "type": "round_robin"}, r"^rule 1 'X': name either a team or a list of reps"),
    ({"name": "X", "type": "round_robin", "reps": ["R0", "R7"]}, r"^rule 1 'X': the rep\(s\) 'R7' are not in"),
    ({"name": "X", "type": "fallback", "target": "team", "value": "Inside"}, r"^rule 1 'X': target must be 'rep'"),
    ({"name": "X", "type": "unit", "rep_caps": {"R8": 2}}, r"^rule 1 'X': rep_caps names the rep 'R8'"),
    ("unit", r"^rule 1: expected an object"),
])
def test_a_bad_rule_is_refused_naming_the_rule_and_the_problem(p, rule, message):
    with pytest.raises(InputError, match=message):
        parse_rules([rule], p)


def test_rule_names_are_unique_and_the_list_is_a_list(p):
    with pytest.raises(InputError, match=r"^rule 2 'named': rule 1 has the same name"):
        parse_rules([{"name": "Named", "type": "account"}, {"name": "named", "type": "point"}], p)
    with pytest.raises(InputError, match="must be a list"):
        parse_rules({"name": "x"}, p)


def test_a_layer_without_scenario_cannot_be_targeted(p):
    p.layers = [TerritoryLayer("Enterprise", "segment = Enterprise")]
    with pytest.raises(InputError, match=r"rule 1 'E': the territory layer 'Enterprise' has no scenario"):
        parse_rules([{"name": "E", "type": "condition", "target": "layer", "value": "enterprise"}], p)


def test_set_lead_rules_is_one_undo_step_and_checks_first(p):
    doc = Document(p)
    seen = []
    doc.listeners.append(lambda change: seen.append(change.kind))
    cmd = SetLeadRules(GOOD)
    cmd.redo(doc)
    assert [r.name for r in project_rules(p)] == [r["name"] for r in GOOD] and seen == ["settings"]
    cmd.undo(doc)
    assert SETTINGS_KEY not in p.settings
    p.settings[SETTINGS_KEY] = [GOOD[0]]
    with pytest.raises(InputError, match="rule 2 'X': the rep 'R9'"):
        SetLeadRules([GOOD[0], {"name": "X", "type": "fallback", "target": "rep", "value": "R9"}]).redo(doc)
    assert p.settings[SETTINGS_KEY] == [GOOD[0]]  # untouched
    again = SetLeadRules([])
    again.redo(doc)
    assert p.settings[SETTINGS_KEY] == []
    again.undo(doc)
    assert p.settings[SETTINGS_KEY] == [GOOD[0]]


def test_rules_are_saved_with_the_project(p, tmp_path):
    SetLeadRules(GOOD).redo(Document(p))
    path = tmp_path / "p.gpkg"
    save_project(p, str(path))
    again = load_project(str(path))
    assert rules_json(project_rules(again)) == rules_json(parse_rules(GOOD, p))


def test_from_dict_keeps_what_the_form_does_not_show():
    rule = LeadRule.from_dict({"name": "Cap", "type": "unit", "rep_caps": {"R1": 4}, "cap": 0})
    assert rule.cap == 0 and rule.to_dict()["rep_caps"] == {"R1": 4} and rule.to_dict()["cap"] == 0
