"""The sales hierarchy above territories, and roll-ups of any per-territory figure to a level.

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


def ancestors(scenario, territory) -> list:
    """The regions above a territory, nearest first (cycles in damaged data are cut)."""
    chain, seen = [], set()
    region = scenario.region(territory.region_id)
    while region is not None and region.id not in seen:
        chain.append(region)
        seen.add(region.id)
        region = scenario.region(region.parent_id)
    return chain


def depth(scenario) -> int:
    """Number of levels: 1 (territories only) + the longest region chain."""
    return 1 + max((len(ancestors(scenario, t)) for t in scenario.territories), default=0)


def level_names(project, scenario=None) -> list[str]:
    scenario = scenario or project.scenario
    custom = project.settings.get("hierarchy_levels")
    names = [str(x) for x in custom] if isinstance(custom, list) else []
    out = []
    for k in range(depth(scenario)):
        if k < len(names) and names[k].strip():
            out.append(names[k])
        else:
            out.append(DEFAULT_LEVEL_NAMES[k] if k < len(DEFAULT_LEVEL_NAMES) else f"Level {k + 1}")
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


@dataclass
class LevelBalance:
    """Every metric rolled up to one level, with the balance figures of that level."""

    level: Level
    fields: list[str]
    value: np.ndarray  # (G, F)
    deviation_pct: np.ndarray  # (G, F) from the mean over the level's groups
    max_abs_deviation_pct: np.ndarray  # (F,)
    units: np.ndarray  # (G,)
    area_m2: np.ndarray  # (G,)
    territories: np.ndarray  # (G,) number of territories in each group


def level_balance(project, stats, key: int | str, scenario=None) -> LevelBalance:
    """Roll a Stats snapshot (of ``scenario``) up to a level and measure its balance."""
    lv = level(project, key, scenario)
    value = lv.rollup(stats.value)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = value.mean(axis=0) if len(lv) else np.zeros(len(stats.fields))
        dev = np.where(mean != 0, (value - mean) / np.where(mean != 0, mean, 1.0) * 100.0, 0.0)
    return LevelBalance(
        level=lv, fields=list(stats.fields), value=value, deviation_pct=dev,
        max_abs_deviation_pct=np.abs(dev).max(axis=0) if len(lv) else np.zeros(len(stats.fields)),
        units=lv.rollup(stats.units).astype(np.int64), area_m2=lv.rollup(stats.area_m2),
        territories=np.bincount(lv.member, minlength=len(lv)).astype(np.int64))
