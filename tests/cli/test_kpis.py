"""The KPI commands end to end: imports, kpis in every format, snapshot, review."""
from __future__ import annotations

import json

import pytest

from tests.cli_runner import run


@pytest.fixture
def project(project_file, tmp_path):
    """The grid project file, with CRM exports beside it: opportunities (one bad amount), quotas, leads."""
    (tmp_path / "opps.csv").write_text(
        "Opportunity ID,Account ID,Amount,Stage,Created Date,Close Date\n"
        "O1,A000,1000,Closed Won,2026-04-01,2026-05-01\n"
        "O2,A001,500,Closed Lost,2026-07-02,2026-08-15\n"
        "O3,A000,3000,Closed Won,2026-07-01,2026-08-01\n"
        "O4,A002,700,Negotiation,2026-08-01,\n"
        "O5,A002,bad,Negotiation,2026-08-01,\n")
    (tmp_path / "quotas.csv").write_text("Territory,Period,Quota\nT0,2026Q2,2000\nT0,2026Q3,2000\n")
    (tmp_path / "leads.csv").write_text("Lead ID,Created Date,Response Hours,Account ID\nL1,2026-07-01,5,A000\n")
    return project_file


def test_import_kpis_snapshot_review(project, tmp_path, capsys):
    code, out, err = run(capsys, "import-opportunities", project, tmp_path / "opps.csv", "--report", tmp_path / "r.csv")
    assert code == 0 and "4 opportunities imported, 1 rejected" in out and "row 6: bad amount" in out
    assert "rejected" in (tmp_path / "r.csv").read_text()
    assert run(capsys, "import-quotas", project, tmp_path / "quotas.csv")[0] == 0
    assert run(capsys, "import-leads", project, tmp_path / "leads.csv")[0] == 0
    code, out, _ = run(capsys, "kpis", project, "--period", "2026Q3", "--format", "json")
    d = json.loads(out)
    t0 = next(g for g in d["groups"] if g["id"] == "T0")
    assert d["period"] == "2026Q3" and d["level"] == "Territory"
    assert t0["kpis"]["revenue"] == 3000 and t0["kpis"]["attainment_pct"] == 150.0
    assert t0["kpis"]["response_median_h"] == 5.0
    assert next(g for g in d["groups"] if g["id"] == "T2")["kpis"]["close_rate_pct"] is None
    code, out, _ = run(capsys, "kpis", project, "--period", "2026Q3", "--level", "region")
    assert code == 0 and "Region one" in out and "Total" in out
    code, out, _ = run(capsys, "kpis", project, "--format", "csv", "-o", tmp_path / "k.csv")
    assert code == 0 and (tmp_path / "k.csv").read_text().startswith("territory_id,name,revenue")
    code, out, _ = run(capsys, "snapshot", project, "--period", "2026Q2")
    assert code == 0 and "saved a snapshot of 2026Q2" in out
    code, out, _ = run(capsys, "review", project, "--from", "2026Q2", "--to", "2026Q3", "--format", "json")
    d = json.loads(out)
    assert code == 1 and "snapshot" in d["from"] and "T0" in d["flagged"]
    t0 = next(g for g in d["groups"] if g["id"] == "T0")
    assert t0["change_pct"]["revenue"] == 200.0


def test_errors_are_one_line(project, tmp_path, capsys):
    code, out, err = run(capsys, "kpis", project, "--period", "2026Q9")
    assert code == 2 and err.count("\n") == 1 and "cannot read the period '2026Q9'" in err
    code, out, err = run(capsys, "kpis", project, "--level", "galaxy")
    assert code == 2 and "no hierarchy level 'galaxy'" in err
    code, out, err = run(capsys, "review", project, "--from", "2026Q1", "--to", "2026Q2", "--source", "snapshot")
    assert code == 2 and "no snapshot of 2026Q1" in err
    before = project.read_bytes()
    code, out, err = run(capsys, "import-opportunities", project, tmp_path / "quotas.csv")
    assert code == 2 and "cannot import opportunities" in err and project.read_bytes() == before
