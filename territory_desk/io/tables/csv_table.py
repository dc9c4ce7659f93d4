"""Read a CSV/TSV file into text cells, streaming and within ReadLimits, and say what was done.

``inspect_head`` decides from the first megabyte: the encoding (BOMs, UTF-16 without a BOM, UTF-8,
Windows-1252), Excel's ``sep=;`` first line, the delimiter, and whether the header already has too
many columns. ``read_csv_cells`` then reads the rows through a TextStream (csv_stream.py):

* the fast path is pandas' C parser over the stream (a million rows in a few seconds);
* the exact path (csv_exact.py) is the csv module, line by line, used when the fast path cannot
  decide: ragged rows, blank lines before the header, a possible stray quote (a multi-line cell
  whose lines look like rows), or a quoted cell that may be longer than a row may be.

Then the notes on what the stream did to the encoding and to NUL bytes are tied to row numbers.
Cells are never converted: everything is text.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.csv_exact import read_exact
from territory_desk.io.tables.csv_stream import UTF8_SEQUENCE, Head, NeedExactReader, StreamFacts, TextStream
from territory_desk.io.tables.limits import LimitExceeded, ReadLimits, format_size

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 1 << 20
SNIFF_CHARS = 65_536
SHOWN_ROWS = 20
_SEP_LINE = re.compile(r'\s*"?sep=(.)"?[,;\t|]*\s*', re.IGNORECASE)


@dataclass
class CsvCells:
    header_index: int  # record index of the header (blank records before it are skipped)
    records: np.ndarray  # 2-D object array of str, header included, padded to the header's width
    numbers: np.ndarray  # spreadsheet row number of every record (header = row 1 when nothing precedes it)
    head: Head
    facts: StreamFacts
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    starts: np.ndarray | None = None  # first physical line of every record, when cells span lines


# ---- the head -----------------------------------------------------------------------------------
def inspect_head(path: str, limits: ReadLimits) -> tuple[Head, str]:
    """(Head, the decoded first lines) of a text table; InputError when it is empty or binary."""
    with open(path, "rb") as f:
        raw = f.read(SAMPLE_BYTES)
        whole = not f.read(1)
    if not raw.strip(b" \t\r\n\x00"):
        raise InputError(f"{path} is empty")
    head = _encoding(raw, whole)
    text = _sample_text(raw[head.bom:], head.codec, whole)
    if not text.strip():
        raise InputError(f"{path} is empty")
    probe = text[:8192]
    if sum(1 for ch in probe if ch < " " and ch not in "\t\r\n") > max(8, len(probe) // 100):
        raise InputError(f"{path} is not a text table (it holds binary data)")
    first, _, rest = text.partition("\n")
    m = _SEP_LINE.fullmatch(first.lstrip("\ufeff").rstrip("\r"))
    if m and rest.strip():
        head.delimiter, head.sep_line, text = m.group(1), True, rest
        head.notes.append(f"the first line {first.strip()!r} sets the delimiter "
                          f"({DELIMITER_NAMES.get(m.group(1), repr(m.group(1)))}); the header is the line after it")
    else:
        head.delimiter = sniff_delimiter(text)
    _check_header_width(path, text, head, limits)
    return head, text


def _encoding(raw: bytes, whole: bool) -> Head:
    if raw.startswith(codecs.BOM_UTF8):
        return Head("utf-8", "UTF-8 with BOM", bom=3)
    if raw.startswith(codecs.BOM_UTF16_LE):
        return Head("utf-16-le", "UTF-16", bom=2)
    if raw.startswith(codecs.BOM_UTF16_BE):
        return Head("utf-16-be", "UTF-16", bom=2)
    probe = raw[:4096]
    even, odd = probe[0::2], probe[1::2]
    if len(probe) >= 4:
        if odd.count(0) >= 0.4 * len(odd) and even.count(0) <= 0.05 * len(even):
            return Head("utf-16-le", "UTF-16", notes=["UTF-16 without a byte order mark (recognised by its NUL bytes)"])
        if even.count(0) >= 0.4 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return Head("utf-16-be", "UTF-16", notes=["UTF-16 without a byte order mark (recognised by its NUL bytes)"])
    sample = raw if whole else raw[: raw.rfind(b"\n") + 1] or raw
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return Head("utf-8", "UTF-8")
    except UnicodeDecodeError:
        pass
    if not UTF8_SEQUENCE.search(sample):
        return Head("cp1252", "Windows-1252")
    valid = invalid = 0  # some lines are UTF-8, others not: the file is what most of them are
    for line in sample.split(b"\n"):
        if not line.isascii():
            try:
                line.decode("utf-8")
                valid += 1
            except UnicodeDecodeError:
                invalid += 1
    return Head("utf-8", "UTF-8") if valid >= invalid else Head("cp1252", "Windows-1252")


def _sample_text(raw: bytes, codec: str, whole: bool) -> str:
    if codec.startswith("utf-16"):
        return raw[: len(raw) & ~1].decode(codec, errors="replace")
    if not whole and b"\n" in raw:
        raw = raw[: raw.rfind(b"\n") + 1]
    return raw.decode("utf-8" if codec == "utf-8" else "cp1252", errors="replace")


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


def _check_header_width(path: str, text: str, head: Head, limits: ReadLimits) -> None:
    line = next((ln for ln in text.split("\n", 200)[:200] if ln.strip()), "")
    try:
        width = len(next(csv.reader([line], delimiter=head.delimiter, strict=False), []))
    except csv.Error:
        width = line.count(head.delimiter) + 1
    if width > limits.columns:
        raise LimitExceeded(path, f"the header has {width:,} columns", "columns", limits.columns, width)


# ---- reading ------------------------------------------------------------------------------------
def read_csv_cells(path: str, limits: ReadLimits, nrows: int | None = None) -> CsvCells:
    head, text = inspect_head(path, limits)
    leading = len(text) - len(text.lstrip("\r\n\t ,;"))
    wanted = (nrows if nrows is not None else limits.rows) + 2 + text[:leading].count("\n")
    cells = None
    try:
        cells = _fast(path, head, limits, wanted, nrows)
    except (NeedExactReader, pd.errors.ParserError, ValueError, OverflowError, csv.Error):
        pass  # ragged rows, a possible stray quote, a long quoted cell: the exact reader decides
    if cells is None:
        exact = read_exact(path, head, limits, wanted)
        cells = CsvCells(exact.header, exact.records, np.arange(1, len(exact.records) + 1, dtype=np.int64), head,
                         exact.facts, exact.bad_rows, exact.notes, exact.starts)
    _check_rows(path, cells, limits, wanted, nrows)
    if cells.facts.multiline or cells.facts.longest_line > limits.field // 4:
        check_field_bytes(path, cells.records, limits)
    cells.notes[:0] = head.notes
    cells.notes += encoding_notes(cells)
    return cells


def _check_rows(path: str, cells: CsvCells, limits: ReadLimits, wanted: int, nrows: int | None) -> None:
    if nrows is None and len(cells.records) - cells.header_index - 1 > limits.rows:
        raise LimitExceeded(path, f"the file has more than {limits.rows:,} rows", "rows", limits.rows)


def _fast(path: str, head: Head, limits: ReadLimits, wanted: int, nrows: int | None) -> CsvCells | None:
    stream = TextStream(path, head, limits)
    try:
        frame = pd.read_csv(stream, sep=head.delimiter, dtype=object, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c", quotechar='"', header=None, nrows=wanted,
                            encoding="utf-8", encoding_errors="replace")
    except pd.errors.EmptyDataError:  # also when blank lines precede the header: the exact reader sees
        return None
    records = frame.to_numpy(dtype=object, copy=True)
    del frame
    records[pd.isna(records)] = ""  # short rows are padded with NaN
    facts = stream.facts
    starts = _multiline_rows(records, head) if facts.multiline else None
    index = _header_index(path, records)
    return CsvCells(index, records, np.arange(1, len(records) + 1, dtype=np.int64), head, facts, starts=starts)


def _multiline_rows(records: np.ndarray, head: Head) -> np.ndarray | None:
    """The first line index of every record when cells span lines (None when none does). A
    multi-line cell whose lines hold a row's worth of delimiters may be a stray quote's work: that
    hands the file to the exact reader."""
    extra = np.zeros(len(records), dtype=np.int64)
    width = records.shape[1] if records.ndim == 2 else 0
    for k in range(width):
        col = records[:, k]
        for i in np.flatnonzero(["\n" in v for v in col]):
            v = col[i]
            extra[i] += v.count("\n")
            if width > 1 and any(line.count(head.delimiter) >= width - 1 for line in v.split("\n")[1:]):
                raise NeedExactReader()
    if not extra.any():
        return None
    return np.arange(len(records), dtype=np.int64) + np.concatenate(([0], np.cumsum(extra)[:-1]))


def check_field_bytes(path: str, records: np.ndarray, limits: ReadLimits) -> None:
    """The field limit in bytes (only cells of more than a quarter of it can break it)."""
    quarter = limits.field // 4
    for k in range(records.shape[1] if records.ndim == 2 else 0):
        col = records[:, k]
        for i in np.flatnonzero([len(v) > quarter for v in col]):
            size = len(col[i].encode("utf-8"))
            if size > limits.field:
                raise LimitExceeded(path, f"row {i + 1:,} has a cell of {format_size(size)}", "field",
                                    limits.field, size)


def _header_index(path: str, records: np.ndarray) -> int:
    start = 0
    while start < len(records) and all(not str(v).strip() for v in records[start]):
        start += 1
    if start == len(records):
        raise InputError(f"{path} is empty")
    return start


# ---- what the encoding did ----------------------------------------------------------------------
def encoding_notes(cells: CsvCells) -> list[str]:
    """Notes on NUL bytes and on rows read in another encoding than the file's, with their rows."""
    facts, head = cells.facts, cells.head
    to_row = _line_to_row(cells)
    notes = []
    if facts.nul_bytes:
        notes.append(f"removed {facts.nul_bytes:,} NUL byte(s) ({_rows_text(to_row(facts.nul_lines), None)})")
    if head.codec == "cp1252":
        notes.append("the file is not UTF-8: read as Windows-1252")
        if facts.other_count:
            notes.append(f"{facts.other_count:,} row(s) are valid UTF-8 and were read as UTF-8: "
                         + _rows_text(to_row(facts.other_lines), facts.other_count))
    elif facts.other_count:
        if not facts.main_seen and head.codec == "utf-8":
            head.label = "Windows-1252"
            first = int(to_row([facts.first_other])[0])
            notes.append(f"the file is not UTF-8 (from row {first:,} on): read as Windows-1252")
        else:
            notes.append(f"{facts.other_count:,} row(s) are not valid UTF-8 and were read as Windows-1252: "
                         + _rows_text(to_row(facts.other_lines), facts.other_count))
    if facts.latin1_count:
        notes.append(f"{facts.latin1_count:,} row(s) hold bytes that Windows-1252 does not define and were read as "
                     "Latin-1: " + _rows_text(to_row(facts.latin1_lines), facts.latin1_count))
    return notes


def _line_to_row(cells: CsvCells):
    starts = cells.starts

    def convert(lines) -> np.ndarray:
        idx = np.asarray(lines, dtype=np.int64)
        if starts is None:
            return idx + 1
        return np.searchsorted(starts, idx, side="right").astype(np.int64)
    return convert


def _rows_text(rows: np.ndarray, total: int | None) -> str:
    rows = np.unique(rows)
    shown = ", ".join(f"{int(r):,}" for r in rows[:SHOWN_ROWS])
    more = (total or len(rows)) - min(len(rows), SHOWN_ROWS)
    return ("row " if len(rows) == 1 else "rows ") + shown + (f" and {more:,} more" if more > 0 else "")
