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
    # project's working CRS; None for unit-based scenarios (see editing/freeform.py)
    shapes: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.assignment = np.asarray(self.assignment, dtype=np.int64)

    @property
    def is_freeform(self) -> bool:
        """True for a freeform scenario (territories are drawn polygons), False for a unit scenario
        (territories are sets of units). stats/kinds.py picks the engine and membership from it."""
        return self.shapes is not None

    @property
    def drawn_shapes(self) -> dict[str, Any]:
        """The polygons of a freeform scenario (territory id -> geometry); InputError for a unit scenario."""
        if self.shapes is None:
            raise InputError(f"scenario {self.name!r} is not freeform: its territories are made of units")
        return self.shapes

    def territory_index(self, key: str) -> int:
        """Index of a territory by id, else by id ignoring case, else by name ignoring case."""
        key = str(key).strip()
        low = key.casefold()
        terrs = self.territories
        for match in (lambda t: t.id == key, lambda t: t.id.casefold() == low, lambda t: t.name.casefold() == low):
            found = next((i for i, t in enumerate(terrs) if match(t)), None)
            if found is not None:
                return found
        raise InputError(f"no territory {key!r} in scenario {self.name!r}")

    def region(self, region_id: str | None) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def region_chain(self, region_id: str | None) -> list[Region]:
        """The region ``region_id`` and every region above it, nearest first (a cycle in damaged
        data is cut where it closes; an unknown or None id gives [])."""
        chain: list[Region] = []
        seen: set[str] = set()
        region = self.region(region_id)
        while region is not None and region.id not in seen:
            chain.append(region)
            seen.add(region.id)
            region = self.region(region.parent_id)
        return chain

    def reaches_top(self, region_id: str | None) -> bool:
        """True when the walk up from ``region_id`` ends at the top level, not in a cycle (which
        damaged data may hold)."""
        chain = self.region_chain(region_id)
        return not chain or self.region(chain[-1].parent_id) is None

    def sub_region_ids(self, region_id: str) -> set[str]:
        """Ids of the regions below ``region_id``, at any depth (itself not included)."""
        out: set[str] = set()
        frontier = {region_id}
        while frontier:
            frontier = {r.id for r in self.regions if r.parent_id in frontier} - out - {region_id}
            out |= frontier
        return out

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
