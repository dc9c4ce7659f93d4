"""Territory layers: several alignments of the same geography, one per team or segment.

A project may define layers such as "SMB" (rule ``employees < 1000``) and "Enterprise" (rule
``employees >= 1000``). Every scenario belongs to one layer (``Scenario.layer``; "" is the default
layer, which counts every account). An account belongs to the first layer, in the project's order,
whose rule it satisfies; a layer with an empty rule takes every account no earlier layer took.
Each layer may mark one scenario ``live``: the plan in force, which lead routing uses.

``kind`` is "units" (territories are sets of units) or "freeform" (drawn polygons).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.conditions import Condition
from territory_desk.domain.model.errors import InputError

LAYER_KINDS = ("units", "freeform")


@dataclass
class TerritoryLayer:
    name: str
    rule: str = ""  # a condition on account fields (see conditions.py); "" = every account left
    kind: str = "units"
    description: str = ""

    def condition(self) -> Condition:
        return Condition.parse(self.rule)


def layer_label(name: str) -> str:
    return name or "All accounts"


def check_layers(layers: list[TerritoryLayer]) -> None:
    names = [layer.name for layer in layers]
    if any(not n.strip() for n in names):
        raise InputError("a territory layer needs a name")
    if len({n.casefold() for n in names}) != len(names):
        raise InputError("two territory layers have the same name")
    for layer in layers:
        if layer.kind not in LAYER_KINDS:
            raise InputError(f"layer {layer.name!r}: kind must be one of {', '.join(LAYER_KINDS)}")
        layer.condition()  # raises InputError on a rule that does not parse


def find_layer(project, name: str) -> TerritoryLayer | None:
    """The layer named ``name`` (case-insensitive); None for the default layer."""
    if not name:
        return None
    low = name.casefold()
    for layer in project.layers:
        if layer.name.casefold() == low:
            return layer
    raise InputError(f"no territory layer named {name!r}; layers: "
                     f"{', '.join(l.name for l in project.layers) or 'none'}")


def account_columns(accounts) -> dict:
    """Columns a rule can name: every numeric and text account column, plus id and name."""
    cols: dict = {"account_id": accounts.ids, "name": accounts.names}
    cols.update(accounts.text)
    cols.update(accounts.numeric)
    return cols


def check_rules_fit(layers: list[TerritoryLayer], accounts) -> None:
    """Refuse account data that a layer rule cannot be evaluated on (a field the rule names is gone)."""
    cols = account_columns(accounts)
    lookup = {k.casefold() for k in cols}
    for layer in layers:
        missing = sorted(f for f in layer.condition().fields() if f.casefold() not in lookup)
        if missing:
            raise InputError(f"the rule of territory layer {layer.name!r} ({layer.rule}) names "
                             f"{', '.join(map(repr, missing))}, which the accounts lack; import a file with "
                             f"that column or edit the layer's rule first")


def route_accounts(project) -> np.ndarray:
    """Index into ``project.layers`` of the layer each account belongs to (-1: no layer takes it)."""
    acc = project.accounts
    n = len(acc)
    key = (n, tuple((layer.name, layer.rule) for layer in project.layers))
    cached = getattr(acc, "_route_cache", None)  # engines are rebuilt often; rules rarely change
    if cached is not None and cached[0] == key:
        return cached[1].copy()
    out = _route(project, acc, n)
    acc._route_cache = (key, out)
    return out.copy()


def _route(project, acc, n: int) -> np.ndarray:
    out = np.full(n, -1, dtype=np.int64)
    if not project.layers or n == 0:
        return out
    cols = account_columns(acc)
    for k, layer in enumerate(project.layers):
        free = out < 0
        if not free.any():
            break
        try:
            hit = layer.condition().evaluate(cols, n)
        except InputError as exc:
            raise InputError(f"layer {layer.name!r}: {exc}") from None
        out[free & hit] = k
    return out


def layer_account_mask(project, layer_name: str) -> np.ndarray:
    """Which accounts count in scenarios of the layer ``layer_name`` ("" = every account)."""
    n = len(project.accounts)
    if not layer_name:
        return np.ones(n, dtype=bool)
    layer = find_layer(project, layer_name)
    return route_accounts(project) == project.layers.index(layer)


def live_scenario(project, layer_name: str):
    """The live scenario of a layer: the one marked live, else the only one, else the active one
    when it is in the layer, else the first of the layer (None when the layer has none)."""
    mine = [s for s in project.scenarios if s.layer.casefold() == layer_name.casefold()]
    for s in mine:
        if s.live:
            return s
    if len(mine) == 1:
        return mine[0]
    active = project.scenario
    if active in mine:
        return active
    return mine[0] if mine else None
