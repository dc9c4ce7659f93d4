"""The bundled demo project (real counties, synthetic business data) and the ZIP benchmark grid."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from territory_desk.domain.stats.kinds import engine_for
from territory_desk.io.bundled_data import CONTIGUOUS_STATES, read_counties, read_states, read_zip_centroids
from territory_desk.services.demo import build_demo_project
from territory_desk.services.zip_grid import build_zip_project


@pytest.fixture(scope="module")
def demo(demo_project):
    return demo_project


@pytest.fixture(scope="module")
def demo_again(demo):  # after `demo`, so the cached county base is reused: only a fraction of a second
    return build_demo_project(seed=1)


@pytest.fixture(scope="module")
def demo_other(demo):
    return build_demo_project(seed=2)


@pytest.fixture(scope="module")
def zip_small():
    return build_zip_project(seed=1, limit=2000, n_accounts=2000)


# ---- bundled data ----------------------------------------------------------------------------------


def test_bundled_counties_and_states():
    counties = read_counties()
    assert len(counties) == 3108
    assert counties.crs.to_epsg() == 4269
    assert set(counties["STUSPS"]) == CONTIGUOUS_STATES
    assert len(read_states()) == 49


def test_bundled_zips_are_contiguous_and_active():
    z = read_zip_centroids()
    assert len(z) > 30_000
    assert set(z["state"]) <= CONTIGUOUS_STATES
    assert z["lon"].between(-125, -66).all() and z["lat"].between(24, 50).all()


# ---- demo ------------------------------------------------------------------------------------------


def test_demo_units(demo):
    u = demo.units
    assert len(u) == 3108
    assert u.names[u.index_of("01001")] == "Autauga, AL"
    assert set(u.numeric) >= {"population", "land_km2"}
    pop = u.numeric["population"]
    assert (pop > 0).all() and 250e6 < pop.sum() < 400e6
    assert pop[u.index_of("06037")] > 5e6  # Los Angeles County is the biggest
    assert len(u.text["state"]) == 3108


def test_demo_is_deterministic_for_a_seed(demo, demo_again, demo_other):
    a, b, c = demo, demo_again, demo_other
    assert a.units.ids == b.units.ids
    assert np.array_equal(a.scenario.assignment, b.scenario.assignment)
    assert a.accounts.ids == b.accounts.ids and a.accounts.names == b.accounts.names
    assert np.array_equal(a.accounts.lon, b.accounts.lon) and np.array_equal(a.accounts.lat, b.accounts.lat)
    assert np.array_equal(a.accounts.numeric["revenue"], b.accounts.numeric["revenue"])
    assert [r.name for r in a.reps] == [r.name for r in b.reps]
    assert [t.color for t in a.scenario.territories] == [t.color for t in b.scenario.territories]
    assert not np.array_equal(a.accounts.lon, c.accounts.lon)
    assert a.accounts.names != c.accounts.names


def test_demo_regions_and_territories(demo):
    s = demo.scenario
    assert s.name == "Base" and demo.active == "Base"
    assert {r.id for r in s.regions} == {"NE", "MW", "S", "W"}
    assert 14 <= len(s.territories) <= 18
    assert [t.id for t in s.territories] == [f"T{k + 1:02d}" for k in range(len(s.territories))]
    assert len({t.name for t in s.territories}) == len(s.territories)
    assert len({t.color for t in s.territories}) == len(s.territories)
    assert all(t.region_id in {"NE", "MW", "S", "W"} for t in s.territories)
    assert (s.assignment >= 0).all(), "every unit is assigned"
    stats = engine_for(demo).stats()
    assert stats.unassigned_units == 0
    assert (stats.pieces == 1).all(), f"non-contiguous territories: {stats.pieces}"
    # territories stay inside their Census region
    from territory_desk.io.bundled_data import REGION_IDS, REGION_OF_STATE

    unit_region = np.array([REGION_IDS[REGION_OF_STATE[st]] for st in demo.units.text["state"]])
    terr_region = np.array([t.region_id for t in s.territories])
    assert np.mean(unit_region == terr_region[s.assignment]) > 0.99


def test_demo_accounts(demo):
    acc = demo.accounts
    assert 3000 <= len(acc) <= 5000
    assert acc.ids[0] == "A000001" and len(set(acc.ids)) == len(acc)
    assert len(acc.outside()) == 0
    demo.locate_accounts()  # the stored unit index is what the domain computes
    assert len(acc.outside()) == 0
    rev, pot = acc.numeric["revenue"], acc.numeric["potential"]
    assert (rev > 0).all() and (pot >= rev).all()
    assert 20_000 < np.median(rev) < 150_000
    seg = np.array(acc.text["segment"])
    assert set(seg) == {"SMB", "Enterprise"}
    assert 0.08 < np.mean(seg == "Enterprise") < 0.25
    assert np.median(rev[seg == "Enterprise"]) > 5 * np.median(rev[seg == "SMB"])
    assert len(set(acc.text["industry"])) >= 8
    assert set(acc.text["state"]) <= CONTIGUOUS_STATES
    assert all(isinstance(n, str) and len(n.split()) >= 2 for n in acc.names)


def test_demo_reps(demo):
    reps = demo.reps
    assert 14 <= len(reps) <= 18
    outline = shapely.union_all(np.asarray(read_states().geometry.array))
    homes = shapely.points([r.home_lon for r in reps], [r.home_lat for r in reps])
    assert shapely.contains(outline, homes).all()
    ids = {r.id for r in reps}
    assert {t.rep_id for t in demo.scenario.territories} <= ids
    for r in reps:
        assert 200 <= r.capacity <= 350
        assert "en" in r.skills["languages"]
        assert 2 <= len(r.skills["industries"]) <= 3
        assert r.skills["experience"] in {"junior", "mid", "senior"}
    assert demo.settings["balance_fields"] == ["potential", "accounts"]
    assert demo.settings["tolerance_pct"] == 5.0


# ---- ZIP grid --------------------------------------------------------------------------------------


def test_zip_cells_are_a_valid_coverage(zip_small):
    u = zip_small.units
    assert 1900 <= len(u) <= 2000
    assert all(len(i) == 5 and i.isdigit() for i in u.ids)
    assert shapely.is_valid(u.geometry).all()
    assert np.isin(shapely.get_type_id(u.geometry), (3, 6)).all()
    assert (u.area_m2 > 0).all()
    union = shapely.union_all(u.geometry)
    assert u.area_m2.sum() == pytest.approx(shapely.area(union), rel=1e-6), "cells overlap"
    assert shapely.area(union) == pytest.approx(7.8e12, rel=0.02)  # the contiguous US, ~7.8M km²
    assert (u.numeric["population"] > 0).all()


def test_zip_adjacency_and_territories(zip_small):
    adj = zip_small.adjacency
    degree = np.bincount(np.concatenate([adj.i, adj.j]), minlength=len(zip_small.units))
    assert (degree > 0).all(), "isolated unit"
    assert np.mean(degree) > 4.5  # Voronoi cells have ~6 neighbours
    stats = engine_for(zip_small).stats()
    assert 14 <= len(zip_small.scenario.territories) <= 18
    assert stats.unassigned_units == 0 and (stats.pieces == 1).all()
    assert len(zip_small.accounts) == 2000 and len(zip_small.accounts.outside()) == 0
