"""FreeformEngine: accounts inside drawn polygons, areal interpolation of unit metrics, overlaps and
gaps, and the incremental vertex-drag update against a fresh evaluation (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.freeform import AddFreeformScenario, DrawTerritory
from territory_desk.domain.editing.scenarios import SwitchScenario
from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.projection import LONLAT, transform_points
from territory_desk.domain.model.territories import Scenario, Territory
from territory_desk.domain.model.territory_layers import TerritoryLayer
from territory_desk.domain.stats.engine import Engine
from territory_desk.domain.stats.freeform_engine import FreeformEngine, freeform_account_territories
from territory_desk.domain.stats.freeform_index import PointGrid, account_xy, unit_index
from territory_desk.domain.stats.kinds import account_territories, engine_for

from tests.conftest import make_grid_project


def corner(project, i: float, j: float) -> tuple[float, float]:
    """World (working CRS) position of the grid point i, j (cells are 0.2 degrees from -100, 38)."""
    x, y = transform_points(np.array([-100 + 0.2 * i]), np.array([38 + 0.2 * j]), LONLAT, project.units.working_crs)
    return float(x[0]), float(y[0])


def known_project():
    """The 6 x 6 grid with one account at the centre of every cell: revenue = 10 x + y."""
    p = make_grid_project()
    lon, lat, ids, rev = [], [], [], []
    for y in range(6):
        for x in range(6):
            lon.append(-100 + 0.2 * (x + 0.5))
            lat.append(38 + 0.2 * (y + 0.5))
            ids.append(f"C{x}{y}")
            rev.append(10.0 * x + y)
    p.accounts = AccountTable(ids, ids, np.array(lon), np.array(lat), numeric={"revenue": np.array(rev)},
                              text={"segment": ["SMB" if x % 2 else "Ent" for x in range(36)]})
    p.locate_accounts()
    return p


def box_between(project, i0, j0, i1, j1):
    pts = [corner(project, i0, j0), corner(project, i1, j0), corner(project, i1, j1), corner(project, i0, j1)]
    return shapely.Polygon(pts)


def freeform(project, shapes: dict) -> Scenario:
    sc = Scenario("F", [Territory(k, k) for k in shapes], assignment=np.full(len(project.units), -1),
                  shapes=dict(shapes))
    return sc


def brute_force(project, geom, rows_mask=None):
    x, y = account_xy(project)
    inside = shapely.contains_xy(geom, x, y)
    if rows_mask is not None:
        inside &= rows_mask
    return int(inside.sum()), float(project.accounts.numeric["revenue"][inside].sum())


def test_accounts_and_areal_interpolation_of_a_drawn_box():
    p = known_project()
    geom = box_between(p, 0, 0, 2, 2)  # around cells (0,0) (1,0) (0,1) (1,1)
    e = FreeformEngine(p, freeform(p, {"A": geom}))
    s = e.stats()
    k_acc, k_rev, k_pop = s.field_index("accounts"), s.field_index("revenue"), s.field_index("population")
    assert s.value[0, k_acc] == 4
    assert s.value[0, k_rev] == 0 + 1 + 10 + 11
    pop = p.units.numeric["population"]
    cells = [p.units.index_of(u) for u in ("U0000", "U0001", "U0100", "U0101")]
    # straight edges in the working CRS differ from the cells' by a hair: areal shares ~ 1
    assert s.value[0, k_pop] == pytest.approx(pop[cells].sum(), rel=2e-3)
    assert s.units[0] == 4 and s.unassigned_units == 32
    assert s.unassigned_value[k_acc] == 32
    assert s.pieces[0] == 1 and s.area_m2[0] == pytest.approx(geom.area)
    # half a cell: half its population
    half = box_between(p, 0, 0, 0.5, 1)
    e.set_shape(0, half)
    assert e.stats().value[0, k_pop] == pytest.approx(pop[p.units.index_of("U0000")] / 2, rel=2e-3)
    e.check_against_full()


def test_overlapping_polygons_count_accounts_in_both_and_list_them():
    p = known_project()
    e = FreeformEngine(p, freeform(p, {"A": box_between(p, 0, 0, 3, 2), "B": box_between(p, 2, 0, 5, 2)}))
    s = e.stats()
    acc = s.field_index("accounts")
    assert s.value[:, acc].tolist() == [6, 6]  # column 2 is in both
    [(a, b, rows)] = e.overlaps()
    assert (a, b) == (0, 1)
    assert sorted(p.accounts.ids[i] for i in rows) == ["C20", "C21"]
    uncovered = e.uncovered()
    assert len(uncovered) == 36 - 10
    assert s.unassigned_value[acc] == 26
    # account_territories: the first territory for accounts in both
    terr = account_territories(p, e_scenario := freeform(p, {"A": box_between(p, 0, 0, 3, 2),
                                                              "B": box_between(p, 2, 0, 5, 2)}))
    assert terr[p.accounts.ids.index("C20")] == 0 and terr[p.accounts.ids.index("C40")] == 1
    assert terr[p.accounts.ids.index("C55")] == -1
    assert np.array_equal(terr, freeform_account_territories(p, e_scenario))


def test_vertex_move_is_incremental(monkeypatch):
    p = known_project()
    geom = box_between(p, 0, 0, 2, 2)
    e = FreeformEngine(p, freeform(p, {"A": geom}))
    calls = []
    original = PointGrid.inside
    monkeypatch.setattr(PointGrid, "inside", lambda self, g: calls.append(g) or original(self, g))
    c = shapely.get_coordinates(geom)
    c[2] = corner(p, 3.2, 3.2)  # the far corner out: the centres of cells (2,1), (1,2) and (2,2) come in
    e.set_shape(0, shapely.polygons(c))
    assert calls == []  # no full re-evaluation of the polygon
    assert e.stats().value[0, e.fields.index("accounts")] == 7
    e.check_against_full()
    # moving the polygon (every vertex) re-evaluates it in full
    e.set_shape(0, shapely.affinity.translate(e.shapes[0], 1000.0, 0.0))
    assert len(calls) == 1
    e.check_against_full()


def test_pins_layers_and_no_coordinates():
    p = known_project()
    p.layers = [TerritoryLayer("Ent", 'segment == "Ent"', "freeform")]
    sc = freeform(p, {"A": box_between(p, 0, 0, 2, 2)})
    sc.layer = "Ent"
    sc.pins = {"C55": "A"}  # far away, pinned into A
    e = FreeformEngine(p, sc)
    acc = e.fields.index("accounts")
    # inside: C00 C01 (x=0, Ent) and C10 C11 (x=1, SMB: other layer) -> 2, plus the pin (C55 is SMB:
    # pins count wherever the account is)
    assert e.stats().value[0, acc] == 3
    terr = account_territories(p, sc)
    assert terr[p.accounts.ids.index("C55")] == 0 and terr[p.accounts.ids.index("C10")] == -1


def test_engine_for_dispatch_and_document_refuses_unit_moves():
    p = known_project()
    doc = Document(p)
    AddFreeformScenario("Drawn").redo(doc)
    assert isinstance(doc.engine, FreeformEngine)
    assert isinstance(engine_for(p, p.get_scenario("Base")), Engine)
    with pytest.raises(InputError, match="freeform"):
        doc.move_units([0, 1], -1)
    DrawTerritory(box_between(p, 0, 0, 1, 1)).redo(doc)
    assert doc.stats().value[0, doc.fields.index("accounts")] == 1
    assert doc.territory_of(0) == -1  # a freeform scenario's territories are not made of units
    assert doc.shape_engine is doc.engine and not hasattr(doc.engine, "move")
    with pytest.raises(InputError, match="is freeform"):
        doc.unit_engine
    SwitchScenario("Base").redo(doc)
    assert doc.unit_engine is doc.engine
    with pytest.raises(InputError, match="not freeform"):
        doc.shape_engine


def test_unit_index_and_point_grid_queries():
    p = known_project()
    ui = unit_index(p)
    assert unit_index(p) is ui  # cached per unit layer
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 100, 5000), rng.uniform(0, 50, 5000)
    grid = PointGrid(x, y)
    for _ in range(30):
        tri = np.column_stack([rng.uniform(-10, 110, 3), rng.uniform(-10, 60, 3)])
        got = np.sort(grid.rows[grid.triangle(tri)])
        want = np.flatnonzero(shapely.contains_xy(shapely.Polygon(tri), x, y))
        assert np.array_equal(got, want)


def _star(n: int, rng) -> shapely.Polygon:
    theta = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(20_000, 60_000, n)
    return shapely.Polygon(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 12), moves=st.integers(1, 25))
def test_vertex_moves_equal_a_full_recompute(seed, n, moves):
    """Random vertex moves (valid or not on the way): every valid state equals a fresh evaluation."""
    p = _PROJECT
    rng = np.random.default_rng(seed)
    geom = _star(n, rng)
    if not geom.is_valid:
        geom = shapely.convex_hull(geom)
    other = _star(6, rng)
    other = other if other.is_valid else shapely.convex_hull(other)
    e = FreeformEngine(p, freeform(p, {"A": geom, "B": other}))
    for _ in range(moves):
        c = shapely.get_coordinates(e.shapes[0])
        k = int(rng.integers(0, len(c) - 1))
        c[k] = c[k] + rng.normal(0, 15_000, 2)
        if k == 0:
            c[-1] = c[0]
        e.set_shape(0, shapely.polygons(c))
        if shapely.is_valid(e.shapes[0]):
            e.check_against_full()
            fresh = FreeformEngine(p, freeform(p, {"A": e.shapes[0], "B": other})).stats()
            assert np.allclose(e.stats().value, fresh.value, rtol=1e-7, atol=1e-6)


_PROJECT = make_grid_project(nx=6, ny=6, seed=5)
_rng = np.random.default_rng(7)
_PROJECT.accounts = AccountTable([f"R{i}" for i in range(3000)], [f"R{i}" for i in range(3000)],
                                 _rng.uniform(-100.0, -98.8, 3000), _rng.uniform(38.0, 39.2, 3000),
                                 numeric={"revenue": _rng.uniform(1, 10, 3000)})
_PROJECT.locate_accounts()
