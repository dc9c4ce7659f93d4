"""Freeform territories: the use cases the CLI and the GUI share (new scenario, draw from a WKT in
longitude/latitude, convert a unit territory, the overlaps and gaps report)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from territory_desk.domain.model.errors import InputError, first_line
from territory_desk.domain.stats.freeform_engine import FreeformEngine
from territory_desk.domain.editing.freeform import DrawTerritory, from_units
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import LONLAT, transform_geometries
from territory_desk.domain.model.territory_layers import live_scenario
from territory_desk.domain.model.territories import Scenario

MAX_LISTED = 10


@dataclass
class Overlap:
    first: int  # territory indices
    second: int
    accounts: np.ndarray  # account rows inside both
    area_m2: float


@dataclass
class FreeformIssues:
    """What a freeform scenario gets wrong: overlaps, accounts covered by no territory, territories
    without a shape."""

    overlaps: list[Overlap] = field(default_factory=list)
    uncovered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    without_shape: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.overlaps or len(self.uncovered) or self.without_shape)


def freeform_issues(project: Project, scenario: Scenario, engine: FreeformEngine | None = None) -> FreeformIssues:
    """Overlaps (with the accounts counted in both, and the shared area), uncovered accounts and
    empty territories, from ``engine`` (the live one) or a fresh evaluation."""
    if not scenario.is_freeform:
        raise InputError(f"scenario {scenario.name!r} is not freeform")
    engine = engine if engine is not None else FreeformEngine.for_scenario(project, scenario)
    shapes = engine.shapes
    overlaps = []
    pairs = {(a, b): rows for a, b, rows in engine.overlaps()}
    tree_geoms = [(t, g) for t, g in enumerate(shapes) if g is not None]
    for i, (a, ga) in enumerate(tree_geoms):
        for b, gb in tree_geoms[i + 1:]:
            if not shapely.intersects(ga, gb):
                continue
            area = float(shapely.area(shapely.intersection(shapely.make_valid(ga), shapely.make_valid(gb))))
            rows = pairs.pop((a, b), np.zeros(0, dtype=np.int64))
            if area > 1e-7 * min(float(shapely.area(ga)), float(shapely.area(gb))) or len(rows):
                overlaps.append(Overlap(a, b, rows, area))
    for (a, b), rows in pairs.items():  # sharing accounts only on a border
        overlaps.append(Overlap(a, b, rows, 0.0))
    overlaps.sort(key=lambda o: (o.first, o.second))
    return FreeformIssues(overlaps, engine.uncovered(), [t for t, g in enumerate(shapes) if g is None])


def issue_lines(project: Project, scenario: Scenario, issues: FreeformIssues) -> list[str]:
    """The report as lines for people (``territory-desk freeform --check`` and ``check``)."""
    acc, terrs = project.accounts, scenario.territories
    lines = []
    for o in issues.overlaps:
        ids = ", ".join(acc.ids[i] for i in o.accounts[:MAX_LISTED]) + (" ..." if len(o.accounts) > MAX_LISTED else "")
        lines.append(f"territories {terrs[o.first].name!r} and {terrs[o.second].name!r} overlap "
                     f"({o.area_m2 / 1e6:,.1f} km2): {len(o.accounts)} account(s) counted in both"
                     + (f": {ids}" if len(o.accounts) else ""))
    if len(issues.uncovered):
        ids = ", ".join(acc.ids[i] for i in issues.uncovered[:MAX_LISTED])
        more = " ..." if len(issues.uncovered) > MAX_LISTED else ""
        lines.append(f"{len(issues.uncovered)} account(s) in no territory: {ids}{more}")
    for t in issues.without_shape:
        lines.append(f"territory {terrs[t].name!r} has no shape")
    return lines


def freeform_problems(project: Project, scenario: Scenario) -> list[str]:
    """``check`` for a freeform scenario."""
    return issue_lines(project, scenario, freeform_issues(project, scenario))


# ---- edits -------------------------------------------------------------------------------------------
def lonlat_shape(project: Project, wkt: str):
    """A polygon given as WKT in longitude/latitude, in the project's working CRS."""
    try:
        geom = shapely.from_wkt(wkt)
    except shapely.errors.ShapelyError as exc:
        raise InputError(f"the WKT does not parse: {first_line(exc)}") from None
    if geom is None or shapely.get_type_id(geom) not in (3, 6):
        raise InputError("the WKT must be a POLYGON or MULTIPOLYGON in longitude/latitude")
    xy = shapely.get_coordinates(geom)
    if len(xy) and ((np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any()):
        raise InputError("the WKT coordinates must be longitude/latitude in degrees (lon between -180 and 180, "
                         "lat between -90 and 90)")
    return transform_geometries(np.array([geom], dtype=object), LONLAT, project.units.working_crs)[0]


def freeform_target(project: Project, name: str | None) -> Scenario:
    """The freeform scenario to edit: the named one, else the active one if freeform, else the only
    freeform scenario."""
    if name:
        sc = project.get_scenario(name)
        if not sc.is_freeform:
            raise InputError(f"scenario {sc.name!r} is not freeform")
        return sc
    if project.scenario.is_freeform:
        return project.scenario
    mine = [s for s in project.scenarios if s.is_freeform]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise InputError("the project has no freeform scenario; create one with --new-scenario NAME")
    raise InputError("name the freeform scenario with --scenario (" + ", ".join(s.name for s in mine) + ")")


def unit_source(project: Project, name: str | None) -> Scenario:
    """The unit scenario to take units from: the named one, else the active one if unit-based, else
    the live plan of the default layer."""
    if name:
        sc = project.get_scenario(name)
    elif not project.scenario.is_freeform:
        sc = project.scenario
    else:
        sc = live_scenario(project, "")
        if sc is None or sc.is_freeform:
            sc = next((s for s in project.scenarios if not s.is_freeform), None)
    if sc is None or sc.is_freeform:
        raise InputError("no unit-based scenario to take the units from; name one with --source")
    return sc


def draw_command(scenario: Scenario, name: str, geom) -> tuple[DrawTerritory, bool]:
    """The command that draws a territory of the (freeform) ``scenario``: redraws the one named
    ``name`` if any, else adds a new one. Returns the command and whether the territory is new."""
    existing = next((t for t in scenario.territories
                     if t.name.casefold() == name.strip().casefold() or t.id == name), None)
    return DrawTerritory(geom, existing.id if existing else None, name=name), existing is None


def from_units_command(project: Project, scenario: Scenario, source: Scenario, key: str) -> DrawTerritory:
    """The command that gives the (freeform) ``scenario`` a territory (new, or redrawn when one of
    that name exists) with the outline of the units of territory ``key`` of the unit scenario
    ``source``, keeping its name, colour and rep."""
    t = source.territory_index(key)
    terr = source.territories[t]
    units = np.flatnonzero(source.assignment == t)
    if len(units) == 0:
        raise InputError(f"territory {terr.name!r} of scenario {source.name!r} has no units")
    existing = next((x for x in scenario.territories if x.name.casefold() == terr.name.casefold()), None)
    return from_units(project, units, existing.id if existing else None, terr.name, terr.color,
                      rep_id=terr.rep_id if project.rep(terr.rep_id) else None)
