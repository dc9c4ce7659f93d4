"""The `territory-desk` command: everything the GUI does, headless.

Errors print one line to stderr and exit non-zero (2 for usage and input errors, 1 for `check`
findings); never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys

from territory_desk import __version__
from territory_desk.domain.model.errors import TerritoryDeskError

EPILOG = "Run `territory-desk COMMAND --help` for the options of a command."
RAW_CSV_HELP = ("CSV: write every cell exactly as it is, without the apostrophe put before text a spreadsheet would "
                "run as a formula (=, +, -, @, tab, CR); for data pipelines, not for files opened in a spreadsheet")


def add_raw_csv_option(parser: argparse.ArgumentParser) -> None:
    """``--raw-csv``: every command that writes CSV has it (see io/safe_csv.py)."""
    parser.add_argument("--raw-csv", action="store_true", help=RAW_CSV_HELP)
NOTES_LOGGER = "territory_desk.project_file"  # persistence/reader.py logs what it repaired on open there


class _Notes(logging.Handler):
    """Repairs made while opening a project: one `territory-desk: note: ...` line each on stderr."""

    quiet = False  # `check` lists them on stdout instead

    def emit(self, record: logging.LogRecord) -> None:
        if not self.quiet:
            print(f"territory-desk: note: {record.getMessage()}", file=sys.stderr)


_NOTES = _Notes(logging.INFO)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="territory-desk",
        description="Sales territory planning: design balanced, compact, contiguous territories. "
        "With no command, starts the desktop editor (optionally on PROJECT.gpkg).",
        epilog=EPILOG,
    )
    p.add_argument("--version", action="version", version=f"territory-desk {__version__}")
    p.add_argument("--selftest", action="store_true",
                   help="open the project (the demo by default) in the real main window, paint one edit, "
                        "render a frame and exit 0 (non-zero with the reason)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("new", help="create a project from a polygon layer (shapefile, GeoJSON, GeoPackage, KML)")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--units", required=True, metavar="FILE", help="polygon file in any CRS")
    s.add_argument("--id-field", metavar="F")
    s.add_argument("--name-field", metavar="F")
    s.add_argument("--layer", metavar="L", help="layer name for multi-layer files")

    s = sub.add_parser("demo", help="build the bundled US demo project (offline, deterministic for a seed)")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--seed", type=int, default=1)

    s = sub.add_parser("stats", help="balance statistics per territory")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--scenario", metavar="NAME")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--fields", metavar="F[,F...]", help="metric fields to show in the table")
    s.add_argument("--level", metavar="LEVEL", help="roll every metric up to a hierarchy level: territory, region, "
                                                    "area, … (a name or 0, 1, 2…; default: territory)")
    add_raw_csv_option(s)

    s = sub.add_parser("check", help="report unassigned units, non-contiguous territories, accounts outside units "
                                     "(exit 0 when clean, 1 when problems were found)")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--scenario", metavar="NAME")

    s = sub.add_parser("move", help="assign units to a territory and save")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--units", required=True, metavar="ID[,ID...]")
    s.add_argument("--to", required=True, metavar="TERRITORY", help="territory id or name; 'none' unassigns")
    s.add_argument("--scenario", metavar="NAME")
    for name in COMMAND_MODULES:  # commands of other areas register themselves here
        COMMANDS.update(importlib.import_module(name).register(sub))
    return p


def _cmd_new(a) -> int:
    from territory_desk.services.project_files import new_project_from_units

    project, report = new_project_from_units(a.project, a.units, a.id_field, a.name_field, a.layer)
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
    from territory_desk.persistence.store import load_project
    from territory_desk.domain.stats.hierarchy import level
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
    from territory_desk.persistence.store import load_project
    from territory_desk.services.reports import check_problems

    _NOTES.quiet = True  # the repairs are findings here: check_problems lists them
    try:
        project = load_project(a.project)
    finally:
        _NOTES.quiet = False
    problems = check_problems(project, project.get_scenario(a.scenario))
    for line in problems:
        print(line)
    if not problems:
        print("no problems found")
    return 1 if problems else 0


def _cmd_move(a) -> int:
    from territory_desk.domain.editing.territories import MoveUnits
    from territory_desk.domain.editing.scenarios import SwitchScenario
    from territory_desk.domain.model.errors import InputError
    from territory_desk.domain.model.territories import UNASSIGNED
    from territory_desk.services.project_files import open_document, save_document

    doc = open_document(a.project)
    if a.scenario and a.scenario != doc.project.active:
        active = doc.project.active
        SwitchScenario(a.scenario).redo(doc)
    else:
        active = None
    ids = [u.strip() for u in a.units.split(",") if u.strip()]
    if not ids:
        raise InputError("--units needs at least one unit id")
    units = doc.project.units.indices_of(ids)
    dst = UNASSIGNED if a.to.strip().lower() in ("none", "unassigned", "") else doc.scenario.territory_index(a.to)
    cmd = MoveUnits(units.tolist(), dst)
    cmd.redo(doc)
    moved = len(cmd.moved_units)
    if active:
        doc.project.active = active
    save_document(doc)
    target = "unassigned" if dst == UNASSIGNED else doc.project.get_scenario(a.scenario).territories[dst].name
    print(f"moved {moved} unit(s) to {target}" + (f" ({len(ids) - moved} already there)" if moved < len(ids) else ""))
    return 0


def _cmd_gui(a) -> int:
    try:
        from territory_desk.ui.shell.app import run_gui
    except ImportError as exc:
        raise TerritoryDeskError(f"the desktop editor is not available: {exc}") from None
    return run_gui(getattr(a, "project", None), selftest=a.selftest)


COMMANDS = {"new": _cmd_new, "demo": _cmd_demo, "stats": _cmd_stats, "check": _cmd_check, "move": _cmd_move}
# each module has register(subparsers) -> {command name: function(args) -> exit code}
COMMAND_MODULES = ["territory_desk.cli.imports", "territory_desk.cli.optimize", "territory_desk.cli.export",
                   "territory_desk.cli.reps", "territory_desk.cli.territory_layers", "territory_desk.cli.leads",
                   "territory_desk.cli.compare", "territory_desk.cli.kpis", "territory_desk.cli.freeform",
                   "territory_desk.cli.regions"]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    notes = logging.getLogger(NOTES_LOGGER)
    if _NOTES not in notes.handlers:
        notes.addHandler(_NOTES)
        notes.setLevel(logging.INFO)
        notes.propagate = False
    parser = _parser()
    # `territory-desk PROJECT.gpkg` (no subcommand) opens the editor on that project
    first = next((t for t in argv if not t.startswith("-")), None)
    if first not in COMMANDS and not {"-h", "--help", "--version"} & set(argv):
        gui = argparse.ArgumentParser(prog="territory-desk")
        gui.add_argument("project", nargs="?")
        gui.add_argument("--selftest", action="store_true")
        a = gui.parse_args(argv)
        return _run(_cmd_gui, a)
    a = parser.parse_args(argv)
    if a.command is None:
        parser.print_help()
        return 0
    return _run(COMMANDS[a.command], a)


def _run(fn, a) -> int:
    try:
        return fn(a)
    except TerritoryDeskError as exc:
        print(f"territory-desk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("territory-desk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"territory-desk: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except MemoryError:
        print("territory-desk: error: out of memory", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
