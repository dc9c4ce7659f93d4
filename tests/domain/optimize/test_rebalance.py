"""Rebalancing an existing alignment: balance reached, disruption kept low and reported exactly,
fixed units and locks honoured; the result lands through an undoable AddScenario command."""
import numpy as np
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import AddScenario, SwitchScenario
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.services.optimize import OptimizeOptions, run

from tests.conftest import make_grid_project


def unbalanced_bands():
    """12 x 8 grid, three vertical bands of 4 columns; the left band is about 16 % heavier."""
    p = make_grid_project(12, 8, 3, seed=9)
    pop = p.units.numeric["population"]
    pop[:] = np.random.default_rng(4).uniform(400, 600, len(pop)).round()
    pop[p.scenario.assignment == 0] *= 1.16
    return p


def deviation(project, scenario, field="population"):
    s = engine_for(project, scenario).stats()
    return s.max_abs_deviation_pct[s.field_index(field)]


def test_rebalance_reaches_tolerance_and_reports_every_move():
    p = unbalanced_bands()
    base = p.scenario
    assert deviation(p, base) > 5
    r = run(p, OptimizeOptions(source="Base", balance=[("population", 0.02)], min_disruption=True))
    sc = r.scenario
    assert [t.id for t in sc.territories] == [t.id for t in base.territories]
    assert deviation(p, sc) <= 2.0 + 1e-6
    assert engine_for(p, sc).stats().non_contiguous == 0
    changed = np.flatnonzero(sc.assignment != base.assignment)
    assert sorted(m[0] for m in r.moves) == sorted(p.units.ids[u] for u in changed)
    for uid, src, dst in r.moves:
        u = p.units.index_of(uid)
        assert src == base.territories[base.assignment[u]].name
        assert dst == sc.territories[sc.assignment[u]].name
    d = r.summary["disruption"]
    assert d["units"] == len(changed)
    assert d["accounts"] == np.isin(p.accounts.unit_index, changed).sum()


def test_min_disruption_moves_few_units_and_the_tradeoff_works():
    p = unbalanced_bands()
    # the heavy band holds ~2,500 extra people: about 1,700 (3-4 cells) must leave it
    opts = dict(source="Base", balance=[("population", 0.03)], min_disruption=True)
    cheap = run(p, OptimizeOptions(disruption_weight=5.0, **opts))
    free = run(p, OptimizeOptions(disruption_weight=0.0, **opts))  # balance only
    assert cheap.summary["within_tolerance"] and free.summary["within_tolerance"]
    assert len(cheap.moves) <= 8  # about 1,700 people / 500 per cell to move, plus slack
    assert len(cheap.moves) <= len(free.moves)
    assert cheap.summary["disruption"]["accounts"] < free.summary["disruption"]["accounts"]


def test_rebalance_keeps_fixed_units_and_locked_territories():
    p = unbalanced_bands()
    base = p.scenario
    base.territories[2].locked = True
    border = [u for u in range(len(p.units)) if base.assignment[u] == 0 and u % 12 == 3]  # column 3
    r = run(p, OptimizeOptions(source="Base", balance=[("population", 0.05)], fixed_units=border))
    sc = r.scenario
    assert (sc.assignment[border] == 0).all()
    assert np.array_equal(sc.assignment == 2, base.assignment == 2)
    assert r.summary["territories"] == 2


def test_rebalance_refuses_a_different_territory_count():
    p = unbalanced_bands()
    with pytest.raises(InputError, match="keeps the 3 territories"):
        run(p, OptimizeOptions(source="Base", territories=5, balance=[("population", 0.05)]))


def test_add_scenario_command_activates_and_undo_restores():
    p = unbalanced_bands()
    doc = Document(p)
    seen = []
    doc.listeners.append(lambda ch: seen.append(ch.kind))
    r = run(p, OptimizeOptions(territories=4, balance=[("population", 0.03)], scenario_name="Design 4"))
    cmd = AddScenario(r.scenario)
    cmd.redo(doc)
    assert p.active == "Design 4" and p.scenarios[-1] is r.scenario
    assert doc.engine.n_territories == 4
    assert doc.stats().units.sum() == len(p.units)
    assert seen[-1] == "scenario"
    cmd.undo(doc)
    assert p.active == "Base" and [s.name for s in p.scenarios] == ["Base"]
    assert doc.engine.n_territories == 3
    doc.engine.check_against_full()
    cmd.redo(doc)
    assert p.active == "Design 4"
    with pytest.raises(InputError, match="exists already"):
        AddScenario(r.scenario).redo(doc)
    SwitchScenario("Base").redo(doc)
    assert doc.engine.n_territories == 3


def test_add_scenario_for_the_cli():
    p = unbalanced_bands()
    r = run(p, OptimizeOptions(territories=2, balance=[("population", 0.05)]))
    Document(p).execute(AddScenario(r.scenario))
    assert p.active == r.scenario.name == "Base optimized"
    again = run(p, OptimizeOptions(territories=2, balance=[("population", 0.05)]))
    assert again.scenario.name == "Base optimized optimized"  # the new base is the active scenario
