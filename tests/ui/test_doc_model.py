"""The Qt adapter over the domain Document: every change kind has its signals, and the QUndoStack
(with the history dock) shows and walks the domain's one undo history."""
from __future__ import annotations

import pytest

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territories import EditTerritory, MoveUnits
from territory_desk.domain.model.errors import LockedError
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.shell.undo_view import undo_history_view

from tests.conftest import make_grid_project


@pytest.fixture
def model(qtbot):
    return DocModel(Document(make_grid_project()))


def test_every_change_kind_is_handled_by_the_qt_adapter(model):
    # a kind added to ChangeKind without its signals in DocModel.SIGNALS fails here
    assert set(DocModel.SIGNALS) == set(ChangeKind)
    fired: list[str] = []
    names = {n for signals in DocModel.SIGNALS.values() for n in signals}
    for name in names:
        getattr(model, name).connect(lambda *args, n=name: fired.append(n))
    for kind in ChangeKind:
        fired.clear()
        model.doc.notify(Change(kind))
        assert fired == list(DocModel.SIGNALS[kind]) and fired, kind


def test_a_change_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        Change("territory")  # a typo no longer drops a refresh silently


def test_the_qt_undo_stack_wraps_the_domain_history(model, qtbot):
    doc, qt = model.doc, model.undo_stack
    assert model.push(MoveUnits([0, 1], 2)) and model.push(EditTerritory(0, name="Boston Area"))
    assert qt.count() == len(doc.history) == 2 and qt.undoText() == "Rename territory Territory 0 to Boston Area"
    view = undo_history_view(qt)
    rows = [view.model().index(i, 0).data() for i in range(view.model().rowCount())]
    assert rows == ["<opened>", "Move 2 units to Territory 2", "Rename territory Territory 0 to Boston Area"]
    qt.undo()
    assert doc.history.index == 1 and doc.scenario.territories[0].name == "Territory 0"
    qt.setIndex(0)  # what a click on "<opened>" in the history dock does
    assert doc.history.index == 0 and doc.territory_of(0) == 0 and doc.history.is_clean and not model.dirty
    qt.redo()
    assert doc.history.index == 1 and doc.territory_of(0) == 2 and model.dirty
    qt.setClean()  # after a save
    assert doc.history.is_clean and not model.dirty
    doc.scenario.territories[1].locked = True
    assert not model.push(MoveUnits([2], 0))  # refused: neither history changes
    assert qt.count() == len(doc.history) == 2 and qt.index() == doc.history.index == 1
    with qtbot.waitSignal(model.messageRequested, timeout=100, raising=False) as blocker:
        model.push(MoveUnits([2], 0))
    assert blocker.args and "locked" in blocker.args[0]


def test_a_live_preview_lands_as_one_labelled_step(model):
    assert model.preview_move([0], 2) and model.preview_move([1, 6], 2)
    model.commit_preview()
    assert model.undo_stack.count() == 1 and model.undo_stack.undoText() == "Move 3 units to Territory 2"
    model.undo_stack.undo()
    assert [model.doc.territory_of(u) for u in (0, 1, 6)] == [0, 0, 0]
    model.undo_stack.redo()
    assert [model.doc.territory_of(u) for u in (0, 1, 6)] == [2, 2, 2]
    model.doc.engine.check_against_full()


def test_locked_error_is_reported_not_raised(model):
    model.doc.scenario.territories[2].locked = True
    messages = []
    model.messageRequested.connect(messages.append)
    assert not model.preview_move([0], 2)
    assert messages and "locked" in messages[0]
    with pytest.raises(LockedError):
        model.doc.move_units([0], 2)
