"""Scenario kinds: the one place that chooses, for a scenario, its statistics engine and where its
accounts count.

A scenario is of one of two kinds (``Scenario.is_freeform``):

* a unit scenario: territories are sets of base units (``Scenario.assignment``); its engine is
  ``engine.Engine`` (moves of units, incremental sums, perimeters and contiguity) and an account
  counts in the territory of the unit it lies in;
* a freeform scenario: territories are drawn polygons (``Scenario.shapes``); its engine is
  ``freeform_engine.FreeformEngine`` (reshapes of polygons) and an account counts in the polygon
  around it.

Both engines implement ``StatsEngine``, what the rest of the application reads whatever the kind.
What only one kind can do is in ``UnitStatsEngine`` (move units) and ``ShapeStatsEngine`` (reshape
polygons); ``editing.document.Document`` hands those out checked, as ``unit_engine`` and
``shape_engine``. The editing layer's one kind switch for commands is
``editing.territories.merge_territories``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from territory_desk.domain.stats.engine import Engine
from territory_desk.domain.stats.freeform_engine import FreeformEngine, freeform_account_territories
from territory_desk.domain.stats.membership import unit_account_territories, with_layer_and_pins
from territory_desk.domain.stats.metrics import Stats


class StatsEngine(Protocol):
    """The live statistics of the active scenario, whatever its kind."""

    fields: list[str]  # metric keys, the columns of every figure
    values: np.ndarray  # (units, fields) what each unit holds (the map's tooltip)
    n_territories: int

    def stats(self) -> Stats:
        """A snapshot of every per-territory figure."""
        ...

    def add_territory(self) -> int:
        """Append an empty territory; returns its index."""
        ...

    def check_against_full(self, rtol: float = 1e-9) -> None:
        """Assert the incremental state equals a full recompute (tests and debugging)."""
        ...


class UnitStatsEngine(StatsEngine, Protocol):
    """What only a unit scenario's engine does: territories are sets of units that move."""

    @property
    def assignment(self) -> np.ndarray:
        """Territory index of every unit (a copy)."""
        ...

    def territory_of(self, unit: int) -> int:
        ...

    def units_of(self, territory: int) -> np.ndarray:
        ...

    def move(self, units: Iterable[int], dst: int) -> list[tuple[int, int]]:
        """Move units to territory ``dst``; returns [(unit, previous territory)] for undo."""
        ...

    def apply(self, changes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Set each (unit, territory); returns the inverse changes."""
        ...


class ShapeStatsEngine(StatsEngine, Protocol):
    """What only a freeform scenario's engine does: territories are polygons that change shape."""

    shapes: list[Any]  # the polygon of every territory slot (None: no shape yet)

    def set_shape(self, t: int, geom: Any) -> None:
        """Give territory ``t`` a polygon (None: no shape); re-evaluates that polygon only."""
        ...

    def overlaps(self) -> list[tuple[int, int, np.ndarray]]:
        """[(t1, t2, account rows inside both)] for every pair of territories sharing accounts."""
        ...

    def uncovered(self) -> np.ndarray:
        """Account rows (placed by location) inside no territory."""
        ...


def engine_for(project, scenario=None) -> StatsEngine:
    """The engine of a scenario (default: the active one), chosen by its kind."""
    scenario = scenario or project.scenario
    if scenario.is_freeform:
        return FreeformEngine.for_scenario(project, scenario)
    return Engine.for_scenario(project, scenario)


def account_territories(project, scenario=None) -> np.ndarray:
    """Territory index of every account in ``scenario`` (default: active); -1 = counted nowhere
    (another layer's account, outside every unit or polygon, or in an unassigned unit). Pinned
    accounts count in their pinned territory."""
    scenario = scenario or project.scenario
    if scenario.is_freeform:
        by_place = freeform_account_territories(project, scenario)
    else:
        by_place = unit_account_territories(project, scenario)
    return with_layer_and_pins(project, scenario, by_place)
