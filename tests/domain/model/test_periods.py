"""Period parsing, snapshots and reviews over time."""
from __future__ import annotations

import numpy as np
import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.kpis.reviews import (
    TOTAL_ID, ReplaceActivity, TakeSnapshot, compare, review_periods, side_from_table, snapshot_of,
)
from territory_desk.domain.kpis.measures import compute_kpis
from territory_desk.domain.model.periods import parse_period


@pytest.mark.parametrize("text,label,start,end", [
    ("2026Q3", "2026Q3", "2026-07-01", "2026-09-30"),
    ("q1 2026", "2026Q1", "2026-01-01", "2026-03-31"),
    ("2026-02", "2026-02", "2026-02-01", "2026-02-28"),
    ("2024-2", "2024-02", "2024-02-01", "2024-02-29"),
    ("2026", "2026", "2026-01-01", "2026-12-31"),
    ("2026H2", "2026H2", "2026-07-01", "2026-12-31"),
    ("2026-07-15..2026-08-14", "2026-07-15..2026-08-14", "2026-07-15", "2026-08-14"),
])
def test_periods(text, label, start, end):
    p = parse_period(text)
    assert (p.label, str(p.start), str(p.end)) == (label, start, end)


def test_all_and_previous():
    assert parse_period(None).is_all and parse_period("all").contains(np.array(["1999-01-01"], "datetime64[D]"))[0]
    assert parse_period("2026Q1").previous().label == "2025Q4"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-07-11..2026-07-20").previous().label == "2026-07-01..2026-07-10"
    assert not parse_period("2026Q3").contains(np.array(["NaT"], "datetime64[D]"))[0]


@pytest.mark.parametrize("bad", ["2026Q5", "2026-13", "Q3", "last quarter", "2026-09-30..2026-07-01", "2026-02-30..2026-03-01"])
def test_bad_periods_say_so_in_one_line(bad):
    with pytest.raises(InputError) as e:
        parse_period(bad)
    assert "\n" not in str(e.value) and (bad.split("..")[0] in str(e.value) or "before" in str(e.value))


def _project():
    from tests.domain.kpis.test_measures import hand_project

    return hand_project()


def test_snapshot_rows_and_command_undo():
    from territory_desk.domain.editing.document import Document

    p = _project()
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
    p = _project()
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
    from territory_desk.domain.editing.document import Document

    p = _project()
    TakeSnapshot(compute_kpis(p, "2026Q3"), "2026-10-01T00:00:00+00:00").redo(Document(p))
    p.scenario.assignment[int(p.accounts.unit_index[2])] = 0  # the territories change afterwards
    review = review_periods(p, "2026Q3", "2026Q3", 0, None, 15.0, "snapshot", "live")
    assert "snapshot of 2026-10-01" in review.before and "live" in review.after
    assert review.flagged
    with pytest.raises(InputError, match="no snapshot of 2026Q2"):
        review_periods(p, "2026Q2", "2026Q3", 0, None, 15.0, "snapshot", "live")
