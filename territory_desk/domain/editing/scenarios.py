"""Undoable commands that add whole scenarios (the result of automatic design lands through here).

Kept apart from territories.py (the editor's edits) so areas that produce scenarios do not touch it.
"""
from __future__ import annotations

from territory_desk.domain.editing.territories import Command
from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Scenario


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
        if any(s.name == self.scenario.name for s in p.scenarios):
            raise InputError(f"a scenario named {self.scenario.name!r} exists already")
        if len(self.scenario.assignment) != len(p.units):
            raise InputError(f"scenario {self.scenario.name!r} does not cover every unit")
        self.previous = p.active
        p.scenarios.append(self.scenario)
        if self.activate:
            p.active = self.scenario.name
            doc.rebuild()
        doc.notify(Change("scenario"))

    def undo(self, doc: Document) -> None:
        p = doc.project
        p.scenarios = [s for s in p.scenarios if s is not self.scenario]
        if p.active != self.previous:
            p.active = self.previous
            doc.rebuild()
        doc.notify(Change("scenario"))
