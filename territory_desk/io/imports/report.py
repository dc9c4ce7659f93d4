"""The report every import yields: rows read, imported, placed by which method, re-import changes,
and every rejected row with its row number and reason. Nothing is dropped without a line here.

A reason reads "category: detail" ("unknown ZIP: '99999'"); the summary counts categories. The CSV
form lists every row (imported rows with their outcome and geocoding method, rejected rows with the
reason) and then the accounts a re-import removed. Cells that a spreadsheet would run as a formula
(starting with =, +, -, @, tab, CR) are written with a leading apostrophe (io/safe_csv.py), so the
report stays inert text; ``raw=True`` (the CLI's ``--raw-csv``) writes them as they are.
"""
from __future__ import annotations

import io
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.io.imports.geocoding import METHOD_NAMES
from territory_desk.io.output_files import replaced_when_written
from territory_desk.io.tables.safe_csv import writer as csv_writer

ADDED, CHANGED, UNCHANGED, KEPT = 1, 2, 3, 4
OUTCOME_NAMES = {ADDED: "added", CHANGED: "changed", UNCHANGED: "unchanged", KEPT: "kept"}
CSV_HEADER = ("row", "id", "outcome", "method", "reason")


@dataclass
class Rejection:
    row: int  # spreadsheet row number (header = row 1); 0 when not tied to a row
    id: str
    reason: str

    @property
    def category(self) -> str:
        return self.reason.split(":", 1)[0].strip()


@dataclass
class ImportReport:
    kind: str  # "accounts", "reps" or "units"
    source: str
    rows_read: int = 0
    imported: int = 0
    methods: dict[str, int] = field(default_factory=dict)  # "coordinates"/"zip"/"city"/"county" -> rows
    rejected: list[Rejection] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reimport: bool = False
    # per imported row, for the CSV: row numbers, ids, outcome codes, geocoding method codes
    row_numbers: np.ndarray | None = None
    row_ids: list[str] | None = None
    row_outcomes: np.ndarray | None = None
    row_methods: np.ndarray | None = None

    @property
    def removed(self) -> int:
        return len(self.removed_ids)

    @property
    def ok(self) -> bool:
        return self.imported > 0

    def reject(self, row: int, id_: str, reason: str) -> None:
        self.rejected.append(Rejection(int(row), str(id_), reason))

    def rejection_counts(self) -> Counter:
        return Counter(r.category for r in self.rejected)

    def summary_lines(self, examples: int = 5) -> list[str]:
        what = {"accounts": "account", "reps": "rep", "units": "unit"}.get(self.kind, "row")
        lines = [f"{os.path.basename(self.source)}: {self.rows_read:,} row(s) read, "
                 f"{self.imported:,} {what}(s) imported, {len(self.rejected):,} rejected"]
        placed = [f"{n:,} by {m}" for m, n in self.methods.items() if n]
        if placed:
            lines.append("placed " + ", ".join(placed))
        if self.reimport:
            lines.append(f"compared with the project: {self.added:,} added, {self.changed:,} changed, "
                         f"{self.unchanged:,} unchanged, {self.removed:,} removed")
        counts = self.rejection_counts()
        if counts:
            lines.append("rejected: " + ", ".join(f"{n:,} {c}" for c, n in counts.most_common()))
            for r in sorted(self.rejected, key=lambda r: r.row)[:examples]:
                lines.append(f"  row {r.row}: {r.reason}" if r.row else f"  {r.reason}")
            if examples and len(self.rejected) > examples:
                lines.append(f"  … {len(self.rejected) - examples:,} more (write the report as CSV to see every row)")
        lines.extend(self.notes)
        return lines

    def summary(self) -> str:
        return "\n".join(self.summary_lines())

    # ---- CSV ------------------------------------------------------------------------------------
    def write_csv(self, out: str | os.PathLike | TextIO, raw: bool = False) -> None:
        """Write every row's outcome (see the module docstring) to a path or an open text file."""
        if isinstance(out, (str, os.PathLike)):
            with replaced_when_written(os.fspath(out)) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
                self.write_csv(f, raw)
            return
        w = csv_writer(out, raw)
        w.writerow(CSV_HEADER)
        w.writerows(self.csv_rows())

    def csv_text(self, raw: bool = False) -> str:
        buf = io.StringIO()
        self.write_csv(buf, raw)
        return buf.getvalue()

    def csv_rows(self):
        """(row, id, outcome, method, reason) tuples in row order, then the removed ids."""
        rejected = sorted(self.rejected, key=lambda r: r.row)
        rows = self.row_numbers if self.row_numbers is not None else np.zeros(0, dtype=np.int64)
        ids = self.row_ids or []
        outcomes = self.row_outcomes if self.row_outcomes is not None else np.full(len(rows), ADDED, dtype=np.int8)
        methods = self.row_methods if self.row_methods is not None else np.zeros(len(rows), dtype=np.int8)
        order = np.argsort(rows, kind="stable")
        k = 0
        for i in order.tolist():
            r = int(rows[i])
            while k < len(rejected) and rejected[k].row <= r:
                yield _rejected_row(rejected[k])
                k += 1
            yield (r, ids[i], OUTCOME_NAMES.get(int(outcomes[i]), ""), METHOD_NAMES.get(int(methods[i]), ""), "")
        for rej in rejected[k:]:
            yield _rejected_row(rej)
        for rid in self.removed_ids:
            yield ("", rid, "removed", "", "not in the new file")


def start_report(kind: str, raw, mapping, reimport: bool) -> ImportReport:
    """The report of a table import: what was read, bad rows rejected; refuses a table with no data rows."""
    report = ImportReport(kind, raw.path, rows_read=raw.rows_read, reimport=reimport)
    report.notes.append(f"read as {raw.describe()}; columns: {mapping.describe()}")
    report.notes.extend(raw.notes)
    for row, why in raw.bad_rows:
        report.reject(row, "", f"bad row: {why}")
    if len(raw) == 0:
        raise InputError(f"{raw.path}: there are no data rows" + (" (only a header)" if not raw.bad_rows else ""))
    return report


def _rejected_row(r: Rejection) -> tuple:
    return (r.row or "", r.id, "rejected", "", r.reason)


def method_counts(methods: np.ndarray) -> dict[str, int]:
    counts = np.bincount(methods.astype(np.int64), minlength=len(METHOD_NAMES))
    return {METHOD_NAMES[m]: int(counts[m]) for m in sorted(METHOD_NAMES) if m and counts[m]}
