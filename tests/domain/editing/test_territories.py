"""Commands do and undo exactly; locks refuse edits."""
import numpy as np
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import DeleteScenario, DuplicateScenario, RenameScenario, SwitchScenario
from territory_desk.domain.editing.territories import (
    AddTerritory,
    DeleteTerritory,
    EditTerritory,
    MoveUnits,
    merge_territories,
)
from territory_desk.domain.model.errors import InputError, LockedError


def test_move_undo_redo(grid_project):
    doc = Document(grid_project)
    seen = []
    doc.listeners.append(seen.append)
    start = doc.scenario.assignment.copy()
    cmd = MoveUnits([0, 1, 6], 2)
    cmd.redo(doc)
    assert (doc.scenario.assignment[[0, 1, 6]] == 2).all()
    assert seen and seen[-1].kind == "assignment"
    cmd.undo(doc)
    assert np.array_equal(doc.scenario.assignment, start)
    doc.engine.check_against_full()
    cmd.redo(doc)
    doc.engine.check_against_full()


def test_locked_territory_refuses(grid_project):
    doc = Document(grid_project)
    EditTerritory(0, locked=True).redo(doc)
    with pytest.raises(LockedError, match="locked"):
        MoveUnits([0], 1).redo(doc)
    with pytest.raises(LockedError):
        MoveUnits([5], 0).redo(doc)


def test_add_delete_merge_territory(grid_project):
    doc = Document(grid_project)
    add = AddTerritory("New", "#123456")
    add.redo(doc)
    assert doc.scenario.territories[-1].name == "New" and doc.engine.n_territories == 4
    MoveUnits([0], 3).redo(doc)
    doc.engine.check_against_full()
    before = doc.scenario.assignment.copy()
    d = DeleteTerritory(3)
    d.redo(doc)
    assert doc.scenario.assignment[0] == -1 and len(doc.scenario.territories) == 3
    d.undo(doc)
    assert np.array_equal(doc.scenario.assignment, before)
    m = merge_territories(doc, 0, 1)
    m.redo(doc)
    assert len(doc.scenario.territories) == 3 and doc.stats().units[0] == 23
    m.undo(doc)
    assert np.array_equal(doc.scenario.assignment, before)
    doc.engine.check_against_full()


def test_scenarios(grid_project):
    doc = Document(grid_project)
    DuplicateScenario("Base", "Plan B").redo(doc)
    sw = SwitchScenario("Plan B")
    sw.redo(doc)
    MoveUnits([0], 1).redo(doc)
    assert doc.project.get_scenario("Base").assignment[0] == 0
    RenameScenario("Plan B", "Plan C").redo(doc)
    assert doc.project.active == "Plan C"
    with pytest.raises(InputError):
        DeleteScenario("Plan C").redo(doc)
    sw2 = SwitchScenario("Base")
    sw2.redo(doc)
    DeleteScenario("Plan C").redo(doc)
    assert [s.name for s in doc.project.scenarios] == ["Base"]
