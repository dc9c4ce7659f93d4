"""Entry point of the packaged app (installer/territory_desk.spec): the `territory-desk` command.

With no command it starts the desktop editor, so the same executable serves the Start menu, the
file manager's "Open with" and the command line.
"""
import multiprocessing
import sys

from territory_desk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless when nothing spawns processes; required if something does
    sys.exit(main())
