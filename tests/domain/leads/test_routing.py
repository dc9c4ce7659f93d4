"""Lead routing, rule type by rule type, on hand-made leads over the 6x6 grid project.

The grid: units U{y:02d}{x:02d} are 0.2° cells from (-100, 38); territories T0/T1/T2 are the
column bands x 0-1 / 2-3 / 4-5, owned by reps R0/R1/R2.
"""
import numpy as np
import pytest
import shapely

from territory_desk.domain.leads.routing import NO_RULE, route_leads
from territory_desk.domain.leads.rules import parse_rules
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Scenario, Territory
from territory_desk.domain.model.territory_layers import TerritoryLayer

from tests.conftest import make_grid_project


def cell(x, y):
    """Longitude/latitude of the centre of grid cell (x, y)."""
    return -100.0 + 0.2 * x + 0.1, 38.0 + 0.2 * y + 0.1


def route(project, rules, explain=False, zip_points=None, **columns):
    n = len(next(iter(columns.values())))
    return route_leads(project, parse_rules(rules, project), {k: list(v) for k, v in columns.items()}, n,
                       explain=explain, zip_points=zip_points)


@pytest.fixture
def p():
    project = make_grid_project()
    for r in project.reps:
        r.skills["team"] = "Inside"
    return project


def test_named_account_by_id_then_by_normalised_name(p):
    acc = p.accounts
    acc.names[3] = "Acme Health, Inc."
    acc.names[4] = "Twin Corp"
    acc.names[5] = "TWIN Corporation"  # two accounts share the normalised name: never matched by name
    terr = [p.scenario.assignment[u] for u in acc.unit_index]
    r = route(p, [{"name": "Named", "type": "account", "id_column": "account_id", "name_column": "company"}],
              explain=True,
              account_id=["A007", "", "", "nope", ""],
              company=["", "ACME HEALTH incorporated", "the Acme-Health", "Acme Health LLC", "twin corp."])
    want = [terr[7], terr[3], terr[3], terr[3], -1]
    assert r.territory_id.tolist() == [f"T{t}" if t >= 0 else "" for t in want]
    assert r.rep_id.tolist() == [f"R{t}" if t >= 0 else "" for t in want]
    assert r.rule_names().tolist() == ["Named"] * 4 + [NO_RULE]
    assert "account_id A007 = account A007 'Account 7'" in r.explain[0]
    assert "company 'ACME HEALTH incorporated' = account A003 'Acme Health, Inc.'" in r.explain[1]
    assert "names several accounts" in r.reason[4]


def test_named_account_follows_a_pin(p):
    sc = p.scenario
    t_of = sc.assignment[p.accounts.unit_index[0]]
    other = f"T{(t_of + 1) % 3}"
    sc.pins = {"A000": other}
    r = route(p, [{"name": "Named", "type": "account", "id_column": "id"}], id=["A000"])
    assert r.territory_id.tolist() == [other]


def test_condition_targets_territory_rep_queue(p):
    rules = [
        {"name": "Big", "type": "condition", "when": "employees >= 1000 and industry in (Healthcare, Finance)",
         "target": "territory", "value": "Territory 2"},
        {"name": "Key", "type": "condition", "when": "employees >= 1000", "target": "rep", "value": "Rep 1"},
        {"name": "Partners", "type": "condition", "when": "source = partner", "target": "queue",
         "value": "Partner desk"},
    ]
    r = route(p, rules, explain=True,
              employees=["5000", "1,200", "999", "", "20000"],
              industry=["healthcare", "Retail", "Finance", "Finance", "finance"],
              source=["", "", "Partner", "", ""])
    assert r.rule_names().tolist() == ["Big", "Key", "Partners", NO_RULE, "Big"]
    assert r.territory_id.tolist() == ["T2", "", "", "", "T2"]
    assert r.rep_id.tolist() == ["R2", "R1", "", "", "R2"]
    assert r.rep.tolist() == ["Rep 2", "Rep 1", "Partner desk", "", "Rep 2"]
    assert r.explain[0] == ("rule 1 'Big': employees >= 1000 and industry in (Healthcare, Finance) -> "
                            "plan 'Base' -> T2 Territory 2 (rep R2 Rep 2)")
    assert r.explain[2] == "rule 3 'Partners': source = partner -> queue 'Partner desk'"
    assert r.explain[3] == "no rule matched (no rule's condition holds)"


def test_unit_rule_matches_ids_ignoring_case_and_reports_unknown_ones(p):
    r = route(p, [{"name": "By unit", "type": "unit", "column": "unit id"}], explain=True,
              UNIT_ID=["U0000", "u0203", " U0505 ", "U9999", ""])
    assert r.territory_id.tolist() == ["T0", "T1", "T2", "", ""]
    assert r.explain[1] == ("rule 1 'By unit': unit id u0203 = unit U0203 -> plan 'Base' -> T1 Territory 1 "
                            "(rep R1 Rep 1)")
    assert r.reason[3] == "rule 1: unit id U9999 is not a unit id" and r.reason[4] == "rule 1: no unit id"


def test_unit_rule_by_zip_uses_the_zip_centre(p):
    centres = {"67560": cell(0, 0), "67561": cell(5, 5), "10001": (-73.99, 40.75)}

    def zip_points(values):
        pts = [centres.get(v, (np.nan, np.nan)) for v in values]
        return np.array([q[0] for q in pts]), np.array([q[1] for q in pts])

    r = route(p, [{"name": "ZIP", "type": "unit", "column": "zip", "match": "zip"}], zip_points=zip_points,
              zip=["67560", "67561", "10001", "00000"])
    assert r.territory_id.tolist() == ["T0", "T2", "", ""]
    assert r.reason[2] == "rule 1: ZIP 10001 lies in no unit" and r.reason[3] == "rule 1: ZIP 00000 is unknown"


def test_point_rule_locates_coordinates(p):
    (x0, y0), (x1, y1) = cell(1, 2), cell(4, 0)
    r = route(p, [{"name": "Where", "type": "point"}], explain=True,
              Latitude=[str(y0), str(y1), "", "95", str(y0)], lng=[str(x0), str(x1), "", "-99.9", "10"])
    assert r.territory_id.tolist() == ["T0", "T2", "", "", ""]
    assert r.explain[0].startswith(f"rule 1 'Where': ({y0}, {x0}) in unit U0201 -> plan 'Base' -> T0")
    assert [s.split(": ", 1)[1] for s in r.reason[2:]] == [
        "no usable coordinates", "no usable coordinates", f"({y0}, 10) lies in no unit"]


def test_round_robin_takes_turns_in_rep_order_and_an_explicit_list(p):
    r = route(p, [{"name": "Web", "type": "round_robin", "team": "inside", "when": "source = web"},
                  {"name": "List", "type": "round_robin", "reps": ["R2", "R0"]}],
              source=["web", "web", "x", "web", "web", "x", "x"])
    assert r.rep_id.tolist() == ["R0", "R1", "R2", "R2", "R0", "R0", "R2"]
    assert r.rule_names().tolist() == ["Web", "Web", "List", "Web", "Web", "List", "List"]
    assert r.territory_id.tolist() == [""] * 7


def _reference_round_robin(members, remaining, n):
    """The rule as a planner reads it, lead by lead."""
    out, ptr = [], 0
    for _ in range(n):
        for step in range(len(members)):
            j = (ptr + step) % len(members)
            if remaining[j] > 0:
                out.append(members[j])
                remaining[j] -= 1
                ptr = j + 1
                break
        else:
            out.append("")
    return out


@pytest.mark.parametrize("seed", range(8))
def test_round_robin_with_caps_equals_the_lead_by_lead_reading(p, seed):
    rng = np.random.default_rng(seed)
    caps = {f"R{k}": int(c) for k, c in enumerate(rng.integers(0, 6, 3))}
    first = int(rng.integers(0, 4))  # leads R1 already got from an earlier rule
    n = int(rng.integers(1, 25))
    rules = [{"name": "Early", "type": "condition", "when": "kind = early", "target": "rep", "value": "R1"},
             {"name": "Turns", "type": "round_robin", "team": "Inside", "rep_caps": caps}]
    r = route(p, rules, kind=["early"] * first + ["late"] * n)
    remaining = [caps["R0"], max(caps["R1"] - first, 0), caps["R2"]]
    assert r.rep_id.tolist()[first:] == _reference_round_robin(["R0", "R1", "R2"], remaining, n)


def test_caps_let_leads_fall_through_to_the_next_rule(p):
    rules = [{"name": "By unit", "type": "unit", "column": "unit", "cap": 2},
             {"name": "Rest", "type": "fallback", "target": "rep", "value": "R2", "rep_caps": {"R2": 1}}]
    r = route(p, rules, explain=True, unit=["U0000", "U0101", "U0200", "U0001", "U0002"])
    assert r.rule_names().tolist() == ["By unit", "By unit", "Rest", NO_RULE, "By unit"]
    assert r.rep_id.tolist() == ["R0", "R0", "R2", "", "R1"]
    assert r.reason[3] == "rule 1: Rep 0 reached the cap (2 leads); rule 2: Rep 2 reached the cap (1 leads)"
    assert r.explain[3].startswith("no rule matched: rule 1: Rep 0 reached the cap")


def test_fallback_takes_what_is_left_and_restrictions_apply(p):
    rules = [{"name": "US by unit", "type": "unit", "column": "unit", "when": "country = US"},
             {"name": "Queue", "type": "fallback", "target": "queue", "value": "Unrouted", "cap": 1}]
    r = route(p, rules, unit=["U0000", "U0000", "", "U0400"], country=["US", "CA", "US", "ca"])
    assert r.rule_names().tolist() == ["US by unit", "Queue", "Queue", "Queue"]  # queues are never capped
    assert r.rep.tolist() == ["Rep 0", "Unrouted", "Unrouted", "Unrouted"]
    assert r.rep_id.tolist() == ["R0", "", "", ""]


@pytest.fixture
def layered(p):
    """Enterprise (segment = Enterprise) and SMB layers; Enterprise has two plans, the second live."""
    p.layers = [TerritoryLayer("Enterprise", "segment = Enterprise"), TerritoryLayer("SMB", "")]
    n = len(p.units)
    y = np.array([int(u[1:3]) for u in p.units.ids])
    old = Scenario("Ent old", [Territory("E0", "All", rep_id="R0")], assignment=np.zeros(n, dtype=np.int64),
                   layer="Enterprise")
    live = Scenario("Ent 2027", [Territory("S", "South", rep_id="R1"), Territory("N", "North", rep_id="R2")],
                    assignment=(y >= 3).astype(np.int64), layer="Enterprise", live=True)
    smb = p.scenario.copy("SMB 2027")
    smb.layer = "SMB"
    p.scenarios += [old, live, smb]
    return p


def test_geography_routes_each_lead_to_its_layers_live_plan(layered):
    (x0, y0), (x1, y1) = cell(0, 0), cell(0, 5)
    rules = [{"name": "Where", "type": "point"}]
    r = route(layered, rules, explain=True, segment=["Enterprise", "Enterprise", "SMB", ""],
              lat=[y0, y1, y0, y1], lon=[x0, x1, x0, x1])
    assert r.territory_id.tolist() == ["S", "N", "T0", "T0"]
    assert r.rep_id.tolist() == ["R1", "R2", "R0", "R0"]
    assert "-> Enterprise live plan 'Ent 2027' -> N North (rep R2 Rep 2)" in r.explain[1]
    assert "-> SMB plan 'SMB 2027' -> T0" in r.explain[2]


def test_a_rule_can_target_a_layer(layered):
    (x0, y0) = cell(0, 5)
    rules = [{"name": "Big", "type": "condition", "when": "employees >= 1000", "target": "layer",
              "value": "Enterprise"},
             {"name": "SMB by unit", "type": "unit", "column": "unit", "layer": "SMB"}]
    r = route(layered, rules, explain=True, employees=["5000", "10"], lat=[y0, y0], lon=[x0, x0],
              unit=["U0500", "U0500"])
    assert r.territory_id.tolist() == ["N", "T0"]
    assert r.explain[0] == (f"rule 1 'Big': employees >= 1000 -> ({y0}, {x0}) in unit U0500 -> "
                            "Enterprise live plan 'Ent 2027' -> N North (rep R2 Rep 2)")


def test_layer_routing_needs_the_layer_rule_columns(layered):
    with pytest.raises(InputError, match=r"layer 'Enterprise' \(segment = Enterprise\) needs the column 'segment'"):
        route(layered, [{"name": "Where", "type": "point"}], lat=["38.1"], lon=["-99.9"])


def test_drawn_territories_take_the_leads_inside_them(p):
    proj = p.units.projected()
    west = shapely.union_all(proj[[i for i, u in enumerate(p.units.ids) if int(u[3:]) < 3]])
    sc = Scenario("Drawn", [Territory("W", "West", rep_id="R2"), Territory("E", "East", rep_id="R0")],
                  assignment=np.full(len(p.units), -1, dtype=np.int64), live=True)
    sc.shapes = {"W": west, "E": None}
    p.scenarios.append(sc)
    (x0, y0), (x1, y1) = cell(1, 1), cell(5, 1)
    r = route(p, [{"name": "Where", "type": "point"}, {"name": "Unit", "type": "unit", "column": "unit"}],
              lat=[y0, y1, ""], lon=[x0, x1, ""], unit=["", "", "U0001"])
    assert r.territory_id.tolist() == ["W", "", "W"]
    assert r.rep_id.tolist() == ["R2", "", "R2"]
    assert "is in no territory of live plan 'Drawn'" in r.reason[1]


def test_counts_and_unmatched(p):
    r = route(p, [{"name": "By unit", "type": "unit", "column": "unit"}], unit=["U0000", "x", "U0100", ""])
    assert r.counts == [2] and r.unmatched.tolist() == [1, 3]
    assert r.reason[0] == "" and r.reason[1] == "rule 1: unit x is not a unit id"


def test_territory_without_a_rep_still_places_the_lead(p):
    p.scenario.territories[1].rep_id = None
    r = route(p, [{"name": "By unit", "type": "unit", "column": "unit"}], unit=["U0002"])
    assert r.territory_id.tolist() == ["T1"] and r.rep_id.tolist() == [""] and r.no_rep == 1


@pytest.mark.parametrize("seed", range(5))
def test_caps_equal_the_lead_by_lead_reading(p, seed):
    rng = np.random.default_rng(seed)
    units = rng.choice(p.units.ids, 30).tolist()
    cap = int(rng.integers(1, 8))
    r = route(p, [{"name": "By unit", "type": "unit", "column": "unit", "cap": cap}], unit=units)
    count = {}
    want = []
    for u in units:
        rep = f"R{p.scenario.assignment[p.units.index_of(u)]}"
        ok = count.get(rep, 0) < cap
        count[rep] = count.get(rep, 0) + ok
        want.append(rep if ok else "")
    assert r.rep_id.tolist() == want


def test_point_location_agrees_with_locate_points_on_borders_too(p):
    from territory_desk.domain.leads.places import points_in_polygons
    from territory_desk.domain.model.accounts import locate_points

    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(-100.1, -98.7, 300), -100.0 + 0.2 * rng.integers(0, 7, 50), np.nan]
    lat = np.r_[rng.uniform(37.9, 39.3, 300), 38.0 + 0.2 * rng.integers(0, 7, 50), 38.5]
    want = locate_points(lon, lat, p.units.geometry, p.units.source_crs)
    assert np.array_equal(points_in_polygons(lon, lat, p.units.geometry), want)
    assert (want == -1).any() and (want >= 0).any()


@pytest.mark.parametrize("text", [
    "employees >= 1000", 'industry in ("Healthcare", finance) and not (state = TX)', "name contains corp",
    "segment is empty or employees < 10", "state != TX and employees > 5e2", "name startswith a or segment = smb",
])
def test_conditions_per_distinct_value_equal_the_condition_on_every_lead(p, text):
    from territory_desk.domain.leads.places import Places
    from territory_desk.domain.model.conditions import Condition

    rng = np.random.default_rng(len(text))
    n = 400
    cols = {
        "employees": rng.choice(["5", "999", "1000", "1,200", "", "n/a", "20000", " 700 "], n).astype(object),
        "industry": rng.choice(["Healthcare", "FINANCE", "Retail", ""], n).astype(object),
        "state": rng.choice(["TX", "tx", "CA", ""], n).astype(object),
        "name": rng.choice(["Acme Corp", "ABC corporation", "Zeta", "", "alpha"], n).astype(object),
        "segment": rng.choice(["SMB", "", "Enterprise"], n).astype(object),
    }
    cond = Condition.parse(text)
    idx = np.flatnonzero(rng.random(n) < 0.7)
    places = Places(p, cols, n, None, None)
    want = cond.evaluate({k: v[idx] for k, v in cols.items()}, len(idx))
    assert np.array_equal(places.evaluate(cond, idx), want) and want.any() and not want.all()
