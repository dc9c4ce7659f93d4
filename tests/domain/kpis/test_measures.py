"""Every KPI on a hand-made project whose answers were computed by hand (see the comments)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from territory_desk.domain.kpis.measures import KpiOptions, compute_kpis, group_quantiles
from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.activity import LOST, OPEN, WON, Activity, Leads, Opportunities, Quotas
from territory_desk.domain.model.periods import parse_period
from territory_desk.domain.model.territories import Region

from tests.conftest import make_grid_project

D = "datetime64[D]"


def hand_project():
    """6x6 grid, territories by column bands: x 0-1 -> T0, 2-3 -> T1, 4-5 -> T2.
    Reps: T0 R0, T1 R1, T2 none. Regions: East (T0, T1), West (T2)."""
    p = make_grid_project()
    lon = [-99.9, -99.9, -99.5, -99.1, -99.1]  # A1, A2 in T0; A3 in T1; A4, A5 in T2
    lat = [38.1, 38.3, 38.1, 38.1, 38.5]
    p.accounts = AccountTable(["A1", "A2", "A3", "A4", "A5"], ["a1", "a2", "a3", "a4", "a5"], lon, lat,
                              numeric={"potential": [100.0, 10.0, 50.0, 80.0, 5.0]})
    p.locate_accounts()
    sc = p.scenario
    sc.regions = [Region("E", "East"), Region("W", "West")]
    sc.territories[0].region_id, sc.territories[1].region_id, sc.territories[2].region_id = "E", "E", "W"
    sc.territories[2].rep_id = None
    opps = Opportunities(
        ids=[f"o{i}" for i in range(1, 10)],
        account_id=["A1", "A1", "A2", "A3", "A3", "A4", "A4", "A999", "A5"],
        amount=[1000, 3000, 500, 2000, 400, 800, 600, 700, 900],
        stage=[""] * 9,
        status=[WON, WON, LOST, WON, OPEN, WON, LOST, WON, OPEN],
        created=np.array(["2026-06-01", "2026-07-01", "2026-05-01", "2026-01-01", "2026-08-15", "2026-09-01",
                          "2026-06-01", "2026-07-01", "2026-10-01"], D),
        closed=np.array(["2026-07-11", "2026-07-21", "2026-08-01", "2026-09-30", "NaT", "2026-10-05", "2026-06-30",
                         "2026-07-15", "NaT"], D),
        owner=[""] * 9)
    leads = Leads(
        ids=["l1", "l2", "l3", "l4", "l5", "l6"],
        created=np.array(["2026-07-01T08:00", "2026-07-02T08:00", "2026-07-03T08:00", "2026-07-04T08:00",
                          "2026-06-30T08:00", "2026-08-01T08:00"], "datetime64[s]"),
        response_hours=[2.0, 4.0, 10.0, 1.0, 100.0, np.nan], owner=[""] * 6,
        converted=[True, False, False, False, False, False],
        account_id=["A1", "A2", "A2", "", "A3", "A3"],
        lon=[np.nan, np.nan, np.nan, -99.1, np.nan, np.nan], lat=[np.nan, np.nan, np.nan, 38.3, np.nan, np.nan])
    q3, year, july = parse_period("2026Q3"), parse_period("2026"), parse_period("2026-07")
    quotas = Quotas(rep_id=["R0", "", ""], territory_id=["", "T1", "T2"], period=["2026Q3", "2026", "2026-07"],
                    start=[q3.start, year.start, july.start], end=[q3.end, year.end, july.end],
                    amount=[8000.0, 7300.0, 1000.0])
    p.activity = Activity(opps, leads, quotas)
    return p


OPTS = KpiOptions(potential_field="potential", high_potential_top=0.4)


@pytest.fixture
def q3():
    return compute_kpis(hand_project(), "2026Q3", 0, options=OPTS)


def col(table, key):
    return table.column(key).tolist()


def same(a, b):
    return all((math.isnan(x) and math.isnan(y)) or x == pytest.approx(y) for x, y in zip(a, b, strict=True))


def test_revenue_counts_deals_won_and_closed_in_the_period(q3):
    # T0: o1 1000 + o2 3000; T1: o4 2000 (closed on the last day); T2: o6 closes in Q4; o8 has an unknown account
    assert col(q3, "revenue") == [4000, 2000, 0]
    assert q3.outside[q3.keys.index("revenue")] == 700
    assert q3.total[q3.keys.index("revenue")] == 6700
    assert col(q3, "won") == [2, 1, 0] and col(q3, "lost") == [1, 0, 0]


def test_close_rate_by_count_and_empty_without_closed_deals(q3):
    assert same(col(q3, "close_rate_pct"), [200 / 3, 100.0, math.nan])  # T2: no closed deal -> empty, not 0
    assert q3.total[q3.keys.index("close_rate_pct")] == pytest.approx(80.0)  # 4 won / 5 closed


def test_average_deal_size_and_median_sales_cycle(q3):
    assert same(col(q3, "avg_deal"), [2000.0, 2000.0, math.nan])
    # cycles: o1 40 d, o2 20 d -> 30; o4 Jan 1 -> Sep 30 = 272 d; total median of 14, 20, 40, 272 = 30
    assert same(col(q3, "cycle_days"), [30.0, 272.0, math.nan])
    assert q3.total[q3.keys.index("cycle_days")] == 30.0
    assert q3.total[q3.keys.index("avg_deal")] == pytest.approx(6700 / 4)


def test_pipeline_is_open_at_the_period_end(q3):
    # T1: o5 open; T2: o6 won only after the period; o9 created after the period; o7 closed before it
    assert col(q3, "pipeline") == [0, 400, 800]
    assert col(q3, "open_deals") == [0, 1, 1]
    assert col(q3, "opportunities") == [3, 2, 1]  # lifetimes meeting the period


def test_lead_response_median_and_p90_per_territory(q3):
    # T0: 2, 4, 10 h -> median 4, p90 at position 1.8 -> 4 + 0.8 x 6 = 8.8; T2: l4 by its location, 1 h
    assert same(col(q3, "response_median_h"), [4.0, math.nan, 1.0])
    assert same(col(q3, "response_p90_h"), [8.8, math.nan, 1.0])
    assert col(q3, "leads") == [3, 1, 1]  # l5 is from June; l6 (no response yet) still counts as a lead
    k = q3.keys.index
    assert q3.total[k("response_median_h")] == 3.0 and q3.total[k("response_p90_h")] == pytest.approx(8.2)


def test_coverage_is_accounts_with_activity_over_accounts(q3):
    assert col(q3, "accounts") == [2, 1, 2]
    assert col(q3, "active_accounts") == [2, 1, 1]  # A5's only deal starts after the period
    assert col(q3, "coverage_pct") == [100.0, 100.0, 50.0]
    assert q3.total[q3.keys.index("coverage_pct")] == 80.0


def test_high_potential_share_and_managed_share(q3):
    # top 40 % of [5, 10, 50, 80, 100]: threshold = quantile 0.6 = 62 -> A1 (T0) and A4 (T2, no rep)
    assert q3.high_potential_threshold == pytest.approx(62.0)
    assert col(q3, "high_potential") == [1, 0, 1]
    assert col(q3, "high_potential_share_pct") == [50.0, 0.0, 50.0]
    assert same(col(q3, "high_potential_managed_pct"), [100.0, math.nan, 0.0])
    assert q3.total[q3.keys.index("high_potential_managed_pct")] == 50.0


def test_high_potential_by_threshold():
    t = compute_kpis(hand_project(), "2026Q3", 0, options=KpiOptions("potential", high_potential_threshold=50))
    assert col(t, "high_potential") == [1, 1, 1]
    assert t.total[t.keys.index("high_potential_managed_pct")] == pytest.approx(200 / 3)


def test_quota_attainment_with_rep_territory_and_pro_rata_quotas(q3):
    # T0: rep R0's Q3 quota 8000; T1: 7300 for the year x 92/365 days = 1840; T2: the July quota 1000
    assert col(q3, "quota") == pytest.approx([8000.0, 1840.0, 1000.0])
    assert col(q3, "attainment_pct") == pytest.approx([50.0, 2000 / 1840 * 100, 0.0])
    assert q3.total[q3.keys.index("attainment_pct")] == pytest.approx(6700 / 10840 * 100)


def test_rep_quota_is_split_among_the_reps_territories():
    p = hand_project()
    p.scenario.territories[1].rep_id = "R0"
    t = compute_kpis(p, "2026Q3", 0, options=OPTS)
    assert col(t, "quota") == pytest.approx([4000.0, 4000.0 + 1840.0, 1000.0])


def test_revenue_per_rep(q3):
    assert col(q3, "reps") == [1, 1, 0]
    assert same(col(q3, "revenue_per_rep"), [4000.0, 2000.0, math.nan])
    assert q3.total[q3.keys.index("revenue_per_rep")] == 3350.0  # 6700 over the 2 reps
    assert same(col(q3, "accounts_per_rep"), [2.0, 1.0, math.nan])


def test_region_level_recomputes_ratios_and_medians_from_rows():
    t = compute_kpis(hand_project(), "2026Q3", "region", options=OPTS)
    assert t.group_names == ["East", "West"]
    assert col(t, "revenue") == [6000, 0]
    assert same(col(t, "close_rate_pct"), [75.0, math.nan])  # 3 won / 4 closed, not the mean of 66.7 and 100
    assert same(col(t, "cycle_days"), [40.0, math.nan])  # median of 40, 20, 272 (not of 30 and 272)
    assert same(col(t, "response_median_h"), [4.0, 1.0])
    assert col(t, "attainment_pct") == pytest.approx([6000 / 9840 * 100, 0.0])
    assert col(t, "revenue_per_rep") == pytest.approx([3000.0, math.nan], nan_ok=True)
    assert col(t, "coverage_pct") == [100.0, 50.0]


def test_all_time_counts_every_deal():
    t = compute_kpis(hand_project(), None, 0, options=OPTS)
    assert col(t, "revenue") == [4000, 2000, 800]
    assert col(t, "pipeline") == [0, 400, 900]  # the deals open now


def test_pins_move_an_accounts_activity():
    p = hand_project()
    p.scenario.pins["A4"] = "T0"
    t = compute_kpis(p, "2026Q3", 0, options=OPTS)
    assert col(t, "pipeline") == [800, 400, 0]


def test_no_activity_gives_empty_ratios():
    p = make_grid_project()
    t = compute_kpis(p, "2026Q3")
    assert col(t, "revenue") == [0, 0, 0]
    assert all(math.isnan(v) for v in col(t, "close_rate_pct") + col(t, "attainment_pct") + col(t, "cycle_days"))


def test_group_quantiles_match_numpy():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 7, 500)
    values = rng.gamma(2.0, 3.0, 500)
    got = group_quantiles(groups, values, 8, (0.5, 0.9))
    for g in range(7):
        v = values[groups == g]
        assert got[0, g] == pytest.approx(np.median(v)) and got[1, g] == pytest.approx(np.quantile(v, 0.9))
    assert np.isnan(got[:, 7]).all()
