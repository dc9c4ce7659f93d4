"""Save → load round trips: ``assert_same_project`` compares everything a project holds, and
``make_full_project`` builds a small project that holds something of every kind.

What is compared: units (ids, names, CRSs, geometry, numeric and text columns, measures), the adjacency
graph (edges, lengths, virtual links, shared border lines), accounts (ids, names, coordinates, columns,
the unit of each), reps (home, capacity, skills), territory layers (name, rule, kind, description), every
scenario (territories, regions and areas, alignment, territory layer, live flag, pins, freeform shapes),
the active scenario, the hierarchy level names, the settings (lead rules and rep matching included) and
the CRM activity (opportunities, leads, quotas, KPI snapshots, column by column with their dtypes).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import shapely

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.activity import LOST, OPEN, WON, Activity, Leads, Opportunities, Quotas, Snapshots
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territories import UNASSIGNED, Region, Scenario
from territory_desk.domain.model.territory_layers import TerritoryLayer
from territory_desk.domain.stats.hierarchy import level_names
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.conftest import make_grid_project

# freeform shapes are reprojected to the units' CRS on save and back on load: equal within a millimetre
SHAPE_TOLERANCE_M = 1e-3


def round_trip(project: Project, path: Path) -> Project:
    """``project`` saved to ``path`` and loaded back."""
    save_project(project, path)
    return load_project(path)


def assert_same_project(a: Project, b: Project) -> None:
    """``b`` holds exactly what ``a`` holds (``b`` is usually ``a`` saved and loaded back)."""
    _same_units(a.units, b.units)
    _same_fields(a.adjacency, b.adjacency, "adjacency", skip={"lines"})
    _same_geometries(a.adjacency.lines, b.adjacency.lines, "adjacency lines", tolerance=0)
    _same_fields(a.accounts, b.accounts, "accounts")
    assert b.reps == a.reps
    assert b.layers == a.layers
    assert [s.name for s in b.scenarios] == [s.name for s in a.scenarios]
    for sa, sb in zip(a.scenarios, b.scenarios):
        _same_scenario(sa, sb)
    assert b.active == a.active
    assert b.settings == a.settings
    for s in a.scenarios:
        assert level_names(b, b.get_scenario(s.name)) == level_names(a, s), s.name
    _same_activity(a.activity, b.activity)
    assert b.repairs == [], b.repairs  # a file we wrote needs no repair


def _same_units(ua, ub) -> None:
    _same_fields(ua, ub, "units", skip={"geometry"})
    # the units layer is a MULTIPOLYGON layer: a Polygon comes back as a MultiPolygon of one part
    _same_geometries(_as_multi(ua.geometry), _as_multi(ub.geometry), "units", tolerance=1e-12)


def _as_multi(geoms: np.ndarray) -> np.ndarray:
    return np.array([shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g for g in geoms], dtype=object)


def _same_scenario(sa: Scenario, sb: Scenario) -> None:
    where = f"scenario {sa.name!r}"
    assert sb.territories == sa.territories, where
    assert sb.regions == sa.regions, where
    np.testing.assert_array_equal(sb.assignment, sa.assignment, err_msg=where)
    assert (sb.layer, sb.live, sb.pins) == (sa.layer, sa.live, sa.pins), where
    assert (sb.shapes is None) == (sa.shapes is None), where
    if sa.shapes is not None:
        assert list(sb.shapes) == list(sa.shapes), where
        for tid, shape in sa.shapes.items():
            assert shapely.equals_exact(sb.shapes[tid], shape, tolerance=SHAPE_TOLERANCE_M), f"{where}, {tid}"


def _same_activity(a: Activity, b: Activity) -> None:
    for name in ("opportunities", "leads", "quotas", "snapshots"):
        _same_fields(getattr(a, name), getattr(b, name), name)


def _same_fields(a, b, where: str, skip: frozenset | set = frozenset()) -> None:
    """Every compared dataclass field equal; arrays element by element (NaN and NaT equal themselves)
    and of the same dtype kind."""
    assert type(b) is type(a), where
    for f in dataclasses.fields(a):
        if not f.compare or f.name.startswith("_") or f.name in skip:
            continue
        _same_value(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")


def _same_value(x, y, where: str) -> None:
    if isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray), where
        assert y.dtype.kind == x.dtype.kind, f"{where}: dtype {y.dtype} instead of {x.dtype}"
        np.testing.assert_array_equal(y, x, err_msg=where)
    elif isinstance(x, dict):
        assert isinstance(y, dict) and list(y) == list(x), f"{where}: keys {list(y)} instead of {list(x)}"
        for k in x:
            _same_value(x[k], y[k], f"{where}[{k!r}]")
    else:
        assert y == x, where


def _same_geometries(ga, gb, where: str, tolerance: float) -> None:
    assert (gb is None) == (ga is None), where
    if ga is None:
        return
    assert len(gb) == len(ga), where
    assert shapely.equals_exact(np.asarray(gb), np.asarray(ga), tolerance=tolerance).all(), where


# --- a project with something of every kind ---------------------------------------------------------

def make_full_project() -> Project:
    """The 6x6 grid with an area above two regions and named hierarchy levels, reps with skills, an
    unlocated account, two unit territory layers (Enterprise, SMB) with live plans and pins, a freeform
    layer with a drawn scenario, settings (lead rules, rep matching) and CRM activity of every kind."""
    p = make_grid_project()
    _add_accounts_and_reps(p)
    base = p.scenario
    base.regions = [Region("A1", "West area"), Region("R1", "Plains", "A1"), Region("R2", "Hills", "A1")]
    base.territories[2].region_id = "R2"
    base.territories[1].locked = True
    p.layers = [TerritoryLayer("Enterprise", "segment = Enterprise", "units", "big accounts"),
                TerritoryLayer("SMB", "", "units"),
                TerritoryLayer("Drawn", "", "freeform", "territories drawn on the map")]
    ent, smb, smb_alt = base.copy("Enterprise plan"), base.copy("SMB plan"), base.copy("SMB alternative")
    ent.layer, ent.live = "Enterprise", True
    ent.pins = {p.accounts.ids[0]: "T2", p.accounts.ids[4]: "T0"}
    smb.layer, smb.pins = "SMB", {p.accounts.ids[1]: "T1"}
    smb_alt.layer, smb_alt.live = "SMB", True
    smb_alt.assignment = np.roll(smb_alt.assignment, 6)
    smb_alt.assignment[:2] = UNASSIGNED
    p.scenarios += [ent, smb, smb_alt, _drawn_scenario(p)]
    p.active = "SMB plan"
    p.settings.update({
        "balance_fields": ["population"], "tolerance_pct": 7.5, "title": "Plan 2026 – Süd ✓",
        "hierarchy_levels": ["Territory", "Region", "Zone"],
        "lead_rules": [{"name": "Big", "type": "condition", "when": "revenue >= 50", "target": "territory",
                        "value": "T1"},
                       {"name": "Rest", "type": "fallback", "target": "queue", "value": "Unrouted"}],
        "rep_matching": {"weights": {"industry": 3.0, "distance": 0.5}},
    })
    p.activity = _activity(p)
    Project(**{f.name: getattr(p, f.name) for f in dataclasses.fields(p)})  # the invariants hold
    return p


def _add_accounts_and_reps(p: Project) -> None:
    acc = p.accounts
    ids = [*acc.ids, "A-unlocated"]
    p.accounts = AccountTable(
        ids, [*acc.names, "No address Ltd"], np.append(acc.lon, np.nan), np.append(acc.lat, np.nan),
        numeric={"revenue": np.append(acc.numeric["revenue"], np.nan),
                 "employees": np.arange(len(ids), dtype=float) * 100.0},
        text={"segment": [*acc.text["segment"], ""], "city": [f"Town {k % 5}" for k in range(len(ids))]})
    p.locate_accounts()
    p.reps[0].skills = {"languages": ["en", "es"], "industries": ["Retail"], "experience": "senior"}
    p.reps[1].home_lon = p.reps[1].home_lat = None
    p.reps[1].home_city, p.reps[1].capacity = "", 0.0


def _drawn_scenario(p: Project) -> Scenario:
    """Two drawn territories (one of them two polygons) in the project's working CRS."""
    x0, y0, x1, y1 = shapely.total_bounds(p.units.projected())
    w, h = x1 - x0, y1 - y0
    north = shapely.box(x0, y0 + h / 2, x0 + w * 0.6, y1)
    south = shapely.MultiPolygon([shapely.box(x0 + w * 0.1, y0, x0 + w * 0.4, y0 + h * 0.4),
                                  shapely.box(x0 + w * 0.6, y0, x1, y0 + h * 0.3)])
    territories = [dataclasses.replace(t, region_id="R1") for t in p.scenario.territories[:2]]
    return Scenario("Drawn", territories=territories, regions=[Region("R1", "Region one")],
                    assignment=np.full(len(p.units), UNASSIGNED, dtype=np.int64), layer="Drawn",
                    shapes={"T0": north, "T1": south})


def _activity(p: Project) -> Activity:
    a = p.accounts.ids
    day = "datetime64[D]"
    opportunities = Opportunities(
        ids=["O1", "O2", "O3", "O4"], account_id=[a[0], a[5], "A-unknown", a[9]],
        amount=[1200.0, 350.5, 99.0, np.nan], stage=["Closed Won", "Negotiation", "Closed Lost", ""],
        status=[WON, OPEN, LOST, OPEN],
        created=np.array(["2026-01-05", "2026-02-10", "2026-03-01", "2026-03-15"], dtype=day),
        closed=np.array(["2026-03-30", "NaT", "2026-04-02", "NaT"], dtype=day), owner=["R0", "R1", "", "R2"])
    leads = Leads(
        ids=["L1", "L2", "L3"],
        created=np.array(["2026-02-01T09:30:00", "2026-02-02T17:05:10", "2026-03-03T00:00:00"], dtype="datetime64[s]"),
        response_hours=[1.5, np.nan, 30.0], owner=["R0", "", "R1"], converted=[True, False, False],
        account_id=[a[2], "", ""], lon=[-99.7, np.nan, -99.1], lat=[38.3, np.nan, 38.9])
    quotas = Quotas(rep_id=["R0", "", "R1"], territory_id=["", "T1", ""], period=["2026Q1", "2026Q1", "2026-02"],
                    start=np.array(["2026-01-01", "2026-01-01", "2026-02-01"], dtype=day),
                    end=np.array(["2026-03-31", "2026-03-31", "2026-02-28"], dtype=day),
                    amount=[10_000.0, 2_500.0, 800.0])
    snapshots = Snapshots(taken_at=["2026-04-01T08:00:00+00:00"] * 3, scenario=["Base"] * 3, period=["2026Q1"] * 3,
                          level=["Territory", "Territory", "Region"], group_id=["T0", "T1", "R1"],
                          group_name=["Territory 0", "Territory 1", "Plains"], kpi=["revenue", "revenue", "win_rate"],
                          value=[1200.0, np.nan, 0.5])
    return Activity(opportunities, leads, quotas, snapshots)
