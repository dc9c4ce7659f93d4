"""Sales performance KPIs per territory and per level of the sales hierarchy, for one period.

Definitions (docs/kpis.md has them with examples): revenue = amount of the deals won (closed) in the
period; pipeline = amount of the deals open at the end of the period; close rate = won / (won + lost)
deals closed in the period, by count; average deal size = revenue / won; sales cycle = median days
from created to closed of the deals won in the period; lead response = median and 90th percentile
(linear interpolation) of the first-response hours of the leads created in the period; coverage =
accounts with an opportunity active in the period or a lead created in it / accounts in the
territory; high-potential share; quota attainment = revenue / quota; revenue, pipeline, accounts and
opportunities per rep.

An opportunity (or a lead) counts in the territory of its account in the scenario
(``kinds.account_territories``: layers and pins honoured); a lead without an account goes by the
unit its location lies in. Everything is vectorised: a group-by is one ``np.bincount`` and the
medians and percentiles of all groups come from one sort by (group, value). A level's figures are
computed from the rows of its groups (sums of numerators and denominators, medians of the group's
rows), never averaged from the territories. Ratios with a zero denominator are NaN ("empty"), not 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.model.activity import LOST, OPEN, WON
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.periods import DAY, Period, parse_period
from territory_desk.domain.stats.hierarchy import Level, level as hierarchy_level
from territory_desk.domain.stats.kinds import account_territories
from territory_desk.domain.stats.membership import counted_accounts

# key, label, kind (money | count | pct | days | hours)
KPI_DEFS: list[tuple[str, str, str]] = [
    ("revenue", "Revenue (won)", "money"),
    ("quota", "Quota", "money"),
    ("attainment_pct", "Quota attainment", "pct"),
    ("pipeline", "Pipeline (open at period end)", "money"),
    ("won", "Deals won", "count"),
    ("lost", "Deals lost", "count"),
    ("close_rate_pct", "Close rate", "pct"),
    ("avg_deal", "Average deal size", "money"),
    ("cycle_days", "Sales cycle (median days)", "days"),
    ("open_deals", "Open deals at period end", "count"),
    ("opportunities", "Opportunities active", "count"),
    ("leads", "Leads", "count"),
    ("response_median_h", "Lead response, median (h)", "hours"),
    ("response_p90_h", "Lead response, 90th pct (h)", "hours"),
    ("accounts", "Accounts", "count"),
    ("active_accounts", "Accounts with activity", "count"),
    ("coverage_pct", "Coverage", "pct"),
    ("high_potential", "High-potential accounts", "count"),
    ("high_potential_share_pct", "Share of all high-potential accounts", "pct"),
    ("high_potential_managed_pct", "High potential in managed territories", "pct"),
    ("reps", "Reps", "count"),
    ("revenue_per_rep", "Revenue per rep", "money"),
    ("pipeline_per_rep", "Pipeline per rep", "money"),
    ("accounts_per_rep", "Accounts per rep", "count"),
    ("opportunities_per_rep", "Opportunities per rep", "count"),
]
KPI_KEYS = [k for k, _, _ in KPI_DEFS]
KPI_LABELS = {k: label for k, label, _ in KPI_DEFS}
KPI_KINDS = {k: kind for k, _, kind in KPI_DEFS}
POTENTIAL_CANDIDATES = ("potential", "revenue", "annual_revenue", "employees")


@dataclass
class KpiOptions:
    potential_field: str | None = None  # account numeric column; None: settings or a usual name
    high_potential_top: float = 0.2  # top share of accounts by potential that is "high potential"
    high_potential_threshold: float | None = None  # or an absolute threshold (wins over the share)

    @classmethod
    def from_settings(cls, settings: dict) -> "KpiOptions":
        top = settings.get("kpi_high_potential_top", 0.2)
        thr = settings.get("kpi_high_potential_threshold")
        return cls(settings.get("kpi_potential_field") or None,
                   float(top) if isinstance(top, (int, float)) else 0.2,
                   float(thr) if isinstance(thr, (int, float)) else None)


@dataclass
class KpiTable:
    """KPIs of the groups of one level: ``values[g, k]`` for group g and KPI ``keys[k]``."""

    period: Period
    scenario: str
    level: Level
    keys: list[str]
    values: np.ndarray  # (G, K)
    total: np.ndarray  # (K,) over every row of the period (territories and outside them)
    outside: np.ndarray  # (K,) the rows counted in no territory (unknown account, unassigned unit)
    potential_field: str | None = None
    high_potential_threshold: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def group_ids(self) -> list[str]:
        return self.level.group_ids

    @property
    def group_names(self) -> list[str]:
        return self.level.group_names

    def column(self, key: str) -> np.ndarray:
        return self.values[:, self.keys.index(key)]

    def value(self, group: int, key: str) -> float:
        return float(self.values[group, self.keys.index(key)])


def potential_field(project, options: KpiOptions) -> str | None:
    numeric = project.accounts.numeric
    wanted = options.potential_field or project.settings.get("kpi_potential_field")
    if wanted:
        if wanted not in numeric:
            raise InputError(f"no numeric account column {wanted!r} for the high-potential KPI; columns: "
                             f"{', '.join(numeric) or 'none'}")
        return wanted
    return next((c for c in POTENTIAL_CANDIDATES if c in numeric), next(iter(numeric), None))


def group_quantiles(groups: np.ndarray, values: np.ndarray, n: int, qs: tuple[float, ...]) -> np.ndarray:
    """(len(qs), n) quantiles of ``values`` per group (numpy's linear interpolation; NaN for an empty
    group), from one sort by (group, value)."""
    out = np.full((len(qs), n), np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, groups))
    v = values[order]
    counts = np.bincount(groups, minlength=n)[:n]
    starts = np.cumsum(counts) - counts
    has = counts > 0
    for k, q in enumerate(qs):
        pos = starts[has] + q * (counts[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        out[k, has] = v[lo] + (v[hi] - v[lo]) * (pos - lo)
    return out


def _ratio(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0) * scale, np.nan)


@dataclass
class _Rows:
    """The rows of a period, computed once for every grouping."""

    opp_slot_t: np.ndarray  # territory index per opportunity (-1 none)
    won: np.ndarray  # indices of deals won in the period
    lost: np.ndarray
    pipe: np.ndarray  # open at the period end
    active: np.ndarray  # lifetime meets the period
    cycle: np.ndarray  # days created -> closed of the won deals (aligned with won)
    amount: np.ndarray
    lead_t: np.ndarray  # territory index per lead
    leads: np.ndarray  # indices of leads created in the period
    answered: np.ndarray  # indices (subset of leads) with a response time
    hours: np.ndarray  # response hours of ``answered``
    acc_t: np.ndarray  # territory index per account (-1 none)
    counted: np.ndarray  # accounts counted in the scenario
    acc_active: np.ndarray  # accounts with activity in the period
    high: np.ndarray  # high-potential accounts (counted ones only)


def _period_rows(project, scenario, period: Period, options: KpiOptions) -> tuple[_Rows, str | None, float | None]:
    act = project.activity
    opps, leads = act.opportunities, act.leads
    acc = project.accounts
    acc_t = account_territories(project, scenario)
    n_acc = len(acc)
    orow = opps.account_rows(acc)
    opp_t = np.where(orow >= 0, acc_t[np.maximum(orow, 0)] if n_acc else -1, -1)
    counted = counted_accounts(project, scenario) if n_acc else np.zeros(0, dtype=bool)
    closed_in = (opps.closed >= period.start) & (opps.closed <= period.end)
    if n_acc and not counted.all():  # another territory layer's accounts: not this scenario's business
        closed_in &= ~((orow >= 0) & ~counted[np.maximum(orow, 0)])
    won = np.flatnonzero(closed_in & (opps.status == WON))
    lost = np.flatnonzero(closed_in & (opps.status == LOST))
    started = opps.created <= period.end
    if n_acc and not counted.all():
        started &= ~((orow >= 0) & ~counted[np.maximum(orow, 0)])
    still_open = (opps.status == OPEN) | (opps.closed > period.end)
    pipe = np.flatnonzero(started & still_open)
    active = np.flatnonzero(started & ((opps.status == OPEN) | (opps.closed >= period.start)))
    cycle = ((opps.closed[won] - opps.created[won]) / DAY).astype(np.float64)
    # leads: by account, else by the unit of their location
    lrow = leads.account_rows(acc)
    lead_t = np.where(lrow >= 0, acc_t[np.maximum(lrow, 0)] if n_acc else -1, -1)
    no_account = lrow < 0
    if no_account.any() and len(project.units):
        urow = leads.unit_rows(project.units)
        by_unit = no_account & (urow >= 0)
        lead_t[by_unit] = scenario.assignment[urow[by_unit]]
    lday = leads.created.astype("datetime64[D]")
    in_period = (lday >= period.start) & (lday <= period.end)
    if n_acc and not counted.all():
        in_period &= ~((lrow >= 0) & ~counted[np.maximum(lrow, 0)])
    lead_in = np.flatnonzero(in_period)
    hrs = leads.response_hours[lead_in]
    ok = np.isfinite(hrs)
    # accounts with activity in the period
    acc_active = np.zeros(n_acc, dtype=bool)
    if n_acc:
        r = orow[active]
        acc_active[r[r >= 0]] = True
        r = lrow[lead_in]
        acc_active[r[r >= 0]] = True
    pfield = potential_field(project, options) if n_acc else None
    high = np.zeros(n_acc, dtype=bool)
    threshold = None
    if pfield is not None:
        pot = acc.numeric[pfield]
        usable = counted & np.isfinite(pot)
        if usable.any():
            if options.high_potential_threshold is not None:
                threshold = float(options.high_potential_threshold)
            else:
                top = min(max(float(options.high_potential_top), 0.0), 1.0)
                threshold = float(np.quantile(pot[usable], 1.0 - top))
            high = usable & (pot >= threshold)
    rows = _Rows(opp_t, won, lost, pipe, active, cycle, opps.amount, lead_t, lead_in, lead_in[ok], hrs[ok],
                 acc_t, counted, acc_active, high)
    return rows, pfield, threshold


def _aggregate(rows: _Rows, slot_of_t: np.ndarray, n: int, quota: np.ndarray, reps: np.ndarray,
               managed_t: np.ndarray) -> dict[str, np.ndarray]:
    """Every KPI for ``n`` groups; ``slot_of_t`` maps territory index + 1 (0 = none) to a group."""
    def slots(t_of_row: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        t = t_of_row if idx is None else t_of_row[idx]
        return slot_of_t[t + 1]

    def count(t_of_row, idx=None) -> np.ndarray:
        return np.bincount(slots(t_of_row, idx), minlength=n)[:n].astype(np.float64)

    def total(t_of_row, idx, weights) -> np.ndarray:
        return np.bincount(slots(t_of_row, idx), weights=weights, minlength=n)[:n]

    ot = rows.opp_slot_t
    out: dict[str, np.ndarray] = {}
    out["revenue"] = total(ot, rows.won, rows.amount[rows.won])
    out["won"] = count(ot, rows.won)
    out["lost"] = count(ot, rows.lost)
    out["pipeline"] = total(ot, rows.pipe, rows.amount[rows.pipe])
    out["open_deals"] = count(ot, rows.pipe)
    out["opportunities"] = count(ot, rows.active)
    out["close_rate_pct"] = _ratio(out["won"], out["won"] + out["lost"], 100.0)
    out["avg_deal"] = _ratio(out["revenue"], out["won"])
    out["cycle_days"] = group_quantiles(slots(ot, rows.won), rows.cycle, n, (0.5,))[0]
    out["leads"] = count(rows.lead_t, rows.leads)
    med, p90 = group_quantiles(slots(rows.lead_t, rows.answered), rows.hours, n, (0.5, 0.9))
    out["response_median_h"], out["response_p90_h"] = med, p90
    counted = np.flatnonzero(rows.counted)
    out["accounts"] = count(rows.acc_t, counted)
    out["active_accounts"] = count(rows.acc_t, counted[rows.acc_active[counted]])
    out["coverage_pct"] = _ratio(out["active_accounts"], out["accounts"], 100.0)
    high = np.flatnonzero(rows.high)
    out["high_potential"] = count(rows.acc_t, high)
    all_high = float(len(high))
    out["high_potential_share_pct"] = _ratio(out["high_potential"], np.full(n, all_high), 100.0)
    managed = high[managed_t[rows.acc_t[high] + 1]]
    out["high_potential_managed_pct"] = _ratio(count(rows.acc_t, managed), out["high_potential"], 100.0)
    out["quota"] = quota
    out["attainment_pct"] = _ratio(out["revenue"], quota, 100.0)
    out["reps"] = reps
    for key, base in (("revenue_per_rep", "revenue"), ("pipeline_per_rep", "pipeline"),
                      ("accounts_per_rep", "accounts"), ("opportunities_per_rep", "opportunities")):
        out[key] = _ratio(out[base], reps)
    return out


def territory_quotas(project, scenario, period: Period) -> tuple[np.ndarray, float]:
    """(quota per territory for the period, quota that fits no territory). A quota row counts with the
    share of its days that lie in the period; a rep's quota is split equally among the rep's
    territories in the scenario."""
    q = project.activity.quotas
    t = len(scenario.territories)
    out = np.zeros(t)
    if len(q) == 0:
        return out, 0.0
    days = ((q.end - q.start) / DAY + 1).astype(np.float64)
    share = np.where(days > 0, period.overlap_days(q.start, q.end) / np.maximum(days, 1.0), 0.0)
    amount = q.amount * share
    tindex = {terr.id: k for k, terr in enumerate(scenario.territories)}
    of_rep: dict[str, list[int]] = {}
    for k, terr in enumerate(scenario.territories):
        if terr.rep_id:
            of_rep.setdefault(terr.rep_id, []).append(k)
    loose = 0.0
    for rep, terr_id, a in zip(q.rep_id.tolist(), q.territory_id.tolist(), amount.tolist()):
        if a == 0.0:
            continue
        if terr_id:
            index = tindex.get(terr_id)
            if index is None:
                loose += a
            else:
                out[index] += a
        else:
            ks = of_rep.get(rep)
            if not ks:
                loose += a
            else:
                for k in ks:
                    out[k] += a / len(ks)
    return out, loose


def compute_kpis(project, period: Period | str | None = None, level_key: int | str = 0, scenario=None,
                 options: KpiOptions | None = None) -> KpiTable:
    """The KPI table of one hierarchy level (0 / "territory", 1 / "region", ...) for a period."""
    scenario = scenario or project.scenario
    period = parse_period(period)
    options = options or KpiOptions.from_settings(project.settings)
    lv = hierarchy_level(project, level_key, scenario)
    rows, pfield, threshold = _period_rows(project, scenario, period, options)
    terrs = scenario.territories
    g = len(lv)
    # slot per territory index + 1: groups 0..g-1, g = counted in no territory
    slot_of_t = np.concatenate([[g], lv.member]).astype(np.int64)
    tq, loose = territory_quotas(project, scenario, period)
    quota = np.append(lv.rollup(tq) if len(terrs) else np.zeros(g), loose)
    reps_of_group: list[set] = [set() for _ in range(g + 1)]
    for k, terr in enumerate(terrs):
        if terr.rep_id:
            reps_of_group[lv.member[k]].add(terr.rep_id)
    reps = np.array([len(s) for s in reps_of_group], dtype=np.float64)
    managed_t = np.concatenate([[False], [bool(t.rep_id) for t in terrs]]).astype(bool)
    per_group = _aggregate(rows, slot_of_t, g + 1, quota, reps, managed_t)
    all_reps = float(len(set().union(*reps_of_group)))
    totals = _aggregate(rows, np.zeros(len(terrs) + 1, dtype=np.int64), 1, np.array([quota.sum()]),
                        np.array([all_reps]), managed_t)
    keys = list(KPI_KEYS)
    values = np.column_stack([per_group[k] for k in keys]) if keys else np.zeros((g + 1, 0))
    notes = []
    if pfield is None:
        notes.append("no numeric account column for the high-potential KPI (set one with --potential FIELD)")
    if loose:
        notes.append(f"{loose:,.0f} of quota belongs to no territory of scenario {scenario.name!r}")
    return KpiTable(period, scenario.name, lv, keys, values[:g], np.array([totals[k][0] for k in keys]),
                    values[g], pfield, threshold, notes)
