"""Activity imports (reports with row numbers and reasons, nothing dropped silently) and persistence."""
from __future__ import annotations

import hashlib
import textwrap

import numpy as np
import pytest

from territory_desk.domain.model.activity import LOST, OPEN, WON
from territory_desk.domain.model.errors import InputError
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.activity_imports import ImportFailed, import_activity, plan_activity

from tests.conftest import FIXTURES, make_grid_project


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return str(path)


OPPS = """
    Opportunity ID,Account ID,Amount,Stage,Created Date,Close Date,Opportunity Owner
    O1,A000,"$1,000",Closed Won,2026-07-01,2026-07-31,R0
    O2,A001,500,Closed Lost,07/02/2026,08/15/2026,R1
    O3,A002,abc,Prospecting,2026-07-03,,R1
    O4,A999,300,Negotiation,2026-06-15,2026-09-30,R2
    O5,A003,700,Closed Won,2026-08-01,,R2
    O1,A004,100,Closed Won,2026-08-01,2026-08-02,R2
    O7,A005,100,Closed Won,2026-08-05,2026-08-02,R2
    O8,A005,-5,Open,2026-08-05,,R2
    O9,,10,Open,2026-08-05,,R2
    O10,A006,10,Open,31/31/2026,,R2
"""


def test_opportunities_report_every_row(tmp_path):
    p = make_grid_project()
    plan = plan_activity(p, "opportunities", write(tmp_path, "o.csv", OPPS))
    r = plan.report
    assert r.rows_read == 10 and r.imported == 3
    reasons = {x.row: x.reason for x in r.rejected}
    assert reasons[4].startswith("bad amount: 'abc'")
    assert reasons[6].startswith("missing close date")
    assert reasons[7].startswith("duplicate id: 'O1' (first in row 2)")
    assert reasons[8].startswith("closed before created")
    assert reasons[9].startswith("negative amount")
    assert reasons[10].startswith("missing account")
    assert reasons[11].startswith("bad date: '31/31/2026'")
    assert r.warnings == {5: "unknown account: 'A999' is not in the project"}
    o = plan.activity.opportunities
    assert o.ids.tolist() == ["O1", "O2", "O4"]
    assert o.amount.tolist() == [1000.0, 500.0, 300.0]
    assert o.status.tolist() == [WON, LOST, OPEN]
    assert str(o.created[1]) == "2026-07-02" and np.isnat(o.closed[2])  # expected close dates are not kept
    rows = list(r.csv_rows())
    assert rows[3] == (5, "O4", "added", "", "warning: unknown account: 'A999' is not in the project")
    assert "imported with a warning: 1 unknown account" in r.summary()


def test_status_from_won_and_closed_flags(tmp_path):
    p = make_grid_project()
    path = write(tmp_path, "hubspot.csv", """
        Record ID,Associated Company IDs,Amount,Won,Is Closed,Create Date,Close Date
        1,A000,10,TRUE,TRUE,2026-01-01T10:00:00Z,2026-02-01T10:00:00Z
        2,A001,20,FALSE,TRUE,2026-01-01,2026-02-01
        3,A002,30,FALSE,FALSE,2026-01-01,
        4,A002,30,maybe,FALSE,2026-01-01,
    """)
    plan = plan_activity(p, "opportunities", path)
    assert plan.activity.opportunities.status.tolist() == [WON, LOST, OPEN]
    assert plan.report.rejected[0].reason.startswith("bad flag: 'maybe'")


def test_leads_response_from_timestamps_or_hours_and_location(tmp_path):
    p = make_grid_project()
    path = write(tmp_path, "leads.csv", """
        Lead ID,Created Date,First Response,Lead Owner,Converted,Account ID,Latitude,Longitude
        L1,2026-07-01 08:00,2026-07-01 10:30,R0,yes,A000,,
        L2,2026-07-02 08:00,,R0,no,,38.1,-99.9
        L3,2026-07-03 08:00,2026-07-02 08:00,R1,no,,,
        L4,,2026-07-02 08:00,R1,no,,,
        L5,2026-07-05 08:00,,R1,perhaps,,,
    """)
    plan = plan_activity(p, "leads", path)
    le = plan.activity.leads
    assert le.ids.tolist() == ["L1", "L2"]
    assert le.response_hours[0] == 2.5 and np.isnan(le.response_hours[1])
    assert le.converted.tolist() == [True, False] and le.lat[1] == 38.1
    reasons = {x.row: x.reason for x in plan.report.rejected}
    assert reasons[4].startswith("responded before created") and reasons[5].startswith("missing date")
    assert reasons[6].startswith("bad flag")
    hours = write(tmp_path, "hours.csv", "id,created,response hours\nL1,2026-07-01,3.5\nL2,2026-07-01,-1\n")
    plan = plan_activity(p, "leads", hours)
    assert plan.activity.leads.response_hours.tolist() == [3.5]
    assert plan.report.rejected[0].reason.startswith("bad response time")


def test_quotas(tmp_path):
    p = make_grid_project()
    path = write(tmp_path, "q.csv", """
        Rep ID,Territory,Period,Quota
        R0,,2026Q3,2000
        ,T1,2026,4000
        R9,,2026Q3,100
        R1,T1,2026Q3,5
        R0,,2026Q9,5
        R0,,2026Q3,7
        ,,2026Q3,7
        R1,,all,7
    """)
    plan = plan_activity(p, "quotas", path)
    q = plan.activity.quotas
    assert q.rep_id.tolist() == ["R0", "", "R9"] and q.period.tolist() == ["2026Q3", "2026", "2026Q3"]
    assert str(q.end[1]) == "2026-12-31"
    reasons = [x.reason.split(":")[0] for x in plan.report.rejected]
    assert reasons == ["two owners", "bad period", "duplicate quota", "missing owner", "bad period"]
    assert plan.report.warnings == {4: "unknown rep: 'R9' is not in the project"}


def test_unusable_files_give_one_line(tmp_path):
    p = make_grid_project()
    with pytest.raises(InputError, match="map a column to account"):
        plan_activity(p, "opportunities", write(tmp_path, "x.csv", "a,b\n1,2\n"))
    with pytest.raises(InputError, match="open, won or lost"):
        plan_activity(p, "opportunities", write(tmp_path, "y.csv", "account,amount,created\nA000,1,2026-01-01\n"))
    with pytest.raises(InputError, match="unknown target"):
        plan_activity(p, "quotas", write(tmp_path, "z.csv", "rep,period,amount\nR0,2026,1\n"), {"rep": "zip"})


def test_failed_import_leaves_the_file_unchanged_and_success_round_trips(tmp_path):
    project = str(tmp_path / "p.gpkg")
    save_project(make_grid_project(), project)
    digest = hashlib.sha256(open(project, "rb").read()).hexdigest()
    bad = write(tmp_path, "bad.csv", "id,account,amount,stage,created\n1,A000,x,Won,2026-01-01\n")
    with pytest.raises(ImportFailed) as e:
        import_activity(project, "opportunities", bad)
    assert "none of the 1 row(s)" in str(e.value)
    assert hashlib.sha256(open(project, "rb").read()).hexdigest() == digest
    report = import_activity(project, "opportunities", write(tmp_path, "o.csv", OPPS))
    assert report.imported == 3
    import_activity(project, "quotas", write(tmp_path, "q.csv", "rep,period,amount\nR0,2026Q3,5\n"))
    import_activity(project, "leads", write(tmp_path, "l.csv", "id,created,first response,account,lat,lon\n"
                                                               "L1,2026-07-01T08:00,2026-07-01T09:00,A000,,\n"
                                                               "L2,2026-07-01T08:00,,,38.1,-99.9\n"))
    loaded = load_project(project)
    o, le, q = loaded.activity.opportunities, loaded.activity.leads, loaded.activity.quotas
    assert o.ids.tolist() == ["O1", "O2", "O4"] and o.status.tolist() == [WON, LOST, OPEN]
    assert str(o.closed[0]) == "2026-07-31" and np.isnat(o.closed[2]) and o.amount.tolist() == [1000, 500, 300]
    assert le.response_hours[0] == 1.0 and np.isnan(le.response_hours[1]) and le.lon[1] == -99.9
    assert str(le.created[0]) == "2026-07-01T08:00:00"
    assert q.rep_id.tolist() == ["R0"] and q.amount.tolist() == [5.0]
    # a re-import compares by id
    changed = write(tmp_path, "o2.csv", OPPS.replace("O4,A999,300", "O4,A999,301"))
    again = import_activity(project, "opportunities", changed)
    assert (again.added, again.changed, again.unchanged, again.removed) == (0, 1, 2, 0)


def test_schema1_file_opens_with_empty_activity():

    p = load_project(FIXTURES / "project_schema1.gpkg")
    assert p.activity.empty


def test_snapshots_round_trip(tmp_path):
    from territory_desk.domain.kpis.measures import compute_kpis
    from territory_desk.domain.kpis.reviews import snapshot_of

    p = make_grid_project()
    rows = snapshot_of(compute_kpis(p, "2026Q3"), "2026-10-01T00:00:00+00:00")
    p.activity = p.activity.replaced(snapshots=rows)
    save_project(p, tmp_path / "s.gpkg")
    back = load_project(tmp_path / "s.gpkg").activity.snapshots
    assert back.keys() == [("2026-10-01T00:00:00+00:00", "Base", "2026Q3", "Territory")]
    assert np.array_equal(np.isnan(back.value), np.isnan(rows.value))
    assert back.kpi.tolist() == rows.kpi.tolist()
