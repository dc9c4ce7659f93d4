"""Assigning a leads file: every row kept in order, unmatched ones reported with their row numbers,
the explain column, real ZIP codes, XLSX input, and one clear error for bad input."""
import csv
import os

import numpy as np
import pytest

from territory_desk.domain.leads.rules import SETTINGS_KEY
from territory_desk.domain.model.errors import InputError
from territory_desk.io.imports.geocoding import zip_table
from territory_desk.services.leads import assign_file, read_rules_file

from tests.conftest import make_grid_project

RULES = [
    {"name": "By unit", "type": "unit", "column": "unit"},
    {"name": "Web", "type": "round_robin", "reps": ["R1", "R2"], "when": "source = web"},
]


def write_csv(path, header, rows, **kw):
    with open(path, "w", newline="", encoding=kw.get("encoding", "utf-8")) as f:
        w = csv.writer(f, delimiter=kw.get("delimiter", ","))
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def p():
    project = make_grid_project()
    project.settings[SETTINGS_KEY] = RULES
    return project


def test_every_lead_is_kept_in_order_and_unmatched_ones_are_reported(p, tmp_path):
    leads = write_csv(tmp_path / "leads.csv", ["Lead", "unit", "Source", "rule"],
                      [["a", "U0000", "", "old"], ["b", "", "web"], ["c", "nowhere", ""], ["d", "", ""],
                       ["e", "U0005", "", ""], ["f", "", "Web", ""]])
    out = tmp_path / "assigned.csv"
    report = assign_file(p, leads, str(out), explain=True)
    rows = read_csv(out)
    assert [r["Lead"] for r in rows] == list("abcdef")
    assert list(rows[0]) == ["Lead", "unit", "Source", "territory_id", "territory", "rep_id", "rep", "rule", "explain"]
    assert [r["rule"] for r in rows] == ["By unit", "Web", "(none)", "(none)", "By unit", "Web"]
    assert [r["rep_id"] for r in rows] == ["R0", "R1", "", "", "R2", "R2"]
    assert [r["territory"] for r in rows] == ["Territory 0", "", "", "", "Territory 2", ""]
    assert rows[1]["explain"] == "rule 2 'Web': source = web -> round robin in reps R1, R2 -> rep R1 Rep 1"
    assert rows[2]["explain"] == "no rule matched: rule 1: unit nowhere is not a unit id"
    assert report.rows == 6 and report.unmatched == 2
    assert report.per_rule == [("By unit", "unit", 2), ("Web", "round_robin", 2)]
    assert report.first_unmatched == [(4, "rule 1: unit nowhere is not a unit id"), (5, "rule 1: no unit")]
    text = report.summary()
    assert "6 lead(s) read from leads.csv; 4 placed, 2 unmatched" in text
    assert "row 4: rule 1: unit nowhere is not a unit id" in text
    assert "the input's column(s) rule were replaced" in text


def test_real_zip_codes_are_placed_by_their_centre(p, tmp_path):
    t = zip_table()
    inside = np.flatnonzero((t.lon > -99.95) & (t.lon < -98.85) & (t.lat > 38.05) & (t.lat < 39.15))
    assert len(inside), "the bundled ZIP table has ZIP codes in the grid"
    code, lon = f"{t.codes[inside[0]]:05d}", t.lon[inside[0]]
    band = int((lon + 100.0) / 0.2) * 3 // 6
    leads = write_csv(tmp_path / "leads.csv", ["zip"], [[code], [code + "-1234"], ["10001"], ["99999"]])
    rules = [{"name": "ZIP", "type": "unit", "column": "zip", "match": "zip"}]
    out = tmp_path / "out.csv"
    report = assign_file(p, leads, str(out), rules)
    rows = read_csv(out)
    assert [r["territory_id"] for r in rows] == [f"T{band}", f"T{band}", "", ""]
    assert [why for _, why in report.first_unmatched] == ["rule 1: ZIP 10001 lies in no unit",
                                                         "rule 1: ZIP 99999 is unknown"]


def test_xlsx_leads_and_a_semicolon_csv(p, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Unit", "Source"])
    ws.append(["U0003", None])
    ws.append([None, "web"])
    wb.save(tmp_path / "leads.xlsx")
    report = assign_file(p, str(tmp_path / "leads.xlsx"), str(tmp_path / "a.csv"))
    assert [r["rep_id"] for r in read_csv(tmp_path / "a.csv")] == ["R1", "R1"] and report.unmatched == 0
    semi = write_csv(tmp_path / "s.csv", ["unit", "source"], [["U0004", "x"], ["U0000", "y"]], delimiter=";",
                     encoding="cp1252")
    assign_file(p, semi, str(tmp_path / "b.csv"))
    assert [r["rep_id"] for r in read_csv(tmp_path / "b.csv")] == ["R2", "R0"]


def test_rows_that_cannot_be_split_are_reported(p, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("unit,source\nU0000,web\nU0001,web,extra,cells\nU0002,web\n")
    report = assign_file(p, str(path), str(tmp_path / "o.csv"))
    assert report.rows == 2 and report.unreadable == [(3, "has 4 cells but the header has 2")]
    assert "1 row(s) could not be read and are not in the output:\n  row 3: has 4 cells" in report.summary()
    assert [r["unit"] for r in read_csv(tmp_path / "o.csv")] == ["U0000", "U0002"]


@pytest.mark.parametrize("make, message", [
    (lambda d: write_csv(d / "l.csv", ["Lead", "Source"], [["a", "web"]]),
     r"^rule 1 'By unit' needs the column 'unit' \(unit id\), which the leads file does not have "
     r"\(columns: Lead, Source\)$"),
    (lambda d: (d / "bin.csv").write_bytes(bytes(range(256)) * 20) and str(d / "bin.csv"), "binary data"),
    (lambda d: str(d / "missing.csv"), "does not exist"),
    (lambda d: (d / "e.csv").write_text("") and str(d / "e.csv"), "empty"),
])
def test_bad_input_gives_one_clear_error_and_no_output(p, tmp_path, make, message):
    leads = make(tmp_path) or str(tmp_path / "e.csv")
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=message):
        assign_file(p, leads, str(out))
    assert not out.exists() and not [f for f in os.listdir(tmp_path) if f.startswith(".assign-")]


def test_refused_requests(p, tmp_path):
    leads = write_csv(tmp_path / "l.csv", ["unit"], [["U0000"]])
    with pytest.raises(InputError, match="another file than the leads file"):
        assign_file(p, leads, leads)
    with pytest.raises(InputError, match="give a .csv file name"):
        assign_file(p, leads, str(tmp_path / "o.xlsx"))
    p.settings.pop(SETTINGS_KEY)
    with pytest.raises(InputError, match="the project has no lead routing rules"):
        assign_file(p, leads, str(tmp_path / "o.csv"))


def test_rules_files(tmp_path):
    (tmp_path / "a.json").write_text('{"lead_rules": [{"name": "x", "type": "point"}]}')
    assert read_rules_file(str(tmp_path / "a.json")) == [{"name": "x", "type": "point"}]
    (tmp_path / "b.json").write_text('[{"name": "x",}]')
    with pytest.raises(InputError, match=r"b.json is not valid JSON \(line 1, column 15"):
        read_rules_file(str(tmp_path / "b.json"))
    (tmp_path / "c.json").write_text('"rules"')
    with pytest.raises(InputError, match="expected a JSON list of rules"):
        read_rules_file(str(tmp_path / "c.json"))
