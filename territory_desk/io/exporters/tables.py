"""Tables for CRMs and spreadsheets: the alignment (unit -> territory, region, rep: the "ZIP ->
territory" file CRMs import), the account assignment (account -> territory -> rep) and the territory
summary with every metric.

Every unit and every account gets a row: unassigned units have an empty territory, accounts that lie
in no unit or in an unassigned unit say so in ``note``. Ids stay text (ZIP "02134" keeps its zero in
XLSX); text that looks like a formula ("=...") is written as text, never as a formula: in XLSX as
typed text cells, in CSV with a leading apostrophe (``io.safe_csv``; ``raw=True`` opts out).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.io.tables.safe_csv import write_csv_file
from territory_desk.io.exporters.figures import territory_rows

TABLES = ("alignment", "accounts", "summary")
ALIGNMENT_HEADER = ["unit_id", "unit_name", "territory_id", "territory", "region", "rep_id", "rep"]
ACCOUNT_HEADER = ["account_id", "account_name", "territory_id", "territory", "region", "rep_id", "rep",
                  "unit_id", "longitude", "latitude", "note"]
OUTSIDE = "outside every unit"
UNIT_UNASSIGNED = "unit not assigned to a territory"


@dataclass
class Table:
    name: str  # sheet name
    header: list[str]
    rows: list[list] = field(default_factory=list)
    text_columns: set[str] = field(default_factory=set)  # written as text in XLSX (ids, names)


def _territory_lookup(project, scenario, d):
    """Per territory index: (territory_id, name, region, rep_id, rep); index -1 -> blanks."""
    out = {UNASSIGNED: ("", "", "", "", "")}
    for r in territory_rows(project, scenario, d):
        out[r.index] = (r.id, r.name, r.region, r.rep_id or "", r.rep)
    return out


def alignment_table(project, scenario, d: dict, territories=None) -> Table:
    """unit -> territory for every unit (or only the units of the given territory indices)."""
    units = project.units
    a = scenario.assignment
    look = _territory_lookup(project, scenario, d)
    idx = np.arange(len(units)) if territories is None else np.flatnonzero(np.isin(a, list(territories)))
    rows = [[units.ids[u], units.names[u], *look[int(a[u])]] for u in idx.tolist()]
    return Table("alignment", list(ALIGNMENT_HEADER), rows, set(ALIGNMENT_HEADER))


def accounts_table(project, scenario, d: dict, territories=None) -> Table:
    """account -> unit -> territory -> rep for every account (or those in the given territories)."""
    acc = project.accounts
    units = project.units
    a = scenario.assignment
    look = _territory_lookup(project, scenario, d)
    where = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1)
    terr = np.where(where >= 0, a[np.maximum(where, 0)] if len(a) else -1, UNASSIGNED)
    if scenario.is_freeform:  # freeform: the polygon each account lies in
        from territory_desk.domain.stats.kinds import account_territories

        terr = account_territories(project, scenario)
    keep = np.arange(len(acc)) if territories is None else np.flatnonzero(np.isin(terr, list(territories)))
    rows = []
    for i in keep.tolist():
        u, t = int(where[i]), int(terr[i])
        note = OUTSIDE if u < 0 else (UNIT_UNASSIGNED if t == UNASSIGNED else "")
        rows.append([acc.ids[i], acc.names[i], *look[t], units.ids[u] if u >= 0 else "",
                     _coord(acc.lon[i]), _coord(acc.lat[i]), note])
    text = set(ACCOUNT_HEADER) - {"longitude", "latitude"}
    return Table("accounts", list(ACCOUNT_HEADER), rows, text)


def _coord(v: float) -> float | None:
    return round(float(v), 6) if np.isfinite(v) else None


def summary_table(project, scenario, d: dict, territories=None) -> Table:
    """One row per territory with every figure of ``stats_dict``."""
    fields = list(d["summary"]["max_abs_deviation_pct"])
    header = ["territory_id", "territory", "region", "rep", "color", "locked", "units", "accounts", "pieces",
              "area_km2", "perimeter_km", "polsby_popper"]
    header += [c for f in fields for c in (f, f"{f}_share_pct", f"{f}_deviation_pct")]
    rows = []
    for r in territory_rows(project, scenario, d, territories):
        s = r.stats
        row = [r.id, r.name, r.region, r.rep, r.color, "yes" if s["locked"] else "no", s["units"], s["accounts"],
               s["pieces"], s["area_km2"], s["perimeter_km"], s["polsby_popper"]]
        for f in fields:
            m = s["metrics"][f]
            row += [m["value"], m["share_pct"], m["deviation_pct"]]
        rows.append(row)
    return Table("summary", header, rows, {"territory_id", "territory", "region", "rep", "color", "locked"})


def build_table(kind: str, project, scenario, d: dict, territories=None) -> Table:
    builders = {"alignment": alignment_table, "accounts": accounts_table, "summary": summary_table}
    return builders[kind](project, scenario, d, territories)


# ---- writers -------------------------------------------------------------------------------------
def write_csv(table: Table, path: str, raw: bool = False) -> None:
    """UTF-8, comma separated, one header row; numbers unformatted, missing values empty, formula-like
    text with a leading apostrophe unless ``raw``."""
    write_csv_file(path, [table.header, *table.rows], raw)


def write_xlsx(tables: list[Table], path: str) -> None:
    """One sheet per table: bold frozen header, auto filter, ids and names as text."""
    wb = Workbook(write_only=True)
    for table in tables:
        ws = wb.create_sheet(table.name[:31])
        ws.freeze_panes = "A2"
        for c, name in enumerate(table.header, start=1):
            width = max([len(name)] + [len(str(r[c - 1])) for r in table.rows[:200] if r[c - 1] is not None])
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 48)
        ws.auto_filter.ref = f"A1:{get_column_letter(max(len(table.header), 1))}{len(table.rows) + 1}"
        bold = Font(bold=True)
        head = []
        for name in table.header:
            cell = _text_cell(ws, name)
            cell.font = bold
            head.append(cell)
        ws.append(head)
        text_cols = [name in table.text_columns for name in table.header]
        for row in table.rows:
            ws.append([_text_cell(ws, v) if (is_text or isinstance(v, str)) and v is not None else v
                       for v, is_text in zip(row, text_cols)])
    wb.save(path)


def _text_cell(ws, value) -> WriteOnlyCell:
    """A cell that holds ``value`` as text, even when it starts with "=" (no formula injection)."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell
