"""Which accounts count in a scenario, and where: territory layers and named-account pins.

An account counts in a scenario when its territory layer takes it (model/territory_layers.py). It
then counts in the territory its place gives it (its unit's territory in a unit scenario, the drawn
polygon around it in a freeform one: stats/kinds.py picks), unless it is pinned
(``Scenario.pins``: named-account overrides), in which case it counts in the pinned territory
wherever it lies.
"""
from __future__ import annotations

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.domain.model.territory_layers import layer_account_mask, layer_label


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
    return layer_account_mask(project, scenario.layer)


def unit_account_territories(project, scenario) -> np.ndarray:
    """Territory index of every account by the unit it lies in (-1: outside every unit, or in an
    unassigned unit), before layers and pins."""
    acc = project.accounts
    ui = acc.unit_index if acc.unit_index is not None else np.full(len(acc), -1, dtype=np.int64)
    return np.where(ui >= 0, scenario.assignment[np.maximum(ui, 0)], UNASSIGNED).astype(np.int64)


def with_layer_and_pins(project, scenario, by_place: np.ndarray) -> np.ndarray:
    """``by_place`` (territory index per account from where it lies) with the accounts of other
    layers counted nowhere and the pinned ones in their pinned territory."""
    out = np.array(by_place, dtype=np.int64)
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
        raise InputError(f"account {account_id!r} belongs to another territory layer than scenario "
                         f"{scenario.name!r} (layer {layer_label(scenario.layer)!r})")
