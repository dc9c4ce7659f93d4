"""Freeform edits as undoable commands: new scenario, draw, reshape, split, merge, from units, clip;
valid geometry on the way in; the territory panel's delete and merge in a freeform scenario."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.freeform import (
    AddFreeformScenario,
    ClipByNeighbour,
    DrawTerritory,
    MergeTerritories,
    ReshapeTerritory,
    SplitTerritory,
    checked_shape,
    from_units,
    units_outline,
)
from territory_desk.domain.editing.scenarios import SwitchScenario
from territory_desk.domain.editing.territories import AddTerritory, DeleteTerritory, merge_territories
from territory_desk.domain.model.errors import InputError, LockedError

from tests.domain.stats.test_freeform_engine import box_between, corner, known_project


@pytest.fixture
def doc():
    d = Document(known_project())
    AddFreeformScenario("Drawn").redo(d)
    return d


def accounts(doc) -> list[int]:
    s = doc.stats()
    return [int(v) for v in s.value[:, s.field_index("accounts")]]


def draw(doc, *box, **kw) -> DrawTerritory:
    cmd = DrawTerritory(box_between(doc.project, *box), **kw)
    cmd.redo(doc)
    return cmd


def test_new_freeform_scenario_and_undo():
    d = Document(known_project())
    cmd = AddFreeformScenario("Drawn")
    cmd.redo(d)
    p = d.project
    assert p.active == "Drawn" and p.scenario.shapes == {} and p.scenario.layer == "Freeform"
    assert [(x.name, x.kind) for x in p.layers] == [("Freeform", "freeform")]
    with pytest.raises(InputError, match="exists"):
        AddFreeformScenario("Drawn").redo(d)
    cmd.undo(d)
    assert p.active == "Base" and p.layers == [] and [s.name for s in p.scenarios] == ["Base"]
    # a unit layer of that name cannot hold freeform scenarios
    from territory_desk.domain.model.territory_layers import TerritoryLayer

    p.layers.append(TerritoryLayer("Freeform", "", "units"))
    with pytest.raises(InputError, match="unit territories"):
        AddFreeformScenario("X").redo(d)


def test_draw_undo_redo(doc):
    cmd = draw(doc, 0, 0, 2, 2, name="North")
    sc = doc.scenario
    assert [t.name for t in sc.territories] == ["North"] and accounts(doc) == [4]
    cmd.undo(doc)
    assert sc.territories == [] and sc.shapes == {} and accounts(doc) == []
    cmd.redo(doc)
    assert [t.name for t in sc.territories] == ["North"] and accounts(doc) == [4]
    # redraw an existing territory, undo gives the old shape back
    redraw = DrawTerritory(box_between(doc.project, 0, 0, 3, 3), territory_id=sc.territories[0].id)
    redraw.redo(doc)
    assert accounts(doc) == [9]
    redraw.undo(doc)
    assert accounts(doc) == [4]
    doc.engine.check_against_full()


def test_crossing_outline_refused_with_the_reason_but_slivers_pass(doc):
    p = doc.project
    bowtie = shapely.Polygon([corner(p, 0, 0), corner(p, 2, 2), corner(p, 2, 0), corner(p, 0, 2)])
    with pytest.raises(InputError, match="crosses itself .*Self-intersection"):
        DrawTerritory(bowtie)
    # a tiny loop at a corner (a shaky double-click) is a sliver: dropped silently
    a, b, c, d = corner(p, 0, 0), corner(p, 2, 0), corner(p, 2, 2), corner(p, 0, 2)
    jitter = shapely.Polygon([a, b, c, (c[0] + 30.0, c[1] + 10.0), (c[0] + 30.0, c[1] - 10.0), d])
    assert not jitter.is_valid
    fixed = checked_shape(jitter)
    assert fixed.is_valid and fixed.geom_type == "Polygon"
    assert fixed.area == pytest.approx(shapely.Polygon([a, b, c, d]).area, rel=1e-3)
    with pytest.raises(InputError, match="empty"):
        checked_shape(shapely.Polygon())
    with pytest.raises(InputError, match="polygon"):
        checked_shape(shapely.LineString([a, b]))


def test_reshape_locked_and_undo(doc):
    draw(doc, 0, 0, 2, 2)
    sc = doc.scenario
    tid = sc.territories[0].id
    old = sc.shapes[tid]
    cmd = ReshapeTerritory(tid, old, box_between(doc.project, 0, 0, 1, 2))
    cmd.redo(doc)
    assert accounts(doc) == [2]
    cmd.undo(doc)
    assert accounts(doc) == [4] and sc.shapes[tid] is old
    sc.territories[0].locked = True
    with pytest.raises(LockedError):
        ReshapeTerritory(tid, old, box_between(doc.project, 0, 0, 1, 2)).redo(doc)


def test_split_with_a_line(doc):
    draw(doc, 0, 0, 4, 2, name="Wide")
    p = doc.project
    line = shapely.LineString([corner(p, 1, -0.5), corner(p, 1, 2.5)])  # cuts off column 0
    cmd = SplitTerritory(doc.scenario.territories[0].id, line)
    cmd.redo(doc)
    sc = doc.scenario
    assert [t.name for t in sc.territories] == ["Wide", "Wide (2)"]
    assert accounts(doc) == [6, 2]  # the larger piece keeps the territory
    doc.engine.check_against_full()
    cmd.undo(doc)
    assert [t.name for t in sc.territories] == ["Wide"] and accounts(doc) == [8]
    with pytest.raises(InputError, match="cross the territory"):
        SplitTerritory(sc.territories[0].id, shapely.LineString([corner(p, 5, 5), corner(p, 6, 6)])).redo(doc)


def test_merge_and_panel_merge(doc):
    draw(doc, 0, 0, 2, 2, name="A")
    draw(doc, 2, 0, 4, 2, name="B")
    sc = doc.scenario
    cmd = MergeTerritories(sc.territories[0].id, sc.territories[1].id)
    cmd.redo(doc)
    assert [t.name for t in sc.territories] == ["A"] and accounts(doc) == [8]
    assert doc.stats().pieces[0] == 1
    cmd.undo(doc)
    assert [t.name for t in sc.territories] == ["A", "B"] and accounts(doc) == [4, 4]
    # the territory panel's "Merge into" goes through commands.merge_territories
    panel = merge_territories(doc, 0, 1)
    assert isinstance(panel, MergeTerritories)
    panel.redo(doc)
    assert accounts(doc) == [8]


def test_from_units(doc):
    p = doc.project
    units = [p.units.index_of(u) for u in ("U0000", "U0001", "U0100")]  # an L of three cells
    outline = units_outline(p, units)
    assert outline.area == pytest.approx(sum(shapely.area(shapely.get_parts(outline))), rel=1e-9)
    cmd = from_units(p, units, name="L")
    cmd.redo(doc)
    assert accounts(doc) == [3]
    s = doc.stats()
    pop = p.units.numeric["population"][units].sum()
    assert s.value[0, s.field_index("population")] == pytest.approx(pop, rel=1e-3)
    with pytest.raises(InputError, match="at least one unit"):
        units_outline(p, [])


def test_clip_by_neighbour_fixes_the_overlap(doc):
    draw(doc, 0, 0, 3, 2, name="A")
    draw(doc, 2, 0, 5, 2, name="B")
    assert accounts(doc) == [6, 6] and len(doc.engine.overlaps()) == 1
    sc = doc.scenario
    cmd = ClipByNeighbour(sc.territories[0].id, sc.territories[1].id)
    cmd.redo(doc)
    assert accounts(doc) == [4, 6] and doc.engine.overlaps() == []
    cmd.undo(doc)
    assert accounts(doc) == [6, 6]
    draw(doc, 0, 3, 1, 4, name="Far")
    with pytest.raises(InputError, match="do not overlap"):
        ClipByNeighbour(sc.territories[0].id, sc.territories[2].id).redo(doc)


def test_panel_delete_and_add_keep_shapes_straight(doc):
    draw(doc, 0, 0, 2, 2)
    draw(doc, 2, 0, 4, 2)
    sc = doc.scenario
    gone = sc.territories[1].id
    cmd = DeleteTerritory(1)
    cmd.redo(doc)
    assert gone not in sc.shapes and accounts(doc) == [4]
    AddTerritory("New").redo(doc)  # may reuse the id: it must not inherit the deleted polygon
    assert accounts(doc) == [4, 0] and doc.stats().pieces.tolist() == [1, 0]
    doc.project.scenario.territories.pop()
    doc.rebuild()
    cmd.undo(doc)
    assert accounts(doc) == [4, 4] and gone in sc.shapes


def test_scenario_switch_duplicate(doc):
    draw(doc, 0, 0, 2, 2)
    SwitchScenario("Base").redo(doc)
    assert not doc.scenario.is_freeform
    SwitchScenario("Drawn").redo(doc)
    assert accounts(doc) == [4]
    copy = doc.project.get_scenario("Drawn").copy("Drawn 2")
    assert copy.shapes == doc.scenario.shapes and copy.shapes is not doc.scenario.shapes
    assert np.all(copy.assignment == -1)
