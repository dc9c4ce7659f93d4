"""CLI command `export`: maps, decks, web maps, tables and GIS layers. Registered by territory_desk.cli.

    territory-desk export PROJECT.gpkg --format pdf -o map.pdf [--region West] [--dpi 300] [--page a4]

Map formats (png, svg, pdf) and the deck (pptx) are drawn with the editor's map renderer (Qt); without a
display it runs offscreen. The other formats need no Qt.
"""
from __future__ import annotations

import argparse

from territory_desk.cli.options import add_project_argument, add_raw_csv_option
from territory_desk.domain.model.errors import InputError, TerritoryDeskError
from territory_desk.services.export_formats import FORMATS, NEEDS_RENDERER, format_for_path

FORMAT_HELP = ("png|svg|pdf: a map page; pptx: a PowerPoint deck; html: an offline interactive map; "
               "csv|xlsx: a table (see --table); gpkg|geojson|shp|kml: dissolved territories with their balance "
               "figures, styled for QGIS (GeoPackage 1.3 with layer_styles; .qml and .sld beside GeoJSON and "
               "shapefiles; a .fields.csv map of the shapefile's short field names). "
               "Default: from the extension of -o")


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("export", help="maps (PNG/SVG/PDF), a PowerPoint deck, an offline HTML map, CRM tables "
                                      "(CSV/XLSX) or territory layers (GPKG/GeoJSON/SHP/KML)",
                       description="Export the territories of a project for presentations, clients and CRMs.")
    add_project_argument(s)
    s.add_argument("--format", "-f", choices=FORMATS, metavar="FORMAT", help=FORMAT_HELP)
    s.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (the extension is added when missing)")
    s.add_argument("--scenario", metavar="S", help="scenario to export (default: the active one)")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--region", metavar="R", help="only this region (id or name): map zoomed to it, tables and "
                                                     "layers limited to its territories")
    where.add_argument("--territory", metavar="T", help="only this territory (id or name)")
    s.add_argument("--dpi", type=int, metavar="N", help="resolution of png (72-600, default 300); for pdf/svg the "
                                                        "level of detail of the geometry")
    s.add_argument("--title", metavar="T", help="map or deck title (default: the project title)")
    s.add_argument("--page", choices=["a4", "letter", "slide"], help="page of png/svg/pdf maps, landscape "
                                                                     "(default letter; slide = 16:9)")
    s.add_argument("--metric", metavar="M", help="metric shown in legends and decks (default: the first balance field)")
    s.add_argument("--table", choices=["alignment", "accounts", "summary", "all"],
                   help="csv/xlsx: alignment (unit -> territory, region, rep; default), accounts (account -> "
                        "territory -> rep), summary (all metrics per territory); all: three xlsx sheets")
    s.add_argument("--inset", action="store_true", help="maps: add an inset of the whole map (with --region/--territory)")
    s.add_argument("--accounts", action="store_true", help="maps: draw the accounts as points; gpkg|geojson|shp: "
                                                          "add the accounts layer (NAME_accounts.* beside GeoJSON "
                                                          "and shapefiles), styled in their territory's colour")
    s.add_argument("--label-metric", action="store_true",
                   help="gpkg|geojson|shp: label the territories with the --metric value and its deviation under "
                        "the name (default: the name alone)")
    s.add_argument("--thematic", metavar="FIELD[:METHOD[:K]]",
                   help="maps: colour the units by a metric or KPI (kpi:revenue, kpi:attainment_pct, population, ...) "
                        "in K classes (2-9, default 5) by quantiles (default), natural_breaks or equal_interval")
    s.add_argument("--thematic-period", metavar="P", help="period of a --thematic KPI (2026Q3, 2026-07, 2026, all)")
    s.add_argument("--heatmap", action="store_true", help="maps: draw the account density heat map")
    s.add_argument("--online-tiles", action="store_true",
                   help="html: add an OpenStreetMap tile background (needs the network when viewed)")
    add_raw_csv_option(s)
    return {"export": _cmd_export}


def _cmd_export(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.exports import export

    fmt = a.format or format_for_path(a.output)
    if fmt is None:
        raise InputError(f"cannot tell the format from {a.output!r}: give --format")
    project = load_project(a.project)
    renderer = None
    if fmt in NEEDS_RENDERER:
        renderer = _renderer()
    result = export(project, fmt, a.output, scenario=a.scenario, region=a.region, territory=a.territory, dpi=a.dpi,
                    title=a.title, page=a.page, table=a.table, metric=a.metric, inset=a.inset, accounts=a.accounts,
                    online_tiles=a.online_tiles, map_renderer=renderer, project_path=a.project,
                    thematic=_thematic(a), heatmap=a.heatmap, raw_csv=a.raw_csv, label_metric=a.label_metric)
    print(result.message)
    return 0


def _renderer():
    try:  # Qt: loaded for the map formats only
        from territory_desk.ui.export.map_export import QtMapRenderer, ensure_gui_app
    except ImportError as exc:
        raise TerritoryDeskError(f"map exports need Qt (PySide6): {exc}") from None
    ensure_gui_app()
    return QtMapRenderer()


def _thematic(a):
    if not a.thematic:
        if a.thematic_period:
            raise InputError("--thematic-period needs --thematic")
        return None
    from territory_desk.services.kpis import parse_thematic

    spec = parse_thematic(a.thematic)
    spec.period = a.thematic_period
    return spec
