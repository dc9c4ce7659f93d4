"""The scenario's own queries: the kind switch, territory lookup, the one region-tree walk, and the
perimeter of groups of units without dissolving them."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from territory_desk.domain.model.adjacency import dissolved_perimeters
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Region, Scenario, Territory

from tests.conftest import make_grid_project


def scenario_with_regions() -> Scenario:
    # Country > West > Pacific; East alone; Loop1 <-> Loop2 is a cycle (damaged data)
    regions = [Region("C", "Country"), Region("W", "West", "C"), Region("P", "Pacific", "W"), Region("E", "East"),
               Region("L1", "Loop1", "L2"), Region("L2", "Loop2", "L1")]
    terrs = [Territory("T01", "Boston Area", region_id="E"), Territory("t02", "Seattle", region_id="P"),
             Territory("X", "T01")]
    return Scenario("S", terrs, regions)


def test_the_kind_switch():
    sc = scenario_with_regions()
    assert not sc.is_freeform
    with pytest.raises(InputError, match="not freeform"):
        sc.drawn_shapes
    sc.shapes = {}
    assert sc.is_freeform and sc.drawn_shapes == {}
    assert sc.copy("S2").is_freeform


def test_territory_lookup_by_id_then_id_ignoring_case_then_name():
    sc = scenario_with_regions()
    assert sc.territory_index("T01") == 0  # the id wins over the name "T01" of another territory
    assert sc.territory_index(" T02 ") == 1  # id ignoring case and spaces
    assert sc.territory_index("seattle") == 1 and sc.territory_index("boston area") == 0
    with pytest.raises(InputError, match="no territory 'Nowhere' in scenario 'S'"):
        sc.territory_index("Nowhere")


def test_the_region_tree_walk():
    sc = scenario_with_regions()
    assert [r.id for r in sc.region_chain("P")] == ["P", "W", "C"]
    assert [r.id for r in sc.region_chain("L1")] == ["L1", "L2"]  # the cycle is cut where it closes
    assert sc.region_chain(None) == [] and sc.region_chain("nope") == []
    assert sc.reaches_top("P") and sc.reaches_top("E") and not sc.reaches_top("L2")
    assert sc.sub_region_ids("C") == {"W", "P"} and sc.sub_region_ids("E") == set()
    assert sc.sub_region_ids("L1") == {"L2"}  # a cycle does not loop forever


def test_dissolved_perimeters_match_the_union_of_the_units():
    p = make_grid_project(5, 4, 3)
    a = p.scenario.assignment.copy()
    a[[0, 7]] = -1
    perim = p.adjacency.perimeters(a, 3, p.units.perimeter_m)
    geoms = p.units.projected()
    for t in range(3):
        assert perim[t] == pytest.approx(shapely.length(shapely.union_all(geoms[a == t])), rel=1e-6)
    adj = p.adjacency
    np.testing.assert_allclose(perim, dissolved_perimeters(a, 3, p.units.perimeter_m, adj.i, adj.j, adj.length))
    assert len(perim) == 4  # the last slot holds the units of no group
