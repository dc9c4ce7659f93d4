"""What an exported map shows (MapSpec) and who draws it (MapRenderer), without Qt.

The map pictures are drawn by the UI layer with the map canvas renderer
(``territory_desk.ui.export.map_export.QtMapRenderer``); the CLI and the GUI pass such a renderer to
``services.exports.export``. Everything a map needs to say (title, legend rows, metric, focus) is
decided here, so the CLI and the GUI produce the same maps.
"""
from __future__ import annotations

import datetime as _dt
import functools
import os
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from territory_desk import __version__
from territory_desk.domain.editing.regions import find_region
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import lonlat_bounds
from territory_desk.domain.model.territories import Scenario

PAGES = {  # name -> (label, width, height in inches, landscape)
    "letter": ("Letter", 11.0, 8.5),
    "a4": ("A4", 297 / 25.4, 210 / 25.4),
    "slide": ("16:9 slide", 13.333, 7.5),
}
MIN_DPI, MAX_DPI = 72, 600


@dataclass
class MapSpec:
    project: Project
    scenario: Scenario
    stats: dict  # services.reports.stats_dict(project, scenario)
    title: str = ""
    subtitle: str = ""
    territories: list[int] | None = None  # the focus (None: every territory)
    focus_label: str = ""  # "Region West", a territory name, or "" for the whole map
    bounds: tuple[float, float, float, float] | None = None  # world box (working CRS); None: the focus
    metric: str = ""
    metric_label: str = ""
    page: str = "letter"
    size_in: tuple[float, float] | None = None  # overrides the page (pictures for slides)
    dpi: int = 300
    legend: bool = True
    inset: bool = False
    show_title: bool = True
    note: str = ""
    layers: dict[str, bool] = field(default_factory=dict)  # renderer layers, e.g. {"accounts": True}
    basemap: tuple[Any, Any] | None = None  # (outline polygons, their CRS), e.g. US states
    thematic: Any = None  # services.kpis.ThematicSpec: a choropleth of a metric or KPI over the territories
    heatmap: bool = False  # the account density heat map over the map

    @property
    def page_size_in(self) -> tuple[float, float]:
        if self.size_in is not None:
            return self.size_in
        _, w, h = PAGES[self.page]
        return w, h

    @property
    def what(self) -> str:
        """ "scenario Base, Region West" (for messages)."""
        return f"scenario {self.scenario.name}" + (f", {self.focus_label}" if self.focus_label else "")

    def with_(self, **changes) -> "MapSpec":
        return replace(self, **changes)


class MapRenderer(Protocol):
    """Draws MapSpecs (implemented with Qt in the UI layer)."""

    def write(self, spec: MapSpec, fmt: str, path: str) -> None:
        """Write the map as "png", "svg" or "pdf" to ``path``."""

    def png_bytes(self, spec: MapSpec) -> bytes:
        """The map as PNG bytes (``spec.size_in`` at ``spec.dpi``)."""


def check_dpi(dpi: int | None, default: int = 300) -> int:
    dpi = default if dpi is None else int(dpi)
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise InputError(f"--dpi must be between {MIN_DPI} and {MAX_DPI} (got {dpi})")
    return dpi


def check_page(page: str | None) -> str:
    page = (page or "letter").lower()
    if page not in PAGES:
        raise InputError(f"unknown page {page!r}; pages: {', '.join(PAGES)}")
    return page


def region_territories(scenario: Scenario, key: str) -> tuple[list[int], str]:
    """Territory indices of a region (by id or name, case-insensitive; sub-regions included)."""
    region = find_region(scenario, key)
    ids = {region.id} | scenario.sub_region_ids(region.id)
    return [t for t, terr in enumerate(scenario.territories) if terr.region_id in ids], region.name


def focus(scenario: Scenario, region: str | None, territory: str | None) -> tuple[list[int] | None, str]:
    """(territory indices or None for all, a label such as "Region Northeast")."""
    if region and territory:
        raise InputError("give a region or a territory, not both")
    if region:
        idx, name = region_territories(scenario, region)
        if not idx:
            raise InputError(f"region {name!r} has no territories")
        return idx, f"Region {name}"
    if territory:
        t = scenario.territory_index(territory)
        return [t], scenario.territories[t].name
    return None, ""


def default_title(project: Project, path: str | None = None) -> str:
    title = str(project.settings.get("title") or "").strip()
    if not title and path:
        title = os.path.splitext(os.path.basename(path))[0]
    return title or "Sales territories"


def source_note(project: Project) -> str:
    parts = [str(project.settings.get("source")).strip()] if project.settings.get("source") else []
    parts.append(f"Made with territory_desk {__version__} on {_dt.date.today().isoformat()}")
    return " \u00b7 ".join(parts)


def basemap_for(project: Project):
    """State outlines (bundled Census data) when the project lies in the contiguous US, else None."""
    try:
        xmin, ymin, xmax, ymax = lonlat_bounds(project.units.geometry, project.units.source_crs)
    except Exception:  # decoration only
        return None
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])) or xmax < -130 or xmin > -60 or ymax < 20 or ymin > 55:
        return None
    return _us_states()


@functools.lru_cache(maxsize=1)
def _us_states():
    try:
        from territory_desk.io.bundled_data import CENSUS_CRS, read_states  # geopandas: only when a map is drawn

        return np.asarray(read_states().geometry.values, dtype=object), CENSUS_CRS
    except Exception:  # the basemap is decoration: never fail an export because of it
        return None
