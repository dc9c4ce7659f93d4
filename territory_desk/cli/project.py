"""The core commands of ``territory-desk``: new, demo, stats, check, move; and the desktop editor.

    territory-desk new PROJECT.gpkg --units counties.shp [--id-field GEOID]
    territory-desk demo PROJECT.gpkg [--seed 1]
    territory-desk stats PROJECT.gpkg [--level region] [--format table|csv|json]
    territory-desk check PROJECT.gpkg
    territory-desk move PROJECT.gpkg --units 06075,06081 --to "Bay Area"
    territory-desk [PROJECT.gpkg] [--selftest]          (the desktop editor)

The commands import what they need when they run (numpy, shapely, the editor's Qt), so that
``territory-desk --help`` and every other command start quickly.
"""
from __future__ import annotations

import argparse
import json
import sys

from territory_desk.cli.options import (
    ENCODING_HELP, add_project_argument, add_raw_csv_option, repair_notes_silenced, split_list,
)
from territory_desk.domain.model.errors import InputError, TerritoryDeskError


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("new", help="create a project from a polygon layer (shapefile, GeoJSON, GeoPackage, KML)")
    add_project_argument(s)
    s.add_argument("--units", required=True, metavar="FILE", help="polygon file in any CRS")
    s.add_argument("--id-field", metavar="F")
    s.add_argument("--name-field", metavar="F")
    s.add_argument("--layer", metavar="L", help="layer name for multi-layer files")
    s.add_argument("--encoding", metavar="E", help=ENCODING_HELP)

    s = sub.add_parser("demo", help="build the bundled US demo project (offline, deterministic for a seed)")
    add_project_argument(s)
    s.add_argument("--seed", type=int, default=1)

    s = sub.add_parser("stats", help="balance statistics per territory")
    add_project_argument(s)
    s.add_argument("--scenario", metavar="NAME")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--fields", metavar="F[,F...]", help="metric fields to show in the table")
    s.add_argument("--level", metavar="LEVEL", help="roll every metric up to a hierarchy level: territory, region, "
                                                    "area, … (a name or 0, 1, 2…; default: territory)")
    add_raw_csv_option(s)

    s = sub.add_parser("check", help="report unassigned units, non-contiguous territories, accounts outside units "
                                     "(exit 0 when clean, 1 when problems were found)")
    add_project_argument(s)
    s.add_argument("--scenario", metavar="NAME")

    s = sub.add_parser("move", help="assign units to a territory and save")
    add_project_argument(s)
    s.add_argument("--units", required=True, metavar="ID[,ID...]")
    s.add_argument("--to", required=True, metavar="TERRITORY", help="territory id or name; 'none' unassigns")
    s.add_argument("--scenario", metavar="NAME")
    return {"new": _cmd_new, "demo": _cmd_demo, "stats": _cmd_stats, "check": _cmd_check, "move": _cmd_move}


def _cmd_new(a) -> int:
    from territory_desk.services.project_files import new_project_from_units

    project, report = new_project_from_units(a.project, a.units, a.id_field, a.name_field, a.layer, a.encoding)
    print(report)
    print(f"created {a.project}: {len(project.units)} units, {project.adjacency.edge_count} adjacencies")
    return 0


def _cmd_demo(a) -> int:
    from territory_desk.services.project_files import create_demo

    project = create_demo(a.project, a.seed)
    sc = project.scenario
    print(f"created {a.project}: {len(project.units)} units, {len(project.accounts)} accounts, "
          f"{len(project.reps)} reps, {len(sc.regions)} regions, {len(sc.territories)} territories")
    return 0


def _cmd_stats(a) -> int:
    from territory_desk.domain.stats.hierarchy import level
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.reports import level_dict, stats_csv, stats_dict, stats_table

    project = load_project(a.project)
    sc = project.get_scenario(a.scenario)
    d = level_dict(project, a.level, sc) if a.level and level(project, a.level, sc).index else stats_dict(project, sc)
    if a.format == "json":
        print(json.dumps(d, indent=2))
    elif a.format == "csv":
        sys.stdout.write(stats_csv(d, raw=a.raw_csv))
    else:
        fields = a.fields.split(",") if a.fields else project.settings.get("balance_fields") or None
        print(stats_table(d, fields))
    return 0


def _cmd_check(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.reports import check_problems

    with repair_notes_silenced():  # the repairs are findings here: check_problems lists them
        project = load_project(a.project)
    problems = check_problems(project, project.get_scenario(a.scenario))
    for line in problems:
        print(line)
    if not problems:
        print("no problems found")
    return 1 if problems else 0


def _cmd_move(a) -> int:
    from territory_desk.domain.editing.territories import MoveUnits
    from territory_desk.domain.model.territories import UNASSIGNED
    from territory_desk.services.project_files import edit_project

    ids = split_list(a.units)
    if not ids:
        raise InputError("--units needs at least one unit id")
    unassign = a.to.strip().lower() in ("none", "unassigned", "")

    def move(doc):
        dst = UNASSIGNED if unassign else doc.scenario.territory_index(a.to)
        return MoveUnits(doc.project.units.indices_of(ids).tolist(), dst)

    edit = edit_project(a.project, move, scenario=a.scenario)
    moved, dst = len(edit.reassigned), edit.commands[0].dst
    target = "unassigned" if dst == UNASSIGNED else edit.project.get_scenario(a.scenario).territories[dst].name
    print(f"moved {moved} unit(s) to {target}" + (f" ({len(ids) - moved} already there)" if moved < len(ids) else ""))
    return 0


def run_editor(a) -> int:
    """The desktop editor (on ``a.project`` when given): the one command that loads Qt."""
    try:
        from territory_desk.ui.shell.app import run_gui
    except ImportError as exc:
        raise TerritoryDeskError(f"the desktop editor is not available: {exc}") from None
    return run_gui(getattr(a, "project", None), selftest=a.selftest)
