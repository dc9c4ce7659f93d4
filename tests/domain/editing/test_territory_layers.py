"""Territory layers, pins and the live plan: every command does and undoes exactly, refuses bad input
with one clear line and leaves the project untouched, and the figures count pins and layer rules."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import SwitchScenario
from territory_desk.domain.editing.territory_layers import (
    AddLayer,
    DeleteLayer,
    EditLayer,
    MoveLayer,
    PinAccounts,
    PromoteScenario,
    UnpinAccounts,
)
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territory_layers import live_scenario, route_accounts
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.territory_layers import layer_summaries, layers_table, pin_rows, rule_preview

from tests.conftest import FIXTURES, make_grid_project

ENTERPRISE = "segment = Enterprise"  # accounts 0, 4, 8, ... (10 of 40) in the grid project


def state(project):
    """Everything the commands may touch, comparable with ==."""
    return (project.active, [(tl.name, tl.rule, tl.kind, tl.description) for tl in project.layers],
            [(s.name, s.layer, s.live, dict(s.pins), s.assignment.tolist(), [t.id for t in s.territories])
             for s in project.scenarios])


@pytest.fixture
def doc():
    return Document(make_grid_project())


def hand_count_accounts(project, scenario) -> list[int]:
    """Accounts per territory counted one by one: the layer's accounts, by unit, pins override."""
    route = route_accounts(project)
    layer_index = next((k for k, tl in enumerate(project.layers) if tl.name == scenario.layer), None)
    ids = [t.id for t in scenario.territories]
    counts = [0] * len(ids)
    for i, acc_id in enumerate(project.accounts.ids):
        if scenario.layer and route[i] != layer_index:
            continue
        if acc_id in scenario.pins:
            counts[ids.index(scenario.pins[acc_id])] += 1
            continue
        u = project.accounts.unit_index[i]
        if u >= 0 and scenario.assignment[u] >= 0:
            counts[scenario.assignment[u]] += 1
    return counts


def accounts_column(doc):
    s = doc.stats()
    return s.value[:, s.field_index("accounts")].astype(int).tolist()


# ---- layers ---------------------------------------------------------------------------------------
def test_add_layer_creates_live_active_scenario_and_undo_restores(doc):
    p = doc.project
    before = state(p)
    seen = []
    doc.listeners.append(seen.append)
    cmd = AddLayer("Enterprise", ENTERPRISE, from_scenario="Base")
    cmd.redo(doc)
    assert [tl.name for tl in p.layers] == ["Enterprise"]
    sc = p.scenario
    assert sc.name == "Enterprise plan" and sc.layer == "Enterprise" and sc.live
    assert np.array_equal(sc.assignment, p.get_scenario("Base").assignment)
    assert sc.territories is not p.get_scenario("Base").territories
    assert seen[-1].kind == "scenario"
    # only the 10 enterprise accounts count in the new layer's scenario
    assert sum(accounts_column(doc)) == sum(hand_count_accounts(p, sc)) == 10
    assert accounts_column(doc) == hand_count_accounts(p, sc)
    cmd.undo(doc)
    assert state(p) == before
    assert sum(accounts_column(doc)) == 40
    cmd.redo(doc)
    assert p.active == "Enterprise plan"


def test_add_layer_empty_or_territories_only(doc):
    p = doc.project
    AddLayer("SMB", "", scenario_name="Blank").redo(doc)
    assert p.scenario.name == "Blank" and p.scenario.territories == [] and (p.scenario.assignment == -1).all()
    AddLayer("Mid", "revenue > 50", from_scenario="Base", copy_assignment=False, position=0).redo(doc)
    assert [tl.name for tl in p.layers] == ["Mid", "SMB"]
    assert [t.id for t in p.scenario.territories] == ["T0", "T1", "T2"]
    assert (p.scenario.assignment == -1).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="", rule=""), "needs a name"),
    (dict(name="X", rule="employees >= 1000"), "not a column"),
    (dict(name="X", rule="revenue >>"), "expected a value"),
    (dict(name="X", rule="", from_scenario="Nope"), "no scenario named 'Nope'"),
    (dict(name="X", rule="", scenario_name="Base"), "exists already"),
    (dict(name="X", rule="", kind="blob"), "kind must be"),
])
def test_add_layer_refusals_leave_the_project_as_it_was(doc, kwargs, message):
    before = state(doc.project)
    with pytest.raises(InputError, match=message):
        AddLayer(**kwargs).redo(doc)
    assert state(doc.project) == before


def test_two_layers_with_one_name_refused(doc):
    AddLayer("Enterprise", ENTERPRISE).redo(doc)
    before = state(doc.project)
    with pytest.raises(InputError, match="same name"):
        AddLayer("enterprise", "").redo(doc)
    assert state(doc.project) == before


def test_edit_layer_rename_rule_description_and_undo(doc):
    p = doc.project
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    SwitchScenario("Base").redo(doc)
    AddLayer("SMB", "", from_scenario="Base").redo(doc)
    before = state(p)
    cmd = EditLayer("enterprise", new_name="Key accounts", rule="revenue >= 50", description="big ones")
    cmd.redo(doc)
    assert p.layers[0].name == "Key accounts" and p.layers[0].rule == "revenue >= 50"
    assert p.get_scenario("Enterprise plan").layer == "Key accounts"
    assert p.get_scenario("SMB plan").layer == "SMB"
    big = int(np.count_nonzero(p.accounts.numeric["revenue"] >= 50))
    assert sum(accounts_column(doc)) == sum(hand_count_accounts(p, p.scenario))  # active: SMB plan
    assert sum(hand_count_accounts(p, p.scenario)) <= 40 - big
    cmd.undo(doc)
    assert state(p) == before
    with pytest.raises(InputError, match="not a column"):
        EditLayer("SMB", rule="nope = 1").redo(doc)
    with pytest.raises(InputError, match="same name"):
        EditLayer("SMB", new_name="ENTERPRISE").redo(doc)
    with pytest.raises(InputError, match="default layer"):
        EditLayer("", rule="x").redo(doc)
    assert state(p) == before


def test_move_layer_changes_routing(doc):
    p = doc.project
    AddLayer("Everyone", "").redo(doc)
    AddLayer("Enterprise", ENTERPRISE).redo(doc)
    assert (route_accounts(p) == 0).all()  # the catch-all comes first and takes everybody
    cmd = MoveLayer("Enterprise", 0)
    cmd.redo(doc)
    assert [tl.name for tl in p.layers] == ["Enterprise", "Everyone"]
    assert np.count_nonzero(route_accounts(p) == 0) == 10
    cmd.undo(doc)
    assert [tl.name for tl in p.layers] == ["Everyone", "Enterprise"]


def test_delete_layer_refused_with_scenarios_unless_asked(doc):
    p = doc.project
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    before = state(p)
    with pytest.raises(InputError, match="still has 1 scenario"):
        DeleteLayer("Enterprise").redo(doc)
    assert state(p) == before
    cmd = DeleteLayer("Enterprise", with_scenarios=True)
    cmd.redo(doc)
    assert p.layers == [] and [s.name for s in p.scenarios] == ["Base"] and p.active == "Base"
    assert [s.name for s in cmd.deleted_scenarios] == ["Enterprise plan"]
    cmd.undo(doc)
    assert state(p) == before
    # a layer whose scenarios are gone can be deleted without the flag
    AddLayer("Empty", "").redo(doc)
    SwitchScenario("Base").redo(doc)
    from territory_desk.domain.editing.scenarios import DeleteScenario
    DeleteScenario("Empty plan").redo(doc)
    DeleteLayer("Empty").redo(doc)
    assert [tl.name for tl in p.layers] == ["Enterprise"]


def test_delete_layer_never_removes_the_last_scenarios():
    p = make_grid_project()
    p.layers = []
    d = Document(p)
    AddLayer("Only", "", from_scenario="Base").redo(d)
    from territory_desk.domain.editing.scenarios import DeleteScenario
    DeleteScenario("Base").redo(d)
    with pytest.raises(InputError, match="last scenarios"):
        DeleteLayer("Only", with_scenarios=True).redo(d)


# ---- pins ---------------------------------------------------------------------------------------
def test_pin_counts_in_the_pinned_territory_and_undo(doc):
    p = doc.project
    sc = p.scenario
    # an account lying in territory 0, pinned to territory 2
    i = next(i for i in range(len(p.accounts)) if sc.assignment[p.accounts.unit_index[i]] == 0)
    acc = p.accounts.ids[i]
    rev = p.accounts.numeric["revenue"][i]
    s0 = doc.stats()
    before = accounts_column(doc)
    cmd = PinAccounts([acc], "Territory 2")  # by name; stored by id
    cmd.redo(doc)
    assert sc.pins == {acc: "T2"}
    after = accounts_column(doc)
    assert after == hand_count_accounts(p, sc)
    assert after[0] == before[0] - 1 and after[2] == before[2] + 1
    k = s0.field_index("revenue")
    assert doc.stats().value[2, k] == pytest.approx(s0.value[2, k] + rev)
    assert doc.stats().value[0, k] == pytest.approx(s0.value[0, k] - rev)
    # the engine stays right through moves of the unit the pinned account lies in
    from territory_desk.domain.editing.territories import MoveUnits
    u = int(p.accounts.unit_index[i])
    MoveUnits([u], 1).redo(doc)
    assert accounts_column(doc) == hand_count_accounts(p, sc)
    doc.engine.check_against_full()
    MoveUnits([u], 0).redo(doc)
    cmd.undo(doc)
    assert sc.pins == {} and accounts_column(doc) == before


def test_repin_and_unpin_restore_previous_pins(doc):
    sc = doc.project.scenario
    PinAccounts(["A001", "A002"], "T1").redo(doc)
    again = PinAccounts(["A002", "A003", "A003"], "T2")
    again.redo(doc)
    assert sc.pins == {"A001": "T1", "A002": "T2", "A003": "T2"}
    again.undo(doc)
    assert sc.pins == {"A001": "T1", "A002": "T1"}
    un = UnpinAccounts(["A001"])
    un.redo(doc)
    assert sc.pins == {"A002": "T1"}
    assert accounts_column(doc) == hand_count_accounts(doc.project, sc)
    un.undo(doc)
    assert sc.pins == {"A001": "T1", "A002": "T1"}
    with pytest.raises(InputError, match="'A009' is not pinned"):
        UnpinAccounts(["A001", "A009"]).redo(doc)
    assert sc.pins == {"A001": "T1", "A002": "T1"}


@pytest.mark.parametrize("ids, territory, message", [
    (["nope"], "T1", "no account with id 'nope'"),
    (["A001"], "T9", "no territory 'T9'"),
    ([], "T1", "no accounts given"),
    (["A001"], "T1", "another territory layer"),  # A001 is SMB, the active scenario is Enterprise's
])
def test_pin_refusals(doc, ids, territory, message):
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    before = state(doc.project)
    with pytest.raises(InputError, match=message):
        PinAccounts(ids, territory).redo(doc)
    assert state(doc.project) == before


def test_pin_in_another_scenario_than_the_active_one(doc):
    p = doc.project
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    PinAccounts(["A001"], "T0", scenario="Base").redo(doc)
    assert p.get_scenario("Base").pins == {"A001": "T0"} and p.scenario.pins == {}
    rows = pin_rows(p, p.get_scenario("Base"))
    assert [(r.account_id, r.territory_name, r.stale) for r in rows] == [("A001", "Territory 0", False)]


def test_stale_pins_do_not_count(doc):
    p = doc.project
    before = accounts_column(doc)
    p.scenario.pins["gone"] = "T1"  # the account was removed by a re-import
    p.scenario.pins["A001"] = "T7"  # the territory was deleted
    doc.rebuild()
    assert accounts_column(doc) == before
    assert [r.stale for r in pin_rows(p)] == [True, True]


# ---- promote ------------------------------------------------------------------------------------
def test_promote_marks_live_in_its_layer_only_and_activates(doc):
    p = doc.project
    from territory_desk.domain.editing.scenarios import DuplicateScenario
    DuplicateScenario("Base", "Plan B").redo(doc)
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    p.get_scenario("Base").live = True
    before = state(p)
    cmd = PromoteScenario("Plan B")
    cmd.redo(doc)
    assert p.active == "Plan B"
    assert p.get_scenario("Plan B").live and not p.get_scenario("Base").live
    assert p.get_scenario("Enterprise plan").live  # another layer: untouched
    assert live_scenario(p, "") is p.get_scenario("Plan B")
    cmd.undo(doc)
    assert state(p) == before
    with pytest.raises(InputError, match="no scenario named"):
        PromoteScenario("Nope").redo(doc)


# ---- persistence --------------------------------------------------------------------------------
def test_layers_pins_and_live_flag_survive_save_and_load(doc, tmp_path):
    p = doc.project
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base", description="≥ 1000 staff").redo(doc)
    AddLayer("SMB", "", from_scenario="Base").redo(doc)
    PinAccounts(["A001", "A002"], "T2").redo(doc)
    PromoteScenario("Base").redo(doc)
    PinAccounts(["A004"], "T0", scenario="Enterprise plan").redo(doc)
    path = tmp_path / "layers.gpkg"
    save_project(p, str(path))
    q = load_project(str(path))
    assert state(q) == state(p)
    assert Document(q).stats().value.tolist() == doc.stats().value.tolist()
    assert [s.live for s in q.scenarios] == [True, True, True]


def test_schema1_file_opens_with_no_layers():
    fixture = str(FIXTURES / "project_schema1.gpkg")
    p = load_project(fixture)
    assert p.layers == []
    assert all(s.layer == "" and not s.live and s.pins == {} for s in p.scenarios)
    rows = layer_summaries(p)
    assert [r.label for r in rows] == ["All accounts"] and rows[0].scenarios == [s.name for s in p.scenarios]


# ---- services -----------------------------------------------------------------------------------
def test_rule_preview_and_layer_table(doc):
    p = doc.project
    assert rule_preview(p, ENTERPRISE) == (10, 10)
    AddLayer("Enterprise", ENTERPRISE, from_scenario="Base").redo(doc)
    assert rule_preview(p, "") == (40, 30)  # earlier layers take theirs first
    assert rule_preview(p, "revenue > 0", editing="Enterprise") == (40, 40)
    with pytest.raises(InputError, match="not a column"):
        rule_preview(p, "size > 3")
    text = layers_table(p)
    assert "Enterprise" in text and "segment = Enterprise" in text and "*>Enterprise plan" in text
    assert "30 account(s) match no layer's rule" in text
    rows = layer_summaries(copy.deepcopy(p))
    assert [(r.label, r.accounts, r.live, r.active) for r in rows] == [
        ("All accounts", 40, "Base", False), ("Enterprise", 10, "Enterprise plan", True)]
