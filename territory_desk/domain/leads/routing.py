"""Route leads through the ordered lead rules (rules.py): territory, owner and the rule that
fired for every lead, with the reason when none did.

Vectorised: each rule is evaluated once on all leads still without an owner (numpy masks); round
robin and caps use cumulative counts, not a loop over leads. Within a rule, leads take their turn
(and fill caps) in file order; earlier rules fill caps first. A lead no rule places is kept, with
the reasons each rule that looked at it gave ("rule 3: ZIP 99999 is unknown; rule 5: ...").

Owners are reps (``project.reps``, or a rep id a territory names that is not in the project) and
queues (a fallback owner that is a name, not a rep); both live in one registry of integers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.leads.places import Places, Plan, ZipPoints, resolve_column
from territory_desk.domain.leads.rules import LeadRule, find_rep, plan_for, team_members

NO_RULE = "(none)"
_BIG = np.iinfo(np.int64).max // 4


@dataclass
class Routing:
    rules: list[LeadRule]
    rule: np.ndarray  # index of the rule that placed each lead; -1: none
    territory_id: np.ndarray  # object arrays, "" when empty
    territory: np.ndarray
    rep_id: np.ndarray
    rep: np.ndarray  # rep name, or the queue name
    explain: np.ndarray | None
    reason: np.ndarray  # why no rule placed the lead ("" for placed leads)
    counts: list[int]  # leads placed per rule
    no_rep: int  # leads placed in a territory that has no rep

    def __len__(self) -> int:
        return len(self.rule)

    @property
    def unmatched(self) -> np.ndarray:
        return np.flatnonzero(self.rule < 0)

    def rule_names(self) -> np.ndarray:
        return np.asarray([r.name for r in self.rules] + [NO_RULE], dtype=object)[self.rule]


def check_columns(project, rules: list[LeadRule], names: Sequence[str]) -> None:
    """One clear error when a rule needs a column the leads do not have."""
    names = list(names)
    shown = ", ".join(names[:15]) + (" …" if len(names) > 15 else "")

    def need(k: int, rule: LeadRule, col: str, what: str) -> None:
        if resolve_column(names, col) is None:
            raise InputError(f"rule {k} {rule.name!r} needs the column {col!r} ({what}), which the leads file "
                             f"does not have (columns: {shown})")

    for k, rule in enumerate(rules, start=1):
        for f in sorted(rule.condition().fields()):
            need(k, rule, f, "in its condition")
        if rule.type == "account":
            for col in (rule.id_column, rule.name_column):
                if col:
                    need(k, rule, col, "to find the account")
        if rule.uses_geography():
            if rule.geography() == "unit":
                need(k, rule, rule.column, "ZIP code" if rule.match == "zip" else "unit id")
            else:
                need(k, rule, rule.lat_column, "latitude")
                need(k, rule, rule.lon_column, "longitude")
            fixed = rule.value if rule.type == "condition" else rule.layer
            for layer in project.layers if not fixed else []:
                for f in sorted(layer.condition().fields()):
                    if resolve_column(names, f) is None:
                        raise InputError(
                            f"rule {k} {rule.name!r} sends each lead to the territory layer whose rule it satisfies, "
                            f"and layer {layer.name!r} ({layer.rule}) needs the column {f!r}, which the leads file "
                            f"does not have (columns: {shown}); give the rule a layer, or add the column")


def route_leads(project, rules: list[LeadRule], columns: Mapping[str, Sequence], n: int | None = None,
                explain: bool = False, zip_points: ZipPoints | None = None) -> Routing:
    """Route ``n`` leads given as columns (name -> array of text or numbers) through ``rules``
    (already checked against the project, see lead_rules.parse_rules)."""
    cols = {k: np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v for k, v in columns.items()}
    if n is None:
        n = len(next(iter(cols.values()))) if cols else 0
    check_columns(project, rules, list(cols))
    return _Router(project, rules, cols, n, explain, zip_points).run()


def _full(m: int, text) -> np.ndarray:
    if isinstance(text, np.ndarray):
        return text.astype(object, copy=True)
    out = np.empty(m, dtype=object)
    out[:] = text
    return out


class _Router:
    def __init__(self, project, rules, columns, n, explain, zip_points):
        self.p, self.rules, self.n, self.explain = project, rules, n, explain
        self.owner_id: list[str] = []
        self.owner_name: list[str] = []
        self.owner_text: list[str] = []  # for explanations
        self.queues: list[int] = []
        self._owner_key: dict = {}
        self.used = np.zeros(0, dtype=np.int64)
        for r in project.reps:
            self._register(r.id, r.id, r.name or r.id, f"rep {r.id} {r.name}".rstrip())
        self.slot_id: list[str] = []
        self.slot_name: list[str] = []
        self.slot_text: list[str] = []
        self.slot_owner: list[int] = []
        self.slot_plan: list[str] = []
        self._plans: dict[int, Plan] = {}
        self.places = Places(project, columns, n, self.plan, zip_points)
        self.rule_of = np.full(n, -1, dtype=np.int64)
        self.slot = np.full(n, -1, dtype=np.int64)
        self.owner = np.full(n, -1, dtype=np.int64)
        self.detail = np.full(n, "", dtype=object) if explain else None
        self.why = np.full(n, "", dtype=object)
        self.counts = [0] * len(rules)

    # ---- owners and plans --------------------------------------------------------------------------
    def _register(self, key, rid: str, name: str, text: str) -> int:
        self._owner_key[key] = len(self.owner_id)
        self.owner_id.append(rid)
        self.owner_name.append(name)
        self.owner_text.append(text)
        self.used = np.append(self.used, 0)
        return self._owner_key[key]

    def rep_owner(self, key: str) -> int:
        rep = find_rep(self.p, key)
        rid = rep.id if rep is not None else key
        if rid not in self._owner_key:  # a territory names a rep the project does not have
            self._register(rid, rid, rid, f"rep {rid}")
        return self._owner_key[rid]

    def queue_owner(self, name: str) -> int:
        key = ("queue", name.casefold())
        if key not in self._owner_key:
            self.queues.append(self._register(key, "", name, f"queue {name!r}"))
        return self._owner_key[key]

    def plan(self, scenario) -> Plan:
        key = id(scenario)
        if key not in self._plans:
            terrs = scenario.territories
            base = len(self.slot_id)
            owners = np.array([self.rep_owner(t.rep_id) if t.rep_id else -1 for t in terrs], dtype=np.int64)
            plan = f"{'live ' if scenario.live else ''}plan {scenario.name!r}"
            label = f"{scenario.layer} {plan}" if scenario.layer else plan
            self.slot_id += [t.id for t in terrs]
            self.slot_name += [t.name for t in terrs]
            self.slot_text += [f"{t.id} {t.name}" for t in terrs]
            self.slot_owner += owners.tolist()
            self.slot_plan += [label] * len(terrs)
            shapes, geo = getattr(scenario, "shapes", None), None
            if shapes is not None:
                pairs = [(shapes[t.id], k) for k, t in enumerate(terrs) if shapes.get(t.id) is not None]
                geoms = np.empty(len(pairs), dtype=object)
                geoms[:] = [g for g, _ in pairs]
                geo = (geoms, np.array([k for _, k in pairs], dtype=np.int64))
            self._plans[key] = Plan(scenario, label, base, owners, geo)
        return self._plans[key]

    def _arr(self, values: list, tail) -> np.ndarray:
        return np.asarray(values + [tail], dtype=object)

    def owners_of(self, slot: np.ndarray) -> np.ndarray:
        return np.asarray(self.slot_owner + [-1], dtype=np.int64)[slot]

    def territory_detail(self, slot: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """"plan 'Base' -> T04 Boston Area (rep R01 Daniel Moore)" for each lead."""
        texts = self._arr([f" ({t})" for t in self.owner_text], " (no rep)")
        return self._arr(self.slot_plan, "")[slot] + " -> " + self._arr(self.slot_text, "")[slot] + texts[owner]

    def caps(self, rule: LeadRule) -> np.ndarray | None:
        if rule.cap is None and not rule.rep_caps:
            return None
        own = {self.rep_owner(key): c for key, c in rule.rep_caps.items()}  # may register owners
        caps = np.full(len(self.owner_id), _BIG if rule.cap is None else rule.cap, dtype=np.int64)
        for k, c in own.items():
            caps[k] = c
        caps[self.queues] = _BIG  # queues take any number of leads
        return caps

    # ---- the run -----------------------------------------------------------------------------------
    def run(self) -> Routing:
        for k, rule in enumerate(self.rules):
            free = np.flatnonzero(self.rule_of < 0)
            if not len(free):
                break
            try:
                idx = free[self.places.evaluate(rule.condition(), free)]
            except InputError as exc:
                raise InputError(f"rule {k + 1} {rule.name!r}: {exc}") from None
            if not len(idx):
                continue
            if rule.type == "round_robin" or (rule.type == "condition" and rule.target == "team"):
                team = rule.value if rule.type == "condition" else rule.team
                if team:
                    members, label = team_members(self.p, team), f"team {team!r}"
                else:
                    members = [find_rep(self.p, r) for r in rule.reps]
                    label = "reps " + ", ".join(r.id for r in members)
                self.commit(k, idx, *self.round_robin(rule, idx, members, label))
                continue
            if rule.type == "account":
                slot, owner, detail, reason = self.accounts(rule, idx)
            elif rule.uses_geography():
                slot, owner, detail, reason = self.geography(rule, idx)
            else:
                slot, owner, detail, reason = self.fixed(rule, idx)
            ok = (slot >= 0) | (owner >= 0)
            ok, reason = self.apply_caps(rule, owner, ok, reason)
            self.commit(k, idx, slot, owner, ok, detail, reason)
        return self.result()

    def commit(self, k, idx, slot, owner, ok, detail, reason) -> None:
        rule = self.rules[k]
        rows = idx[ok]
        self.rule_of[rows] = k
        self.slot[rows] = slot[ok]
        self.owner[rows] = owner[ok]
        got = owner[ok]
        self.used += np.bincount(got[got >= 0], minlength=len(self.used))
        self.counts[k] += len(rows)
        if self.explain and len(rows):
            head = f"rule {k + 1} {rule.name!r}: " + (f"{rule.when} -> " if rule.when else "")
            self.detail[rows] = head + (detail[ok] if isinstance(detail, np.ndarray) else detail)
        bad = idx[~ok]
        if len(bad):
            r = f"rule {k + 1}: " + _full(len(idx), reason)[~ok]
            old = self.why[bad]
            self.why[bad] = np.where(old == "", r, old + "; " + r)

    def apply_caps(self, rule, owner, ok, reason):
        caps = self.caps(rule)
        cand = np.flatnonzero(ok & (owner >= 0))
        if caps is None or not len(cand):
            return ok, reason
        o = owner[cand]
        order = np.argsort(o, kind="stable")
        so = o[order]
        starts = np.flatnonzero(np.r_[True, so[1:] != so[:-1]])
        rank = np.arange(len(so)) - np.repeat(starts, np.diff(np.r_[starts, len(so)]))
        allowed = np.empty(len(so), dtype=bool)
        allowed[order] = self.used[so] + rank < caps[so]
        over = cand[~allowed]
        if len(over):
            ok = ok.copy()
            ok[over] = False
            reason = _full(len(ok), reason)
            names = self._arr(self.owner_name, "")
            cap_text = np.asarray([str(c) for c in caps], dtype=object)
            reason[over] = names[owner[over]] + " reached the cap (" + cap_text[owner[over]] + " leads)"
        return ok, reason

    # ---- rule types --------------------------------------------------------------------------------
    def accounts(self, rule, idx):
        acc, what, reason = self.places.match_accounts(rule, idx)
        slots = self.places.account_slots(rule)
        slot = np.where(acc >= 0, slots[np.maximum(acc, 0)], -1)
        owner = self.owners_of(slot)
        lost = np.flatnonzero((acc >= 0) & (slot < 0))
        reason[lost] = what[lost] + ", which is in no territory of its live plan"
        detail = what + " -> " + self.territory_detail(slot, owner) if self.explain else None
        return slot, owner, detail, reason

    def geography(self, rule, idx):
        loc = self.places.locate(rule, idx)
        unit = loc.unit
        pnum, plans, no_plan = self.places.plans_of(rule, idx)
        slot = np.full(len(idx), -1, dtype=np.int64)
        reason = loc.reason[loc.key]
        for j in np.unique(pnum).tolist():
            rows = np.flatnonzero(pnum == j)
            plan = plans[j]
            if plan is None:
                lost = rows[unit[rows] >= 0]
                reason[lost] = loc.what_of(lost) + ": " + no_plan
                continue
            t = self.places.territories(plan, unit[rows], None if loc.lon is None else loc.lon[rows],
                                        None if loc.lat is None else loc.lat[rows])
            slot[rows[t >= 0]] = plan.base + t[t >= 0]
            off = rows[(t < 0) & (unit[rows] >= 0)]
            reason[off] = loc.what_of(off) + " is in no territory of " + plan.label
        owner = self.owners_of(slot)
        detail = loc.what_of(np.arange(len(idx))) + " -> " + self.territory_detail(slot, owner) \
            if self.explain else None
        return slot, owner, detail, reason

    def fixed(self, rule, idx):
        """A condition's territory, rep or queue; a fallback's rep or queue."""
        m = len(idx)
        slot = np.full(m, -1, dtype=np.int64)
        if rule.target == "territory":
            plan = self.plan(plan_for(self.p, rule.layer))
            s = plan.base + plan.scenario.territory_index(rule.value)
            slot[:] = s
            owner = np.full(m, self.slot_owner[s], dtype=np.int64)
            detail = self.territory_detail(slot[:1], owner[:1])[0]
        else:
            k = self.rep_owner(rule.value) if rule.target == "rep" else self.queue_owner(rule.value)
            owner = np.full(m, k, dtype=np.int64)
            detail = self.owner_text[k]
        return slot, owner, detail, ""

    def round_robin(self, rule, idx, members, label):
        """Reps in turn, in their order; a rep at the cap leaves the turn (vectorised by phases: all
        active reps get min(remaining) leads each, then the full ones drop out)."""
        mem = np.array([self.rep_owner(r.id) for r in members], dtype=np.int64)
        caps = self.caps(rule)
        remaining = np.full(len(mem), np.inf)
        if caps is not None:
            remaining = np.maximum(caps[mem] - self.used[mem], 0).astype(np.float64)
        m = len(idx)
        owner = np.full(m, -1, dtype=np.int64)
        pos, ptr = 0, 0
        active = np.flatnonzero(remaining > 0)
        while pos < m and len(active):
            cyc = np.roll(active, -(int(np.searchsorted(active, ptr)) % len(active)))
            least = remaining[cyc].min()
            take = m - pos if not np.isfinite(least) else int(min(m - pos, len(cyc) * least))
            seq = cyc[np.arange(take) % len(cyc)]
            owner[pos:pos + take] = mem[seq]
            remaining -= np.bincount(seq, minlength=len(mem))
            pos += take
            ptr = (int(seq[-1]) + 1) % len(mem)
            active = np.flatnonzero(remaining > 0)
        ok = owner >= 0
        texts = self._arr(self.owner_text, "")
        detail = f"round robin in {label} -> " + texts[owner] if self.explain else None
        return np.full(m, -1, dtype=np.int64), owner, ok, detail, f"every rep of {label} reached the cap"

    # ---- the result --------------------------------------------------------------------------------
    def result(self) -> Routing:
        placed = self.rule_of >= 0
        explain = None
        if self.explain:
            explain = self.detail
            miss = np.flatnonzero(~placed)
            why = self.why[miss]
            explain[miss] = np.where(why == "", "no rule matched (no rule's condition holds)",
                                     "no rule matched: " + why)
        reason = np.where(placed, "", np.where(self.why == "", "no rule's condition holds", self.why))
        return Routing(
            rules=self.rules, rule=self.rule_of,
            territory_id=self._arr(self.slot_id, "")[self.slot], territory=self._arr(self.slot_name, "")[self.slot],
            rep_id=self._arr(self.owner_id, "")[self.owner], rep=self._arr(self.owner_name, "")[self.owner],
            explain=explain, reason=reason.astype(object), counts=self.counts,
            no_rep=int((placed & (self.slot >= 0) & (self.owner < 0)).sum()))
