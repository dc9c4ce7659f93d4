"""Every user edit is a command with redo/undo over a Document (no Qt: the UI wraps these in
QUndoCommands on one QUndoStack; the CLI calls redo once)."""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import UNASSIGNED, Scenario, Territory


class Command:
    text = "Edit"

    def redo(self, doc: Document) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self, doc: Document) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class MoveUnits(Command):
    """Assign units to a territory. Built from an already applied live preview via ``applied``."""

    def __init__(self, units: Sequence[int], dst: int, text: str = "", applied: list | None = None):
        self.units = [int(u) for u in units]
        self.dst = dst
        self.text = text or f"Assign {len(self.units)} unit(s)"
        self._undo: list[tuple[int, int]] | None = applied
        self._skip_first_redo = applied is not None

    def redo(self, doc: Document) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._undo = doc.move_units(self.units, self.dst)

    def undo(self, doc: Document) -> None:
        if self._undo:
            doc.apply_changes(list(reversed(self._undo)))


class MacroCommand(Command):
    def __init__(self, text: str, parts: list[Command]):
        self.text, self.parts = text, parts

    def redo(self, doc: Document) -> None:
        done: list[Command] = []
        try:
            for p in self.parts:
                p.redo(doc)
                done.append(p)
        except Exception:
            for p in reversed(done):  # all or nothing: a refused part rolls back the others
                p.undo(doc)
            raise

    def undo(self, doc: Document) -> None:
        for p in reversed(self.parts):
            p.undo(doc)


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
        doc.notify(Change("territories", territories={len(sc.territories) - 1}))

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        sc.territories.pop()
        doc.rebuild()
        doc.notify(Change("territories"))


EDITABLE = {"name", "color", "region_id", "rep_id", "locked"}


class EditTerritory(Command):
    """Change territory properties: name, color, region_id, rep_id, locked."""

    def __init__(self, index: int, **changes):
        bad = set(changes) - EDITABLE
        if bad:
            raise InputError(f"cannot edit territory field(s) {sorted(bad)}")
        self.index, self.changes = index, changes
        self.old: dict = {}
        self.text = "Edit territory " + ", ".join(sorted(changes))

    def _set(self, doc: Document, values: dict) -> None:
        t = doc.scenario.territories[self.index]
        for k, v in values.items():
            setattr(t, k, v)
        doc.notify(Change("territories", territories={self.index}))

    def redo(self, doc: Document) -> None:
        t = doc.scenario.territories[self.index]
        self.old = {k: getattr(t, k) for k in self.changes}
        self._set(doc, self.changes)

    def undo(self, doc: Document) -> None:
        self._set(doc, self.old)


class DeleteTerritory(Command):
    """Remove a territory; its units become unassigned."""

    def __init__(self, index: int):
        self.index = index
        self.text = "Delete territory"
        self._saved: tuple[Territory, np.ndarray] | None = None

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        doc.check_editable(np.flatnonzero(sc.assignment == self.index), UNASSIGNED)
        a = sc.assignment
        shape = sc.shapes.pop(sc.territories[self.index].id, None) if sc.shapes is not None else None
        self._saved = (sc.territories[self.index], a.copy(), shape)
        a[a == self.index] = UNASSIGNED
        a[a > self.index] -= 1
        del sc.territories[self.index]
        doc.rebuild()
        doc.notify(Change("territories"))

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        territory, assignment, shape = self._saved
        sc = doc.scenario
        sc.territories.insert(self.index, territory)
        if shape is not None:  # a freeform territory's polygon
            sc.shapes[territory.id] = shape
        sc.assignment[:] = assignment
        doc.rebuild()
        doc.notify(Change("territories"))


def merge_territories(doc: Document, keep: int, remove: int) -> Command:
    """Merge territory ``remove`` into ``keep`` (one undo step)."""
    if doc.scenario.shapes is not None:  # freeform: the union of the two polygons
        from territory_desk.domain.editing.freeform import merge_command

        return merge_command(doc, keep, remove)
    units = np.flatnonzero(doc.scenario.assignment == remove).tolist()
    return MacroCommand(
        f"Merge {doc.scenario.territories[remove].name} into {doc.scenario.territories[keep].name}",
        [MoveUnits(units, keep), DeleteTerritory(remove)],
    )


# ---- scenarios ---------------------------------------------------------------------------------
@dataclass
class SwitchScenario(Command):
    name: str
    text: str = "Switch scenario"
    previous: str = field(default="", init=False)

    def _activate(self, doc: Document, name: str) -> None:
        doc.project.get_scenario(name)  # validates
        doc.project.active = name
        doc.rebuild()
        doc.notify(Change("scenario"))

    def redo(self, doc: Document) -> None:
        self.previous = doc.project.active
        self._activate(doc, self.name)

    def undo(self, doc: Document) -> None:
        self._activate(doc, self.previous)


def unique_scenario_name(project, base: str) -> str:
    """``base``, or ``base (2)``, ``base (3)``… whichever no scenario of the project uses yet."""
    names = {s.name for s in project.scenarios}
    if base not in names:
        return base
    n = 2
    while f"{base} ({n})" in names:
        n += 1
    return f"{base} ({n})"


class DuplicateScenario(Command):
    def __init__(self, source: str, name: str | None = None):
        self.source, self.name = source, name
        self.text = f"Duplicate scenario {source}"

    def redo(self, doc: Document) -> None:
        self.name = self.name or unique_scenario_name(doc.project, f"{self.source} copy")
        if any(s.name == self.name for s in doc.project.scenarios):
            raise InputError(f"a scenario named {self.name!r} exists already")
        doc.project.scenarios.append(doc.project.get_scenario(self.source).copy(self.name))
        doc.notify(Change("scenario"))

    def undo(self, doc: Document) -> None:
        doc.project.scenarios = [s for s in doc.project.scenarios if s.name != self.name]
        doc.notify(Change("scenario"))


class RenameScenario(Command):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new.strip()
        self.text = f"Rename scenario {old}"

    def _rename(self, doc: Document, a: str, b: str) -> None:
        if not b:
            raise InputError("a scenario needs a name")
        if any(s.name == b for s in doc.project.scenarios):
            raise InputError(f"a scenario named {b!r} exists already")
        doc.project.get_scenario(a).name = b
        if doc.project.active == a:
            doc.project.active = b
        doc.notify(Change("scenario"))

    def redo(self, doc: Document) -> None:
        self._rename(doc, self.old, self.new)

    def undo(self, doc: Document) -> None:
        self._rename(doc, self.new, self.old)


class DeleteScenario(Command):
    def __init__(self, name: str):
        self.name = name
        self.text = f"Delete scenario {name}"
        self._saved: tuple[int, Scenario] | None = None

    def redo(self, doc: Document) -> None:
        p = doc.project
        if len(p.scenarios) == 1:
            raise InputError("cannot delete the only scenario")
        if p.active == self.name:
            raise InputError("cannot delete the active scenario; switch to another first")
        sc = p.get_scenario(self.name)
        self._saved = (p.scenarios.index(sc), sc)
        p.scenarios.remove(sc)
        doc.notify(Change("scenario"))

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        doc.project.scenarios.insert(*self._saved)
        doc.notify(Change("scenario"))
