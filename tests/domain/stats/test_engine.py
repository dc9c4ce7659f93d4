"""The incremental engine equals a full recompute, and its figures are right on known cases."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.domain.stats.contiguity import components_among, count_pieces
from territory_desk.domain.stats.kinds import engine_for

from tests.conftest import make_grid_project

GRID = make_grid_project(8, 8, 4)


def test_initial_stats_known_grid(grid_project):
    e = engine_for(grid_project)
    s = e.stats()
    assert s.units.tolist() == [12, 12, 12]
    assert s.pieces.tolist() == [1, 1, 1]
    assert s.unassigned_units == 0
    pop = grid_project.units.numeric["population"]
    a = grid_project.scenario.assignment
    k = s.field_index("population")
    assert np.allclose(s.value[:, k], [pop[a == t].sum() for t in range(3)])
    mean = s.value[:, k].mean()
    assert np.allclose(s.deviation_pct[:, k], (s.value[:, k] - mean) / mean * 100)
    assert math.isclose(s.cv[k], s.value[:, k].std() / mean)
    # each territory is a 2 x 6 block of cells: Polsby-Popper of a w x h rectangle is pi*w*h/(w+h)^2
    x0, y0, x1, y1 = grid_project.units.projected()[0].bounds
    w, h = 2 * (x1 - x0), 6 * (y1 - y0)
    assert np.allclose(s.polsby_popper, math.pi * w * h / (w + h) ** 2, rtol=0.01)
    acc = s.field_index("accounts")
    assert s.value[:, acc].sum() == len(grid_project.accounts)


def test_perimeter_and_area_follow_a_move(grid_project):
    e = engine_for(grid_project)
    before = e.stats()
    u = grid_project.units.index_of("U0001")  # column 1 -> territory 0
    assert e.territory_of(u) == 0
    e.move([u], 2)
    after = e.stats()
    assert after.units[0] == 11 and after.units[2] == 13
    assert after.pieces[2] == 2  # an enclave away from territory 2's band
    assert math.isclose(after.area_m2.sum(), before.area_m2.sum())
    e.check_against_full()


def test_cut_vertex_split_and_rejoin():
    p = make_grid_project(5, 1, 1)  # a 5-cell strip, one territory
    e = engine_for(p)
    assert e.pieces.tolist() == [1]
    e.move([2], UNASSIGNED)
    assert e.pieces.tolist() == [2]
    e.move([2], 0)
    assert e.pieces.tolist() == [1]
    e.move([0, 1, 2, 3, 4], UNASSIGNED)
    assert e.pieces.tolist() == [0]
    assert e.stats().unassigned_units == 5
    e.check_against_full()


def test_components_among_bounded_search():
    # ring of 6 nodes: 0-1-2-3-4-5-0; removing 0 leaves 1 and 5 connected the long way round
    nbrs = [[1, 5], [0, 2], [1, 3], [2, 4], [3, 5], [4, 0]]
    assign = [-2, 0, 0, 0, 0, 0]
    assert components_among([1, 5], 0, assign, nbrs) == 1
    assign[3] = 1  # cut the ring: 1,2 and 4,5 are separate
    assert components_among([1, 5], 0, assign, nbrs) == 2


def test_count_pieces_oracle():
    a = np.array([0, 0, 1, 0, 1])
    i = np.array([0, 1, 2, 3])
    j = np.array([1, 2, 3, 4])
    assert count_pieces(a, 2, i, j).tolist() == [2, 2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.lists(st.integers(0, 63), min_size=1, max_size=6), st.integers(-1, 3)),
        min_size=1,
        max_size=40,
    )
)
def test_incremental_equals_full_recompute(moves):
    e = engine_for(GRID)
    for units, dst in moves:
        e.move(units, dst)
    e.check_against_full()
    # and undoing everything restores the start
    e2 = engine_for(GRID)
    undo_log = [e2.move(units, dst) for units, dst in moves]
    for undo in reversed(undo_log):
        e2.apply(list(reversed(undo)))
    assert np.array_equal(e2.assignment, GRID.scenario.assignment)
    e2.check_against_full()


def test_bad_target_rejected(grid_project):
    e = engine_for(grid_project)
    with pytest.raises(ValueError):
        e.move([0], 99)


BIG = make_grid_project(12, 12, 5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sets(st.integers(0, 143), min_size=48, max_size=120), st.integers(-1, 4)),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 143), st.integers(-1, 4)), max_size=20),
)
def test_batch_moves_equal_full_recompute(batches, singles):
    """Large moves take the vectorised path; mixing them with single moves stays exact."""
    from territory_desk.domain.stats.engine import BATCH

    assert min(len(u) for u, _ in batches) >= BATCH
    e = engine_for(BIG)
    undo_log = []
    for (units, dst), (u, d) in zip(batches, singles + [(0, 0)] * len(batches)):
        undo_log.append(e.move(sorted(units), dst))
        undo_log.append(e.move([u], d))
        e.check_against_full()
    for undo in reversed(undo_log):
        e.apply(list(reversed(undo)))
    assert np.array_equal(e.assignment, BIG.scenario.assignment)
    e.check_against_full()
