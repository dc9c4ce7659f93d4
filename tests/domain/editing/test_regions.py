"""Editing the sales hierarchy (issue 7): add regions and areas above them, rename, re-parent (cycles
refused), delete (children move up), move territories, name the levels. Every command redoes and
undoes exactly, and the roll-ups after any edits equal the sums of the territories below."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.regions import (
    AddRegion,
    DeleteRegion,
    MoveTerritories,
    RenameRegion,
    SetLevelNames,
    SetRegionParent,
    add_area_above,
    find_region,
    move_to_region,
    new_region_id,
)
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Region
from territory_desk.domain.stats.hierarchy import NO_REGION, ancestors, depth, level_names, level_stats

from tests.conftest import make_grid_project


def make_doc() -> Document:
    """Area East over regions North and South; region West at the top; T4 in no region."""
    p = make_grid_project(10, 6, 5)
    sc = p.scenario
    sc.regions = [Region("E", "East"), Region("N", "North", "E"), Region("S", "South", "E"), Region("W", "West")]
    for terr, region in zip(sc.territories, ["N", "S", "N", "W", None]):
        terr.region_id = region
    doc = Document(p)
    doc.changes = []
    doc.listeners.append(lambda c: doc.changes.append(c.kind))
    return doc


@pytest.fixture
def doc():
    return make_doc()


def state(doc):
    sc = doc.scenario
    return ([(r.id, r.name, r.parent_id) for r in sc.regions], [t.region_id for t in sc.territories],
            copy.deepcopy(doc.project.settings))


def parents(doc):
    return {r.id: r.parent_id for r in doc.scenario.regions}


def roundtrip(doc, cmd):
    """Redo, check, undo to the state before, redo again to the same state as the first redo."""
    before = state(doc)
    cmd.redo(doc)
    after = state(doc)
    cmd.undo(doc)
    assert state(doc) == before
    cmd.redo(doc)
    assert state(doc) == after
    return after


def expected_rollup(doc, k):
    """Per group id at level k: the sums of the territories' values, from the chains (the oracle)."""
    stats, sc = doc.stats(), doc.scenario
    out = {}
    for t, terr in enumerate(sc.territories):
        chain = ancestors(sc, terr)
        gid = terr.id if k == 0 else (chain[min(k, len(chain)) - 1].id if chain else "")
        out[gid] = out.get(gid, 0) + stats.value[t]
    return out


def assert_rollups_are_sums(doc):
    stats = doc.stats()
    for k in range(depth(doc.scenario)):
        lv, s = level_stats(doc.project, stats, k)
        want = expected_rollup(doc, k)
        assert set(lv.group_ids) == set(want)
        for g, gid in enumerate(lv.group_ids):
            np.testing.assert_allclose(s.value[g], want[gid])
        np.testing.assert_allclose(s.value.sum(axis=0), stats.value.sum(axis=0))


def test_add_region_gets_a_fresh_id_that_redo_keeps(doc):
    cmd = AddRegion("Central")
    after = roundtrip(doc, cmd)
    assert cmd.region_id == "R05" and ("R05", "Central", None) in after[0]
    assert doc.changes and set(doc.changes) == {"territories"}
    sub = AddRegion("Plains", parent_id="R05")
    roundtrip(doc, sub)
    assert sub.region_id == "R06" and parents(doc)["R06"] == "R05"
    doc.scenario.regions.append(Region("R07", "Taken"))
    assert new_region_id(doc.scenario) == "R08"


@pytest.mark.parametrize("name, parent, message", [
    ("", None, "needs a name"), ("  ", None, "needs a name"), ("north", None, "exists already"),
    ("Central", "nowhere", "no region 'nowhere'"),
])
def test_add_region_refusals_leave_the_scenario_alone(doc, name, parent, message):
    before = state(doc)
    with pytest.raises(InputError, match=message):
        AddRegion(name, parent).redo(doc)
    assert state(doc) == before and doc.changes == []


def test_add_area_above_regions_with_one_parent_sits_between(doc):
    cmd = add_area_above(doc.scenario, "North-South", ["N", "S"])
    roundtrip(doc, cmd)
    p = parents(doc)
    assert p[cmd.region_id] == "E" and p["N"] == p["S"] == cmd.region_id
    assert depth(doc.scenario) == 4
    assert_rollups_are_sums(doc)
    cmd.undo(doc)
    assert parents(doc) == {"E": None, "N": "E", "S": "E", "W": None} and depth(doc.scenario) == 3


def test_add_area_above_regions_of_different_parents_goes_to_the_top(doc):
    cmd = add_area_above(doc.scenario, "Country", ["E", "W"])
    roundtrip(doc, cmd)
    assert parents(doc) == {"E": "R05", "N": "E", "S": "E", "W": "R05", "R05": None}
    assert level_names(doc.project) == ["Territory", "Region", "Area", "Level 4"]
    cmd = add_area_above(doc.scenario, "Mixed", ["N", "W"])  # N under E, W under R05
    cmd.redo(doc)
    assert parents(doc)[cmd.region_id] is None
    with pytest.raises(InputError, match="choose the region"):
        add_area_above(doc.scenario, "Empty", [])


def test_add_region_under_one_of_its_own_children_is_a_cycle(doc):
    before = state(doc)
    with pytest.raises(InputError, match="which it is to hold"):
        AddRegion("Loop", parent_id="N", children=["N"]).redo(doc)
    with pytest.raises(InputError, match="cycle"):
        AddRegion("Loop", parent_id="N", children=["E"]).redo(doc)
    assert state(doc) == before


def test_rename_region(doc):
    roundtrip(doc, RenameRegion("W", "  Pacific "))
    assert doc.scenario.region("W").name == "Pacific"
    assert find_region(doc.scenario, "PACIFIC").id == "W"
    roundtrip(doc, RenameRegion("W", "pacific"))  # a change of case is its own name
    before = state(doc)
    for bad, message in (("east", "exists already"), ("", "needs a name")):
        with pytest.raises(InputError, match=message):
            RenameRegion("W", bad).redo(doc)
    with pytest.raises(InputError, match="no region 'X'"):
        RenameRegion("X", "Y").redo(doc)
    assert state(doc) == before


def test_set_parent_and_back_to_the_top(doc):
    roundtrip(doc, SetRegionParent("W", "E"))
    assert parents(doc)["W"] == "E" and depth(doc.scenario) == 3
    assert_rollups_are_sums(doc)
    roundtrip(doc, SetRegionParent("N", None))
    assert parents(doc)["N"] is None


@pytest.mark.parametrize("region, parent, message", [
    ("E", "E", "cannot be its own parent"),
    ("E", "N", r"cannot put region 'East' under 'North': 'North' lies inside 'East' \(that would make a cycle\)"),
    ("E", "ghost", "no region 'ghost'"),
])
def test_cycles_are_refused_with_one_clear_error(doc, region, parent, message):
    before = state(doc)
    with pytest.raises(InputError, match=message):
        SetRegionParent(region, parent).redo(doc)
    assert state(doc) == before and doc.changes == []


def test_a_deeper_cycle_is_refused_too(doc):
    SetRegionParent("W", "N").redo(doc)  # E > N > W
    with pytest.raises(InputError, match="cycle"):
        SetRegionParent("E", "W").redo(doc)


def test_delete_moves_territories_and_child_regions_to_the_parent(doc):
    before = state(doc)
    cmd = DeleteRegion("N")  # North (T0, T2) sits under East
    roundtrip(doc, cmd)
    assert [t.region_id for t in doc.scenario.territories] == ["E", "S", "E", "W", None]
    cmd.undo(doc)
    assert state(doc) == before
    cmd = DeleteRegion("E")  # an area: North and South go to the top
    roundtrip(doc, cmd)
    assert parents(doc) == {"N": None, "S": None, "W": None}
    assert_rollups_are_sums(doc)
    cmd.undo(doc)
    assert state(doc) == before  # same order, same parents
    cmd = DeleteRegion("W")  # a top region: its territory goes to no region
    cmd.redo(doc)
    assert doc.scenario.territories[3].region_id is None
    assert "(no region)" in level_stats(doc.project, doc.stats(), 1)[0].group_names
    with pytest.raises(InputError):
        DeleteRegion("W").redo(doc)


def test_move_territories_is_one_step(doc):
    before = state(doc)
    cmd = MoveTerritories([4, 0, 0], "W")
    roundtrip(doc, cmd)
    assert [t.region_id for t in doc.scenario.territories] == ["W", "S", "N", "W", "W"]
    assert_rollups_are_sums(doc)
    cmd.undo(doc)
    assert state(doc) == before
    roundtrip(doc, MoveTerritories([1], None))
    assert doc.scenario.territories[1].region_id is None
    for bad in (MoveTerritories([0], "ghost"), MoveTerritories([9], "W")):
        with pytest.raises(InputError):
            bad.redo(doc)


def test_move_to_region_mixes_territories_and_regions_all_or_nothing(doc):
    cmd = move_to_region(doc.scenario, [4], ["W"], "N")
    roundtrip(doc, cmd)
    assert doc.scenario.territories[4].region_id == "N" and parents(doc)["W"] == "N"
    cmd.undo(doc)
    before = state(doc)
    bad = move_to_region(doc.scenario, [4], ["W", "E"], "N")  # E under N is a cycle
    with pytest.raises(InputError, match="cycle"):
        bad.redo(doc)
    assert state(doc) == before  # the territory and West went back too
    with pytest.raises(InputError):
        move_to_region(doc.scenario, [], [], "N")


def test_level_names_are_set_and_undone_exactly(doc):
    assert "hierarchy_levels" not in doc.project.settings
    cmd = SetLevelNames([" Territory ", "District", "Zone", ""])
    roundtrip(doc, cmd)
    assert doc.project.settings["hierarchy_levels"] == ["Territory", "District", "Zone"]
    assert level_names(doc.project) == ["Territory", "District", "Zone"]
    assert level_stats(doc.project, doc.stats(), "zone")[0].index == 2
    cmd.undo(doc)
    assert "hierarchy_levels" not in doc.project.settings
    doc.project.settings["hierarchy_levels"] = ["T", "R"]
    roundtrip(doc, SetLevelNames([]))
    assert "hierarchy_levels" not in doc.project.settings and level_names(doc.project)[1] == "Region"
    roundtrip(doc, SetLevelNames(["", "Sector"]))  # a blank keeps the default name
    assert level_names(doc.project) == ["Territory", "Sector", "Area"]
    assert set(doc.changes) == {"territories"}
    for names in (["Territory", "territory"], ["Unit", "Area", "Area"], ["", "Territory"]):
        with pytest.raises(InputError, match="two hierarchy levels"):
            SetLevelNames(names)


def test_find_region_and_territory(doc):
    assert find_region(doc.scenario, "N").name == "North"
    assert find_region(doc.scenario, "n").name == "North"
    assert doc.scenario.territory_index("t3") == 3 and doc.scenario.territory_index("territory 2") == 2
    with pytest.raises(InputError, match="no territory 'T9'"):
        doc.scenario.territory_index("T9")
    assert find_region(doc.scenario, " west ").id == "W"
    with pytest.raises(InputError, match="regions: East"):
        find_region(doc.scenario, "Nowhere")


def test_commands_act_on_the_active_scenario(doc):
    from territory_desk.domain.editing.scenarios import DuplicateScenario, SwitchScenario

    DuplicateScenario(doc.project.active, "Plan B").redo(doc)
    SwitchScenario("Plan B").redo(doc)
    AddRegion("Only in B").redo(doc)
    assert [r.name for r in doc.project.get_scenario("Plan B").regions][-1] == "Only in B"
    assert "Only in B" not in [r.name for r in doc.project.scenarios[0].regions]


OPS = st.lists(st.tuples(st.sampled_from(["add", "area", "rename", "parent", "delete", "move"]),
                         st.integers(0, 50), st.integers(0, 50), st.booleans()), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(ops=OPS)
def test_random_edits_keep_a_tree_roll_up_exactly_and_undo_to_the_start(ops):
    doc = make_doc()
    start = state(doc)
    done = []
    for n, (op, a, b, flag) in enumerate(ops):
        ids = [r.id for r in doc.scenario.regions]
        pick = (lambda k: ids[k % len(ids)]) if ids else (lambda k: None)
        if op == "add":
            cmd = AddRegion(f"New {n}", pick(a) if flag else None)
        elif op == "area":
            cmd = add_area_above(doc.scenario, f"Area {n}", [pick(a), pick(b)]) if ids else AddRegion(f"A {n}")
        elif op == "rename":
            cmd = RenameRegion(pick(a), f"Renamed {n}")
        elif op == "parent":
            cmd = SetRegionParent(pick(a), pick(b) if flag else None)
        elif op == "delete":
            cmd = DeleteRegion(pick(a))
        else:
            cmd = MoveTerritories([a % 5, b % 5], pick(a) if flag else None)
        before = state(doc)
        try:
            cmd.redo(doc)
        except InputError:
            assert state(doc) == before
            continue
        done.append(cmd)
        for r in doc.scenario.regions:  # no cycles: every chain reaches the top
            chain, p = set(), r.id
            while p is not None:
                assert p not in chain
                chain.add(p)
                p = doc.scenario.region(p).parent_id
        ids_now = {r.id for r in doc.scenario.regions}
        assert all(t.region_id in ids_now | {None} for t in doc.scenario.territories)
        assert_rollups_are_sums(doc)
    for cmd in reversed(done):
        cmd.undo(doc)
    assert state(doc) == start
    assert NO_REGION in level_stats(doc.project, doc.stats(), 1)[0].group_names
