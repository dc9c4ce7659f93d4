"""The open project being edited: project data, the live engine of the active scenario, and the
undo history.

Every edit is a command run through the document's history (``execute``: see command.py); the
document keeps the active scenario's data and its engine in step, checks locks, and tells
listeners what changed (changes.py). Listeners are plain callables (the Qt layer adapts them to
signals); nothing here knows Qt.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import numpy as np

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command, CommandStack
from territory_desk.domain.model.errors import InputError, LockedError
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territories import UNASSIGNED, Scenario
from territory_desk.domain.stats.engine import Engine
from territory_desk.domain.stats.freeform_engine import FreeformEngine
from territory_desk.domain.stats.kinds import ShapeStatsEngine, StatsEngine, UnitStatsEngine, engine_for
from territory_desk.domain.stats.metrics import Stats

C = TypeVar("C", bound=Command)


class Document:
    def __init__(self, project: Project, path: str | None = None) -> None:
        self.project = project
        self.path = path
        self.listeners: list[Callable[[Change], None]] = []
        self.history = CommandStack(self)
        self.engine: StatsEngine = engine_for(project)

    # ---- running commands ----------------------------------------------------------------------
    def execute(self, command: C) -> C:
        """Run ``command`` as the next step of the undo history and return it: what it did is read
        from its public attributes (``MoveUnits.moved_units``, ``AddLayer.scenario``, ...). A
        refused command raises a TerritoryDeskError and changes nothing."""
        self.history.push(command)
        return command

    def undo(self) -> Command | None:
        return self.history.undo()

    def redo(self) -> Command | None:
        return self.history.redo()

    # ---- reading -------------------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        return self.project.scenario

    @property
    def fields(self) -> list[str]:
        return self.engine.fields

    def stats(self) -> Stats:
        return self.engine.stats()

    def territory_of(self, unit: int) -> int:
        """Territory index of a unit in the active scenario (UNASSIGNED: none; always so in a
        freeform scenario, whose territories are not made of units)."""
        return int(self.scenario.assignment[unit])

    @property
    def unit_engine(self) -> UnitStatsEngine:
        """The engine of the active unit scenario; InputError in a freeform one."""
        if not isinstance(self.engine, Engine):
            raise InputError(f"scenario {self.scenario.name!r} is freeform: its territories are drawn polygons, "
                             "reshape them on the map instead of assigning units")
        return self.engine

    @property
    def shape_engine(self) -> ShapeStatsEngine:
        """The engine of the active freeform scenario; InputError in a unit one."""
        if not isinstance(self.engine, FreeformEngine):
            raise InputError(f"scenario {self.scenario.name!r} is not freeform: its territories are made of units")
        return self.engine

    # ---- notifications -------------------------------------------------------------------------
    def notify(self, change: Change) -> None:
        for fn in list(self.listeners):
            fn(change)

    def rebuild(self) -> None:
        """Full recompute after structural edits (territories added/removed, scenario switched, pins
        or layers changed): a new engine, since the counted accounts may differ."""
        self.engine = engine_for(self.project)

    def reload_data(self) -> None:
        """New engine after the data changed (accounts or unit columns imported: the metric fields
        may differ); listeners get a DATA change."""
        self.engine = engine_for(self.project)
        self.notify(Change(ChangeKind.DATA))

    # ---- assignment edits ----------------------------------------------------------------------
    def check_editable(self, units: Iterable[int], dst: int) -> None:
        """Refuse an assignment of ``units`` to ``dst`` that takes units out of, or puts them into,
        a locked territory."""
        terrs = self.scenario.territories
        if dst != UNASSIGNED and terrs[dst].locked:
            raise LockedError(f"territory {terrs[dst].name!r} is locked")
        if not any(t.locked for t in terrs):
            return
        src = np.unique(self.scenario.assignment[np.fromiter(units, dtype=np.int64)])
        for s in src.tolist():
            if s != UNASSIGNED and s != dst and terrs[s].locked:
                raise LockedError(f"territory {terrs[s].name!r} is locked")

    def move_units(self, units: Iterable[int], dst: int, notify: bool = True) -> list[tuple[int, int]]:
        """Assign units to territory index ``dst``; returns the inverse [(unit, previous)]."""
        units = [int(u) for u in units]
        engine = self.unit_engine
        if not (UNASSIGNED <= dst < len(self.scenario.territories)):
            raise InputError(f"no territory with index {dst}")
        self.check_editable(units, dst)
        undo = engine.move(units, dst)
        if undo:
            moved = np.fromiter((u for u, _ in undo), dtype=np.int64, count=len(undo))
            self.scenario.assignment[moved] = dst
            if notify:
                touched = {dst, *(s for _, s in undo)}
                self.notify(Change(ChangeKind.ASSIGNMENT, moved, touched))
        return undo

    def apply_changes(self, changes: Sequence[tuple[int, int]], notify: bool = True) -> list[tuple[int, int]]:
        """Set (unit, territory) pairs without lock checks (undo/redo of checked edits)."""
        undo = self.unit_engine.apply(changes)
        if changes:
            us = np.fromiter((u for u, _ in changes), dtype=np.int64, count=len(changes))
            ts = np.fromiter((t for _, t in changes), dtype=np.int64, count=len(changes))
            self.scenario.assignment[us] = ts
            if notify:
                self.notify(Change(ChangeKind.ASSIGNMENT, us, {*ts.tolist(), *(t for _, t in undo)}))
        return undo
