"""Which territory each account counts in, for one scenario.

An account counts in a scenario when its layer takes it (domain/model/territory_layers.py). It then counts in the
territory its unit is assigned to, unless it is pinned (``Scenario.pins``: named-account
overrides), in which case it counts in the pinned territory wherever it lies.
"""
from __future__ import annotations

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import UNASSIGNED


def pinned(project, scenario) -> tuple[np.ndarray, np.ndarray]:
    """(account indices, territory indices) of the scenario's pins that name an existing account
    and territory (stale pins, after an account re-import or a territory deletion, are skipped)."""
    if not scenario.pins:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    row = {a: i for i, a in enumerate(project.accounts.ids)}
    tindex = {t.id: k for k, t in enumerate(scenario.territories)}
    pairs = [(row[a], tindex[t]) for a, t in scenario.pins.items() if a in row and t in tindex]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, t = np.array(pairs, dtype=np.int64).T
    return a, t


def counted_accounts(project, scenario) -> np.ndarray:
    """Mask of the accounts that count in ``scenario`` (its layer's accounts)."""
    from territory_desk.domain.model.territory_layers import layer_account_mask

    return layer_account_mask(project, scenario.layer)


def account_territories(project, scenario=None) -> np.ndarray:
    """Territory index of every account in ``scenario`` (default: active); -1 = counted nowhere
    (another layer's account, outside every unit, or in an unassigned unit)."""
    scenario = scenario or project.scenario
    acc = project.accounts
    shapes = getattr(scenario, "shapes", None)
    if shapes is not None:  # a freeform scenario: accounts inside drawn polygons
        from territory_desk.domain.stats.freeform_engine import freeform_account_territories

        out = freeform_account_territories(project, scenario)
    else:
        ui = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1, dtype=np.int64)
        out = np.where(ui >= 0, scenario.assignment[np.maximum(ui, 0)], UNASSIGNED).astype(np.int64)
    out[~counted_accounts(project, scenario)] = UNASSIGNED
    a, t = pinned(project, scenario)
    out[a] = t
    return out


def check_pin(project, scenario, account_id: str, territory_id: str) -> None:
    """Refuse a pin of an unknown account or territory, or of an account another layer takes."""
    try:
        i = project.accounts.ids.index(account_id)
    except ValueError:
        raise InputError(f"no account with id {account_id!r}") from None
    if not any(t.id == territory_id for t in scenario.territories):
        raise InputError(f"no territory with id {territory_id!r} in scenario {scenario.name!r}")
    if not counted_accounts(project, scenario)[i]:
        from territory_desk.domain.model.territory_layers import layer_label

        raise InputError(f"account {account_id!r} belongs to another territory layer than scenario "
                         f"{scenario.name!r} (layer {layer_label(scenario.layer)!r})")
