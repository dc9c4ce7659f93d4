"""Balance metrics: which figures are summed per territory, and the statistics derived from the sums.

Metric fields come from the project: every numeric unit column, the account count, and the sum of
every numeric account column. The per-unit value matrix (units x fields) is what the incremental
engine adds and subtracts; everything else here is derived from per-territory sums in O(T x F).

Both engines keep their figures in per-slot arrays: one row per territory plus a last row for the
unassigned pool (``SlotFigures``); ``derive_stats`` turns those into a ``Stats`` snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory_desk.domain.stats.membership import counted_accounts, pinned

ACCOUNT_COUNT = "accounts"


@dataclass(frozen=True)
class MetricField:
    key: str  # name used in stats output, e.g. "population", "accounts", "revenue"
    label: str
    source: str  # "unit" | "account_count" | "account_sum"
    column: str | None = None


def metric_fields(project) -> list[MetricField]:
    """The registry of balance metrics for a project."""
    fields = [MetricField(k, k.replace("_", " ").capitalize(), "unit", k) for k in project.units.numeric]
    taken = {f.key for f in fields}
    key = ACCOUNT_COUNT if ACCOUNT_COUNT not in taken else "account_count"
    fields.append(MetricField(key, "Accounts", "account_count"))
    taken.add(key)
    for col in project.accounts.numeric:
        k = col if col not in taken else f"account_{col}"
        fields.append(MetricField(k, col.replace("_", " ").capitalize(), "account_sum", col))
        taken.add(k)
    return fields


def unit_values(project, fields: list[MetricField], scenario=None) -> np.ndarray:
    """Matrix (n_units, n_fields) of each unit's contribution to each metric in ``scenario``
    (default: active): only the accounts of its territory layer, pinned accounts left out."""
    scenario = scenario or project.scenario
    n = len(project.units)
    out = np.zeros((n, len(fields)), dtype=np.float64)
    acc = project.accounts
    inside = acc.unit_index >= 0 if acc.unit_index is not None else np.zeros(0, dtype=bool)
    if len(acc):
        inside = inside & counted_accounts(project, scenario)
        inside[pinned(project, scenario)[0]] = False
    where = acc.unit_index[inside] if len(acc) else np.zeros(0, dtype=np.int64)
    for c, f in enumerate(fields):
        if f.source == "unit":
            out[:, c] = np.nan_to_num(project.units.numeric[f.column])
        elif f.source == "account_count":
            out[:, c] = np.bincount(where, minlength=n)[:n]
        else:
            w = np.nan_to_num(acc.numeric[f.column][inside])
            out[:, c] = np.bincount(where, weights=w, minlength=n)[:n]
    return out


def pinned_values(project, fields: list[MetricField], scenario=None) -> np.ndarray | None:
    """(n_territories + 1, n_fields) sums of the pinned accounts per territory, or None if no pins."""
    scenario = scenario or project.scenario
    rows, terr = pinned(project, scenario)
    if not len(rows):
        return None
    t = len(scenario.territories)
    out = np.zeros((t + 1, len(fields)), dtype=np.float64)
    acc = project.accounts
    for c, f in enumerate(fields):
        if f.source == "account_count":
            out[:t, c] = np.bincount(terr, minlength=t)
        elif f.source == "account_sum":
            out[:t, c] = np.bincount(terr, weights=np.nan_to_num(acc.numeric[f.column][rows]), minlength=t)
    return out


@dataclass
class Stats:
    """A snapshot of every per-territory figure; arrays are indexed [territory] or [territory, field]."""

    fields: list[str]
    value: np.ndarray  # (T, F)
    share_pct: np.ndarray  # (T, F) share of the total (assigned + unassigned)
    deviation_pct: np.ndarray  # (T, F) deviation from the mean over territories
    mean: np.ndarray  # (F,)
    max_abs_deviation_pct: np.ndarray  # (F,)
    cv: np.ndarray  # (F,) coefficient of variation (std / mean)
    units: np.ndarray  # (T,)
    area_m2: np.ndarray
    perimeter_m: np.ndarray
    polsby_popper: np.ndarray
    pieces: np.ndarray
    unassigned_units: int
    unassigned_value: np.ndarray  # (F,)

    def field_index(self, key: str) -> int:
        return self.fields.index(key)

    @property
    def non_contiguous(self) -> int:
        return int(np.count_nonzero(self.pieces > 1))


def derive_stats(
    fields: list[str],
    sums: np.ndarray,
    units: np.ndarray,
    area: np.ndarray,
    perimeter: np.ndarray,
    pieces: np.ndarray,
) -> Stats:
    """Stats from per-slot sums; the last slot of ``sums``/``units`` is the unassigned pool."""
    value = sums[:-1]
    t = value.shape[0]
    total = sums.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, value / total * 100.0, 0.0)
        mean = value.mean(axis=0) if t else np.zeros(len(fields))
        dev = np.where(mean != 0, (value - mean) / np.where(mean != 0, mean, 1.0) * 100.0, 0.0)
        std = value.std(axis=0) if t else np.zeros(len(fields))
        cv = np.where(mean != 0, std / np.where(mean != 0, mean, 1.0), 0.0)
        pp = np.where(perimeter[:-1] > 0, 4.0 * np.pi * area[:-1] / perimeter[:-1] ** 2, 0.0)
    return Stats(
        fields=list(fields),
        value=value.copy(),
        share_pct=share,
        deviation_pct=dev,
        mean=mean,
        max_abs_deviation_pct=np.abs(dev).max(axis=0) if t else np.zeros(len(fields)),
        cv=cv,
        units=units[:-1].copy(),
        area_m2=area[:-1].copy(),
        perimeter_m=np.maximum(perimeter[:-1], 0.0),
        polsby_popper=pp,
        pieces=pieces.copy(),
        unassigned_units=int(units[-1]),
        unassigned_value=sums[-1].copy(),
    )


class SlotFigures:
    """The per-slot arrays both engines keep (one slot per territory, the last one for the
    unassigned pool): sums (slots x fields), unit counts, area, perimeter, and the pieces per
    territory; ``offsets`` are constant per-slot additions to the sums (pinned accounts) or None."""

    n_territories: int
    sums: np.ndarray
    counts: np.ndarray
    area: np.ndarray
    perimeter: np.ndarray
    pieces: np.ndarray
    offsets: np.ndarray | None

    def add_territory(self) -> int:
        """Insert an empty territory slot before the unassigned pool; returns its index."""
        t = self.n_territories
        self.sums = np.insert(self.sums, t, 0.0, axis=0)
        if self.offsets is not None:
            self.offsets = np.insert(self.offsets, t, 0.0, axis=0)
        self.counts = np.insert(self.counts, t, 0)
        self.area = np.insert(self.area, t, 0.0)
        self.perimeter = np.insert(self.perimeter, t, 0.0)
        self.pieces = np.append(self.pieces, 0)
        self.n_territories = t + 1
        return t
