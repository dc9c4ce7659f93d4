"""The open project being edited: project data + the live engine of the active scenario.

The document applies edits (through command objects, see territories.py), keeps the active
scenario's assignment and the engine in step, checks locks, and tells listeners what changed.
Listeners are plain callables (the Qt layer adapts them to signals); nothing here knows Qt.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.stats.engine import Engine, engine_for
from territory_desk.domain.model.errors import InputError, LockedError
from territory_desk.domain.stats.metrics import Stats
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territories import UNASSIGNED, Scenario


@dataclass
class Change:
    """What an edit changed: 'assignment' (with unit indices), 'territories', 'scenario', 'data'
    (accounts, reps or unit columns replaced: metric fields may have changed)."""

    kind: str
    units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    territories: set[int] = field(default_factory=set)


class Document:
    def __init__(self, project: Project, path: str | None = None) -> None:
        self.project = project
        self.path = path
        self.listeners: list[Callable[[Change], None]] = []
        self.revision = 0  # bumps on every change; the UI compares it with the saved revision
        self.engine: Engine = engine_for(project)

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
        return self.engine.territory_of(unit)

    # ---- notifications -------------------------------------------------------------------------
    def notify(self, change: Change) -> None:
        self.revision += 1
        for fn in list(self.listeners):
            fn(change)

    def rebuild(self) -> None:
        """Full recompute after structural edits (territories added/removed, scenario switched, pins
        or layers changed): a new engine, since the counted accounts may differ."""
        self.engine = engine_for(self.project)

    def reload_data(self) -> None:
        """New engine after the data changed (accounts or unit columns imported: the metric fields
        may differ); listeners get a 'data' change."""
        self.engine = engine_for(self.project)
        self.notify(Change("data"))

    # ---- assignment edits ----------------------------------------------------------------------
    def check_editable(self, units: Sequence[int], dst: int) -> None:
        terrs = self.scenario.territories
        if dst != UNASSIGNED and terrs[dst].locked:
            raise LockedError(f"territory {terrs[dst].name!r} is locked")
        for u in units:
            src = self.engine.territory_of(int(u))
            if src != UNASSIGNED and src != dst and terrs[src].locked:
                raise LockedError(f"territory {terrs[src].name!r} is locked")

    def move_units(self, units: Iterable[int], dst: int, notify: bool = True) -> list[tuple[int, int]]:
        """Assign units to territory index ``dst``; returns the inverse [(unit, previous)]."""
        units = [int(u) for u in units]
        if self.scenario.shapes is not None:
            raise InputError(f"scenario {self.scenario.name!r} is freeform: its territories are drawn polygons, "
                             "reshape them on the map instead of assigning units")
        if not (UNASSIGNED <= dst < len(self.scenario.territories)):
            raise InputError(f"no territory with index {dst}")
        self.check_editable(units, dst)
        undo = self.engine.move(units, dst)
        if undo:
            moved = np.fromiter((u for u, _ in undo), dtype=np.int64, count=len(undo))
            self.scenario.assignment[moved] = dst
            if notify:
                touched = {dst, *(s for _, s in undo)}
                self.notify(Change("assignment", moved, touched))
        return undo

    def apply_changes(self, changes: Sequence[tuple[int, int]], notify: bool = True) -> list[tuple[int, int]]:
        """Set (unit, territory) pairs without lock checks (undo/redo of checked edits)."""
        undo = self.engine.apply(changes)
        if changes:
            us = np.fromiter((u for u, _ in changes), dtype=np.int64, count=len(changes))
            ts = np.fromiter((t for _, t in changes), dtype=np.int64, count=len(changes))
            self.scenario.assignment[us] = ts
            if notify:
                self.notify(Change("assignment", us, {*ts.tolist(), *(t for _, t in undo)}))
        return undo
