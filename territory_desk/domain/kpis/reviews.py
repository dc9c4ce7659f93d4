"""Reviews over time: KPI snapshots kept in the project, the comparison of two periods per territory
(or group of a hierarchy level), drift flags for rebalancing, and the undoable commands that change
a project's activity tables (an import swaps a table; a snapshot adds rows).

A side of a comparison is a period computed now ("live", over the scenario as it is) or the latest
snapshot of that period at that level ("snapshot": the figures as they were when it was taken, so
later territory changes do not rewrite history). ``source="auto"`` takes the snapshot when there is
one. A group is flagged when a workload figure (accounts, pipeline or opportunities per rep) or the
quota attainment changed by more than the threshold, in per cent of the earlier value.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.document import Document
from territory_desk.domain.kpis.measures import KPI_LABELS, KpiTable, compute_kpis
from territory_desk.domain.model.activity import Activity, Snapshots
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.periods import parse_period
from territory_desk.domain.stats.hierarchy import level

TOTAL_ID = "*"
WORKLOAD_KPIS = ("accounts_per_rep", "pipeline_per_rep", "opportunities_per_rep")
ATTAINMENT_KPI = "attainment_pct"
REVIEW_KPIS = ("revenue", "attainment_pct", "pipeline", "accounts", "opportunities", *WORKLOAD_KPIS)
DEFAULT_THRESHOLD_PCT = 15.0


def now_text() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def snapshot_of(table: KpiTable, taken_at: str | None = None) -> Snapshots:
    """The rows a snapshot of ``table`` adds: every group and the total, every KPI."""
    taken_at = taken_at or now_text()
    ids = [*table.group_ids, TOTAL_ID]
    names = [*table.group_names, "Total"]
    values = np.vstack([table.values, table.total[None, :]]) if len(table.keys) else np.zeros((len(ids), 0))
    g, k = values.shape
    rep = lambda v: np.full(g * k, v, dtype=object)  # noqa: E731
    return Snapshots(rep(taken_at), rep(table.scenario), rep(table.period.label), rep(table.level.name),
                     np.repeat(np.array(ids, dtype=object), k), np.repeat(np.array(names, dtype=object), k),
                     np.tile(np.array(table.keys, dtype=object), g), values.reshape(-1))


def latest_snapshot(snapshots: Snapshots, period: str, level_name: str, scenario: str | None = None):
    """(taken_at, scenario) of the newest snapshot of a period at a level (None when there is none)."""
    keys = [k for k in snapshots.keys() if k[2] == period and k[3].casefold() == level_name.casefold()
            and (scenario is None or k[1] == scenario)]
    if not keys and scenario is not None:
        return latest_snapshot(snapshots, period, level_name, None)
    return (keys[-1][0], keys[-1][1]) if keys else None


@dataclass
class Side:
    label: str  # "2026Q2 (snapshot of 2026-07-01T09:00:00+00:00)" or "2026Q3 (live)"
    names: dict[str, str]  # group id -> name
    values: dict[str, dict[str, float]]  # group id -> kpi -> value


def side_from_table(table: KpiTable) -> Side:
    names = dict(zip(table.group_ids, table.group_names))
    values = {gid: dict(zip(table.keys, table.values[g].tolist())) for g, gid in enumerate(table.group_ids)}
    names[TOTAL_ID] = "Total"
    values[TOTAL_ID] = dict(zip(table.keys, table.total.tolist()))
    return Side(f"{table.period.label} (live)", names, values)


def side_from_snapshot(snapshots: Snapshots, taken_at: str, scenario: str, period: str, level_name: str) -> Side:
    m = ((snapshots.taken_at == taken_at) & (snapshots.scenario == scenario) & (snapshots.period == period)
         & np.array([lv.casefold() == level_name.casefold() for lv in snapshots.level.tolist()], dtype=bool))
    sub = snapshots.take(m)
    names: dict[str, str] = {}
    values: dict[str, dict[str, float]] = {}
    for gid, name, kpi, v in zip(sub.group_id.tolist(), sub.group_name.tolist(), sub.kpi.tolist(), sub.value.tolist()):
        names[gid] = name
        values.setdefault(gid, {})[kpi] = v
    return Side(f"{period} (snapshot of {taken_at})", names, values)


def review_side(project, period: str, level_key, scenario=None, source: str = "auto") -> Side:
    """One side of a comparison (see the module docstring)."""
    if source not in ("auto", "live", "snapshot"):
        raise InputError(f"unknown source {source!r}; use auto, live or snapshot")
    p = parse_period(period)
    table = None
    if source != "snapshot":
        table = compute_kpis(project, p, level_key, scenario)
    level_name = table.level.name if table is not None else _level_name(project, level_key, scenario)
    if source != "live":
        sc_name = (scenario or project.scenario).name
        found = latest_snapshot(project.activity.snapshots, p.label, level_name, sc_name)
        if found is not None:
            return side_from_snapshot(project.activity.snapshots, found[0], found[1], p.label, level_name)
        if source == "snapshot":
            raise InputError(f"no snapshot of {p.label} at the {level_name} level; take one with "
                             f"`territory-desk snapshot PROJECT --period {p.label}`")
    assert table is not None  # computed above unless the source is "snapshot"
    return side_from_table(table)


def _level_name(project, key, scenario) -> str:
    return level(project, key, scenario).name


def change_pct(before: float, after: float) -> float:
    """Relative change in per cent; +inf from 0 to something; NaN when either side is empty."""
    if not (np.isfinite(before) and np.isfinite(after)):
        return float("nan")
    if before == 0:
        return 0.0 if after == 0 else float("inf") * np.sign(after)
    return (after - before) / abs(before) * 100.0


@dataclass
class ReviewRow:
    group_id: str
    name: str
    before: dict[str, float]
    after: dict[str, float]
    change_pct: dict[str, float]
    flags: list[str] = field(default_factory=list)  # "workload: accounts per rep +22 %", "attainment: -18 %"

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class Review:
    before: str
    after: str
    level: str
    threshold_pct: float
    kpis: list[str]
    rows: list[ReviewRow]  # groups first (in the later side's order), the total last

    @property
    def flagged(self) -> list[ReviewRow]:
        return [r for r in self.rows if r.flagged and r.group_id != TOTAL_ID]


def compare(before: Side, after: Side, threshold_pct: float = DEFAULT_THRESHOLD_PCT, level: str = "",
            kpis=REVIEW_KPIS) -> Review:
    if not threshold_pct >= 0:
        raise InputError("the drift threshold must be a number of per cent >= 0")
    ids = [g for g in after.names if g != TOTAL_ID] + [g for g in before.names if g not in after.names and g != TOTAL_ID]
    ids.append(TOTAL_ID)
    rows = []
    for gid in ids:
        b = before.values.get(gid, {})
        a = after.values.get(gid, {})
        bv = {k: float(b.get(k, np.nan)) for k in kpis}
        av = {k: float(a.get(k, np.nan)) for k in kpis}
        ch = {k: change_pct(bv[k], av[k]) for k in kpis}
        flags = []
        for k in kpis:
            if k in WORKLOAD_KPIS or k == ATTAINMENT_KPI:
                c = ch[k]
                if np.isfinite(c) and abs(c) > threshold_pct or np.isinf(c):
                    what = "attainment" if k == ATTAINMENT_KPI else "workload"
                    flags.append(f"{what}: {KPI_LABELS[k].lower()} {_pct_text(c)}")
        if gid not in after.names:
            flags.append("gone: not in the later period")
        elif gid not in before.names:
            flags.append("new: not in the earlier period")
        rows.append(ReviewRow(gid, after.names.get(gid) or before.names.get(gid, gid), bv, av, ch, flags))
    return Review(before.label, after.label, level, float(threshold_pct), list(kpis), rows)


def _pct_text(c: float) -> str:
    if np.isinf(c):
        return "from 0"
    return f"{c:+.0f} %"


def review_periods(project, before: str, after: str, level_key=0, scenario=None, threshold_pct=DEFAULT_THRESHOLD_PCT,
                   before_source: str = "auto", after_source: str = "auto") -> Review:
    """Compare two periods per group of a level; each side live or from a snapshot (module docstring)."""
    b = review_side(project, before, level_key, scenario, before_source)
    a = review_side(project, after, level_key, scenario, after_source)
    return compare(b, a, threshold_pct, _level_name(project, level_key, scenario))


# ---- undoable commands ---------------------------------------------------------------------------
class ReplaceActivity(Command):
    """Swap the project's activity (an import of opportunities, leads or quotas; built beforehand)."""

    def __init__(self, activity: Activity, text: str = "Import activity"):
        self.activity, self.text = activity, text
        self._old: Activity | None = None

    def redo(self, doc: Document) -> None:
        self._old = doc.project.activity
        doc.project.activity = self.activity
        doc.notify(Change(ChangeKind.ACTIVITY))

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        doc.project.activity = self._old
        doc.notify(Change(ChangeKind.ACTIVITY))


class TakeSnapshot(Command):
    """Freeze the KPIs of a table (a period at a level) into the project."""

    def __init__(self, table: KpiTable, taken_at: str | None = None):
        self.rows = snapshot_of(table, taken_at)
        self.text = f"Snapshot KPIs of {table.period.label} ({table.level.name})"
        self._old: Activity | None = None

    def redo(self, doc: Document) -> None:
        self._old = doc.project.activity
        act = doc.project.activity
        doc.project.activity = act.replaced(snapshots=act.snapshots.concat(self.rows))
        doc.notify(Change(ChangeKind.ACTIVITY))

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        doc.project.activity = self._old
        doc.notify(Change(ChangeKind.ACTIVITY))
