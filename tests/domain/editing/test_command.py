"""The one undo history (CommandStack): push = do, undo, redo, macros, the clean state, labels."""
from __future__ import annotations

import numpy as np
import pytest

from territory_desk.domain.editing.command import Command, CommandStack, HistoryError
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import SwitchScenario
from territory_desk.domain.editing.territories import EditTerritory, MoveUnits, merge_territories
from territory_desk.domain.model.errors import InputError, LockedError

from tests.conftest import make_grid_project


class Append(Command):
    """Appends a letter to a list on the document (a command with nothing else to it)."""

    def __init__(self, letter: str, refuse: bool = False):
        self.letter, self.refuse = letter, refuse
        self.text = f"Append {letter}"

    def redo(self, doc) -> None:
        if self.refuse:
            raise InputError(f"{self.letter} is refused")
        doc.letters.append(self.letter)

    def undo(self, doc) -> None:
        assert doc.letters.pop() == self.letter


class Board:
    def __init__(self):
        self.letters: list[str] = []


@pytest.fixture
def stack():
    return CommandStack(Board())


def letters(stack: CommandStack) -> str:
    return "".join(stack.doc.letters)


def test_push_does_and_undo_redo_walk_the_history(stack):
    seen = []
    stack.listeners.append(lambda: seen.append(stack.index))
    for c in "abc":
        stack.push(Append(c))
    assert letters(stack) == "abc" and stack.index == len(stack) == 3 and seen == [1, 2, 3]
    assert stack.undo().letter == "c" and stack.undo().letter == "b"
    assert letters(stack) == "a" and stack.index == 1 and stack.can_undo and stack.can_redo
    assert stack.undo_text == "Append a" and stack.redo_text == "Append b"
    assert stack.redo().letter == "b" and letters(stack) == "ab"
    stack.set_index(0)
    assert letters(stack) == "" and not stack.can_undo and stack.undo() is None
    stack.set_index(3)
    assert letters(stack) == "abc" and not stack.can_redo and stack.redo() is None
    assert stack.labels == ["Append a", "Append b", "Append c"]
    with pytest.raises(HistoryError):
        stack.set_index(4)


def test_a_new_push_clears_what_could_be_redone(stack):
    for c in "abc":
        stack.push(Append(c))
    stack.undo()
    stack.undo()
    stack.push(Append("x"))
    assert letters(stack) == "ax" and len(stack) == 2 and not stack.can_redo
    assert stack.labels == ["Append a", "Append x"]


def test_a_refused_push_leaves_the_history_as_it_was(stack):
    stack.push(Append("a"))
    stack.push(Append("b"))
    stack.undo()
    with pytest.raises(InputError, match="refused"):
        stack.push(Append("z", refuse=True))
    assert letters(stack) == "a" and len(stack) == 2 and stack.redo_text == "Append b"


def test_macro_groups_pushes_into_one_step_all_or_nothing(stack):
    with stack.macro("Append two") as group:
        stack.push(Append("a"))
        stack.push(Append("b"))
        assert stack.in_macro and not stack.can_undo
    assert len(stack) == 1 and group.parts and stack.undo_text == "Append two" and letters(stack) == "ab"
    stack.undo()
    assert letters(stack) == ""
    stack.redo()
    assert letters(stack) == "ab"
    with pytest.raises(InputError):
        with stack.macro("Append three"):
            stack.push(Append("c"))
            stack.push(Append("d"))
            stack.push(Append("e", refuse=True))
    assert letters(stack) == "ab" and len(stack) == 1 and not stack.in_macro  # c and d were undone
    with stack.macro("nothing"):
        pass
    assert len(stack) == 1  # an empty macro records no step


def test_clean_state_follows_saves_undo_and_redo(stack):
    assert stack.is_clean
    stack.push(Append("a"))
    assert not stack.is_clean
    stack.mark_saved()
    assert stack.is_clean
    stack.push(Append("b"))
    assert not stack.is_clean
    stack.undo()
    assert stack.is_clean  # back where the file is
    stack.undo()
    assert not stack.is_clean
    stack.push(Append("x"))  # the saved state ("a") can no longer be reached
    stack.undo()
    assert not stack.is_clean and letters(stack) == ""


def test_out_of_step_callers_are_told(stack):
    a, b = Append("a"), Append("b")
    stack.push(a)
    stack.push(b)
    with pytest.raises(HistoryError, match="out of step"):
        stack.undo(expected=a)
    assert stack.undo(expected=b) is b and letters(stack) == "a"


def test_a_step_that_refuses_on_redo_is_dropped(stack):
    c = Append("c")
    stack.push(Append("a"))
    stack.push(c)
    stack.undo()
    c.refuse = True
    with pytest.raises(InputError):
        stack.redo()
    assert len(stack) == 1 and not stack.can_redo and letters(stack) == "a"


def test_document_executes_commands_on_its_history():
    p = make_grid_project()
    doc = Document(p)
    before = p.scenario.assignment.copy()
    cmd = doc.execute(MoveUnits([0, 1, 4], 2))
    assert cmd.moved_units == [0, 1] and cmd.text == "Move 2 units to Territory 2"  # unit 4 was there already
    assert doc.execute(MoveUnits([3], -1)).text == "Unassign 1 unit"
    assert doc.history.labels == ["Move 2 units to Territory 2", "Unassign 1 unit"] and not doc.history.is_clean
    doc.undo()
    doc.undo()
    assert np.array_equal(p.scenario.assignment, before) and doc.history.is_clean
    doc.redo()
    assert p.scenario.assignment[0] == 2
    doc.engine.check_against_full()
    p.scenario.territories[1].locked = True
    with pytest.raises(LockedError):
        doc.execute(MoveUnits([0], 1))
    assert doc.history.index == 1 and doc.history.can_redo  # the refused command left no trace


def test_labels_are_written_for_the_user():
    p = make_grid_project()
    doc = Document(p)
    doc.execute(EditTerritory(0, name="Boston Area"))
    doc.execute(EditTerritory(0, rep_id="R2"))
    doc.execute(EditTerritory(0, rep_id=None))
    doc.execute(EditTerritory(1, locked=True))
    doc.execute(EditTerritory(1, region_id=None))
    doc.execute(EditTerritory(2, color="#123456"))
    doc.execute(merge_territories(doc, 0, 2))
    doc.execute(SwitchScenario("Base"))
    assert doc.history.labels == [
        "Rename territory Territory 0 to Boston Area", "Give Boston Area to Rep 2", "Take the rep off Boston Area",
        "Lock territory Territory 1", "Take Territory 1 out of its region", "Change the colour of Territory 2",
        "Merge Territory 2 into Boston Area", "Switch to scenario Base"]
    assert not any("_id" in text for text in doc.history.labels)


def test_region_and_pin_labels_name_what_they_touch():
    from territory_desk.domain.editing.regions import AddRegion, MoveTerritories, RenameRegion, SetRegionParent
    from territory_desk.domain.editing.territory_layers import PinAccounts

    doc = Document(make_grid_project())
    add = doc.execute(AddRegion("West"))
    doc.execute(RenameRegion(add.region_id, "Pacific"))
    doc.execute(SetRegionParent("R1", add.region_id))
    doc.execute(SetRegionParent("R1", None))
    doc.execute(MoveTerritories([0, 1], add.region_id))
    doc.execute(MoveTerritories([2], None))
    doc.execute(PinAccounts(["A001"], "T1"))
    assert doc.history.labels[1:] == [
        "Rename region West to Pacific", "Move region Region one under Pacific",
        "Move region Region one to the top level",
        "Move 2 territories to region Pacific", "Take 1 territory out of its region", "Pin A001 to Territory 1"]
