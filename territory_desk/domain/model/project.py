"""The project aggregate: units, adjacency, accounts, reps, scenarios and settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from territory_desk.domain.model.accounts import AccountTable, check_coordinates, locate_points
from territory_desk.domain.model.activity import Activity
from territory_desk.domain.model.adjacency import Adjacency, build_adjacency
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.magnitudes import check_numeric_columns
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
        self.check()
        if self.accounts.unit_index is None:
            self.locate_accounts()

    def check(self) -> None:
        """Refuse (InputError) a project that breaks a rule every project keeps: checked when one is
        made and before every save (its parts may have been changed in place since)."""
        self._check_scenarios()
        self._check_tables()

    def _check_scenarios(self) -> None:
        n = len(self.units)
        if len({s.name for s in self.scenarios}) != len(self.scenarios):
            raise InputError("two scenarios have the same name")
        if self.active not in {s.name for s in self.scenarios}:
            raise InputError(f"the active scenario {self.active!r} does not exist")
        for s in self.scenarios:
            a = s.assignment
            if len(a) != n:
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

    def _check_tables(self) -> None:
        n = len(self.units)
        if len({r.id for r in self.reps}) != len(self.reps):
            raise InputError("two reps have the same id")
        acc = self.accounts
        for what, columns, length in (("unit", self.units.text, n), ("account", acc.numeric, len(acc)),
                                      ("account", acc.text, len(acc))):
            for name, values in columns.items():
                if len(values) != length:  # a row-wise write would silently drop the extra rows
                    raise InputError(f"{what} column {name!r} has {len(values)} values for {length} {what}s")
        ui = acc.unit_index
        if ui is not None and (len(ui) != len(acc) or (len(ui) and (ui.min() < -1 or ui.max() >= n))):
            raise InputError("the accounts' unit indices do not match the units")
        check_numeric_columns(self.units.numeric, self.units.ids, "unit")
        check_numeric_columns(acc.numeric, acc.ids, "account")
        check_coordinates(acc.lon, acc.lat, acc.ids)

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
