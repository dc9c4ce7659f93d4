"""Read tabular exports (CSV/TSV and XLSX) as they come out of CRM systems.

Every cell is read as text (``str``); nothing is converted, evaluated or interpreted here: a cell
holding ``=HYPERLINK("http://x", "Acme")`` stays exactly that string. The column mapping and the
importers decide later what a column means.

Files are untrusted input. The format is decided from the bytes, not the name (format.py);
reading streams and stays within ReadLimits (limits.py: rows, columns, bytes per cell and per
line, unzipped size), refusing a file beyond them with one line. CSV (csv_table.py): the encoding
is decided per file and, where lines differ, per line (UTF-8, UTF-8 with BOM, UTF-16 with or without
a BOM, Windows-1252); Excel's ``sep=;`` line is honoured, else the delimiter is sniffed among comma,
semicolon and tab; a stray quote that swallowed rows is found and undone. XLSX (xlsx.py) is
read with openpyxl in read-only mode after the package is checked; formula cells give their formula
text, never a computed value. Everything the reader did is in ``RawTable.notes``.

Row numbers follow spreadsheet convention: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from territory_desk.io.tables.csv_table import DELIMITER_NAMES, read_csv_cells, sniff_delimiter  # noqa: F401 (sniff_delimiter: API)
from territory_desk.io.tables.format import XLSX, check_readable_file, detect_format
from territory_desk.io.tables.limits import DEFAULT_LIMITS, ReadLimits
from territory_desk.io.tables.xlsx import read_sheet, sheet_names


@dataclass
class RawTable:
    """A table of text cells: ``frame`` has one object column of ``str`` per source column."""

    path: str
    columns: list[str]
    frame: pd.DataFrame
    rows: np.ndarray  # int64 spreadsheet row number of every frame row
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    notes: list[str] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # rows that could not be split into cells

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.bad_rows)

    def describe(self) -> str:
        if self.sheet:
            return f"sheet {self.sheet!r}"
        return f"{self.encoding}, {DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"


def read_table(path: str, sheet: str | None = None, nrows: int | None = None,
               limits: ReadLimits | None = None) -> RawTable:
    """Read a CSV/TSV/TXT or XLSX file as text cells. Raises InputError with one clear line when the
    file cannot be read as a table at all (missing, empty, binary, another format, beyond a limit)."""
    label = os.fspath(path)
    check_readable_file(label)
    limits = limits or DEFAULT_LIMITS
    kind = detect_format(label)
    notes = []
    lower = label.lower()
    if kind == XLSX and not lower.endswith((".xlsx", ".xlsm")):
        notes.append(f"read as an Excel workbook (its content is XLSX whatever the name {os.path.basename(label)!r} "
                     "says)")
    elif kind != XLSX and lower.endswith((".xlsx", ".xlsm", ".xls")):
        notes.append("read as a text table (the file is CSV/TSV text, not an Excel workbook, whatever its name says)")
    table = _read_xlsx(label, sheet, nrows, limits) if kind == XLSX else _read_csv(label, nrows, limits)
    table.notes[:0] = notes
    return table


def list_sheets(path: str, limits: ReadLimits | None = None) -> list[str]:
    """Sheet names of a workbook ([] for text files)."""
    label = os.fspath(path)
    check_readable_file(label)
    if detect_format(label) != XLSX:
        return []
    return sheet_names(label, limits or DEFAULT_LIMITS)


def _read_csv(path: str, nrows: int | None, limits: ReadLimits) -> RawTable:
    cells = read_csv_cells(path, limits, nrows)
    start = cells.header_index
    records = cells.records
    header_cells = [str(c) for c in records[start]]
    body = records[start + 1:]
    row_numbers = cells.numbers[start + 1:]
    bad_numbers = {row for row, _ in cells.bad_rows}
    if bad_numbers:
        keep = ~np.isin(row_numbers, list(bad_numbers))
        body, row_numbers = body[keep], row_numbers[keep]
    if nrows is not None:
        body, row_numbers = body[:nrows], row_numbers[:nrows]
    width = len(header_cells)
    while width > 1 and not header_cells[width - 1].strip() and all(_blank(v) for v in body[:, width - 1]):
        width -= 1  # a trailing delimiter on every line
    columns = _column_names(header_cells[:width])
    frame = pd.DataFrame({c: body[:, k] for k, c in enumerate(columns)}, dtype=object) if len(body) else \
        _empty_frame(columns)
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
        row_numbers = row_numbers[~blank]
    return RawTable(path, columns, frame, np.asarray(row_numbers, dtype=np.int64), cells.head.label,
                    cells.head.delimiter, notes=cells.notes, bad_rows=cells.bad_rows)


def _read_xlsx(path: str, sheet: str | None, nrows: int | None, limits: ReadLimits) -> RawTable:
    s = read_sheet(path, sheet, limits, nrows)
    header, data = s.header, s.data
    while len(header) > 1 and not header[-1].strip() and all(len(d) < len(header) or not d[len(header) - 1].strip()
                                                              for d in data):
        header = header[:-1]
    columns = _column_names(header)
    width = len(columns)
    frame = pd.DataFrame([(d + [""] * width)[:width] for d in data], columns=columns, dtype=object) if data else \
        _empty_frame(columns)
    return RawTable(path, columns, frame, np.asarray(s.numbers, dtype=np.int64), sheet=s.sheet, notes=s.notes)


# ---- shared -------------------------------------------------------------------------------------
def _column_names(header: list[str]) -> list[str]:
    """Unique, stripped header names; blank ones become column_N."""
    out: list[str] = []
    seen: set[str] = set()
    for k, h in enumerate(header, start=1):
        name = str(h).replace("\ufeff", "").strip() or f"column_{k}"
        base, n = name, 2
        while name.casefold() in seen:
            name, n = f"{base} ({n})", n + 1
        seen.add(name.casefold())
        out.append(name)
    return out


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose cells are all blank (checked on the first column, then only on the candidates)."""
    mask = np.zeros(len(frame), dtype=bool)
    if frame.shape[1] == 0 or len(frame) == 0:
        return mask
    first = frame.iloc[:, 0].to_numpy(dtype=object)
    cand = np.flatnonzero([not v.strip() for v in first])
    for k in cand:
        mask[k] = all(_blank(v) for v in frame.iloc[k].tolist())
    return mask
