"""The exact way to read a CSV: the csv module over the stream's lines, one record at a time,
knowing which physical lines each record took (used when the fast pandas path cannot decide).

A stray quote (an opening ``"`` that is never closed) makes every CSV reader swallow the following
lines into one cell. It is recognised in a record spanning lines of which the first and at least one
other are, on their own, complete rows of the header's width: those lines are read as the rows they
are, the quote is kept as a character, and a note says which rows it had swallowed. When the
swallowed cell grows beyond the field or line limit before it closes, the lines read so far are
recovered the same way and the lines after them are followed, quote by quote, to the line where a
CSV reader would have closed the cell, so the note still counts every swallowed row. A long cell
that is not a stray quote is refused with the limit it broke.
"""
from __future__ import annotations

import contextlib
import csv
import threading
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.csv_stream import Head, StreamFacts, TextStream
from territory_desk.io.tables.limits import LimitExceeded, ReadLimits, format_size

_FIELD_LIMIT_LOCK = threading.Lock()


@dataclass
class ExactCells:
    header: int  # record index of the header
    records: np.ndarray  # 2-D object array of str, padded or cut to the header's width
    starts: np.ndarray  # first physical line index of every record
    facts: StreamFacts
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Lines:
    """The stream's text lines, remembering those of the record being read (bounded by the line limit)."""

    def __init__(self, stream: TextStream, limit: int):
        self.it = iter(stream.text_lines())
        self.count = 0
        self.buf: list[str] = []
        self.size = 0
        self.limit = limit

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.it)
        self.count += 1
        self.buf.append(line)
        self.size += len(line)
        if self.size > self.limit:
            raise _RowTooLong()
        return line

    def take(self) -> list[str]:
        out, self.buf, self.size = self.buf, [], 0
        return out


class _RowTooLong(Exception):
    pass


@contextlib.contextmanager
def _field_limit(limit: int):
    with _FIELD_LIMIT_LOCK:
        old = csv.field_size_limit()
        csv.field_size_limit(min(limit, 2 ** 31 - 1))
        try:
            yield
        finally:
            csv.field_size_limit(old)


def read_exact(path: str, head: Head, limits: ReadLimits, wanted: int) -> ExactCells:
    """At most ``wanted`` records (header and blank lines included) of the file."""
    stream = TextStream(path, head, limits)
    stream.exact = True
    lines = _Lines(stream, limits.line)
    d = head.delimiter
    rows: list[list[str]] = []
    starts: list[int] = []
    width, header_cells = 0, []
    strays: list[_Stray] = []
    with _field_limit(limits.field):
        reader = csv.reader(lines, delimiter=d, strict=False)
        while len(rows) < wanted:
            first_line = lines.count
            try:
                r = next(reader)
            except StopIteration:
                break
            except (csv.Error, _RowTooLong) as exc:
                buf = lines.take()
                if width and _swallowed(buf, d, width):
                    strays.append(_recover(buf, d, first_line, rows, starts, header_cells))
                    strays[-1].open = True  # the cell ran on past the limit: it swallowed more
                    reader = csv.reader(lines, delimiter=d, strict=False)
                    continue
                row = len(rows) + 1
                if isinstance(exc, _RowTooLong):
                    raise LimitExceeded(path, f"row {row:,} (from line {first_line + head.line_offset:,}) is longer "
                                              f"than {format_size(limits.line)}", "line", limits.line) from None
                if "field larger" in str(exc):
                    raise LimitExceeded(path, f"row {row:,} (from line {first_line + head.line_offset:,}) has a cell "
                                              f"longer than {format_size(limits.field)}", "field",
                                        limits.field) from None
                raise InputError(f"{path}: cannot split row {row:,} into cells ({exc})") from None
            buf = lines.take()
            if strays and strays[-1].open:
                strays[-1].ran_on(buf, d)
            if len(r) > limits.columns:
                raise LimitExceeded(path, f"row {len(rows) + 1:,} has {len(r):,} cells", "columns", limits.columns,
                                    len(r))
            if not width and any(v.strip() for v in r):
                width, header_cells = len(r), r
            elif width and len(buf) > 1 and _swallowed(buf, d, width):
                strays.append(_recover(buf, d, first_line, rows, starts, header_cells))
                continue
            rows.append(r)
            starts.append(first_line)
    notes = [st.note() for st in strays]
    if not width:
        raise InputError(f"{path} is empty")
    header = next(k for k, r in enumerate(rows) if any(v.strip() for v in r))
    records, bad = _rectangle(rows, header, width)
    return ExactCells(header, records, np.asarray(starts, dtype=np.int64), stream.facts, bad, notes)


def _rectangle(rows: list[list[str]], header: int, width: int) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Rows padded or cut to the header's width; rows with extra non-blank cells become bad rows."""
    bad: list[tuple[int, str]] = []
    records = np.empty((len(rows), width), dtype=object)
    records[:] = ""
    for k, r in enumerate(rows):
        if len(r) > width and k > header and any(v.strip() for v in r[width:]):
            bad.append((k + 1, f"has {len(r)} cells but the header has {width}"))
            continue
        n = min(len(r), width)
        records[k, :n] = r[:n]
    return records, bad


def split_line(line: str, d: str) -> list[str]:
    """One physical line on its own; with an odd number of quotes, every quote is a character."""
    text = line.rstrip("\r\n")
    quoting = csv.QUOTE_NONE if text.count('"') % 2 else csv.QUOTE_MINIMAL
    return next(csv.reader([text], delimiter=d, quoting=quoting, strict=False), [])


def quoted_after(line: str, d: str, quoted: bool) -> bool:
    """Whether a CSV reader is inside a quoted cell at the end of ``line`` (starting inside one or
    not): a quote opens a cell only at its start, ``""`` is a quote inside it, any other quote ends it."""
    i, n, at_start = 0, len(line), not quoted
    while i < n:
        if quoted:
            j = line.find('"', i)
            if j < 0:
                return True
            if line.startswith('""', j):
                i = j + 2
                continue
            quoted, i, at_start = False, j + 1, False
            continue
        if at_start and line.startswith('"', i):
            quoted, i = True, i + 1
            continue
        j = line.find(d, i)
        if j < 0:
            return False
        i, at_start = j + 1, True
    return quoted


def _swallowed(lines: list[str], d: str, width: int) -> bool:
    """A stray quote: the first line and at least one other are complete rows on their own."""
    if len(lines) < 2 or width < 2:
        return False
    if len(split_line(lines[0], d)) != width:
        return False
    return any(len(split_line(ln, d)) == width for ln in lines[1:])


@dataclass
class _Stray:
    """A stray quote: the row it is in, its column, and how many following lines it swallowed."""

    row: int
    column: str  # "column 2 ('Account Name')", or ""
    swallowed: int
    open: bool = False

    def ran_on(self, lines: list[str], d: str) -> None:
        """Lines read after a recovery that the quote's cell would still have swallowed, up to the
        line where a CSV reader would have closed it (simulated quote by quote)."""
        for ln in lines:
            if not self.open:
                return
            self.swallowed += 1
            self.open = quoted_after(ln.rstrip("\r\n"), d, True)

    def note(self) -> str:
        where = f" in {self.column}" if self.column else ""
        n, row = self.swallowed, self.row
        return (f"row {row:,}: an unbalanced quote (\"){where} had swallowed the next {n:,} line(s) into one cell "
                f"(rows {row + 1:,}–{row + n:,}); read them as the rows they are, the quote kept as a character")


def _recover(lines: list[str], d: str, first_line: int, rows: list, starts: list, header: list[str]) -> _Stray:
    row = len(rows) + 1
    cells = split_line(lines[0], d)
    k = next((k for k, v in enumerate(cells) if '"' in v), None)
    name = f" ({header[k].strip()!r})" if k is not None and k < len(header) and header[k].strip() else ""
    column = f"column {k + 1}{name}" if k is not None else ""
    for k, ln in enumerate(lines):
        rows.append(split_line(ln, d))
        starts.append(first_line + k)
    return _Stray(row, column, len(lines) - 1)
