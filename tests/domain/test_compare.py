"""Scenario comparison on a hand-made case: known units move, a territory is added in B, a rep is
swapped, an account is pinned; every figure is counted again by hand here."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from territory_desk.domain.compare import compare
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import DuplicateScenario
from territory_desk.domain.editing.territory_layers import AddLayer
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Territory
from territory_desk.services.compare import changes_csv, comparison_csv, comparison_dict, comparison_table

from tests.conftest import make_grid_project

NX = 6  # unit (x, y) = y * NX + x; territories: columns 0-1 -> T0, 2-3 -> T1, 4-5 -> T2


@pytest.fixture
def case():
    """B = A with units 0 and 1 moved T0 -> T1, unit 35 moved to a new territory TX (no rep), unit 34
    unassigned, T2's rep R2 replaced by R0, and one account pinned from its territory to T0."""
    p = make_grid_project()
    doc = Document(p)
    DuplicateScenario("Base", "B").redo(doc)
    b = p.get_scenario("B")
    b.territories.append(Territory("TX", "New one", "#123456"))
    b.assignment[[0, 1]] = 1
    b.assignment[35] = 3
    b.assignment[34] = -1
    b.territories[2].rep_id = "R0"
    acc_units = p.accounts.unit_index
    pinned = next(i for i in range(len(p.accounts)) if b.assignment[acc_units[i]] == 1)
    b.pins[p.accounts.ids[pinned]] = "T0"
    return p, pinned


def territory_id(scenario, t):
    return None if t < 0 else scenario.territories[t].id


def rep_id(scenario, t):
    return None if t < 0 else scenario.territories[t].rep_id


def hand_account_territory(p, scenario, i):
    if p.accounts.ids[i] in scenario.pins:
        return [t.id for t in scenario.territories].index(scenario.pins[p.accounts.ids[i]])
    u = p.accounts.unit_index[i]
    return -1 if u < 0 else int(scenario.assignment[u])


def test_units_and_disruption_by_hand(case):
    p, pinned = case
    a, b = p.get_scenario("Base"), p.get_scenario("B")
    c = compare(p, "Base", "B")
    assert c.changed_units.tolist() == [0, 1, 34, 35]
    d = c.disruption
    assert (d.units_territory.changed, d.units_territory.total) == (4, 36)
    assert d.units_territory.pct == pytest.approx(400 / 36)
    # rep changes: units 0, 1 (R0 -> R1), the ten other T2 units (R2 -> R0), 34 (R2 -> none), 35 (R2 -> none)
    assert d.units_rep.changed == 2 + 10 + 1 + 1
    # accounts, one by one
    moved, rep_moved, rev_moved, rev_rep = 0, 0, 0.0, 0.0
    rev = p.accounts.numeric["revenue"]
    for i in range(len(p.accounts)):
        ta, tb = hand_account_territory(p, a, i), hand_account_territory(p, b, i)
        if territory_id(a, ta) != territory_id(b, tb):
            moved += 1
            rev_moved += rev[i]
        if rep_id(a, ta) != rep_id(b, tb):
            rep_moved += 1
            rev_rep += rev[i]
    assert pinned in c.changed_accounts.tolist()
    assert (d.accounts_territory.changed, d.accounts_territory.total) == (moved, 40)
    assert d.accounts_rep.changed == rep_moved and rep_moved > moved
    assert d.accounts_rep.pct == pytest.approx(rep_moved / 40 * 100)
    assert d.values_territory["revenue"].changed == pytest.approx(rev_moved)
    assert d.values_rep["revenue"].changed == pytest.approx(rev_rep)
    assert d.values_rep["revenue"].total == pytest.approx(rev.sum())
    assert d.values_rep["revenue"].pct == pytest.approx(rev_rep / rev.sum() * 100)


def test_per_territory_deltas_by_hand(case):
    p, pinned = case
    c = compare(p, "Base", "B")
    pop = p.units.numeric["population"]
    assert [(t.id, t.status) for t in c.territories] == [("T0", "both"), ("T1", "both"), ("T2", "both"),
                                                         ("TX", "added")]
    u, k = c.measure_index("units"), c.measure_index("population")
    t0, t1, t2, tx = c.territories
    assert (t0.a[u], t0.b[u], t0.change[u]) == (12, 10, -2)
    assert (t1.change[u], t2.change[u], tx.a[u], tx.b[u]) == (2, -2, 0, 1)
    assert t0.change[k] == pytest.approx(-(pop[0] + pop[1]))
    assert t1.change[k] == pytest.approx(pop[0] + pop[1])
    assert t2.change[k] == pytest.approx(-(pop[34] + pop[35]))
    assert tx.b[k] == pytest.approx(pop[35])
    assert t0.change_pct[k] == pytest.approx(-(pop[0] + pop[1]) / t0.a[k] * 100)
    assert np.isnan(tx.change_pct[k])
    # accounts per territory in B, counted by hand (the pin included)
    b = p.get_scenario("B")
    n = c.measure_index("accounts")
    for j, t in enumerate(c.territories):
        hand = sum(hand_account_territory(p, b, i) == j for i in range(len(p.accounts)))
        assert t.b[n] == hand
    assert (t2.rep_a, t2.rep_b) == ("R2", "R0")


def test_removed_territory_and_identical_scenarios():
    p = make_grid_project()
    doc = Document(p)
    DuplicateScenario("Base", "Same").redo(doc)
    c = compare(p, "Base", "Same")
    assert len(c.changed_units) == 0 and c.disruption.accounts_rep.changed == 0
    assert all((t.change == 0).all() for t in c.territories)
    b = p.get_scenario("Same")
    b.assignment[b.assignment == 2] = -1
    del b.territories[2]
    c = compare(p, "Base", "Same")
    assert c.territories[2].status == "removed" and c.territories[2].b.sum() == 0
    assert c.disruption.units_territory.changed == 12


def test_layers_limit_the_accounts_compared():
    p = make_grid_project()
    doc = Document(p)
    AddLayer("Enterprise", "segment = Enterprise", from_scenario="Base").redo(doc)
    DuplicateScenario("Enterprise plan", "Enterprise B").redo(doc)
    b = p.get_scenario("Enterprise B")
    b.assignment[:] = np.where(b.assignment == 0, 1, b.assignment)  # T0 merged into T1
    c = compare(p, "Enterprise plan", "Enterprise B")
    assert c.disruption.accounts_territory.total == 10  # the layer's accounts only
    ent = [i for i in range(40) if i % 4 == 0]
    moved = [i for i in ent if p.get_scenario("Enterprise plan").assignment[p.accounts.unit_index[i]] == 0]
    assert sorted(c.changed_accounts.tolist()) == moved


def test_renderings(case, tmp_path):
    p, _ = case
    d = comparison_dict(p, compare(p, "Base", "B"))
    json.dumps(d)  # JSON-able
    assert d["disruption"]["units_territory"] == {"changed": 4, "total": 36, "pct": pytest.approx(11.111111)}
    assert [u["id"] for u in d["changed_units"]] == ["U0000", "U0001", "U0504", "U0505"]
    assert d["changed_units"][3] == {"id": "U0505", "name": "Cell 5,5", "from": "T2", "to": "TX"}
    assert d["changed_units"][2]["to"] is None
    t2 = next(t for t in d["territories"] if t["id"] == "T2")
    assert (t2["rep_a"], t2["rep_b"]) == ("Rep 2", "Rep 0")
    text = comparison_table(d, ["units", "accounts"])
    assert "Units that change territory" in text and "4 of 36 (11.1 %)" in text and "New one" in text
    rows = list(csv.reader(io.StringIO(comparison_csv(d))))
    head = rows[0]
    assert head[:5] == ["territory_id", "name", "status", "rep_a", "rep_b"]
    t0 = dict(zip(head, rows[1]))
    assert (t0["units_a"], t0["units_b"], t0["units_change"]) == ("12", "10", "-2")
    blank = rows.index([])
    dis = {r[0]: r[1:] for r in rows[blank + 2:]}
    assert dis["units_territory"][:2] == ["4", "36"]
    assert "revenue_rep" in dis
    units = list(csv.DictReader(io.StringIO(changes_csv(d, "units"))))
    assert [r["unit_id"] for r in units] == ["U0000", "U0001", "U0504", "U0505"]
    assert units[2]["territory_B"] == ""
    accounts = list(csv.DictReader(io.StringIO(changes_csv(d, "accounts"))))
    assert len(accounts) == len(d["changed_accounts"]) and "rep_B" in accounts[0]


def test_unknown_scenario_is_one_clear_error():
    p = make_grid_project()
    with pytest.raises(InputError, match="no scenario named 'Nope'"):
        compare(p, "Base", "Nope")
