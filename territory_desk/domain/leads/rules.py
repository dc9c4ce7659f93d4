"""Lead routing rules: an ordered list that decides the territory and the owner of each new lead.

The list is stored in the project as JSON (``project.settings["lead_rules"]``: a list of dicts).
The first rule that gives a lead an owner wins; a rule that cannot (no account matches, the ZIP is
in no unit, the rep reached the cap) lets the lead fall through to the next rule. Rule types:

``account``      named-account match: the lead's account id (``id_column``) or company name
                 (``name_column``, compared after normalising case, punctuation and legal suffixes)
                 names an account -> that account's territory in the live plan of its layer, and its rep.
``condition``    ``when`` holds -> a fixed ``territory``, ``rep``, ``team`` (round robin), ``queue``, or a
                 territory ``layer`` (then located by ``column`` or ``lat_column``/``lon_column``).
``unit``         a column with a unit id (``match: "id"``) or a ZIP code (``match: "zip"``: the unit
                 containing the ZIP's centre) -> that unit's territory in the live plan.
``point``        latitude/longitude columns -> the unit (or drawn territory) containing the point.
``round_robin``  the reps of a ``team`` (``skills["team"]``) or an explicit ``reps`` list, in turn.
``fallback``     a rep or a queue for whatever is left.

Every rule may have ``when`` (a condition on lead columns, see conditions.py), ``cap`` (at most this
many leads per rep in this run; ``rep_caps`` overrides it per rep: a capped rep is skipped and the
lead falls through) and, for geography, ``layer`` (a territory layer; empty = each lead goes to the
layer whose rule it satisfies, as accounts do). The routing itself is in routing.py.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from territory_desk.domain.editing.territories import Command
from territory_desk.domain.model.conditions import Condition
from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.model.errors import InputError

SETTINGS_KEY = "lead_rules"
RULE_TYPES = {
    "account": "Named account",
    "condition": "Condition",
    "unit": "Geography by unit",
    "point": "Geography by point",
    "round_robin": "Round robin in a team",
    "fallback": "Fallback owner",
}
CONDITION_TARGETS = ("territory", "rep", "team", "queue", "layer")
FALLBACK_TARGETS = ("rep", "queue")
UNIT_MATCHES = ("id", "zip")
_COMMON = ("name", "type", "when", "cap", "rep_caps")
_KEYS = {
    "account": _COMMON + ("id_column", "name_column", "layer"),
    "condition": _COMMON + ("target", "value", "layer", "column", "match", "lat_column", "lon_column"),
    "unit": _COMMON + ("column", "match", "layer"),
    "point": _COMMON + ("lat_column", "lon_column", "layer"),
    "round_robin": _COMMON + ("team", "reps"),
    "fallback": _COMMON + ("target", "value"),
}


@dataclass
class LeadRule:
    name: str
    type: str
    when: str = ""
    cap: int | None = None
    rep_caps: dict[str, int] = field(default_factory=dict)
    layer: str = ""  # territory layer whose live plan decides ("" = route by the layers' rules)
    id_column: str = ""
    name_column: str = ""
    column: str = ""  # unit id or ZIP column
    match: str = "id"  # how `column` is read: "id" (unit id) or "zip" (ZIP centre)
    lat_column: str = ""
    lon_column: str = ""
    target: str = ""  # condition: territory|rep|team|queue|layer; fallback: rep|queue
    value: str = ""
    team: str = ""
    reps: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return RULE_TYPES.get(self.type, self.type)

    def condition(self) -> Condition:
        return Condition.parse(self.when)

    def uses_geography(self) -> bool:
        return self.type in ("unit", "point") or (self.type == "condition" and self.target == "layer")

    def geography(self) -> str:
        """'unit' or 'point': how a geography rule (or a condition targeting a layer) locates a lead."""
        if self.type in ("unit", "point"):
            return self.type
        return "unit" if self.column else "point"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: only the settings that apply to the type, defaults left out."""
        d: dict[str, Any] = {"name": self.name, "type": self.type}
        for key in _KEYS.get(self.type, ())[2:]:
            v = getattr(self, key)
            if v in ("", None, [], {}) or (key == "match" and v == "id"):
                continue
            d[key] = copy.deepcopy(v)
        return d

    @classmethod
    def from_dict(cls, d: Any, number: int = 0) -> "LeadRule":
        """A rule from its JSON form; InputError naming the rule and the problem."""
        where = f"rule {number}" if number else "rule"
        if not isinstance(d, dict):
            raise InputError(f"{where}: expected an object with name and type, not {type(d).__name__}")
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{where}: needs a name")
        where = f"{where} {name.strip()!r}"
        kind = d.get("type")
        if kind not in RULE_TYPES:
            raise InputError(f"{where}: unknown type {kind!r} (types: {', '.join(RULE_TYPES)})")
        unknown = sorted(set(d) - set(_KEYS[kind]))
        if unknown:
            raise InputError(f"{where}: {', '.join(map(repr, unknown))} does not apply to a {kind} rule "
                             f"(settings: {', '.join(_KEYS[kind])})")
        kw: dict[str, Any] = {}
        for key in _KEYS[kind][2:]:
            if key not in d or d[key] is None:
                continue
            v = d[key]
            if key == "cap":
                kw[key] = _count(v, f"{where}: cap")
            elif key == "rep_caps":
                if not isinstance(v, dict):
                    raise InputError(f"{where}: rep_caps must map rep ids to numbers of leads")
                kw[key] = {str(r): _count(c, f"{where}: cap of rep {r!r}") for r, c in v.items()}
            elif key == "reps":
                if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
                    raise InputError(f"{where}: reps must be a list of rep ids")
                kw[key] = [x.strip() for x in v]
            elif not isinstance(v, str):
                raise InputError(f"{where}: {key} must be text, not {v!r}")
            else:
                kw[key] = v.strip()
        rule = cls(name=name.strip(), type=kind, **kw)
        rule._check_shape(where)
        return rule

    def _check_shape(self, where: str) -> None:
        """Checks that need no project: defaults, the condition, targets and columns present."""
        try:
            self.condition()
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        if self.type == "account" and not (self.id_column or self.name_column):
            self.name_column = "company"
        if self.type in ("unit", "condition") and self.match not in UNIT_MATCHES:
            raise InputError(f"{where}: match must be 'id' (unit id) or 'zip' (ZIP code), not {self.match!r}")
        if self.type == "unit" and not self.column:
            self.column = "zip"
        if self.type == "point":
            self.lat_column, self.lon_column = self.lat_column or "lat", self.lon_column or "lon"
        if self.type == "condition":
            if self.target not in CONDITION_TARGETS:
                raise InputError(f"{where}: target must be one of {', '.join(CONDITION_TARGETS)}, "
                                 f"not {self.target!r}")
            if not self.value:
                raise InputError(f"{where}: name the {self.target} the leads go to (value)")
            if self.layer and self.target != "territory":
                raise InputError(f"{where}: layer applies only to the territory target (a layer target names "
                                 "the layer in value)")
            if self.target == "layer" and not self.column:  # located by a unit/ZIP column, else by lat/lon
                self.lat_column, self.lon_column = self.lat_column or "lat", self.lon_column or "lon"
        if self.type == "round_robin" and bool(self.team) == bool(self.reps):
            raise InputError(f"{where}: name either a team or a list of reps")
        if self.type == "fallback":
            if self.target not in FALLBACK_TARGETS:
                raise InputError(f"{where}: target must be 'rep' or 'queue', not {self.target!r}")
            if not self.value:
                raise InputError(f"{where}: name the {self.target} that takes the leads left (value)")


def _count(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or v < 0:
        raise InputError(f"{what} must be a whole number of leads (0 or more), not {v!r}")
    return int(v)


# ---- the project's references -----------------------------------------------------------------------
def find_rep(project, key: str):
    """A rep by id, else by name (case-insensitive); None when none."""
    rep = project.rep(key)
    if rep is not None:
        return rep
    low = key.casefold()
    return next((r for r in project.reps if r.name.casefold() == low), None)


def team_members(project, team: str) -> list:
    """Reps whose ``skills["team"]`` (text or list) names ``team``, in the project's rep order."""
    low = team.casefold()
    out = []
    for r in project.reps:
        t = (r.skills or {}).get("team")
        names = t if isinstance(t, (list, tuple)) else [t] if t else []
        if any(str(x).strip().casefold() == low for x in names):
            out.append(r)
    return out


def team_names(project) -> list[str]:
    seen: dict[str, str] = {}
    for r in project.reps:
        t = (r.skills or {}).get("team")
        for x in t if isinstance(t, (list, tuple)) else [t] if t else []:
            seen.setdefault(str(x).strip().casefold(), str(x).strip())
    return sorted(seen.values(), key=str.casefold)


def plan_for(project, layer_name: str):
    """The live scenario of a layer (segments.live_scenario); InputError when there is none."""
    from territory_desk.domain.model.territory_layers import find_layer, layer_label, live_scenario

    layer = find_layer(project, layer_name)
    name = layer.name if layer is not None else ""
    sc = live_scenario(project, name)
    if sc is None:
        raise InputError(f"the territory layer {layer_label(name)!r} has no scenario")
    return sc


def check_rule(project, rule: LeadRule, number: int) -> None:
    """Checks against the project: layers, territories, reps and teams that a rule names exist."""
    where = f"rule {number} {rule.name!r}"
    try:
        if rule.layer:
            plan_for(project, rule.layer)
        for rep_id in rule.rep_caps:
            if find_rep(project, rep_id) is None:
                raise InputError(f"rep_caps names the rep {rep_id!r}, who is not in the project")
        target, value = rule.target, rule.value
        if rule.type == "round_robin":
            target, value = ("team", rule.team) if rule.team else ("reps", "")
        if target == "territory":
            plan_for(project, rule.layer).territory_index(value)
        elif target == "rep" and find_rep(project, value) is None:
            raise InputError(f"the rep {value!r} is not in the project")
        elif target == "team" and not team_members(project, value):
            teams = ", ".join(team_names(project)) or "none: set a rep's team in the rep panel"
            raise InputError(f"no rep is in the team {value!r} (teams: {teams})")
        elif target == "layer":
            plan_for(project, value)
        elif target == "reps":
            missing = [r for r in rule.reps if find_rep(project, r) is None]
            if missing:
                raise InputError(f"the rep(s) {', '.join(map(repr, missing))} are not in the project")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def parse_rules(items: Any, project=None) -> list[LeadRule]:
    """Rules from their JSON form (a list), checked (against ``project`` when given)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError("the lead rules must be a list of rules")
    rules = [LeadRule.from_dict(d, k) for k, d in enumerate(items, start=1)]
    seen: dict[str, int] = {}
    for k, r in enumerate(rules, start=1):
        if r.name.casefold() in seen:
            raise InputError(f"rule {k} {r.name!r}: rule {seen[r.name.casefold()]} has the same name")
        seen[r.name.casefold()] = k
        if project is not None:
            check_rule(project, r, k)
    return rules


def project_rules(project) -> list[LeadRule]:
    """The project's stored rules, checked."""
    return parse_rules(project.settings.get(SETTINGS_KEY) or [], project)


def rules_json(rules: list[LeadRule]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in rules]


def describe(rule: LeadRule) -> str:
    """One line for lists: 'unit: zip (ZIP centre) in layer Enterprise, when country = US, cap 50'."""
    t = rule.type
    if t == "account":
        what = " or ".join(x for x in (rule.id_column and f"id in {rule.id_column!r}",
                                       rule.name_column and f"company in {rule.name_column!r}") if x)
    elif t == "condition":
        what = f"-> {rule.target} {rule.value!r}"
    elif t == "unit":
        what = f"{rule.column!r} as {'ZIP code' if rule.match == 'zip' else 'unit id'}"
    elif t == "point":
        what = f"({rule.lat_column!r}, {rule.lon_column!r})"
    elif t == "round_robin":
        what = f"team {rule.team!r}" if rule.team else "reps " + ", ".join(rule.reps)
    else:
        what = f"-> {rule.target} {rule.value!r}"
    parts = [f"{t}: {what}"]
    if rule.layer and t != "condition":
        parts.append(f"layer {rule.layer!r}")
    if rule.when:
        parts.append(f"when {rule.when}")
    if rule.cap is not None:
        parts.append(f"cap {rule.cap}")
    return ", ".join(parts)


# ---- the undoable edit ---------------------------------------------------------------------------
class SetLeadRules(Command):
    """Replace the project's lead rules (checked first) as one undo step."""

    def __init__(self, rules: list[dict[str, Any]], text: str = "Edit lead routing rules"):
        self.rules = copy.deepcopy(list(rules))
        self.text = text
        self._old: Any = None
        self._had = False

    def redo(self, doc: Document) -> None:
        checked = rules_json(parse_rules(self.rules, doc.project))
        settings = doc.project.settings
        self._had, self._old = SETTINGS_KEY in settings, copy.deepcopy(settings.get(SETTINGS_KEY))
        settings[SETTINGS_KEY] = checked
        doc.notify(Change("settings"))

    def undo(self, doc: Document) -> None:
        if self._had:
            doc.project.settings[SETTINGS_KEY] = copy.deepcopy(self._old)
        else:
            doc.project.settings.pop(SETTINGS_KEY, None)
        doc.notify(Change("settings"))
