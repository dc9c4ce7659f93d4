"""The `territory-desk` command: everything the GUI does, headless.

This module is the entry point: the table of commands (each area's module registers its own, see
``COMMAND_MODULES``) and the error handling. Errors print one line to stderr and exit non-zero
(2 for usage and input errors, 1 for `check` findings); never a traceback.

The command modules import the services a command needs when it runs (inside its function), so
that `territory-desk --help` and every command's options come up without numpy, shapely or Qt
(tests/cli/test_entry_point.py); every command that changes a project file goes through
``services.project_files.edit_project``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from territory_desk import __version__
from territory_desk.cli.options import print_repair_notes
from territory_desk.cli.project import run_editor
from territory_desk.domain.model.errors import TerritoryDeskError

EPILOG = "Run `territory-desk COMMAND --help` for the options of a command."
# each module has register(subparsers) -> {command name: function(args) -> exit code}
COMMAND_MODULES = ["territory_desk.cli.project", "territory_desk.cli.imports", "territory_desk.cli.optimize",
                   "territory_desk.cli.export", "territory_desk.cli.reps", "territory_desk.cli.territory_layers",
                   "territory_desk.cli.leads", "territory_desk.cli.compare", "territory_desk.cli.kpis",
                   "territory_desk.cli.freeform", "territory_desk.cli.regions"]
Command = Callable[[argparse.Namespace], int]


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
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
    commands: dict[str, Command] = {}
    for name in COMMAND_MODULES:
        commands.update(importlib.import_module(name).register(sub))
    return p, commands


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    print_repair_notes()
    parser, commands = _parser()
    # `territory-desk PROJECT.gpkg` (no subcommand) opens the editor on that project
    first = next((t for t in argv if not t.startswith("-")), None)
    if first not in commands and not {"-h", "--help", "--version"} & set(argv):
        gui = argparse.ArgumentParser(prog="territory-desk")
        gui.add_argument("project", nargs="?")
        gui.add_argument("--selftest", action="store_true")
        return _run(run_editor, gui.parse_args(argv))
    a = parser.parse_args(argv)
    if a.command is None:
        parser.print_help()
        return 0
    return _run(commands[a.command], a)


def _run(fn: Command, a: argparse.Namespace) -> int:
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
