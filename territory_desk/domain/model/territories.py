"""Territories, regions (the hierarchy above them) and scenarios (named alignments of units)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from territory_desk.domain.model.errors import InputError

UNASSIGNED = -1


@dataclass
class Region:
    id: str
    name: str
    parent_id: str | None = None  # regions nest: area -> region -> territory


@dataclass
class Territory:
    id: str
    name: str
    color: str = "#888888"  # "#rrggbb"
    region_id: str | None = None
    rep_id: str | None = None
    locked: bool = False


@dataclass
class Scenario:
    """One alignment: its territories and regions, and the territory index of every unit."""

    name: str
    territories: list[Territory] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    assignment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    layer: str = ""  # the territory layer (segment) it belongs to; "" = the default layer (all accounts)
    live: bool = False  # the plan in force for its layer (lead routing uses it); see territory_layers.py
    # account-based overrides: account id -> territory id, whatever unit the account lies in
    pins: dict[str, str] = field(default_factory=dict)
    # freeform scenarios (a layer of kind "freeform"): territory id -> shapely (Multi)Polygon in the
    # project's working CRS; None for unit-based scenarios (see freeform.py)
    shapes: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.assignment = np.asarray(self.assignment, dtype=np.int64)

    def territory_index(self, key: str) -> int:
        """Index of a territory by id, or else by name (case-insensitive)."""
        for i, t in enumerate(self.territories):
            if t.id == key:
                return i
        low = key.casefold()
        for i, t in enumerate(self.territories):
            if t.name.casefold() == low:
                return i
        raise InputError(f"no territory {key!r} in scenario {self.name!r}")

    def region(self, region_id: str | None) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def new_territory_id(self) -> str:
        used = {t.id for t in self.territories}
        n = len(self.territories) + 1
        while f"T{n:02d}" in used:
            n += 1
        return f"T{n:02d}"

    def copy(self, name: str) -> "Scenario":
        return Scenario(
            name=name,
            territories=copy.deepcopy(self.territories),
            regions=copy.deepcopy(self.regions),
            assignment=self.assignment.copy(),
            layer=self.layer,
            pins=dict(self.pins),
            shapes=None if self.shapes is None else dict(self.shapes),
        )
