"""Balance and health reports shared by the CLI and the GUI (stats, check).

``stats_dict`` is the documented JSON interface of ``territory-desk stats --format json``.
"""
from __future__ import annotations

import io
import math

import numpy as np

from territory_desk.domain.stats.hierarchy import level_stats
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.domain.stats.metrics import Stats
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territories import Scenario
from territory_desk.domain.model.territory_layers import route_accounts
from territory_desk.io.tables import safe_csv
from territory_desk.services.freeform import freeform_problems


def scenario_stats(project: Project, scenario: Scenario | None = None) -> Stats:
    return engine_for(project, scenario or project.scenario).stats()


def _num(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else round(v, 6)


def stats_dict(project: Project, scenario: Scenario | None = None, stats: Stats | None = None) -> dict:
    sc = scenario or project.scenario
    s = stats or scenario_stats(project, sc)
    acc = s.field_index("accounts") if "accounts" in s.fields else None
    regions = {r.id: r.name for r in sc.regions}
    territories = []
    for t, terr in enumerate(sc.territories):
        rep = project.rep(terr.rep_id)
        territories.append({
            "id": terr.id,
            "name": terr.name,
            "region": regions.get(terr.region_id or "", None),
            "rep": rep.name if rep else None,
            "locked": terr.locked,
            "units": int(s.units[t]),
            "accounts": int(s.value[t, acc]) if acc is not None else 0,
            "pieces": int(s.pieces[t]),
            "area_km2": _num(s.area_m2[t] / 1e6),
            "perimeter_km": _num(s.perimeter_m[t] / 1e3),
            "polsby_popper": _num(s.polsby_popper[t]),
            "metrics": {
                f: {"value": _num(s.value[t, k]), "share_pct": _num(s.share_pct[t, k]),
                    "deviation_pct": _num(s.deviation_pct[t, k])}
                for k, f in enumerate(s.fields)
            },
        })
    return {"scenario": sc.name, "territories": territories, "summary": _summary(project, s)}


def _summary(project: Project, s: Stats) -> dict:
    acc = s.field_index("accounts") if "accounts" in s.fields else None
    outside = int(len(project.accounts.outside())) if len(project.accounts) else 0
    return {
        "max_abs_deviation_pct": {f: _num(s.max_abs_deviation_pct[k]) for k, f in enumerate(s.fields)},
        "cv": {f: _num(s.cv[k]) for k, f in enumerate(s.fields)},
        "mean": {f: _num(s.mean[k]) for k, f in enumerate(s.fields)},
        "non_contiguous": s.non_contiguous,
        "unassigned_units": s.unassigned_units,
        "unassigned_accounts": int(s.unassigned_value[acc]) if acc is not None else 0,
        "accounts_outside_units": outside,
    }


def level_dict(project: Project, key: int | str, scenario: Scenario | None = None, stats: Stats | None = None) -> dict:
    """``stats --level LEVEL --format json``: the groups of a hierarchy level with every metric rolled up."""
    sc = scenario or project.scenario
    lv, s = level_stats(project, stats or scenario_stats(project, sc), key, sc)
    acc = s.field_index("accounts") if "accounts" in s.fields else None
    groups = []
    for g, (gid, name) in enumerate(zip(lv.group_ids, lv.group_names)):
        groups.append({
            "id": gid, "name": name, "territories": [sc.territories[t].id for t in lv.children(g)],
            "units": int(s.units[g]), "accounts": int(s.value[g, acc]) if acc is not None else 0,
            "pieces": int(s.pieces[g]), "area_km2": _num(s.area_m2[g] / 1e6),
            "perimeter_km": _num(s.perimeter_m[g] / 1e3), "polsby_popper": _num(s.polsby_popper[g]),
            "metrics": {f: {"value": _num(s.value[g, k]), "share_pct": _num(s.share_pct[g, k]),
                            "deviation_pct": _num(s.deviation_pct[g, k])} for k, f in enumerate(s.fields)},
        })
    return {"scenario": sc.name, "level": lv.name, "level_index": lv.index, "groups": groups,
            "summary": _summary(project, s)}


def stats_csv(d: dict, raw: bool = False) -> str:
    """``stats --format csv`` (formula-safe unless ``raw``: io/safe_csv.py)."""
    fields = list(d["summary"]["max_abs_deviation_pct"])
    out = io.StringIO()
    w = safe_csv.writer(out, raw)
    if "groups" in d:  # a hierarchy level (level_dict)
        w.writerow(["level", "group_id", "name", "territories", "units", "accounts", "pieces", "polsby_popper"]
                   + [c for f in fields for c in (f, f"{f}_deviation_pct")])
        for g in d["groups"]:
            w.writerow([d["level"], g["id"], g["name"], len(g["territories"]), g["units"], g["accounts"],
                        g["pieces"], g["polsby_popper"]]
                       + [c for f in fields for c in (g["metrics"][f]["value"], g["metrics"][f]["deviation_pct"])])
        return out.getvalue()
    w.writerow(["territory_id", "name", "region", "rep", "units", "accounts", "pieces", "polsby_popper"]
               + [c for f in fields for c in (f, f"{f}_deviation_pct")])
    for t in d["territories"]:
        w.writerow([t["id"], t["name"], t["region"] or "", t["rep"] or "", t["units"], t["accounts"], t["pieces"],
                    t["polsby_popper"]]
                   + [c for f in fields for c in (t["metrics"][f]["value"], t["metrics"][f]["deviation_pct"])])
    return out.getvalue()


def _fmt(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def stats_table(d: dict, fields: list[str] | None = None) -> str:
    all_fields = list(d["summary"]["max_abs_deviation_pct"])
    fields = [f for f in (fields or all_fields) if f in all_fields]
    head = [d.get("level", "Territory"), "Units", "Pieces", "PP"] + [h for f in fields for h in (f, "dev%")]
    rows = [head]
    for t in d.get("groups", d.get("territories")):
        rows.append([t["name"], str(t["units"]), str(t["pieces"]), _fmt(t["polsby_popper"], 2)]
                    + [c for f in fields for c in (_fmt(t["metrics"][f]["value"]), _fmt(t["metrics"][f]["deviation_pct"], 1))])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [f"Scenario: {d['scenario']}" + (f"    level: {d['level']}" if "groups" in d else "")]
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    s = d["summary"]
    lines.append("")
    lines.append("max |deviation| %: " + ", ".join(f"{f} {_fmt(s['max_abs_deviation_pct'][f], 1)}" for f in fields))
    lines.append("coefficient of variation: " + ", ".join(f"{f} {_fmt(s['cv'][f], 3)}" for f in fields))
    what = f"{d['level'].casefold()}s" if "groups" in d else "territories"
    lines.append(f"non-contiguous {what}: {s['non_contiguous']}; unassigned units: {s['unassigned_units']}; "
                 f"accounts outside units: {s['accounts_outside_units']}")
    return "\n".join(lines)


def check_problems(project: Project, scenario: Scenario | None = None) -> list[str]:
    """Human-readable problems: what the reader repaired in the file, unassigned units, non-contiguous
    territories, accounts outside units."""
    sc = scenario or project.scenario
    problems = [f"repaired on open: {r}" for r in project.repairs]
    if sc.is_freeform:  # freeform: overlaps, uncovered accounts, territories without a shape
        return problems + freeform_problems(project, sc)
    s = scenario_stats(project, sc)
    unassigned = np.flatnonzero(sc.assignment < 0)
    if len(unassigned):
        ids = [project.units.ids[i] for i in unassigned[:10]]
        problems.append(f"{len(unassigned)} unassigned unit(s): {', '.join(ids)}" + (" ..." if len(unassigned) > 10 else ""))
    for t, terr in enumerate(sc.territories):
        if s.pieces[t] > 1:
            problems.append(f"territory {terr.name!r} is not contiguous ({int(s.pieces[t])} pieces)")
        elif s.units[t] == 0:
            problems.append(f"territory {terr.name!r} is empty")
    outside = project.accounts.outside() if len(project.accounts) else []
    if len(outside):
        ids = [project.accounts.ids[i] for i in outside[:10]]
        problems.append(f"{len(outside)} account(s) outside every unit: {', '.join(ids)}" + (" ..." if len(outside) > 10 else ""))
    problems.extend(segment_problems(project, sc))
    return problems


def segment_problems(project: Project, sc: Scenario) -> list[str]:
    """Accounts no territory layer takes (the layers' rules leave them out) and stale pins."""
    problems: list[str] = []
    acc = project.accounts
    if project.layers and len(acc):
        lost = np.flatnonzero(route_accounts(project) < 0)
        if len(lost):
            ids = [acc.ids[i] for i in lost[:10]]
            problems.append(f"{len(lost)} account(s) belong to no territory layer (no layer's rule takes them; add a "
                            f"layer with an empty rule to catch them): {', '.join(ids)}" + (" ..." if len(lost) > 10 else ""))
    if sc.pins:
        known, tids = set(acc.ids), {t.id for t in sc.territories}
        stale = sorted(a for a, t in sc.pins.items() if a not in known or t not in tids)
        if stale:
            problems.append(f"{len(stale)} pin(s) name an account or territory that no longer exists (ignored): "
                            f"{', '.join(stale[:10])}" + (" ..." if len(stale) > 10 else ""))
    return problems
