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
What only one kind can do stays on its own class (``Engine.move``, ``FreeformEngine.set_shape``):
``editing.document.Document`` hands those out checked, as ``unit_engine`` and ``shape_engine``.
The editing layer's one kind switch for commands is ``editing.territories.merge_territories``.
"""
from __future__ import annotations

from typing import Protocol

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
