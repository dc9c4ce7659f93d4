"""The sales hierarchy: roll-ups equal the sums of their children at every level (random hierarchies
of depth 3 with territories outside any region), levels by name and index, errors, the rolled-up
Stats (area, perimeter, pieces measured on the units), and `stats --level`."""
import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory_desk.cli import main
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Region, Scenario, Territory
from territory_desk.domain.stats.engine import Engine
from territory_desk.domain.stats.hierarchy import NO_REGION, ancestors, level, level_names, level_stats
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.persistence.store import save_project
from territory_desk.services.reports import level_dict

from tests.conftest import make_grid_project


class _Project:  # the hierarchy functions only read .settings and .scenario
    def __init__(self, scenario, names=None):
        self.scenario, self.settings = scenario, ({"hierarchy_levels": names} if names else {})


@st.composite
def hierarchies(draw):
    """Areas (top), regions under an area or not, territories under a region, an area, or nothing."""
    n_areas = draw(st.integers(0, 3))
    n_regions = draw(st.integers(0, 5))
    areas = [Region(f"A{i}", f"Area {i}") for i in range(n_areas)]
    regions = [Region(f"G{i}", f"Region {i}", draw(st.sampled_from([None] + [a.id for a in areas])))
               for i in range(n_regions)]
    parents = [None] + [r.id for r in regions + areas]
    n_t = draw(st.integers(1, 12))
    terrs = [Territory(f"T{i}", f"Territory {i}", region_id=draw(st.sampled_from(parents))) for i in range(n_t)]
    values = draw(st.lists(st.lists(st.integers(-1000, 10**6), min_size=3, max_size=3), min_size=n_t, max_size=n_t))
    return Scenario("S", territories=terrs, regions=regions + areas), np.array(values, dtype=float)


@settings(max_examples=60, deadline=None)
@given(hierarchies())
def test_rollups_equal_the_sums_of_their_children_at_every_level(case):
    sc, values = case
    project = _Project(sc)
    names = level_names(project)
    assert len(names) <= 3
    for k in range(len(names)):
        lv = level(project, k)
        assert lv.member.shape == (len(sc.territories),) and set(lv.member.tolist()) == set(range(len(lv)))
        rolled = lv.rollup(values)
        np.testing.assert_allclose(rolled.sum(axis=0), values.sum(axis=0))
        for g in range(len(lv)):
            np.testing.assert_allclose(rolled[g], values[lv.children(g)].sum(axis=0))
        # every territory sits in the group of its level-k ancestor (the top-most one when its chain is
        # shorter; the no-region group when it has none)
        for t, terr in enumerate(sc.territories):
            chain = ancestors(sc, terr)
            gid = terr.id if k == 0 else (chain[min(k, len(chain)) - 1].id if chain else "")
            assert lv.group_ids[lv.member[t]] == gid
            if k and not chain:
                assert lv.group_names[lv.member[t]] == NO_REGION
        np.testing.assert_allclose(lv.rollup(values[:, 0]), rolled[:, 0])  # (T,) works like (T, F)


def three_levels(project):
    """Areas East/West over regions over the grid's territories, one territory without a region."""
    sc = project.scenario
    sc.regions = [Region("E", "East"), Region("W", "West"), Region("R1", "North", "E"), Region("R2", "South", "E"),
                  Region("R3", "Mountain", "W")]
    for terr, region in zip(sc.territories, ["R1", "R2", "R3", "R1", None]):
        terr.region_id = region
    return project


def test_levels_by_name_and_index_and_their_names():
    p = three_levels(make_grid_project(10, 4, 5))
    assert level_names(p) == ["Territory", "Region", "Area"]
    assert level(p, "REGION").index == level(p, 1).index == level(p, "1").index == 1
    assert level(p, "area").group_names == ["East", "West", NO_REGION]
    assert level(p, "region").group_names == ["North", "South", "Mountain", NO_REGION]
    assert level(p, 0).group_ids == [t.id for t in p.scenario.territories]
    with pytest.raises(InputError, match="no hierarchy level 'district'; levels: Territory, Region, Area"):
        level(p, "district")
    with pytest.raises(InputError, match="no hierarchy level 3"):
        level(p, 3)
    with pytest.raises(InputError, match="no hierarchy level -1"):
        level(p, -1)
    p.settings["hierarchy_levels"] = ["Patch", "District", ""]
    assert level_names(p) == ["Patch", "District", "Area"]
    assert level(p, "district").index == 1
    p.scenario.regions[0].parent_id = "R1"  # a cycle East -> North -> East is cut
    assert len(ancestors(p.scenario, p.scenario.territories[0])) == 2


def test_level_names_beyond_three():
    sc = Scenario("S", territories=[Territory("T", "T", region_id="L1")],
                  regions=[Region("L1", "a", "L2"), Region("L2", "b", "L3"), Region("L3", "c", "L4"),
                           Region("L4", "d")])
    assert level_names(_Project(sc)) == ["Territory", "Region", "Area", "Level 4", "Level 5"]


def test_level_stats_roll_up_the_engine_and_measure_the_groups():
    p = three_levels(make_grid_project(10, 4, 5))
    p.scenario.assignment[3] = -1  # an unassigned unit stays out of every group
    stats = engine_for(p).stats()
    for key in ("region", "area"):
        lv, s = level_stats(p, stats, key)
        np.testing.assert_allclose(s.value, lv.rollup(stats.value))
        mean = s.value.mean(axis=0)
        np.testing.assert_allclose(s.deviation_pct, (s.value - mean) / mean * 100.0)
        assert s.units.tolist() == lv.rollup(stats.units).tolist() and s.unassigned_units == 1
        # oracle: an engine over a scenario whose territories are the groups
        a = p.scenario.assignment
        groups = np.where(a >= 0, lv.member[np.maximum(a, 0)], -1)
        oracle = Engine(stats.fields, np.zeros((len(a), len(stats.fields))), p.units.area_m2, p.units.perimeter_m,
                        p.adjacency, groups, len(lv)).stats()
        np.testing.assert_allclose(s.area_m2, oracle.area_m2)
        np.testing.assert_allclose(s.perimeter_m, oracle.perimeter_m)
        assert s.pieces.tolist() == oracle.pieces.tolist()
        np.testing.assert_allclose(s.polsby_popper, oracle.polsby_popper)
    lv, s = level_stats(p, stats, 0)
    assert s is stats


def test_stats_cli_by_level(tmp_path, capsys):
    path = tmp_path / "levels.gpkg"
    p = three_levels(make_grid_project(10, 4, 5))
    save_project(p, str(path))
    assert main(["stats", str(path), "--level", "region", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    terr = level_dict(p, 0)["groups"]
    assert d["level"] == "Region" and [g["name"] for g in d["groups"]] == ["North", "South", "Mountain", NO_REGION]
    assert d["groups"][0]["territories"] == ["T0", "T3"]
    for f in ("population", "revenue", "accounts"):
        total = sum(g["metrics"][f]["value"] for g in d["groups"])
        assert total == pytest.approx(sum(t["metrics"][f]["value"] for t in terr))
    assert sum(g["units"] for g in d["groups"]) == len(p.units)
    assert main(["stats", str(path), "--level", "2", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == ["East", "West", NO_REGION] and rows[0]["level"] == "Area"
    assert main(["stats", str(path), "--level", "Area"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Scenario: Base    level: Area") and "non-contiguous areas:" in out
    assert main(["stats", str(path), "--level", "territory"]) == 0  # the plain per-territory table
    assert "Territory 0" in capsys.readouterr().out
    assert main(["stats", str(path), "--level", "zone"]) == 2
    err = capsys.readouterr().err
    assert "no hierarchy level 'zone'" in err and len(err.strip().splitlines()) == 1
