"""Read tabular exports (CSV/TSV and XLSX) as they come out of CRM systems.

Every cell is read as text (``str``); nothing is converted, evaluated or interpreted here: a cell
holding ``=HYPERLINK("http://x", "Acme")`` stays exactly that string. The column mapping and the
importers decide later what a column means.

CSV: the encoding is detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM as written by Excel's
"Unicode text", else Windows-1252; Latin-1 as the last resort, which cannot fail) and the delimiter
is sniffed among comma, semicolon and tab. XLSX is read with openpyxl in read-only mode; formula
cells give their formula text, never a computed value.

Row numbers follow spreadsheet convention: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..domain.errors import InputError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SNIFF_CHARS = 65_536
PREVIEW_BYTES = 1 << 20


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


def read_table(path: str, sheet: str | None = None, nrows: int | None = None) -> RawTable:
    """Read a CSV/TSV/TXT or XLSX file as text cells. Raises InputError with one clear line when the
    file cannot be read as a table at all (missing, empty, binary, no header)."""
    label = os.fspath(path)
    if not os.path.exists(label):
        raise InputError(f"{label} does not exist")
    if os.path.isdir(label):
        raise InputError(f"{label} is a folder, not a table")
    lower = label.lower()
    if lower.endswith(".xls"):
        raise InputError(f"{label}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    if lower.endswith(EXCEL_SUFFIXES):
        return _read_xlsx(label, sheet, nrows)
    with open(label, "rb") as f:
        head = f.read(4)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(label, sheet, nrows)  # an .xlsx with another extension
    return _read_csv(label, nrows)


def list_sheets(path: str) -> list[str]:
    """Sheet names of a workbook ([] for text files)."""
    if not path.lower().endswith(EXCEL_SUFFIXES):
        return []
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


# ---- CSV ----------------------------------------------------------------------------------------
def decode_bytes(raw: bytes) -> tuple[str, str, list[str]]:
    """(text, encoding name, notes) for the raw bytes of a text file."""
    notes: list[str] = []
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "UTF-8 with BOM", notes
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16", notes
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "UTF-8", notes
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        text = raw.decode("cp1252")
        notes.append(f"the file is not UTF-8 (byte {where + 1}): read as Windows-1252")
        return text, "Windows-1252", notes
    except UnicodeDecodeError:
        notes.append(f"the file is neither UTF-8 nor Windows-1252 (byte {where + 1}): read as Latin-1")
        return raw.decode("latin-1"), "Latin-1", notes


def sniff_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon and tab that splits the first lines most consistently
    into the most columns (comma when none splits anything)."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best, best_score = ",", (0.0, 1)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if r][:50]
        except csv.Error:
            continue
        if not counts:
            continue
        header = counts[0]
        if header < 2:
            continue
        share = sum(1 for c in counts if c == header) / len(counts)
        score = (round(share, 2), header)
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv(path: str, nrows: int | None) -> RawTable:
    with open(path, "rb") as f:
        raw = f.read(PREVIEW_BYTES if nrows is not None else -1)
    if nrows is not None and len(raw) == PREVIEW_BYTES:  # a preview: stop at the last whole line
        utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        raw = raw[: len(raw) & ~1] if utf16 else raw[: raw.rfind(b"\n") + 1] or raw
    if not raw.strip():
        raise InputError(f"{path} is empty")
    text, encoding, notes = decode_bytes(raw)
    head = text[:8192]
    if sum(1 for ch in head if ch < " " and ch not in "\t\r\n") > max(8, len(head) // 100):
        raise InputError(f"{path} is not a text table (it holds binary data)")
    if "\x00" in text:
        notes.append(f"removed {text.count(chr(0))} NUL character(s)")
        text = text.replace("\x00", "")
    delimiter = sniff_delimiter(text)
    bad: list[tuple[int, str]] = []
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=object, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, engine="c", quotechar='"', header=None,
                            nrows=None if nrows is None else nrows + 1)
        records = frame.to_numpy(dtype=object, copy=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError):
        records = None
    if records is not None:
        records[pd.isna(records)] = ""  # short rows are padded with NaN
        start = 0
        while start < len(records) and all(_blank(v) for v in records[start]):
            start += 1
        if start == len(records):
            raise InputError(f"{path} is empty")
        header_cells = [str(c) for c in records[start]]
        body = records[start + 1:]
        row_numbers = np.arange(start + 2, start + 2 + len(body), dtype=np.int64)
        width = len(header_cells)
        while width > 1 and not header_cells[width - 1].strip() and all(_blank(v) for v in body[:, width - 1]):
            width -= 1  # a trailing delimiter on every line
        columns = _column_names(header_cells[:width])
        frame = pd.DataFrame({c: body[:, k] for k, c in enumerate(columns)}, dtype=object)
    else:
        cells, first = _split_with_csv_module(text, delimiter, nrows)
        columns = _column_names(cells[0])
        width = len(columns)
        keep, numbers = [], []
        for k, r in enumerate(cells[1:]):
            row = first + 2 + k
            if len(r) > width and any(v.strip() for v in r[width:]):
                bad.append((row, f"has {len(r)} cells but the header has {width}"))
                continue
            keep.append((r + [""] * width)[:width])
            numbers.append(row)
        frame = pd.DataFrame(keep, columns=columns, dtype=object) if keep else _empty_frame(columns)
        row_numbers = np.asarray(numbers, dtype=np.int64)
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
        row_numbers = row_numbers[~blank]
    return RawTable(path, columns, frame, row_numbers, encoding, delimiter, notes=notes, bad_rows=bad)


def _split_with_csv_module(text: str, delimiter: str, nrows: int | None) -> tuple[list[list[str]], int]:
    """Slow path for files pandas refuses (ragged rows, stray quotes): every record as a list, from
    the header on, and the number of blank records before the header."""
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for r in reader:
            out.append(r)
            if nrows is not None and len(out) > nrows + 1:
                break
    except csv.Error as exc:
        raise InputError(f"cannot split the file into cells at row {len(out) + 1} ({exc})") from None
    first = 0
    while first < len(out) and not any(v.strip() for v in out[first]):
        first += 1
    if first == len(out):
        raise InputError("the file is empty")
    return out[first:], first


# ---- XLSX ---------------------------------------------------------------------------------------
def _open_workbook(path: str):
    import zipfile

    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell gives its formula text; openpyxl never evaluates anything
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: cannot read as an Excel workbook ({_one_line(exc)})") from None
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise InputError(f"{path}: cannot read as an Excel workbook ({_one_line(exc)})") from None


def _read_xlsx(path: str, sheet: str | None, nrows: int | None) -> RawTable:
    wb = _open_workbook(path)
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise InputError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        ws = wb[sheet] if sheet is not None else wb[names[0]]
        header: list[str] | None = None
        header_row = 0
        data: list[list[str]] = []
        numbers: list[int] = []
        for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if header is None:
                if any(c.strip() for c in cells):
                    header, header_row = cells, r
                continue
            if not any(c.strip() for c in cells):
                continue
            data.append(cells)
            numbers.append(r)
            if nrows is not None and len(data) >= nrows:
                break
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot read the workbook ({_one_line(exc)})") from None
    finally:
        wb.close()
    if header is None:
        raise InputError(f"{path}: sheet {ws.title!r} is empty")
    while len(header) > 1 and not header[-1].strip() and all(len(d) < len(header) or not d[len(header) - 1].strip()
                                                              for d in data):
        header = header[:-1]
    columns = _column_names(header)
    width = len(columns)
    frame = pd.DataFrame([(d + [""] * width)[:width] for d in data], columns=columns, dtype=object) if data else \
        _empty_frame(columns)
    notes = [f"header in row {header_row}"] if header_row != 1 else []
    if len(names) > 1:
        notes.append(f"read sheet {ws.title!r} of {len(names)} ({', '.join(names)})")
    return RawTable(path, columns, frame, np.asarray(numbers, dtype=np.int64), sheet=ws.title, notes=notes)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
