"""CRM tables (alignment, accounts, summary) as CSV and XLSX, read back with csv and openpyxl."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from openpyxl import load_workbook

from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.io.exporters.tables import (
    ACCOUNT_HEADER,
    ALIGNMENT_HEADER,
    OUTSIDE,
    UNIT_UNASSIGNED,
    accounts_table,
    alignment_table,
    summary_table,
    write_csv,
    write_xlsx,
)
from territory_desk.services.exports import export
from territory_desk.services.reports import stats_dict


@pytest.fixture
def grid(make_grid):
    p = make_grid(6, 6, 3)
    sc = p.scenario
    sc.assignment[0] = UNASSIGNED  # one unassigned unit
    sc.territories[1].name = "=HYPERLINK(\"http://x\")"  # formula-looking text must stay text
    p.units.ids[1] = "02134"  # a ZIP with a leading zero
    p.units._index = None
    p.accounts.lon[0], p.accounts.lat[0] = -120.0, 10.0  # an account outside every unit
    p.locate_accounts()
    return p


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_alignment_csv_has_every_unit_in_crm_shape(grid, tmp_path):
    d = stats_dict(grid)
    path = tmp_path / "a.csv"
    write_csv(alignment_table(grid, grid.scenario, d), str(path))
    rows = _read_csv(path)
    assert rows[0] == ALIGNMENT_HEADER
    assert len(rows) == 1 + len(grid.units)
    by_unit = {r[0]: r for r in rows[1:]}
    assert by_unit["02134"][2:4] == ["T0", "Territory 0"]
    assert by_unit["02134"][5:] == ["R0", "Rep 0"] and by_unit["02134"][4] == "Region one"
    first = by_unit[grid.units.ids[0]]
    assert first[2:] == ["", "", "", "", ""]  # unassigned: present, with an empty territory
    a = grid.scenario.assignment
    for u in (5, 17, 35):
        t = grid.scenario.territories[a[u]]
        assert by_unit[grid.units.ids[u]][2] == t.id


def test_accounts_table_notes_accounts_outside_units(grid, tmp_path):
    d = stats_dict(grid)
    table = accounts_table(grid, grid.scenario, d)
    assert table.header == ACCOUNT_HEADER
    assert len(table.rows) == len(grid.accounts)
    notes = {r[0]: r[-1] for r in table.rows}
    assert notes["A000"] == OUTSIDE
    where = grid.accounts.unit_index
    unassigned_unit = [grid.accounts.ids[i] for i in np.flatnonzero(where == 0)]
    for acc in unassigned_unit:
        assert notes[acc] == UNIT_UNASSIGNED
    inside = [r for r in table.rows if not r[-1]]
    for r in inside:
        u = grid.units.index_of(r[7])
        assert r[2] == grid.scenario.territories[grid.scenario.assignment[u]].id


def test_summary_has_every_metric_and_matches_stats(grid):
    d = stats_dict(grid)
    table = summary_table(grid, grid.scenario, d)
    assert len(table.rows) == len(grid.scenario.territories)
    for f in d["summary"]["max_abs_deviation_pct"]:
        assert {f, f"{f}_share_pct", f"{f}_deviation_pct"} <= set(table.header)
    col = table.header.index("population_deviation_pct")
    for row, t in zip(table.rows, d["territories"]):
        assert row[col] == t["metrics"]["population"]["deviation_pct"]


def test_xlsx_keeps_ids_and_formula_text_as_text(grid, tmp_path):
    d = stats_dict(grid)
    path = tmp_path / "all.xlsx"
    tables = [alignment_table(grid, grid.scenario, d), summary_table(grid, grid.scenario, d)]
    write_xlsx(tables, str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["alignment", "summary"]
    ws = wb["alignment"]
    ids = [c.value for c in ws["A"][1:]]
    assert "02134" in ids
    names = {c.value for c in ws["D"][1:]}
    assert '=HYPERLINK("http://x")' in names
    for c in ws["D"][1:]:
        assert c.data_type != "f"  # text, never a formula
    assert ws.freeze_panes == "A2"
    summary = wb["summary"]
    head = [c.value for c in summary[1]]
    units = [r[head.index("units")] for r in summary.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(u, int) for u in units)


def test_region_and_territory_filters_through_the_service(grid, tmp_path):
    out = tmp_path / "t1.csv"
    res = export(grid, "csv", str(out), territory="T2")
    rows = _read_csv(out)
    assert {r[2] for r in rows[1:]} == {"T2"}
    assert len(rows) - 1 == int(np.count_nonzero(grid.scenario.assignment == 2))
    assert "alignment rows" in res.message
    xl = tmp_path / "all.xlsx"
    export(grid, "xlsx", str(xl), table="all")
    assert load_workbook(xl).sheetnames == ["alignment", "accounts", "summary"]
    acc = tmp_path / "acc.csv"
    export(grid, "csv", str(acc), table="accounts", region="region one")
    assert len(_read_csv(acc)) > 1
