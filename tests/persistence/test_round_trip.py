"""Save → load keeps everything a project holds (``tests/round_trip.py`` says what that is), for a project
with something of every kind, for the demo, through a second save and through the recovery file; and the
comparison itself notices a change in any one of those parts."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import shapely

from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import Region
from territory_desk.persistence.reader import load_project
from territory_desk.services import session_files as sf

from tests.round_trip import assert_same_project, make_full_project, round_trip


@pytest.fixture(scope="module")
def full():
    return make_full_project()


@pytest.fixture(scope="module")
def full_loaded(full, tmp_path_factory):
    return round_trip(full, tmp_path_factory.mktemp("full") / "full.gpkg")


def test_a_project_of_every_kind_round_trips(full, full_loaded):
    kinds = {layer.kind for layer in full.layers}
    assert kinds == {"units", "freeform"} and sum(s.live for s in full.scenarios) == 2
    assert any(s.pins for s in full.scenarios) and any(s.shapes for s in full.scenarios)
    assert any(r.parent_id for r in full.scenario.regions) and not full.activity.empty
    assert_same_project(full, full_loaded)


def test_a_second_save_changes_nothing(full, full_loaded, tmp_path):
    assert_same_project(full, round_trip(full_loaded, tmp_path / "again.gpkg"))


def test_the_demo_round_trips(demo_project, demo_file):
    assert_same_project(demo_project, load_project(demo_file))


def test_the_recovery_file_brings_back_every_edit(full, full_loaded, tmp_path):
    path = str(tmp_path / "p.gpkg")
    sf.write_recovery(path, sf.recovery_snapshot(full))
    edited = copy.deepcopy(full_loaded)
    edited.scenarios, edited.layers, edited.active, edited.settings = edited.scenarios[:1], [], "Base", {}
    sf.apply_recovery(edited, sf.pending_recovery(path))
    assert_same_project(full, edited)


def _pin_moved(p):
    s = next(s for s in p.scenarios if s.pins)
    s.pins[next(iter(s.pins))] = "T1" if "T1" != next(iter(s.pins.values())) else "T0"


def _shape_moved(p):
    s = next(s for s in p.scenarios if s.shapes)
    s.shapes["T0"] = shapely.affinity.translate(s.shapes["T0"], 0.5)


def _unit_renamed(p):
    p.units.names[3] = "Renamed"


def _snapshot_value(p):
    p.activity.snapshots.value[1] = 0.0  # was NaN


CHANGES = {
    "unit name": _unit_renamed,
    "unit column": lambda p: p.units.numeric["population"].__setitem__(0, -1.0),
    "unit measure": lambda p: p.units.area_m2.__setitem__(0, 1.0),
    "unit geometry": lambda p: p.units.geometry.__setitem__(0, shapely.box(0, 0, 1, 1)),
    "adjacency length": lambda p: p.adjacency.length.__setitem__(0, 0.5),
    "adjacency line": lambda p: p.adjacency.lines.__setitem__(0, shapely.LineString([(0, 0), (1, 1)])),
    "account text": lambda p: p.accounts.text["city"].__setitem__(0, "Elsewhere"),
    "account unit": lambda p: p.accounts.unit_index.__setitem__(0, 35),
    "account number": lambda p: p.accounts.numeric["revenue"].__setitem__(-1, 0.0),  # was NaN
    "rep skill": lambda p: p.reps[0].skills["languages"].append("fr"),
    "rep added": lambda p: p.reps.append(Rep("R9", "New")),
    "layer rule": lambda p: setattr(p.layers[0], "rule", "segment = SMB"),
    "layer kind": lambda p: setattr(p.layers[1], "kind", "freeform"),
    "territory colour": lambda p: setattr(p.scenarios[1].territories[0], "color", "#000000"),
    "territory lock": lambda p: setattr(p.scenarios[0].territories[0], "locked", True),
    "area above a region": lambda p: setattr(p.scenarios[0].regions[1], "parent_id", None),
    "region added": lambda p: p.scenarios[3].regions.append(Region("R9", "New")),
    "alignment": lambda p: p.scenarios[2].assignment.__setitem__(0, 2),
    "scenario layer": lambda p: setattr(p.scenarios[2], "layer", "Enterprise"),
    "live flag": lambda p: setattr(p.scenarios[3], "live", False),
    "pin": _pin_moved,
    "freeform shape": _shape_moved,
    "active scenario": lambda p: setattr(p, "active", "Base"),
    "level names": lambda p: p.settings["hierarchy_levels"].__setitem__(2, "Area"),
    "lead rules": lambda p: p.settings["lead_rules"].pop(),
    "opportunity amount": lambda p: p.activity.opportunities.amount.__setitem__(0, 1.0),
    "opportunity close date": lambda p: p.activity.opportunities.closed.__setitem__(1, np.datetime64("2026-05-01")),
    "lead response": lambda p: p.activity.leads.response_hours.__setitem__(1, 2.0),
    "lead location": lambda p: p.activity.leads.lon.__setitem__(0, -99.0),
    "quota period": lambda p: p.activity.quotas.period.__setitem__(2, "2026-03"),
    "snapshot value": _snapshot_value,
    "repairs": lambda p: p.repairs.append("fixed something"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_the_comparison_notices_any_one_change(full, full_loaded, change):
    changed = copy.deepcopy(full_loaded)
    CHANGES[change](changed)
    with pytest.raises(AssertionError):
        assert_same_project(full, changed)
