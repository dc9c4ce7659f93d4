"""Territory layers (segments) and pins as the CLI and the GUI show them: one summary per layer,
the preview of a rule being typed, and the pins of a scenario."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.project import Project
from territory_desk.domain.editing.territory_layers import rule_mask
from territory_desk.domain.model.territory_layers import layer_label, live_scenario, route_accounts


@dataclass
class LayerSummary:
    name: str  # "" = the default layer (every account)
    label: str
    rule: str
    kind: str
    description: str
    accounts: int  # accounts routed to the layer (every account for the default layer)
    scenarios: list[str]
    live: str | None  # the live plan's scenario name
    active: bool  # the active scenario belongs to the layer


@dataclass
class PinRow:
    account_id: str
    account_name: str  # "" when the account no longer exists
    territory_id: str
    territory_name: str  # "" when the territory no longer exists
    stale: bool  # the account or the territory is gone: the pin does not count


def layer_summaries(project: Project) -> list[LayerSummary]:
    """The default layer (when it has scenarios, or when there are no layers) then every layer, in
    routing order."""
    route = route_accounts(project)
    n = len(project.accounts)
    out: list[LayerSummary] = []
    active = project.scenario

    def summary(name, rule, kind, desc, accounts) -> LayerSummary:
        mine = [s for s in project.scenarios if s.layer.casefold() == name.casefold()]
        live = live_scenario(project, name)
        return LayerSummary(name, layer_label(name), rule, kind, desc, accounts, [s.name for s in mine],
                            live.name if live is not None else None, active in mine)

    if not project.layers or any(s.layer == "" for s in project.scenarios):
        out.append(summary("", "", "units", "every account", n))
    for k, layer in enumerate(project.layers):
        out.append(summary(layer.name, layer.rule, layer.kind, layer.description, int(np.count_nonzero(route == k))))
    return out


def unrouted_accounts(project: Project) -> int:
    """Accounts no layer takes (they count only in scenarios of the default layer)."""
    if not project.layers:
        return 0
    return int(np.count_nonzero(route_accounts(project) < 0))


def rule_preview(project: Project, rule: str, editing: str | None = None) -> tuple[int, int]:
    """(accounts the rule matches, accounts it would route) for a new layer appended to the routing
    order, or for the layer ``editing`` at its place: earlier layers take their accounts first.
    Raises InputError (one line) for a rule that does not parse or names an unknown field."""
    matched = rule_mask(project, rule)
    taken = np.zeros(len(matched), dtype=bool)
    for layer in project.layers:
        if editing is not None and layer.name.casefold() == editing.casefold():
            break
        taken |= rule_mask(project, layer.rule)
    return int(np.count_nonzero(matched)), int(np.count_nonzero(matched & ~taken))


def pin_rows(project: Project, scenario=None) -> list[PinRow]:
    sc = scenario or project.scenario
    names = dict(zip(project.accounts.ids, project.accounts.names))
    terrs = {t.id: t.name for t in sc.territories}
    rows = [PinRow(a, names.get(a, ""), t, terrs.get(t, ""), a not in names or t not in terrs)
            for a, t in sc.pins.items()]
    return sorted(rows, key=lambda r: (r.territory_name.casefold(), r.account_name.casefold(), r.account_id))


def layers_table(project: Project) -> str:
    """The text `territory-desk layers PROJECT` prints."""
    rows = [["Layer", "Rule", "Kind", "Accounts", "Scenarios (* live, > active)"]]
    for s in layer_summaries(project):
        marks = [("*" if n == s.live else "") + (">" if n == project.active else "") + n for n in s.scenarios]
        rows.append([s.label, s.rule or ("(every account)" if not s.name else "(every account left)"), s.kind,
                     f"{s.accounts:,}", ", ".join(marks) or "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.rjust(widths[i]) if i == 3 else c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    left = unrouted_accounts(project)
    if left:
        lines.append("")
        lines.append(f"{left:,} account(s) match no layer's rule: they count only in scenarios of "
                     f"{layer_label('')!r}")
    return "\n".join(lines)
