"""Undoable edits of the sales hierarchy: regions and the areas above them, the region of
each territory, and the names of the levels.

Every command acts on the active scenario of the document (the level names are project-wide) and
notifies ``Change("territories")``: the tree, the map and the Metrics dock's Level box all follow
that change. Level names notify it too, although they live in ``project.settings``: a "settings"
change is not one the views of the hierarchy listen to.

Regions nest through ``Region.parent_id``; every command refuses an edit that would put a region
inside itself (a cycle) with one clear ``InputError``, and leaves the scenario as it was.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

from territory_desk.domain.editing.territories import Command, MacroCommand
from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.hierarchy import DEFAULT_LEVEL_NAMES
from territory_desk.domain.model.territories import Region, Scenario

LEVELS_KEY = "hierarchy_levels"


# ---- reading the hierarchy ----------------------------------------------------------------------
def new_region_id(scenario: Scenario) -> str:
    """R01, R02, … the first one no region of the scenario uses."""
    used = {r.id for r in scenario.regions}
    n = len(scenario.regions) + 1
    while f"R{n:02d}" in used:
        n += 1
    return f"R{n:02d}"


def find_region(scenario: Scenario, key: str) -> Region:
    """A region by id, or else by name; either case-insensitive."""
    key = str(key).strip()
    low = key.casefold()
    for match in (lambda r: r.id == key, lambda r: r.id.casefold() == low, lambda r: r.name.casefold() == low):
        found = next((r for r in scenario.regions if match(r)), None)
        if found is not None:
            return found
    known = ", ".join(f"{r.name} ({r.id})" for r in scenario.regions) or "none yet"
    raise InputError(f"no region {key!r} in scenario {scenario.name!r} (regions: {known})")


def find_territory(scenario: Scenario, key: str) -> int:
    """Index of a territory by id, or else by name; either case-insensitive."""
    key = str(key).strip()
    low = key.casefold()
    terrs = scenario.territories
    for match in (lambda t: t.id == key, lambda t: t.id.casefold() == low, lambda t: t.name.casefold() == low):
        found = next((i for i, t in enumerate(terrs) if match(t)), None)
        if found is not None:
            return found
    raise InputError(f"no territory {key!r} in scenario {scenario.name!r}")


def _region(scenario: Scenario, region_id: str | None) -> Region:
    r = scenario.region(region_id)
    if r is None:
        raise InputError(f"no region {region_id!r} in scenario {scenario.name!r}")
    return r


def chain_up(scenario: Scenario, region_id: str | None) -> list[str]:
    """Ids from ``region_id`` up to the top (itself first; stops at a cycle in damaged data)."""
    out: list[str] = []
    r = scenario.region(region_id)
    while r is not None and r.id not in out:
        out.append(r.id)
        r = scenario.region(r.parent_id)
    return out


def is_inside(scenario: Scenario, region_id: str | None, ancestor_id: str) -> bool:
    """True when ``region_id`` is ``ancestor_id`` or lies anywhere below it."""
    return ancestor_id in chain_up(scenario, region_id)


def child_regions(scenario: Scenario, region_id: str | None) -> list[Region]:
    return [r for r in scenario.regions if r.parent_id == region_id]


def _label(scenario: Scenario, region_id: str | None) -> str:
    r = scenario.region(region_id)
    return "the top level" if r is None else repr(r.name)


def _check_parent(scenario: Scenario, region_id: str, parent_id: str | None) -> None:
    """Refuse a parent that does not exist or that lies inside the region (a cycle)."""
    if parent_id is None:
        return
    name = _region(scenario, region_id).name
    parent = _region(scenario, parent_id)
    if parent_id == region_id:
        raise InputError(f"region {name!r} cannot be its own parent")
    if is_inside(scenario, parent_id, region_id):
        raise InputError(f"cannot put region {name!r} under {parent.name!r}: {parent.name!r} lies inside "
                         f"{name!r} (that would make a cycle)")


def _check_name(scenario: Scenario, name: str, skip: Region | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InputError("a region needs a name")
    low = name.casefold()
    if any(r is not skip and r.name.casefold() == low for r in scenario.regions):
        raise InputError(f"a region named {name!r} exists already in scenario {scenario.name!r}")
    return name


# ---- commands -----------------------------------------------------------------------------------
class AddRegion(Command):
    """A new region named ``name`` under ``parent_id`` (None: top level) with a fresh id (R01…).

    ``children``: existing regions that move under the new one in the same step, which is how an
    area is added above regions. The id is chosen on the first redo and kept for later redos."""

    def __init__(self, name: str, parent_id: str | None = None, children: Sequence[str] = ()):
        self.name, self.parent_id, self.children = name, parent_id, list(dict.fromkeys(children))
        self.text = f"Add region {name.strip()}" if not self.children else f"Add area {name.strip()}"
        self.region_id = ""
        self._old_parents: list[str | None] = []

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        name = _check_name(sc, self.name)
        if self.parent_id is not None:
            _region(sc, self.parent_id)
        for c in self.children:
            _region(sc, c)
        if self.parent_id in self.children:
            raise InputError(f"the new region cannot sit under {_label(sc, self.parent_id)}, "
                             "which it is to hold")
        if self.parent_id is not None and any(is_inside(sc, self.parent_id, c) for c in self.children):
            raise InputError(f"cannot add {name!r} under {_label(sc, self.parent_id)}: that region lies "
                             "inside a region the new one is to hold (that would make a cycle)")
        self.region_id = self.region_id or new_region_id(sc)
        sc.regions.append(Region(self.region_id, name, self.parent_id))
        self._old_parents = []
        for c in self.children:
            r = sc.region(c)
            self._old_parents.append(r.parent_id)
            r.parent_id = self.region_id
        doc.notify(Change("territories"))

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        for c, old in zip(self.children, self._old_parents):
            sc.region(c).parent_id = old
        sc.regions = [r for r in sc.regions if r.id != self.region_id]
        doc.notify(Change("territories"))


def add_area_above(scenario: Scenario, name: str, region_ids: Iterable[str]) -> AddRegion:
    """A new region holding ``region_ids``, placed where they were: under their common parent, or at
    the top level when they had different parents."""
    ids = list(dict.fromkeys(region_ids))
    if not ids:
        raise InputError("choose the region(s) the new area is to hold")
    parents = {_region(scenario, r).parent_id for r in ids}
    parent = parents.pop() if len(parents) == 1 else None
    return AddRegion(name, parent if parent not in ids else None, ids)


class RenameRegion(Command):
    def __init__(self, region_id: str, name: str):
        self.region_id, self.name = region_id, name
        self.old = ""
        self.text = f"Rename region {name.strip()}"

    def redo(self, doc: Document) -> None:
        r = _region(doc.scenario, self.region_id)
        name = _check_name(doc.scenario, self.name, skip=r)
        self.old, r.name = r.name, name
        doc.notify(Change("territories"))

    def undo(self, doc: Document) -> None:
        _region(doc.scenario, self.region_id).name = self.old
        doc.notify(Change("territories"))


class SetRegionParent(Command):
    """Put a region under another one (``parent_id``), or at the top level (None)."""

    def __init__(self, region_id: str, parent_id: str | None):
        self.region_id, self.parent_id = region_id, parent_id
        self.old: str | None = None
        self.text = "Move region"

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        r = _region(sc, self.region_id)
        _check_parent(sc, self.region_id, self.parent_id)
        self.old, r.parent_id = r.parent_id, self.parent_id
        doc.notify(Change("territories"))

    def undo(self, doc: Document) -> None:
        _region(doc.scenario, self.region_id).parent_id = self.old
        doc.notify(Change("territories"))


class DeleteRegion(Command):
    """Remove a region; its territories and child regions move up to its parent (or the top level)."""

    def __init__(self, region_id: str):
        self.region_id = region_id
        self.text = "Delete region"
        self._saved: tuple[int, Region, list[int], list[str]] | None = None

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        r = _region(sc, self.region_id)
        self.text = f"Delete region {r.name}"
        terrs = [i for i, t in enumerate(sc.territories) if t.region_id == r.id]
        kids = [c.id for c in child_regions(sc, r.id)]
        self._saved = (sc.regions.index(r), r, terrs, kids)
        for i in terrs:
            sc.territories[i].region_id = r.parent_id
        for c in kids:
            sc.region(c).parent_id = r.parent_id
        sc.regions.remove(r)
        doc.notify(Change("territories", territories=set(terrs)))

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        sc = doc.scenario
        index, r, terrs, kids = self._saved
        sc.regions.insert(index, r)
        for i in terrs:
            sc.territories[i].region_id = r.id
        for c in kids:
            sc.region(c).parent_id = r.id
        doc.notify(Change("territories", territories=set(terrs)))


class MoveTerritories(Command):
    """Put territories (indices of the active scenario) into a region, or into none (None)."""

    def __init__(self, indices: Iterable[int], region_id: str | None, text: str = ""):
        self.indices = sorted({int(i) for i in indices})
        self.region_id = region_id
        self.old: list[str | None] = []
        n = len(self.indices)
        self.text = text or f"Move {n} territor{'y' if n == 1 else 'ies'} to another region"

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        if self.region_id is not None:
            _region(sc, self.region_id)
        bad = [i for i in self.indices if not 0 <= i < len(sc.territories)]
        if bad:
            raise InputError(f"no territory with index {bad[0]} in scenario {sc.name!r}")
        self.old = [sc.territories[i].region_id for i in self.indices]
        for i in self.indices:
            sc.territories[i].region_id = self.region_id
        doc.notify(Change("territories", territories=set(self.indices)))

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        for i, old in zip(self.indices, self.old):
            sc.territories[i].region_id = old
        doc.notify(Change("territories", territories=set(self.indices)))


def move_to_region(scenario: Scenario, territories: Iterable[int], regions: Iterable[str],
                   target: str | None) -> Command:
    """One undo step putting territories (indices) into region ``target`` and regions under it
    (None: territories into no region, regions to the top level)."""
    terrs, regs = sorted(set(territories)), list(dict.fromkeys(regions))
    if target is not None:
        _region(scenario, target)
    parts: list[Command] = []
    if terrs:
        parts.append(MoveTerritories(terrs, target))
    parts += [SetRegionParent(r, target) for r in regs]
    if not parts:
        raise InputError("choose the territories or regions to move")
    where = scenario.region(target).name if target is not None else "the top level"
    text = ", ".join(x for x in (f"{len(terrs)} territor{'y' if len(terrs) == 1 else 'ies'}" if terrs else "",
                                 f"{len(regs)} region{'s' * (len(regs) != 1)}" if regs else "") if x)
    return MacroCommand(f"Move {text} to {where}", parts)


def clean_level_names(names: Iterable[str]) -> list[str]:
    """Stripped names, trailing blanks dropped; refuses two levels with the same name (levels are
    chosen by name: ``stats --level region``)."""
    out = [str(n).strip() for n in names]
    while out and not out[-1]:
        out.pop()
    seen: dict[str, int] = {}
    for k, n in enumerate(out):
        shown = n or (DEFAULT_LEVEL_NAMES[k] if k < len(DEFAULT_LEVEL_NAMES) else f"Level {k + 1}")
        if shown.casefold() in seen:
            raise InputError(f"two hierarchy levels are named {shown!r} (levels {seen[shown.casefold()] + 1} "
                             f"and {k + 1}); give each level its own name")
        seen[shown.casefold()] = k
    return out


class SetLevelNames(Command):
    """Name the levels of the hierarchy, bottom first (e.g. Territory, Region, Area); an empty list
    goes back to the default names. Stored in ``project.settings["hierarchy_levels"]``; undo puts
    back exactly what was there (or nothing)."""

    _ABSENT = object()

    def __init__(self, names: Sequence[str]):
        self.names = clean_level_names(names)
        self.old = self._ABSENT
        self.text = "Name hierarchy levels"

    def _set(self, doc: Document, value) -> None:
        if value is self._ABSENT or (isinstance(value, list) and not value):
            doc.project.settings.pop(LEVELS_KEY, None)
        else:
            doc.project.settings[LEVELS_KEY] = copy.deepcopy(value)
        doc.notify(Change("territories"))

    def redo(self, doc: Document) -> None:
        settings = doc.project.settings
        self.old = copy.deepcopy(settings[LEVELS_KEY]) if LEVELS_KEY in settings else self._ABSENT
        self._set(doc, self.names)

    def undo(self, doc: Document) -> None:
        self._set(doc, self.old)
