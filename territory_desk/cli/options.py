"""What the commands of ``territory-desk`` share: options (``--raw-csv``, ``--limits``), small parsers
of option values, the checks made before a command writes a file, and the repair notes printed while
a project opens.

Imports stay light here (the standard library and two small modules): ``territory-desk --help``
builds every command's options without loading numpy, shapely or Qt.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.limits import LIMITS_HELP, ReadLimits, parse_limits

RAW_CSV_HELP = ("CSV: write every cell exactly as it is, without the apostrophe put before text a spreadsheet would "
                "run as a formula (=, +, -, @, tab, CR); for data pipelines, not for files opened in a spreadsheet")
ENCODING_HELP = ("text encoding of a shapefile's .dbf (UTF-8, cp1252, latin-1, cp850, ...); default: its .cpg, "
                 "else UTF-8 when the text is valid UTF-8, else Windows-1252 (the report says which)")
NOTES_LOGGER = "territory_desk.project_file"  # persistence/reader.py logs what it repaired on open there


# ---- options ----------------------------------------------------------------------------------------
def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT.gpkg")


def add_raw_csv_option(parser: argparse.ArgumentParser) -> None:
    """``--raw-csv``: every command that writes CSV has it (see io/tables/safe_csv.py)."""
    parser.add_argument("--raw-csv", action="store_true", help=RAW_CSV_HELP)


def add_limits_option(parser: argparse.ArgumentParser) -> None:
    """``--limits``: the bounds a table file must stay within (io/tables/limits.py)."""
    parser.add_argument("--limits", metavar="KEY=VALUE,...", help=LIMITS_HELP)


def limits_of(a: argparse.Namespace) -> ReadLimits:
    return parse_limits(getattr(a, "limits", None))


def split_list(text: str | None) -> list[str]:
    """``A, B,,C`` -> ["A", "B", "C"]: the items of a comma-separated option."""
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def check_writable(path: str, what: str = "") -> None:
    """Refuse, before anything is changed, an output file that could not be written afterwards."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK) or os.path.isdir(path):
        raise InputError(f"cannot write {what + ' to ' if what else ''}{path}")


# ---- repair notes -----------------------------------------------------------------------------------
class RepairNotes(logging.Handler):
    """Repairs made while opening a project: one `territory-desk: note: ...` line each on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.quiet = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.quiet:
            print(f"territory-desk: note: {record.getMessage()}", file=sys.stderr)


NOTES = RepairNotes()


def print_repair_notes() -> None:
    """Print the repair notes of every project opened from now on (the entry point calls it once)."""
    notes = logging.getLogger(NOTES_LOGGER)
    if NOTES not in notes.handlers:
        notes.addHandler(NOTES)
        notes.setLevel(logging.INFO)
        notes.propagate = False


@contextmanager
def repair_notes_silenced() -> Iterator[None]:
    """For `check`, which lists the repairs as findings on stdout instead."""
    NOTES.quiet = True
    try:
        yield
    finally:
        NOTES.quiet = False
