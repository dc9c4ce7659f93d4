"""The project aggregate: units, adjacency, accounts, reps, scenarios and settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from territory_desk.domain.model.accounts import AccountTable, locate_points
from territory_desk.domain.model.activity import Activity
from territory_desk.domain.model.adjacency import Adjacency, build_adjacency
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territory_layers import TerritoryLayer, check_layers
from territory_desk.domain.model.territories import UNASSIGNED, Scenario
from territory_desk.domain.model.units import UnitLayer


@dataclass
class Project:
    units: UnitLayer
    adjacency: Adjacency
    accounts: AccountTable = field(default_factory=AccountTable.empty)
    reps: list[Rep] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    active: str = ""
    # free settings: {"balance_fields": ["potential"], "tolerance_pct": 5.0, "title": "..."}
    settings: dict[str, Any] = field(default_factory=dict)
    layers: list[TerritoryLayer] = field(default_factory=list)  # see territory_layers.py
    activity: Activity = field(default_factory=Activity)  # CRM opportunities, leads, quotas, KPI snapshots
    # what the reader repaired, exactly, when it opened the file (one line each; never saved: the next
    # save writes the repaired project). `check` lists them; the CLI and the GUI show them on open.
    repairs: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.scenarios:
            self.scenarios.append(
                Scenario("Base", assignment=np.full(len(self.units), UNASSIGNED, dtype=np.int64))
            )
        if not self.active:
            self.active = self.scenarios[0].name
        if len({s.name for s in self.scenarios}) != len(self.scenarios):
            raise InputError("two scenarios have the same name")
        if self.active not in {s.name for s in self.scenarios}:
            raise InputError(f"the active scenario {self.active!r} does not exist")
        for s in self.scenarios:
            a = s.assignment
            if len(a) != len(self.units):
                raise InputError(f"scenario {s.name!r} does not cover every unit")
            if len(a) and (a.min() < UNASSIGNED or a.max() >= len(s.territories)):
                raise InputError(f"scenario {s.name!r} assigns a unit to a territory that does not exist")
            if len({t.id for t in s.territories}) != len(s.territories):
                raise InputError(f"scenario {s.name!r} has two territories with the same id")
        check_layers(self.layers)
        names = {layer.name.casefold() for layer in self.layers} | {""}
        for s in self.scenarios:
            if s.layer.casefold() not in names:
                raise InputError(f"scenario {s.name!r} belongs to the territory layer {s.layer!r}, which does not exist")
        if self.accounts.unit_index is None:
            self.locate_accounts()

    @classmethod
    def from_units(cls, units: UnitLayer, **kw: Any) -> "Project":
        """A new project from a unit layer: measures the units and builds the adjacency graph."""
        return cls(units=units, adjacency=build_adjacency(units.projected()), **kw)

    @property
    def scenario(self) -> Scenario:
        return self.get_scenario(self.active)

    def get_scenario(self, name: str | None) -> Scenario:
        if name is None:
            return self.scenario
        for s in self.scenarios:
            if s.name == name:
                return s
        raise InputError(f"no scenario named {name!r}")

    def locate_accounts(self) -> None:
        self.accounts.unit_index = locate_points(
            self.accounts.lon, self.accounts.lat, self.units.geometry, self.units.source_crs
        )

    def rep(self, rep_id: str | None) -> Rep | None:
        return next((r for r in self.reps if r.id == rep_id), None)
