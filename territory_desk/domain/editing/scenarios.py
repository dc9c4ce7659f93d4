"""Undoable edits of a project's scenarios: switch the active one, add (the result of automatic
design lands through ``AddScenario``), duplicate, rename, delete."""
from __future__ import annotations

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Scenario


def unique_scenario_name(project, base: str) -> str:
    """``base``, or ``base (2)``, ``base (3)``… whichever no scenario of the project uses yet."""
    names = {s.name for s in project.scenarios}
    if base not in names:
        return base
    n = 2
    while f"{base} ({n})" in names:
        n += 1
    return f"{base} ({n})"


def _check_new_name(project, name: str) -> None:
    if not name:
        raise InputError("a scenario needs a name")
    if any(s.name == name for s in project.scenarios):
        raise InputError(f"a scenario named {name!r} exists already")


class SwitchScenario(Command):
    """Make another scenario the active one (the one the editor shows and edits)."""

    def __init__(self, name: str, text: str = ""):
        self.name = name
        self.text = text or f"Switch to scenario {name}"
        self.previous = ""

    def _activate(self, doc: Document, name: str) -> None:
        doc.project.get_scenario(name)  # validates
        doc.project.active = name
        doc.rebuild()
        doc.notify(Change(ChangeKind.SCENARIO))

    def redo(self, doc: Document) -> None:
        self.previous = doc.project.active
        self._activate(doc, self.name)

    def undo(self, doc: Document) -> None:
        self._activate(doc, self.previous)


class AddScenario(Command):
    """Add a scenario and (by default) make it active; undo removes it and restores the previous
    active scenario."""

    def __init__(self, scenario: Scenario, activate: bool = True, text: str = ""):
        self.scenario = scenario
        self.activate = activate
        self.text = text or f"Add scenario {scenario.name}"
        self.previous = ""

    def redo(self, doc: Document) -> None:
        p = doc.project
        _check_new_name(p, self.scenario.name)
        if len(self.scenario.assignment) != len(p.units):
            raise InputError(f"scenario {self.scenario.name!r} does not cover every unit")
        self.previous = p.active
        p.scenarios.append(self.scenario)
        if self.activate:
            p.active = self.scenario.name
            doc.rebuild()
        doc.notify(Change(ChangeKind.SCENARIO))

    def undo(self, doc: Document) -> None:
        p = doc.project
        p.scenarios = [s for s in p.scenarios if s is not self.scenario]
        if p.active != self.previous:
            p.active = self.previous
            doc.rebuild()
        doc.notify(Change(ChangeKind.SCENARIO))


class DuplicateScenario(Command):
    """A copy of a scenario (territories, regions, assignment, pins, drawn shapes) under a new name."""

    def __init__(self, source: str, name: str | None = None):
        self.source, self.name = source, name
        self.text = f"Duplicate scenario {source}"

    def redo(self, doc: Document) -> None:
        self.name = self.name or unique_scenario_name(doc.project, f"{self.source} copy")
        _check_new_name(doc.project, self.name)
        doc.project.scenarios.append(doc.project.get_scenario(self.source).copy(self.name))
        doc.notify(Change(ChangeKind.SCENARIO))

    def undo(self, doc: Document) -> None:
        doc.project.scenarios = [s for s in doc.project.scenarios if s.name != self.name]
        doc.notify(Change(ChangeKind.SCENARIO))


class RenameScenario(Command):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new.strip()
        self.text = f"Rename scenario {old} to {self.new}"

    def _rename(self, doc: Document, a: str, b: str) -> None:
        _check_new_name(doc.project, b)
        doc.project.get_scenario(a).name = b
        if doc.project.active == a:
            doc.project.active = b
        doc.notify(Change(ChangeKind.SCENARIO))

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
        doc.notify(Change(ChangeKind.SCENARIO))

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        doc.project.scenarios.insert(*self._saved)
        doc.notify(Change(ChangeKind.SCENARIO))
