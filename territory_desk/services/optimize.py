"""Automatic territory design on a project: the use case shared by `territory-desk optimize` and
Tools → Design territories….

``run`` builds the problem from the project and the options (which units, which territories are
kept, fixed units, seeds, start plan), solves it and returns a *new* Scenario with its summary and
the exact list of moves; nothing in the project changes until the undoable AddScenario command
(editing/scenarios.py; the CLI and the GUI alike) adds it.

The summary (``summarize``/``summary_lines``): deviations over the designed territories against
their own mean (the optimiser's target); contiguity and Polsby-Popper from the incremental engine
on the project's graph, as the Metrics panel and `territory-desk stats` show them.

Two modes:
* design (no ``source``): K new territories from the units of the active scenario that are not
  in locked territories (or only those of a region or a selection); everything else is kept;
* rebalance (``source`` = a scenario): the same territories, starting from their current units,
  with disruption (accounts that change territory) traded against balance.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.editing.regions import find_region
from territory_desk.domain.editing.scenarios import unique_scenario_name
from territory_desk.domain.model.accounts import locate_points
from territory_desk.domain.model.colors import distinct_colors, territory_neighbours
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.metrics import metric_fields, unit_values
from territory_desk.domain.optimize import Constraint, Problem, Solution, make_problem, solve
from territory_desk.domain.optimize.problem import INDEX, metric_matrix
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territories import UNASSIGNED, Scenario, Territory


@dataclass
class OptimizeOptions:
    territories: int | None = None  # K (design); rebalance keeps the source's territories
    balance: list[tuple[str, float | None]] = field(default_factory=list)  # (metric, tolerance or None)
    weights: dict[str, float] = field(default_factory=dict)  # one weighted index instead of ``balance``
    tolerance: float = 0.05  # default tolerance (and the index's)
    seeds: str | None = None  # "reps": each territory around a rep's home unit
    scenario_name: str | None = None
    source: str | None = None  # rebalance this scenario instead of designing from scratch
    min_disruption: bool = False
    disruption_weight: float = 1.0  # with min_disruption: larger = fewer accounts change territory
    respect_locks: bool = True
    region: str | None = None  # design only this region (id or name) of the base scenario
    units: list[int] | None = None  # or only these units (indices)
    fixed_units: list[int] = field(default_factory=list)  # units that keep their territory (rebalance)
    seed: int = 1
    time_limit: float = 60.0


@dataclass
class OptimizeResult:
    scenario: Scenario
    solution: Solution
    summary: dict
    moves: list[tuple[str, str, str]]  # (unit id, from territory, to territory) relative to the base

    def summary_lines(self) -> list[str]:
        return summary_lines(self.summary)


@dataclass
class _Plan:
    base: Scenario
    units: np.ndarray  # project indices of the units being designed
    keep: list[int]  # base territory indices that stay in the new scenario
    targets: list[int]  # rebalance: base territory index of each local territory
    k: int


def run(project: Project, options: OptimizeOptions, progress: Callable[[float, str], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> OptimizeResult:
    """Design (or rebalance) and return the new scenario; the project is not changed."""
    rebalance = options.source is not None
    base = project.get_scenario(options.source) if rebalance else project.scenario
    if base.is_freeform:
        raise InputError(f"scenario {base.name!r} has drawn (freeform) territories; automatic design works on "
                         f"unit territories: switch to a unit scenario first")
    name = (options.scenario_name or "").strip() or unique_scenario_name(
        project, f"{base.name} {'rebalanced' if rebalance else 'optimized'}")
    if any(s.name == name for s in project.scenarios):
        raise InputError(f"a scenario named {name!r} exists already (choose another with --scenario)")
    plan = _rebalance_plan(project, base, options) if rebalance else _design_plan(project, base, options)
    fixed, reps = _fixed_units(project, base, plan, options, rebalance)
    kw: dict = dict(fixed=fixed, seed=options.seed, time_limit=options.time_limit)
    if rebalance:
        local = {t: i for i, t in enumerate(plan.targets)}
        kw["start"] = np.array([local.get(int(t), -1) for t in base.assignment[plan.units]], dtype=np.int64)
        if options.min_disruption:
            kw["disruption"] = _disruption_values(project, plan.units, options)
            kw["disruption_weight"] = max(float(options.disruption_weight), 0.0)
    constraints = [Constraint(name, tol if tol is not None else options.tolerance) for name, tol in options.balance]
    problem = make_problem(project, plan.units, plan.k, constraints or None, options.weights or None,
                           options.tolerance, **kw)
    solution = solve(problem, progress, cancel)
    scenario = _new_scenario(project, base, plan, solution, options, reps, name)
    moves = _moves(project, base, scenario, plan.units) if rebalance else []
    designed = plan.targets if rebalance else list(range(len(plan.keep), len(plan.keep) + plan.k))
    summary = summarize(project, scenario, designed, problem, solution, moves if rebalance else None, plan.units)
    return OptimizeResult(scenario, solution, summary, moves)


# ---- which units, which territories --------------------------------------------------------------
def _in_scope(project: Project, base: Scenario, options: OptimizeOptions) -> np.ndarray:
    """Boolean mask of units the request covers (region, selection or everything)."""
    n = len(project.units)
    if options.units is not None:
        sel = np.asarray(options.units, dtype=np.int64)
        if len(sel) and (sel.min() < 0 or sel.max() >= n):
            raise InputError("the selection refers to units that do not exist")
        mask = np.zeros(n, dtype=bool)
        mask[sel] = True
        return mask
    if options.region:
        rid = find_region(base, options.region).id
        inside = {rid} | base.sub_region_ids(rid)
        terr = np.array([t.region_id in inside for t in base.territories] + [False], dtype=bool)
        return terr[base.assignment]  # UNASSIGNED (-1) reads the trailing False
    return np.ones(n, dtype=bool)


def _locked(base: Scenario, options: OptimizeOptions) -> np.ndarray:
    locked = np.array([t.locked and options.respect_locks for t in base.territories] + [False], dtype=bool)
    return locked[base.assignment]


def _design_plan(project: Project, base: Scenario, options: OptimizeOptions) -> _Plan:
    mask = _in_scope(project, base, options) & ~_locked(base, options)
    units = np.flatnonzero(mask)
    if len(units) == 0:
        raise InputError("every unit in scope belongs to a locked territory: there is nothing to design")
    k = options.territories
    if options.seeds == "reps" and k is None:
        k = len([r for r in project.reps if r.home_lon is not None and r.home_lat is not None])
    if k is None:
        raise InputError("say how many territories to design (--territories K)")
    # territories whose units are all redesigned disappear; the others keep their remaining units
    a = base.assignment
    outside = np.bincount(a[(~mask) & (a >= 0)], minlength=len(base.territories))
    keep = [t for t in range(len(base.territories)) if outside[t] > 0]
    return _Plan(base, units, keep, [], int(k))


def _rebalance_plan(project: Project, base: Scenario, options: OptimizeOptions) -> _Plan:
    scope = _in_scope(project, base, options)
    a = base.assignment
    free_t = [t for t, terr in enumerate(base.territories) if not (terr.locked and options.respect_locks)]
    in_t = np.zeros(len(base.territories) + 1, dtype=bool)
    in_t[free_t] = True
    mask = in_t[a] & scope & (a >= 0)
    if options.region is None and options.units is None:
        mask |= a == UNASSIGNED
    targets = sorted({int(t) for t in np.unique(a[mask]) if t >= 0})
    if not targets:
        raise InputError(f"scenario {base.name!r} has no unlocked territory to rebalance")
    if options.territories is not None and options.territories != len(targets):
        raise InputError(f"rebalancing keeps the {len(targets)} territories of {base.name!r}; "
                         "leave out --territories or design from scratch")
    return _Plan(base, np.flatnonzero(mask), list(range(len(base.territories))), targets, len(targets))


def _fixed_units(project: Project, base: Scenario, plan: _Plan, options: OptimizeOptions, rebalance: bool):
    """Per local unit: the local territory it must end in (-1 = free); and the reps used as seeds."""
    local_of = np.full(len(project.units), -1, dtype=np.int64)
    local_of[plan.units] = np.arange(len(plan.units))
    fixed = np.full(len(plan.units), -1, dtype=np.int64)
    reps = []
    if rebalance:
        local_t = {t: i for i, t in enumerate(plan.targets)}
        for u in options.fixed_units:
            if local_of[u] >= 0 and int(base.assignment[u]) in local_t:
                fixed[local_of[u]] = local_t[int(base.assignment[u])]
    if options.seeds == "reps":
        homes = _rep_homes(project)
        if rebalance:
            for rep, u in homes:
                t = next((i for i, bt in enumerate(plan.targets) if base.territories[bt].rep_id == rep.id), None)
                if t is not None and local_of[u] >= 0:
                    fixed[local_of[u]] = t
        else:
            if len(homes) != plan.k:
                raise InputError(f"{len(homes)} rep(s) have a home location but {plan.k} territories were asked; "
                                 "with seeds from reps the number of territories is the number of reps")
            for t, (rep, u) in enumerate(homes):
                if local_of[u] < 0:
                    raise InputError(f"rep {rep.name} lives in {project.units.names[u]}, outside the units being designed")
                if fixed[local_of[u]] >= 0:
                    other = reps[int(fixed[local_of[u]])]
                    raise InputError(f"reps {other.name} and {rep.name} live in the same unit "
                                     f"({project.units.names[u]}): each territory needs its own home unit")
                fixed[local_of[u]] = t
                reps.append(rep)
    return fixed, reps


def _rep_homes(project: Project) -> list:
    reps = [r for r in project.reps if r.home_lon is not None and r.home_lat is not None]
    if not reps:
        raise InputError("no rep has a home location: import reps with addresses or coordinates first")
    lon = np.array([r.home_lon for r in reps], dtype=float)
    lat = np.array([r.home_lat for r in reps], dtype=float)
    where = locate_points(lon, lat, project.units.geometry, project.units.source_crs)
    missing = [r.name for r, u in zip(reps, where) if u < 0]
    if missing:
        raise InputError(f"the home of {', '.join(missing[:5])} lies outside every unit")
    return list(zip(reps, where.tolist()))


def _disruption_values(project: Project, units: np.ndarray, options: OptimizeOptions) -> np.ndarray:
    """What a unit carries when it changes territory: its accounts, or else its first balance metric."""
    acc = project.accounts
    if len(acc) and acc.unit_index is not None and (acc.unit_index >= 0).any():
        counts = np.bincount(acc.unit_index[acc.unit_index >= 0], minlength=len(project.units))
        return counts[units].astype(np.float64)
    name = options.balance[0][0] if options.balance else next(iter(options.weights))
    return metric_matrix(project, [name])[units, 0]


# ---- the new scenario ----------------------------------------------------------------------------
def _new_scenario(project: Project, base: Scenario, plan: _Plan, sol: Solution, options: OptimizeOptions,
                  reps: list, name: str) -> Scenario:
    sc = base.copy(name)
    if plan.targets:  # rebalance: same territories, new units
        sc.assignment[plan.units] = np.asarray(plan.targets, dtype=np.int64)[sol.assignment]
        return sc
    old = sc.assignment
    remap = np.full(len(base.territories) + 1, UNASSIGNED, dtype=np.int64)
    remap[plan.keep] = np.arange(len(plan.keep))
    new = remap[old]  # UNASSIGNED (-1) reads the trailing slot
    new[plan.units] = len(plan.keep) + sol.assignment
    region_id = find_region(base, options.region).id if options.region else None
    kept = [base.territories[t] for t in plan.keep]
    territories = list(kept)
    used_names = {t.name for t in territories}
    for t in range(plan.k):
        name_t = _territory_name(reps[t] if reps else None, t, used_names)
        used_names.add(name_t)
        terr = Territory(id="", name=name_t, region_id=region_id, rep_id=reps[t].id if reps else None)
        sc.territories = territories
        terr.id = sc.new_territory_id()
        territories.append(terr)
    sc.territories, sc.assignment = territories, new
    used_regions = {t.region_id for t in territories if t.region_id}
    while True:  # keep the regions still in use, and the regions above them
        parents = {r.parent_id for r in sc.regions if r.id in used_regions and r.parent_id} - used_regions
        if not parents:
            break
        used_regions |= parents
    sc.regions = [r for r in sc.regions if r.id in used_regions]
    nb = territory_neighbours(new, project.adjacency.i, project.adjacency.j, len(territories))
    colours = distinct_colors(nb, [t.color for t in kept] + [""] * plan.k)
    for terr, colour in zip(territories, colours):
        terr.color = colour
    return sc


def _territory_name(rep, t: int, used: set[str]) -> str:
    base = (f"{rep.home_city} Area" if rep.home_city else rep.name) if rep is not None else f"Territory {t + 1}"
    name, n = base, 2
    while name in used:
        name, n = f"{base} ({n})", n + 1
    return name


def _moves(project: Project, base: Scenario, new: Scenario, units: np.ndarray) -> list[tuple[str, str, str]]:
    """Units whose territory changed (by territory id), as (unit id, from name, to name)."""
    def ident(sc: Scenario, t: int) -> str:
        return sc.territories[t].id if t >= 0 else ""

    def label(sc: Scenario, t: int) -> str:
        return sc.territories[t].name if t >= 0 else "unassigned"

    out = []
    for u in units.tolist():
        a, b = int(base.assignment[u]), int(new.assignment[u])
        if ident(base, a) != ident(new, b):
            out.append((project.units.ids[u], label(base, a), label(new, b)))
    return out


# ---- the figures of a result -----------------------------------------------------------------------
def summarize(project: Project, scenario: Scenario, designed: list[int], problem: Problem, solution: Solution,
              moves: list[tuple[str, str, str]] | None, units: np.ndarray) -> dict:
    stats = engine_for(project, scenario).stats()
    idx = np.asarray(designed, dtype=np.int64)
    names = [c.name for c in problem.constraints if c.name != INDEX] + list(problem.index_weights)
    dev: dict[str, float] = {}
    for name in names:
        v = stats.value[idx, stats.field_index(name)]
        mean = v.mean() if len(v) else 0.0
        dev[name] = float(np.abs(v / mean - 1.0).max() * 100.0) if mean else 0.0
    if problem.index_weights:
        dev[INDEX] = float(solution.max_deviation[0] * 100.0)
    a = scenario.assignment
    adj = project.adjacency
    ai, aj = a[adj.i], a[adj.j]
    cut = float(adj.length[(ai != aj) & (ai >= 0) & (aj >= 0)].sum() / 1000.0)
    summary = {
        "scenario": scenario.name,
        "mode": "rebalance" if moves is not None else "design",
        "territories": len(idx),
        "max_deviation_pct": dev,
        "tolerance_pct": {c.name: c.tolerance * 100.0 for c in problem.constraints},
        "within_tolerance": bool(solution.within_tolerance),
        "non_contiguous": int(np.count_nonzero(stats.pieces[idx] > 1)),
        "mean_polsby_popper": float(stats.polsby_popper[idx].mean()) if len(idx) else 0.0,
        "cut_boundary_km": cut,
        "disruption": _disruption(project, moves, units, names) if moves is not None else None,
        "seconds": float(solution.seconds),
        "stopped": solution.stopped,
    }
    return summary


def _disruption(project: Project, moves: list[tuple[str, str, str]], units: np.ndarray, names: list[str]) -> dict:
    moved = project.units.indices_of([m[0] for m in moves]) if moves else np.zeros(0, dtype=np.int64)
    fields = [f for f in metric_fields(project) if f.key in set(names) | {"accounts"}]
    values = unit_values(project, fields)
    out: dict = {"units": len(moves), "units_pct": 100.0 * len(moves) / max(len(units), 1)}
    for c, f in enumerate(fields):
        total = values[units, c].sum()
        part = values[moved, c].sum()
        out[f.key] = float(part)
        out[f"{f.key}_pct"] = float(100.0 * part / total) if total else 0.0
    return out


def summary_lines(s: dict) -> list[str]:
    """Human-readable lines (the CLI prints them; the GUI shows them)."""
    lines = [f"scenario: {s['scenario']} ({s['mode']}, {s['territories']} territories)"]
    tol = s["tolerance_pct"]
    for name, v in s["max_deviation_pct"].items():
        band = f" (tolerance {tol[name]:.3g} %)" if name in tol else ""
        lines.append(f"max deviation {name}: {v:.2f} %{band}")
    if not s["within_tolerance"]:
        lines.append("warning: the tolerance was not met; this is the best plan found")
    lines.append(f"non-contiguous territories: {s['non_contiguous']}")
    lines.append(f"mean Polsby-Popper: {s['mean_polsby_popper']:.3f}")
    lines.append(f"cut boundary length: {s['cut_boundary_km']:,.0f} km")
    d = s["disruption"]
    if d is None:
        lines.append("disruption: none measured (new design)")
    else:
        parts = [f"{d['units']} unit(s) ({d['units_pct']:.1f} %)"]
        if "accounts" in d:
            parts.append(f"{d['accounts']:,.0f} account(s) ({d['accounts_pct']:.1f} %)")
        lines.append("disruption: " + ", ".join(parts) + " changed territory")
    stopped = f" ({s['stopped']}: best plan so far)" if s["stopped"] else ""
    lines.append(f"time: {s['seconds']:.2f} s{stopped}")
    return lines


def moves_lines(moves: list[tuple[str, str, str]], ids_shown: int = 12) -> list[str]:
    """One line per (from, to) pair: how many units and which (the first ``ids_shown`` ids)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for uid, src, dst in moves:
        groups.setdefault((src, dst), []).append(uid)
    lines = []
    for (src, dst), ids in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        more = f", … (+{len(ids) - ids_shown})" if len(ids) > ids_shown else ""
        lines.append(f"{src} -> {dst}: {len(ids)} unit(s): {', '.join(ids[:ids_shown])}{more}")
    return lines
