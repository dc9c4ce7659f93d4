"""Undoable edits of the active scenario's territories: assign units, add, edit, delete, merge.

``merge_territories`` is the editing layer's one switch on the scenario kind: a unit scenario
merges by moving units, a freeform one by joining polygons (freeform.py).
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command, MacroCommand
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.freeform import MergeTerritories
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import UNASSIGNED, Scenario, Territory


def plural(n: int, word: str) -> str:
    """"1 unit", "3 units"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def move_label(scenario: Scenario, n: int, dst: int) -> str:
    """"Move 3 units to Boston Area" / "Unassign 3 units"."""
    if dst == UNASSIGNED or not 0 <= dst < len(scenario.territories):
        return f"Unassign {plural(n, 'unit')}"
    return f"Move {plural(n, 'unit')} to {scenario.territories[dst].name}"


class MoveUnits(Command):
    """Assign units to a territory (UNASSIGNED: take them out of their territory). Built from an
    already applied live preview via ``applied``. Once it ran, ``moved_units`` lists the units whose
    territory changed (the others were there already)."""

    def __init__(self, units: Sequence[int], dst: int, text: str = "", applied: list | None = None):
        self.units = [int(u) for u in units]
        self.dst = dst
        self.text = text or f"Move {plural(len(self.units), 'unit')}"
        self._labelled = bool(text)
        self._undo: list[tuple[int, int]] | None = applied
        self._skip_first_redo = applied is not None

    @property
    def moved_units(self) -> list[int]:
        return [u for u, _ in self._undo or []]

    def redo(self, doc: Document) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
        else:
            self._undo = doc.move_units(self.units, self.dst)
        if not self._labelled:
            self.text, self._labelled = move_label(doc.scenario, len(self.moved_units), self.dst), True

    def undo(self, doc: Document) -> None:
        if self._undo:
            doc.apply_changes(list(reversed(self._undo)))


class AddTerritory(Command):
    def __init__(self, name: str, color: str = "#888888", region_id: str | None = None):
        self.text = f"Add territory {name}"
        self.territory = Territory(id="", name=name, color=color, region_id=region_id)

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        if not self.territory.id:
            self.territory.id = sc.new_territory_id()
        sc.territories.append(copy.copy(self.territory))
        doc.engine.add_territory()
        doc.notify(Change(ChangeKind.TERRITORIES, territories={len(sc.territories) - 1}))

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        sc.territories.pop()
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))


EDITABLE = {"name", "color", "region_id", "rep_id", "locked"}


def edit_label(doc: Document, index: int, changes: dict[str, Any]) -> str:
    """What an edit of territory properties does, in the words of the undo history."""
    sc = doc.scenario
    name = sc.territories[index].name
    if len(changes) != 1:
        return f"Edit territory {name}"
    key, value = next(iter(changes.items()))
    if key == "name":
        return f"Rename territory {name} to {value}"
    if key == "color":
        return f"Change the colour of {name}"
    if key == "locked":
        return f"{'Lock' if value else 'Unlock'} territory {name}"
    if key == "rep_id":
        rep = doc.project.rep(value)
        return f"Give {name} to {rep.name or rep.id if rep else value}" if value else f"Take the rep off {name}"
    region = sc.region(value)
    return f"Move {name} to region {region.name if region else value}" if value else f"Take {name} out of its region"


class EditTerritory(Command):
    """Change territory properties: name, color, region_id, rep_id, locked."""

    def __init__(self, index: int, **changes: Any):
        bad = set(changes) - EDITABLE
        if bad:
            raise InputError(f"cannot edit territory field(s) {sorted(bad)}")
        self.index, self.changes = index, changes
        self.old: dict = {}
        self.text = "Edit territory"
        self._labelled = False

    def _set(self, doc: Document, values: dict) -> None:
        t = doc.scenario.territories[self.index]
        for k, v in values.items():
            setattr(t, k, v)
        doc.notify(Change(ChangeKind.TERRITORIES, territories={self.index}))

    def redo(self, doc: Document) -> None:
        if not self._labelled:
            self.text, self._labelled = edit_label(doc, self.index, self.changes), True
        t = doc.scenario.territories[self.index]
        self.old = {k: getattr(t, k) for k in self.changes}
        self._set(doc, self.changes)

    def undo(self, doc: Document) -> None:
        self._set(doc, self.old)


class DeleteTerritory(Command):
    """Remove a territory; its units become unassigned (in a freeform scenario its polygon goes)."""

    def __init__(self, index: int):
        self.index = index
        self.text = "Delete territory"
        self._saved: tuple[Territory, np.ndarray, Any] | None = None

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        doc.check_editable(np.flatnonzero(sc.assignment == self.index), UNASSIGNED)
        a = sc.assignment
        territory = sc.territories[self.index]
        self.text = f"Delete territory {territory.name}"
        shape = sc.drawn_shapes.pop(territory.id, None) if sc.is_freeform else None
        self._saved = (territory, a.copy(), shape)
        a[a == self.index] = UNASSIGNED
        a[a > self.index] -= 1
        del sc.territories[self.index]
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        territory, assignment, shape = self._saved
        sc = doc.scenario
        sc.territories.insert(self.index, territory)
        if shape is not None:  # a freeform territory's polygon
            sc.drawn_shapes[territory.id] = shape
        sc.assignment[:] = assignment
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))


def merge_territories(doc: Document, keep: int, remove: int) -> Command:
    """Merge territory ``remove`` into ``keep`` as one undo step: in a unit scenario its units move
    to ``keep`` and it is deleted; in a freeform scenario the two polygons are joined."""
    sc = doc.scenario
    text = f"Merge {sc.territories[remove].name} into {sc.territories[keep].name}"
    if sc.is_freeform:
        return MergeTerritories(sc.territories[keep].id, sc.territories[remove].id, text)
    units = np.flatnonzero(sc.assignment == remove).tolist()
    return MacroCommand(text, [MoveUnits(units, keep), DeleteTerritory(remove)])
