"""Read an XLSX worksheet into text cells, within ReadLimits, without trusting the package.

Before openpyxl opens anything, the ZIP package is checked: the unzipped size of all its parts
against the ``unzipped`` limit (a zip bomb is refused up front; the sizes ZIP declares are the
sizes Python's zipfile will deliver), and the prolog of every XML part for a DTD (xml_guard.py).
openpyxl then reads in read-only mode with defusedxml's parser (a dependency: openpyxl uses it
whenever it is installed) and lxml without entity resolution, so no entity is ever expanded.
The sheet's declared dimension is ignored (a forged ``A1:XFD1048576`` would make every row
16,384 cells wide); rows, cells per row and bytes per cell are counted against the limits while
the sheet streams. Formula cells give their formula text, never a computed value.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.limits import LimitExceeded, ReadLimits, format_size
from territory_desk.io.tables.xml_guard import check_zip_members


@dataclass
class SheetCells:
    header: list[str]
    header_row: int
    data: list[list[str]]
    numbers: list[int]
    sheet: str
    notes: list[str] = field(default_factory=list)


def check_package(path: str, limits: ReadLimits) -> None:
    """The unzipped size and the XML prologs of an XLSX package."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(max(0, i.file_size) for i in zf.infolist())
            if total > limits.unzipped:
                raise LimitExceeded(path, f"the workbook unzips to {format_size(total)}", "unzipped",
                                    limits.unzipped, total)
            check_zip_members(zf, path)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError) as exc:
        raise InputError(f"{path}: cannot read as an Excel workbook ({_one_line(exc)})") from None


class _Workbook:
    """An openpyxl workbook read from an open file (openpyxl judges a path by its extension; the
    format was decided from the bytes already), closed together with the file."""

    def __init__(self, path: str):
        from openpyxl import load_workbook

        self.file = open(path, "rb")
        try:
            # data_only=False: a formula cell gives its formula text; openpyxl never evaluates anything
            self.wb = load_workbook(self.file, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            self.file.close()
            raise InputError(f"{path}: cannot read as an Excel workbook ({_one_line(exc)})") from None

    def close(self) -> None:
        try:
            self.wb.close()
        finally:
            self.file.close()


def open_workbook(path: str, limits: ReadLimits) -> _Workbook:
    check_package(path, limits)
    return _Workbook(path)


def sheet_names(path: str, limits: ReadLimits) -> list[str]:
    book = open_workbook(path, limits)
    try:
        return list(book.wb.sheetnames)
    finally:
        book.close()


def read_sheet(path: str, sheet: str | None, limits: ReadLimits, nrows: int | None = None) -> SheetCells:
    book = open_workbook(path, limits)
    wb = book.wb
    try:
        names = list(wb.sheetnames)
        if not names:
            raise InputError(f"{path}: the workbook has no sheets")
        if sheet is not None and sheet not in names:
            raise InputError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        ws = wb[sheet] if sheet is not None else wb[names[0]]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # rows as wide as their last cell, not as the declared dimension
        out = _rows(path, ws, limits, nrows)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot read the workbook ({_one_line(exc)})") from None
    finally:
        book.close()
    if out.header_row != 1:
        out.notes.append(f"header in row {out.header_row}")
    if len(names) > 1:
        out.notes.append(f"read sheet {out.sheet!r} of {len(names)} ({', '.join(names)})")
    return out


def _rows(path: str, ws, limits: ReadLimits, nrows: int | None) -> SheetCells:
    header: list[str] | None = None
    header_row = 0
    data: list[list[str]] = []
    numbers: list[int] = []
    big = limits.field // 4  # a cell of fewer characters cannot have more bytes than the limit
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if len(values) > limits.columns:
            raise LimitExceeded(path, f"sheet {ws.title!r}, row {r:,} has {len(values):,} cells", "columns",
                                limits.columns, len(values))
        cells = [_cell_text(v) for v in values]
        for k, c in enumerate(cells):
            if len(c) > big and len(c.encode("utf-8")) > limits.field:
                size = len(c.encode("utf-8"))
                raise LimitExceeded(path, f"sheet {ws.title!r}, row {r:,} has a cell of {format_size(size)}",
                                    "field", limits.field, size)
        if header is None:
            if any(c.strip() for c in cells):
                header, header_row = cells, r
            continue
        if r - header_row > limits.rows:
            raise LimitExceeded(path, f"sheet {ws.title!r} has more than {limits.rows:,} rows", "rows", limits.rows)
        if not any(c.strip() for c in cells):
            continue
        data.append(cells)
        numbers.append(r)
        if nrows is not None and len(data) >= nrows:
            break
    if header is None:
        raise InputError(f"{path}: sheet {ws.title!r} is empty")
    return SheetCells(header, header_row, data, numbers, ws.title)


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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
