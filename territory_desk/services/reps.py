"""Rep matching as the CLI and the GUI use it: the score breakdown in words, the suggested plan as a
text table, CSV rows or JSON (the interface of ``territory-desk match-reps --format json``), and the
undoable command that puts a plan in force.

The scoring and the solve are in ``domain/reps/matching.py``.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.reps.matching import COMPONENTS, LABELS, MatchResult, project_defaults
from territory_desk.io.tables import safe_csv


@dataclass
class ComponentScore:
    key: str
    label: str
    score: float  # 0..1
    weight: float
    has_data: bool  # False: neutral 0.5 (the detail says what is missing)
    detail: str


def breakdown(res: MatchResult, r: int, t: int) -> list[ComponentScore]:
    """Each component of the (rep r, territory t) score, with what it was computed from."""
    return [ComponentScore(k, LABELS[k], float(res.parts[k][r, t]), float(res.weights.get(k, 0.0)),
                           bool(res.has_data[k][r, t]), explain(res, k, r, t)) for k in COMPONENTS]


def explain(res: MatchResult, key: str, r: int, t: int) -> str:
    rep, f = res.reps[r], res.facts
    if key in ("industry", "language"):
        skill = "industries" if key == "industry" else "languages"
        if res.used.get(f"{key}_column") is None:
            return f"no {key} column among the accounts: neutral"
        if key not in f:
            return "nothing to compare: neutral"
        counts, stated, values, rep_sets, covered = f[key]
        if not rep_sets[r]:
            return f"{rep.name} has no {skill} listed: neutral"
        if stated[t] == 0:
            return f"no account here states a {key}: neutral"
        top = np.argsort(-counts[t], kind="stable")[:3]
        mix = ", ".join(f"{values[k]} {counts[t, k] / stated[t]:.0%}" for k in top if counts[t, k] > 0)
        listed = rep.skills.get(skill)
        listed = ", ".join(map(str, listed)) if isinstance(listed, (list, tuple, set)) else str(listed)
        return f"{covered[r, t]:.0f} of {stated[t]:.0f} accounts ({covered[r, t] / stated[t]:.0%}) in {listed}; here: {mix}"
    if key == "experience":
        level, label = f["levels"][r]
        if "experience" not in f:
            return "no potential metric: neutral"
        if level is None:
            return f"{label}: neutral"
        v, rank = f["experience"]
        return (f"{label} ({level:.2f}) vs {res.used['potential_metric']} {v[t]:,.0f}, "
                f"rank {rank[t]:.2f} (0 lowest, 1 highest territory)")
    if key == "distance":
        if "distance" not in f:
            return "nothing to compare: neutral"
        dist, radius, half, basis = f["distance"]
        if not np.isfinite(dist[r, t]):
            if rep.home_lon is None or rep.home_lat is None:
                return f"{rep.name} has no home location: neutral"
            return "the territory has no accounts or units: neutral"
        extra = max(dist[r, t] - radius[t], 0.0)
        return (f"{dist[r, t]:,.0f} km on average from {rep.home_city or 'home'} to its {basis[t]}, "
                f"{extra:,.0f} km more than from its centre (score halves every {half:,.0f} km)")
    if "capacity" not in f:
        return "no workload metric: neutral"
    load, cap = f["capacity"]
    if not cap[r] > 0:
        return f"{rep.name} has no capacity set: neutral"
    u = load[t] / cap[r]
    return (f"workload {load[t]:,.0f} {res.used['workload_metric']} vs capacity {cap[r]:,.0f} "
            f"({u:.0%}, {'overloaded' if u > 1 else 'fits'})")


def _num(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else round(v, 4)


def _rep(res: MatchResult, r: int) -> dict | None:
    return None if r < 0 else {"id": res.reps[r].id, "name": res.reps[r].name}


def status(res: MatchResult, t: int) -> str:
    if res.kept[t]:
        return "locked" if res.territories[t].locked else "kept"
    if res.plan[t] < 0:
        return "no rep left"
    return "same" if res.plan[t] == res.current[t] else "changed"


def result_dict(res: MatchResult) -> dict:
    rows = []
    for t, terr in enumerate(res.territories):
        r, c = int(res.plan[t]), int(res.current[t])
        rows.append({
            "territory_id": terr.id, "territory": terr.name, "status": status(res, t),
            "current_rep": _rep(res, c), "current_score": _num(res.score[c, t]) if c >= 0 else None,
            "suggested_rep": _rep(res, r), "score": _num(res.score[r, t]) if r >= 0 else None,
            "components": {x.key: {"score": _num(x.score), "weight": x.weight, "has_data": x.has_data,
                                   "detail": x.detail} for x in breakdown(res, r, t)} if r >= 0 else {},
        })
    return {
        "scenario": res.scenario,
        "weights": {k: res.weights[k] for k in COMPONENTS},
        "used": res.used,
        "total_score": _num(res.total),
        "current_total_score": _num(res.current_total),
        "territories": rows,
        "changes": len(res.changes()),
        "unmatched_reps": [_rep(res, r) for r in res.unmatched_reps()],
        "unmatched_territories": [res.territories[t].id for t in res.unmatched_territories()],
    }


def result_csv(res: MatchResult, raw: bool = False) -> str:
    """One row per territory (then one per rep left without a territory), with every component;
    formula-safe unless ``raw`` (io/safe_csv.py)."""
    out = io.StringIO()
    w = safe_csv.writer(out, raw)
    w.writerow(["territory_id", "territory", "status", "current_rep_id", "current_rep", "current_score",
                "suggested_rep_id", "suggested_rep", "score"] + [c for k in COMPONENTS for c in (k, f"{k}_detail")])
    for row in result_dict(res)["territories"]:
        cur, new = row["current_rep"] or {}, row["suggested_rep"] or {}
        comps = row["components"]
        w.writerow([row["territory_id"], row["territory"], row["status"], cur.get("id", ""), cur.get("name", ""),
                    row["current_score"], new.get("id", ""), new.get("name", ""), row["score"]]
                   + [c for k in COMPONENTS for c in ((comps[k]["score"], comps[k]["detail"]) if comps else ("", ""))])
    for r in res.unmatched_reps():
        w.writerow(["", "", "rep without territory", "", "", "", res.reps[r].id, res.reps[r].name, ""]
                   + [""] * (2 * len(COMPONENTS)))
    return out.getvalue()


def result_table(res: MatchResult) -> str:
    head = ["Territory", "Current rep", "Suggested rep", "Score"] + [k.capitalize() for k in COMPONENTS] + ["Status"]
    rows = [head]
    for t, terr in enumerate(res.territories):
        r, c = int(res.plan[t]), int(res.current[t])
        parts = [f"{res.parts[k][r, t]:.2f}" + ("" if res.has_data[k][r, t] else "*") if r >= 0 else "-"
                 for k in COMPONENTS]
        rows.append([terr.name, res.reps[c].name if c >= 0 else "-", res.reps[r].name if r >= 0 else "-",
                     f"{res.score[r, t]:.2f}" if r >= 0 else "-", *parts, status(res, t)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    left = {0, 1, 2, len(head) - 1}
    weights = ", ".join(f"{k} {res.weights[k]:g}" for k in COMPONENTS)
    lines = [f"Scenario: {res.scenario}    weights: {weights}"]
    for n, row in enumerate(rows):
        lines.append("  ".join(v.ljust(widths[i]) if i in left else v.rjust(widths[i])
                               for i, v in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * x for x in widths))
    lines.append("")
    gain = res.total - res.current_total
    lines.append(f"total score: now {res.current_total:.2f}, suggested {res.total:.2f} ({gain:+.2f})")
    changes = res.changes()
    lines.append(f"{len(changes)} territor{'y changes' if len(changes) == 1 else 'ies change'} rep")
    if res.unmatched_reps():
        lines.append("reps without a territory: " + ", ".join(res.reps[r].name for r in res.unmatched_reps()))
    if res.unmatched_territories():
        lines.append("territories without a rep: " + ", ".join(res.territories[t].name
                                                                for t in res.unmatched_territories()))
    if any((~res.has_data[k]).any() for k in COMPONENTS):
        lines.append("* no data for this component: neutral 0.50 (see --format json for why)")
    return "\n".join(lines)


class AssignReps(Command):
    """Set the rep of several territories of one scenario (one undo step); remembers the weights used
    in the project's settings (restored on undo)."""

    def __init__(self, scenario: str, rep_ids: dict[str, str | None], weights: dict[str, float] | None = None,
                 text: str = "Assign suggested reps"):
        self.scenario, self.rep_ids, self.weights, self.text = scenario, dict(rep_ids), weights, text
        self._old: dict[str, str | None] = {}
        self._old_settings = None

    def _set(self, doc: Document, values: dict[str, str | None]) -> None:
        sc = doc.project.get_scenario(self.scenario)
        index = {t.id: i for i, t in enumerate(sc.territories)}
        missing = [tid for tid in values if tid not in index]
        if missing:
            raise InputError(f"no territory {missing[0]!r} in scenario {self.scenario!r}")
        for tid, rep in values.items():
            sc.territories[index[tid]].rep_id = rep
        if sc is doc.scenario:
            doc.notify(Change(ChangeKind.TERRITORIES, territories={index[tid] for tid in values}))

    def redo(self, doc: Document) -> None:
        sc = doc.project.get_scenario(self.scenario)
        known = {t.id: t.rep_id for t in sc.territories}
        self._old = {tid: known.get(tid) for tid in self.rep_ids}
        self._set(doc, self.rep_ids)
        if self.weights is not None:
            self._old_settings = doc.project.settings.get("rep_matching")
            saved = dict(project_defaults(doc.project))
            saved["weights"] = {k: float(self.weights[k]) for k in COMPONENTS if k in self.weights}
            doc.project.settings["rep_matching"] = saved

    def undo(self, doc: Document) -> None:
        self._set(doc, self._old)
        if self.weights is not None:
            if self._old_settings is None:
                doc.project.settings.pop("rep_matching", None)
            else:
                doc.project.settings["rep_matching"] = self._old_settings


def apply_command(result: MatchResult, remember_weights: bool = True) -> AssignReps:
    """The undoable command that puts the suggested plan in force (only territories that change)."""
    plan = result.rep_ids()
    changed = {result.territories[t].id: plan[result.territories[t].id] for t, _, _ in result.changes()}
    return AssignReps(result.scenario, changed, result.weights if remember_weights else None,
                      text=f"Assign suggested reps ({len(changed)} territor{'y' if len(changed) == 1 else 'ies'})")
