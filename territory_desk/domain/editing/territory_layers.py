"""Undoable edits of territory layers, named-account pins and the live plan.

Every command validates everything before it changes anything (a refused command leaves the
project as it was), rebuilds the engine (the counted accounts may differ) and notifies a SCENARIO
change, so every view refreshes its figures, lists and map.

* ``AddLayer``: a new layer with its account rule, and its first scenario (territories copied from
  a scenario or none, the assignment copied or not), made live and active.
* ``EditLayer``: rename (every scenario of the layer follows), new rule, new description.
* ``MoveLayer``: change the layer's place in the routing order (first matching layer wins).
* ``DeleteLayer``: refused while the layer has scenarios, unless they are deleted with it.
* ``PinAccounts`` / ``UnpinAccounts``: named-account overrides of one scenario.
* ``PromoteScenario``: the scenario becomes the live plan of its layer and the active scenario.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.scenarios import unique_scenario_name
from territory_desk.domain.model.conditions import Condition
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territories import UNASSIGNED, Scenario
from territory_desk.domain.model.territory_layers import (
    LAYER_KINDS, TerritoryLayer, account_columns, check_layers, find_layer, layer_label,
)
from territory_desk.domain.stats.membership import check_pin


def rule_mask(project, rule: str) -> np.ndarray:
    """Which accounts a rule matches (before earlier layers take theirs). Raises InputError with one
    line when the rule does not parse or names a field the accounts do not have."""
    cond = Condition.parse(rule)
    acc = project.accounts
    return cond.evaluate(account_columns(acc), len(acc))


def _layer_scenarios(project, name: str) -> list[Scenario]:
    low = name.casefold()
    return [s for s in project.scenarios if s.layer.casefold() == low]


def _changed(doc: Document) -> None:
    doc.rebuild()
    doc.notify(Change(ChangeKind.SCENARIO))


class AddLayer(Command):
    """A new territory layer (appended to the routing order unless ``position`` is given) with its
    first scenario ``scenario_name`` (default "<layer> plan"), which becomes live and active.

    ``from_scenario``: copy that scenario's territories and regions (and its assignment when
    ``copy_assignment``); None starts with no territories and every unit unassigned."""

    def __init__(self, name: str, rule: str = "", kind: str = "units", description: str = "",
                 from_scenario: str | None = None, copy_assignment: bool = True,
                 scenario_name: str | None = None, position: int | None = None):
        self.layer = TerritoryLayer(name.strip(), (rule or "").strip(), kind, description.strip())
        self.from_scenario, self.copy_assignment = from_scenario, copy_assignment
        self.scenario_name, self.position = scenario_name, position
        self.text = f"Add territory layer {self.layer.name}"
        self.scenario: Scenario | None = None
        self._previous = ""

    def _build_scenario(self, project) -> Scenario:
        name = (self.scenario_name or "").strip() or unique_scenario_name(project, f"{self.layer.name} plan")
        if any(s.name == name for s in project.scenarios):
            raise InputError(f"a scenario named {name!r} exists already")
        n = len(project.units)
        empty = np.full(n, UNASSIGNED, dtype=np.int64)
        src = project.get_scenario(self.from_scenario) if self.from_scenario else None
        if src is None:
            sc = Scenario(name, [], [], empty, layer=self.layer.name, live=True)
        else:
            assignment = src.assignment.copy() if self.copy_assignment else empty
            sc = Scenario(name, copy.deepcopy(src.territories), copy.deepcopy(src.regions), assignment,
                          layer=self.layer.name, live=True)
        if self.layer.kind == "freeform":  # drawn territories (freeform.py): shapes, not units
            copied = src is not None and src.is_freeform and self.copy_assignment
            sc.assignment = empty
            sc.shapes = dict(src.drawn_shapes) if copied and src is not None else {}
        return sc

    def redo(self, doc: Document) -> None:
        p = doc.project
        if self.layer.kind not in LAYER_KINDS:
            raise InputError(f"kind must be one of {', '.join(LAYER_KINDS)}")
        layers = list(p.layers)
        pos = len(layers) if self.position is None else max(0, min(int(self.position), len(layers)))
        layers.insert(pos, self.layer)
        check_layers(layers)
        rule_mask(p, self.layer.rule)
        if self.scenario is None:
            self.scenario = self._build_scenario(p)
        elif any(s.name == self.scenario.name for s in p.scenarios):
            raise InputError(f"a scenario named {self.scenario.name!r} exists already")
        self._previous = p.active
        p.layers = layers
        p.scenarios.append(self.scenario)
        p.active = self.scenario.name
        _changed(doc)

    def undo(self, doc: Document) -> None:
        p = doc.project
        p.scenarios = [s for s in p.scenarios if s is not self.scenario]
        p.layers = [layer for layer in p.layers if layer is not self.layer]
        p.active = self._previous
        _changed(doc)


class EditLayer(Command):
    """Rename a layer (every scenario of the layer follows), change its rule or its description."""

    def __init__(self, name: str, new_name: str | None = None, rule: str | None = None,
                 description: str | None = None):
        self.name = name
        self.new_name = None if new_name is None else new_name.strip()
        self.rule = None if rule is None else rule.strip()
        self.description = None if description is None else description.strip()
        self.text = f"Edit territory layer {name}"
        self._old: tuple[str, str, str] | None = None
        self.layer: TerritoryLayer | None = None
        self._scenarios: list[Scenario] = []

    def redo(self, doc: Document) -> None:
        p = doc.project
        layer = find_layer(p, self.name)
        if layer is None:
            raise InputError(f"the default layer ({layer_label('')}) has no name, rule or description to edit")
        new = TerritoryLayer(self.new_name if self.new_name is not None else layer.name,
                             self.rule if self.rule is not None else layer.rule, layer.kind,
                             self.description if self.description is not None else layer.description)
        check_layers([new if x is layer else x for x in p.layers])
        rule_mask(p, new.rule)
        self.layer, self._old = layer, (layer.name, layer.rule, layer.description)
        self._scenarios = _layer_scenarios(p, layer.name)
        layer.name, layer.rule, layer.description = new.name, new.rule, new.description
        for s in self._scenarios:
            s.layer = new.name
        _changed(doc)

    def undo(self, doc: Document) -> None:
        assert self.layer is not None and self._old is not None
        self.layer.name, self.layer.rule, self.layer.description = self._old
        for s in self._scenarios:
            s.layer = self._old[0]
        _changed(doc)


class MoveLayer(Command):
    """Put a layer at ``position`` in the routing order (an account goes to the first layer whose
    rule it satisfies)."""

    def __init__(self, name: str, position: int):
        self.name, self.position = name, int(position)
        self.text = f"Move territory layer {name}"
        self._before: list[TerritoryLayer] = []

    def redo(self, doc: Document) -> None:
        p = doc.project
        layer = find_layer(p, self.name)
        if layer is None:
            raise InputError(f"the default layer ({layer_label('')}) has no place in the routing order")
        self._before = list(p.layers)
        rest = [x for x in p.layers if x is not layer]
        rest.insert(max(0, min(self.position, len(rest))), layer)
        p.layers = rest
        _changed(doc)

    def undo(self, doc: Document) -> None:
        doc.project.layers = list(self._before)
        _changed(doc)


class DeleteLayer(Command):
    """Delete a layer. Refused while it has scenarios unless ``with_scenarios`` (then they go too,
    and when the active scenario was one of them another layer's live plan becomes active)."""

    def __init__(self, name: str, with_scenarios: bool = False):
        self.name, self.with_scenarios = name, with_scenarios
        self.text = f"Delete territory layer {name}"
        self._saved: tuple[int, TerritoryLayer, list[tuple[int, Scenario]], str] | None = None

    def redo(self, doc: Document) -> None:
        p = doc.project
        layer = find_layer(p, self.name)
        if layer is None:
            raise InputError(f"the default layer ({layer_label('')}) cannot be deleted")
        mine = _layer_scenarios(p, layer.name)
        if mine and not self.with_scenarios:
            raise InputError(f"territory layer {layer.name!r} still has {len(mine)} scenario(s) "
                             f"({', '.join(s.name for s in mine)}); delete them with it or first")
        if len(mine) == len(p.scenarios):
            raise InputError("cannot delete the project's last scenarios; add a scenario to another layer first")
        saved = [(p.scenarios.index(s), s) for s in mine]
        previous = p.active
        if any(s.name == previous for s in mine):
            rest = [s for s in p.scenarios if s not in mine]
            default = [s for s in rest if s.layer == ""]
            fallback = next((s for s in default if s.live), default[0] if default else rest[0])
        else:
            fallback = p.scenario
        p.scenarios = [s for s in p.scenarios if s not in mine]
        index = p.layers.index(layer)
        p.layers = [x for x in p.layers if x is not layer]
        p.active = fallback.name
        self._saved = (index, layer, saved, previous)
        _changed(doc)

    @property
    def deleted_scenarios(self) -> list[Scenario]:
        return [s for _, s in self._saved[2]] if self._saved else []

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        index, layer, saved, previous = self._saved
        p = doc.project
        p.layers.insert(index, layer)
        for k, s in sorted(saved, key=lambda x: x[0]):
            p.scenarios.insert(k, s)
        p.active = previous
        _changed(doc)


def _resolve_scenario(project, name: str | None) -> Scenario:
    return project.get_scenario(name) if name else project.scenario


def _unique(ids: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(str(a).strip() for a in ids if str(a).strip()))
    if not out:
        raise InputError("no accounts given")
    return out


class PinAccounts(Command):
    """Pin accounts to a territory (id or name) of a scenario (default: the active one): they count
    in that territory wherever they lie. Accounts pinned elsewhere move to the new territory."""

    def __init__(self, account_ids: Iterable[str], territory: str, scenario: str | None = None):
        self.account_ids = _unique(account_ids)
        self.territory, self.scenario = territory, scenario
        self.text = (f"Pin {self.account_ids[0]}" if len(self.account_ids) == 1
                     else f"Pin {len(self.account_ids)} accounts")
        self.target: Scenario | None = None  # the scenario pinned in (known after redo)
        self._old: dict[str, str | None] = {}
        self.territory_id = ""

    def redo(self, doc: Document) -> None:
        p = doc.project
        sc = self.target or _resolve_scenario(p, self.scenario)
        terr = sc.territories[sc.territory_index(self.territory)]
        tid = terr.id
        for a in self.account_ids:
            check_pin(p, sc, a, tid)
        if self.target is None:
            self.text = f"{self.text} to {terr.name}"
        self.target, self.territory_id = sc, tid
        self._old = {a: sc.pins.get(a) for a in self.account_ids}
        for a in self.account_ids:
            sc.pins[a] = tid
        _changed(doc)

    def undo(self, doc: Document) -> None:
        assert self.target is not None
        for a, old in self._old.items():
            if old is None:
                self.target.pins.pop(a, None)
            else:
                self.target.pins[a] = old
        _changed(doc)


class UnpinAccounts(Command):
    """Remove the pins of accounts in a scenario (default: active); they count by geography again."""

    def __init__(self, account_ids: Iterable[str], scenario: str | None = None):
        self.account_ids = _unique(account_ids)
        self.scenario = scenario
        self.text = (f"Unpin {self.account_ids[0]}" if len(self.account_ids) == 1
                     else f"Unpin {len(self.account_ids)} accounts")
        self.target: Scenario | None = None
        self._old: dict[str, str] = {}

    def redo(self, doc: Document) -> None:
        sc = self.target or _resolve_scenario(doc.project, self.scenario)
        missing = [a for a in self.account_ids if a not in sc.pins]
        if missing:
            raise InputError(f"account {missing[0]!r} is not pinned in scenario {sc.name!r}"
                             + (f" (nor {len(missing) - 1} other(s))" if len(missing) > 1 else ""))
        self.target = sc
        self._old = {a: sc.pins.pop(a) for a in self.account_ids}
        _changed(doc)

    def undo(self, doc: Document) -> None:
        assert self.target is not None
        self.target.pins.update(self._old)
        _changed(doc)


class PromoteScenario(Command):
    """Make a scenario the live plan of its layer (the others of the layer stop being live; lead
    routing uses the live plan) and the active scenario."""

    def __init__(self, name: str):
        self.name = name
        self.text = f"Promote {name} to live plan"
        self._flags: list[tuple[Scenario, bool]] = []
        self._previous = ""

    def redo(self, doc: Document) -> None:
        p = doc.project
        sc = p.get_scenario(self.name)
        mine = _layer_scenarios(p, sc.layer)
        self._flags = [(s, s.live) for s in mine]
        self._previous = p.active
        for s in mine:
            s.live = s is sc
        p.active = sc.name
        _changed(doc)

    def undo(self, doc: Document) -> None:
        for s, live in self._flags:
            s.live = live
        doc.project.active = self._previous
        _changed(doc)
