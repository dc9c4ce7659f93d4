"""KPI snapshots (rows, the undoable snapshot command, swapping the activity) and reviews over time:
workload and attainment drift between two periods, against a snapshot or the live territories."""
from __future__ import annotations

import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.kpis.measures import compute_kpis
from territory_desk.domain.kpis.reviews import (
    TOTAL_ID,
    ReplaceActivity,
    TakeSnapshot,
    compare,
    review_periods,
    side_from_table,
    snapshot_of,
)
from territory_desk.domain.model.errors import InputError

from tests.domain.kpis.test_measures import hand_project


def test_snapshot_rows_and_command_undo():
    p = hand_project()
    doc = Document(p)
    table = compute_kpis(p, "2026Q3")
    rows = snapshot_of(table, "2026-10-01T00:00:00+00:00")
    assert len(rows) == (3 + 1) * len(table.keys)
    total_revenue = rows.value[(rows.group_id == TOTAL_ID) & (rows.kpi == "revenue")]
    assert total_revenue.tolist() == [6700.0]
    before = p.activity
    cmd = TakeSnapshot(table, "2026-10-01T00:00:00+00:00")
    seen = []
    doc.listeners.append(lambda ch: seen.append(ch.kind))
    cmd.redo(doc)
    assert len(p.activity.snapshots) == len(rows) and seen == ["activity"]
    assert p.activity.opportunities is before.opportunities
    cmd.undo(doc)
    assert p.activity is before
    swap = ReplaceActivity(before.replaced(quotas=before.quotas.__class__.empty()))
    swap.redo(doc)
    assert len(p.activity.quotas) == 0
    swap.undo(doc)
    assert len(p.activity.quotas) == 3


def test_review_flags_workload_and_attainment_drift():
    p = hand_project()
    before = side_from_table(compute_kpis(p, "2026Q3"))
    # move a unit with account A3 (T1) into T0: T0's accounts per rep 2 -> 3 (+50 %), T1's 1 -> 0
    a3_unit = int(p.accounts.unit_index[2])
    p.scenario.assignment[a3_unit] = 0
    after = side_from_table(compute_kpis(p, "2026Q3"))
    review = compare(before, after, 15.0, "Territory")
    by_id = {r.group_id: r for r in review.rows}
    assert by_id["T0"].change_pct["accounts_per_rep"] == pytest.approx(50.0)
    assert any(f.startswith("workload: accounts per rep +50") for f in by_id["T0"].flags)
    assert any(f.startswith("attainment") for f in by_id["T0"].flags)  # 50 % -> 75 % attainment
    assert by_id["T2"].flags == []
    assert [r.group_id for r in review.flagged] == ["T0", "T1"]
    assert compare(before, after, 60.0).flagged[0].group_id == "T0"  # T0 attainment +50 % but T1 -100 %


def test_review_uses_the_snapshot_when_there_is_one():
    p = hand_project()
    TakeSnapshot(compute_kpis(p, "2026Q3"), "2026-10-01T00:00:00+00:00").redo(Document(p))
    p.scenario.assignment[int(p.accounts.unit_index[2])] = 0  # the territories change afterwards
    review = review_periods(p, "2026Q3", "2026Q3", 0, None, 15.0, "snapshot", "live")
    assert "snapshot of 2026-10-01" in review.before and "live" in review.after
    assert review.flagged
    with pytest.raises(InputError, match="no snapshot of 2026Q2"):
        review_periods(p, "2026Q2", "2026Q3", 0, None, 15.0, "snapshot", "live")
