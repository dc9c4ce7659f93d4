"""Comparison of two scenarios: what changes territory, how every territory's figures move, and
how much the sales team is disrupted.

* Units: a unit changes when its territory id differs between A and B (unassigned on one side
  and assigned on the other counts as a change; unassigned on both does not).
* Territories are matched by id. A territory only in A is "removed", only in B "added" (its
  figures on the missing side are 0). Measures: the unit count, every balance metric of the
  project (accounts, account sums, unit columns) and Polsby-Popper compactness.
* Disruption: an account's territory in a scenario is ``kinds.account_territories`` (layer
  rules and pins count); its rep is that territory's rep. Accounts, every numeric account column
  (revenue, potential, ...) and units that change rep, and accounts that change territory, each
  as a count (or sum) and as a percentage of the total. Totals are over the accounts either
  scenario counts (its layer's accounts) and over all units.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.stats.kinds import account_territories, engine_for
from territory_desk.domain.stats.membership import counted_accounts

UNITS = "units"
COMPACTNESS = "polsby_popper"


@dataclass
class TerritoryDelta:
    id: str
    name: str  # B's name when the territory is in B, else A's
    status: str  # "both" | "added" (only in B) | "removed" (only in A)
    index_a: int  # territory index in A, -1 when absent
    index_b: int
    rep_a: str | None  # rep ids
    rep_b: str | None
    a: np.ndarray  # (M,) one value per measure, 0 where absent
    b: np.ndarray

    @property
    def change(self) -> np.ndarray:
        return self.b - self.a

    @property
    def change_pct(self) -> np.ndarray:
        """Relative change in % of A's value (NaN where A's value is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.a != 0, (self.b - self.a) / np.abs(np.where(self.a != 0, self.a, 1.0)) * 100.0,
                            np.nan)


@dataclass
class Share:
    """A changed amount out of a total (count or sum), with its percentage."""

    changed: float
    total: float

    @property
    def pct(self) -> float:
        return float(self.changed) / float(self.total) * 100.0 if self.total else 0.0


@dataclass
class Disruption:
    units_territory: Share
    units_rep: Share
    accounts_territory: Share
    accounts_rep: Share
    values_territory: dict[str, Share] = field(default_factory=dict)  # numeric account column -> share
    values_rep: dict[str, Share] = field(default_factory=dict)


@dataclass
class Comparison:
    a: str  # scenario names
    b: str
    measures: list[str]  # "units", the metric keys, "polsby_popper"
    territories: list[TerritoryDelta]
    unit_a: np.ndarray  # (n_units,) territory index in A (-1 unassigned)
    unit_b: np.ndarray
    changed_units: np.ndarray  # unit indices whose territory id differs
    account_a: np.ndarray  # (n_accounts,) territory index in A (-1 counted nowhere)
    account_b: np.ndarray
    changed_accounts: np.ndarray  # account indices whose territory id differs
    rep_changed_accounts: np.ndarray  # account indices whose rep differs
    disruption: Disruption

    def measure_index(self, key: str) -> int:
        return self.measures.index(key)


def _ids(scenario) -> np.ndarray:
    """Territory id per index, with the unassigned slot (-1) last as None."""
    return np.array([t.id for t in scenario.territories] + [None], dtype=object)


def _reps(scenario) -> np.ndarray:
    return np.array([t.rep_id or None for t in scenario.territories] + [None], dtype=object)


def _measures(project, scenario) -> tuple[list[str], np.ndarray]:
    """(measure keys, (T, M) values) of a scenario."""
    s = engine_for(project, scenario).stats()
    keys = [UNITS] + list(s.fields) + [COMPACTNESS]
    values = np.column_stack([s.units.astype(np.float64), s.value.reshape(len(s.units), len(s.fields)),
                              s.polsby_popper]) if len(s.units) else np.zeros((0, len(keys)))
    return keys, values


def compare(project, a, b) -> Comparison:
    """Compare scenario ``a`` with scenario ``b`` (Scenario objects or names)."""
    a = project.get_scenario(a) if isinstance(a, str) else a
    b = project.get_scenario(b) if isinstance(b, str) else b
    ids_a, ids_b = _ids(a), _ids(b)
    reps_a, reps_b = _reps(a), _reps(b)

    # units
    ua, ub = a.assignment, b.assignment
    changed_units = np.flatnonzero(ids_a[ua] != ids_b[ub])
    units_rep = int(np.count_nonzero(reps_a[ua] != reps_b[ub]))
    n_units = len(ua)

    # accounts (layers and pins honoured)
    acc = project.accounts
    aa, ab = account_territories(project, a), account_territories(project, b)
    base = counted_accounts(project, a) | counted_accounts(project, b) if len(acc) else np.zeros(0, dtype=bool)
    moved = (ids_a[aa] != ids_b[ab]) & base
    rep_moved = (reps_a[aa] != reps_b[ab]) & base
    values_t, values_r = {}, {}
    for col, v in acc.numeric.items():
        v = np.nan_to_num(np.asarray(v, dtype=np.float64))
        total = float(v[base].sum())
        values_t[col] = Share(float(v[moved].sum()), total)
        values_r[col] = Share(float(v[rep_moved].sum()), total)
    n_base = int(np.count_nonzero(base))
    disruption = Disruption(
        Share(len(changed_units), n_units), Share(units_rep, n_units),
        Share(int(np.count_nonzero(moved)), n_base), Share(int(np.count_nonzero(rep_moved)), n_base),
        values_t, values_r)

    # territories matched by id
    keys, va = _measures(project, a)
    _, vb = _measures(project, b)
    index_b = {t.id: k for k, t in enumerate(b.territories)}
    deltas: list[TerritoryDelta] = []
    zero = np.zeros(len(keys))
    for i, t in enumerate(a.territories):
        j = index_b.get(t.id, -1)
        tb = b.territories[j] if j >= 0 else None
        deltas.append(TerritoryDelta(t.id, tb.name if tb else t.name, "both" if tb else "removed", i, j,
                                     t.rep_id, tb.rep_id if tb else None, va[i], vb[j] if tb else zero.copy()))
    in_a = {t.id for t in a.territories}
    for j, t in enumerate(b.territories):
        if t.id not in in_a:
            deltas.append(TerritoryDelta(t.id, t.name, "added", -1, j, None, t.rep_id, zero.copy(), vb[j]))
    return Comparison(a.name, b.name, keys, deltas, ua.copy(), ub.copy(), changed_units, aa, ab,
                      np.flatnonzero(moved), np.flatnonzero(rep_moved), disruption)
