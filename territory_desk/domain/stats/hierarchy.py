"""The sales hierarchy above territories, and roll-ups of any per-territory figure to a level
(``Level.rollup``; ``level_stats``: every statistic of a level, its groups measured on their units).

Regions nest to any depth (``Region.parent_id``); a territory hangs under one region
(``Territory.region_id``). Level 0 is the territory itself, level 1 its region, level 2 the region's
parent, and so on. A territory whose chain is shorter than the level rolls up into its top-most
ancestor, and a territory with no region into a "(no region)" group, so every level covers every
territory once and a level's totals always equal the territory totals.

Level names come from ``project.settings["hierarchy_levels"]`` when set (e.g.
["Territory", "Region", "Area"]), else Territory, Region, Area, Level 4, ...
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import Region
from territory_desk.domain.stats.contiguity import count_pieces
from territory_desk.domain.stats.metrics import Stats, derive_stats

NO_REGION = "(no region)"
DEFAULT_LEVEL_NAMES = ["Territory", "Region", "Area"]


@dataclass
class Level:
    index: int
    name: str
    group_ids: list[str]  # territory ids at level 0, region ids above ("" for the no-region group)
    group_names: list[str]
    member: np.ndarray  # (T,) group index of every territory

    def __len__(self) -> int:
        return len(self.group_ids)

    def rollup(self, values: np.ndarray) -> np.ndarray:
        """Sums per group of a (T,) or (T, F) array of per-territory values."""
        values = np.asarray(values, dtype=np.float64)
        out = np.zeros((len(self),) + values.shape[1:], dtype=np.float64)
        np.add.at(out, self.member, values)
        return out

    def children(self, group: int) -> np.ndarray:
        """Territory indices in a group."""
        return np.flatnonzero(self.member == group)


def ancestors(scenario, territory) -> list[Region]:
    """The regions above a territory, nearest first (cycles in damaged data are cut)."""
    return scenario.region_chain(territory.region_id)


def depth(scenario) -> int:
    """Number of levels: 1 (territories only) + the longest region chain."""
    return 1 + max((len(ancestors(scenario, t)) for t in scenario.territories), default=0)


def default_level_name(k: int) -> str:
    """The name of level ``k`` (0 = territories) when the project names none."""
    return DEFAULT_LEVEL_NAMES[k] if k < len(DEFAULT_LEVEL_NAMES) else f"Level {k + 1}"


def level_names(project, scenario=None) -> list[str]:
    scenario = scenario or project.scenario
    custom = project.settings.get("hierarchy_levels")
    names = [str(x) for x in custom] if isinstance(custom, list) else []
    out = []
    for k in range(depth(scenario)):
        if k < len(names) and names[k].strip():
            out.append(names[k])
        else:
            out.append(default_level_name(k))
    return out


def level(project, key: int | str, scenario=None) -> Level:
    """A level by index (0 = territory) or by name (case-insensitive, e.g. "region")."""
    scenario = scenario or project.scenario
    names = level_names(project, scenario)
    if isinstance(key, str):
        low = key.strip().casefold()
        matches = [k for k, n in enumerate(names) if n.casefold() == low]
        if not matches and low.isdigit():
            matches = [int(low)]
        if not matches:
            raise InputError(f"no hierarchy level {key!r}; levels: {', '.join(names)}")
        key = matches[0]
    if not 0 <= key < len(names):
        raise InputError(f"no hierarchy level {key}; levels 0..{len(names) - 1}: {', '.join(names)}")
    terrs = scenario.territories
    if key == 0:
        return Level(0, names[0], [t.id for t in terrs], [t.name for t in terrs], np.arange(len(terrs)))
    ids: list[str] = []
    labels: list[str] = []
    member = np.zeros(len(terrs), dtype=np.int64)
    slot: dict[str, int] = {}
    for i, t in enumerate(terrs):
        chain = ancestors(scenario, t)
        if chain:
            region = chain[min(key, len(chain)) - 1]
            gid, gname = region.id, region.name
        else:
            gid, gname = "", NO_REGION
        if gid not in slot:
            slot[gid] = len(ids)
            ids.append(gid)
            labels.append(gname)
        member[i] = slot[gid]
    return Level(key, names[key], ids, labels, member)


def level_stats(project, stats: Stats, key: int | str, scenario=None) -> tuple[Level, Stats]:
    """(Level, Stats) of a hierarchy level (0 or "territory": the stats as they are): every metric
    summed per group, deviations from the mean over the level's groups, and each group's area,
    perimeter, Polsby-Popper and contiguous pieces measured on its units (on its polygons' figures
    in a freeform scenario, where there are no shared unit borders to dissolve)."""
    sc = scenario or project.scenario
    lv = level(project, key, sc)
    if lv.index == 0:
        return lv, stats
    n = len(lv)
    area = np.append(lv.rollup(stats.area_m2), 0.0)
    if sc.is_freeform:
        perim, pieces = np.append(lv.rollup(stats.perimeter_m), 0.0), lv.rollup(stats.pieces).astype(np.int64)
    else:
        a, adj = sc.assignment, project.adjacency
        groups = np.where(a >= 0, lv.member[np.maximum(a, 0)], -1)
        perim = adj.perimeters(groups, n, project.units.perimeter_m)
        pieces = count_pieces(groups, n, adj.i, adj.j)
    sums = np.vstack([lv.rollup(stats.value), stats.unassigned_value[None, :]])
    units = np.append(lv.rollup(stats.units), stats.unassigned_units).astype(np.int64)
    return lv, derive_stats(stats.fields, sums, units, area, perim, pieces)
