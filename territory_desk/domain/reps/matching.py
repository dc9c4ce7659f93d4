"""Rep <-> territory matching: score every (rep, territory) pair from the rep's skills and the
territory's content, then choose the plan with the highest total score (one rep per territory).

Five components, each 0..1 (explained in words by ``services.reps.breakdown``):

* industry   share of the territory's accounts whose industry is one of ``rep.skills["industries"]``
* language   share of the territory's accounts with a stated language that the rep speaks
               (``rep.skills["languages"]``; "es", "Spanish", "es-MX" are the same language)
* experience 1 - |rep level - territory potential rank|: junior 0, mid 0.5, senior 1 (or years / 10)
               against the territory's rank on the potential metric (0 lowest, 1 highest)
* distance   mean great-circle distance from the rep's home to the territory's accounts (or unit
               centroids when it has none), beyond the distance from the territory's own centre;
               the score halves every "half distance" (default: the median territory radius)
* capacity   workload (account count or a chosen metric) vs ``rep.capacity``: 1 when 100 % used,
               down to 0.5 when empty, and 0 at 150 % (overload costs twice as much as slack)

A component without data (no such column, a rep without that skill, no accounts) scores a neutral
0.5 and says so. The pair score is the weighted mean of the components; the plan maximises the
sum of pair scores with ``scipy.optimize.linear_sum_assignment`` (rectangular problems leave reps or
territories unmatched). Locked territories and those listed in ``keep`` keep their current rep,
and that rep leaves the pool. Putting a plan in force: ``services.reps.apply_command``.
The component scorers are in ``scores.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.reps.scores import NEUTRAL, capacity_fit, distance_fit, experience_fit, experience_level, text_fit, unit_vectors

COMPONENTS = ("industry", "language", "experience", "distance", "capacity")
LABELS = {"industry": "Industry fit", "language": "Language fit", "experience": "Experience vs potential",
          "distance": "Distance", "capacity": "Capacity vs workload"}
DEFAULT_WEIGHTS = {"industry": 2.0, "language": 1.0, "experience": 1.0, "distance": 1.0, "capacity": 1.0}
AGGREGATE = 20_000  # above this many accounts, distances go to each unit's accounts taken together
TIE = 1e-9  # added to the current pairs so that an equal-scoring plan never moves anyone
INDUSTRY_COLUMNS = ("industry", "industries", "sector", "vertical")
LANGUAGE_COLUMNS = ("language", "languages", "lang", "preferred_language", "locale")


def parse_weights(text: str | None, base: dict[str, float] | None = None) -> dict[str, float]:
    """``"industry=2,distance=0.5"`` over ``base`` (default weights); 0 switches a component off."""
    out = dict(base or DEFAULT_WEIGHTS)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        key = name.strip().casefold()
        if key not in COMPONENTS:
            raise InputError(f"unknown weight {name.strip()!r}; weights are {', '.join(COMPONENTS)}")
        try:
            w = float(value)
        except ValueError:
            raise InputError(f"weight {part.strip()!r}: use NAME=NUMBER, e.g. industry=2") from None
        if not sep or not np.isfinite(w) or w < 0:
            raise InputError(f"weight {part.strip()!r}: use NAME=NUMBER with a number >= 0")
        out[key] = w
    return out


def project_defaults(project) -> dict:
    """The matching settings saved in the project (``settings["rep_matching"]``)."""
    saved = project.settings.get("rep_matching")
    return saved if isinstance(saved, dict) else {}


def default_weights(project) -> dict[str, float]:
    """The weights last applied to the project, else DEFAULT_WEIGHTS."""
    saved = project_defaults(project).get("weights")
    return parse_weights(",".join(f"{k}={v}" for k, v in saved.items()) if isinstance(saved, dict) else "")


@dataclass
class MatchOptions:
    weights: dict[str, float] | None = None  # None: the project's saved weights, else DEFAULT_WEIGHTS
    keep: tuple[str, ...] = ()  # territory ids or names that keep their current rep (besides locked ones)
    reps: tuple[str, ...] | None = None  # the only reps that may move (None: every rep); others stay
    industry_column: str | None = None  # None: the saved setting, else auto-detected
    language_column: str | None = None
    potential_metric: str | None = None  # None: "potential", else the first balance field
    workload_metric: str | None = None  # None: the account count


@dataclass
class MatchResult:
    scenario: str
    reps: list  # every project rep (rows of the matrices)
    territories: list  # the scenario's territories (columns)
    weights: dict[str, float]
    score: np.ndarray  # (R, T) weighted pair score 0..1
    parts: dict[str, np.ndarray]  # component -> (R, T) 0..1
    has_data: dict[str, np.ndarray]  # component -> (R, T) bool
    current: np.ndarray  # (T,) rep index now, -1 none
    plan: np.ndarray  # (T,) suggested rep index, -1 none
    kept: np.ndarray  # (T,) bool: locked or listed to keep
    pool: np.ndarray  # (R,) bool: reps that could be moved
    used: dict[str, str | None]  # which columns and metrics fed the scores
    facts: dict = field(default_factory=dict, repr=False)  # raw figures for the explanations

    def pair_total(self, reps: np.ndarray) -> float:
        t = np.flatnonzero(reps >= 0)
        return float(self.score[reps[t], t].sum())

    @property
    def total(self) -> float:
        return self.pair_total(self.plan)

    @property
    def current_total(self) -> float:
        return self.pair_total(self.current)

    def changes(self) -> list[tuple[int, int, int]]:
        """(territory, current rep, suggested rep) for every territory whose rep changes."""
        return [(t, int(self.current[t]), int(self.plan[t])) for t in np.flatnonzero(self.plan != self.current)]

    def unmatched_reps(self) -> list[int]:
        taken = set(self.plan.tolist())
        return [int(r) for r in np.flatnonzero(self.pool) if r not in taken]

    def unmatched_territories(self) -> list[int]:
        return np.flatnonzero(self.plan < 0).tolist()

    def rep_ids(self) -> dict[str, str | None]:
        """Suggested rep id per territory id."""
        return {terr.id: (self.reps[r].id if r >= 0 else None) for terr, r in zip(self.territories, self.plan)}


# ---- scoring -------------------------------------------------------------------------------------
def _pick_column(columns: dict, explicit: str | None, saved, candidates: tuple[str, ...], what: str) -> str | None:
    if explicit:
        for name in columns:
            if name.casefold() == explicit.strip().casefold():
                return name
        raise InputError(f"no account text column {explicit!r} for the {what}; text columns: "
                         f"{', '.join(columns) or 'none'}")
    if isinstance(saved, str) and saved in columns:
        return saved
    low = {name.casefold(): name for name in columns}
    hit = next((low[c] for c in candidates if c in low), None)
    return hit or next((name for name in columns if candidates[0] in name.casefold()), None)


def _pick_metric(fields: list[str], explicit: str | None, fallbacks: list, what: str) -> str | None:
    if explicit:
        if explicit not in fields:
            raise InputError(f"no metric {explicit!r} for the {what}; metrics: {', '.join(fields)}")
        return explicit
    return next((f for f in fallbacks if isinstance(f, str) and f in fields), None)


def _territory_points(project, scenario, terr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """(unit vectors, weights, owner territory, basis) of the points standing for each territory: its
    accounts (above AGGREGATE accounts, those of one unit taken together at their mean position,
    which moves a mean distance by less than the unit's size), or its unit centroids when it has none."""
    acc = project.accounts
    n_t = len(scenario.territories)
    ok = (terr >= 0) & np.isfinite(acc.lon) & np.isfinite(acc.lat)
    xyz, owner = unit_vectors(acc.lon[ok], acc.lat[ok]), terr[ok]
    weight = np.ones(len(owner))
    if len(owner) > AGGREGATE:
        unit = acc.unit_index[ok] if acc.unit_index is not None else np.full(len(owner), -1)
        keys, inv = np.unique(owner * (len(project.units) + 1) + unit + 1, return_inverse=True)
        weight = np.bincount(inv).astype(float)
        xyz = np.column_stack([np.bincount(inv, weights=xyz[:, k]) for k in range(3)])
        xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
        owner = keys // (len(project.units) + 1)
    has_acc = np.bincount(owner, minlength=n_t)[:n_t] > 0
    basis = ["accounts" if h else "" for h in has_acc]
    need = [t for t in range(n_t) if not has_acc[t]]
    if need:
        import shapely

        from territory_desk.domain.model.projection import LONLAT, transform_points

        units = np.flatnonzero(np.isin(scenario.assignment, need))
        c = shapely.centroid(project.units.geometry[units])
        x, y = shapely.get_x(c), shapely.get_y(c)
        if not project.units.source_crs.is_geographic:
            x, y = transform_points(x, y, project.units.source_crs, LONLAT)
        xyz, owner = np.vstack([xyz, unit_vectors(x, y)]), np.concatenate([owner, scenario.assignment[units]])
        weight = np.concatenate([weight, np.ones(len(units))])
        for t in set(scenario.assignment[units].tolist()):
            basis[t] = "units"
    return xyz, weight, owner, basis


def solve(score: np.ndarray, current: np.ndarray, kept: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """The plan (rep index per territory, -1 none) with the highest total score: kept territories keep
    their current rep; the free reps of the pool go one per free territory (linear_sum_assignment);
    among plans with the same total, the one that keeps most current reps."""
    from scipy.optimize import linear_sum_assignment

    plan = np.where(kept, current, -1).astype(np.int64)
    free_r = np.flatnonzero(pool & ~np.isin(np.arange(len(pool)), current[kept & (current >= 0)]))
    free_t = np.flatnonzero(~kept)
    if len(free_r) and len(free_t):
        sub = score[np.ix_(free_r, free_t)].astype(np.float64)
        sub += TIE * (free_r[:, None] == current[free_t][None, :])  # ties: the current rep stays
        rows, cols = linear_sum_assignment(sub, maximize=True)
        plan[free_t[cols]] = free_r[rows]
    return plan


def match_reps(project, scenario=None, options: MatchOptions | None = None, stats=None) -> MatchResult:
    """Score every (rep, territory) pair of ``scenario`` (default: active) and solve the assignment.
    ``stats``: the scenario's Stats when the caller has them (the editor's live engine)."""
    from territory_desk.domain.stats.engine import engine_for
    from territory_desk.domain.stats.membership import account_territories
    from territory_desk.domain.stats.metrics import metric_fields

    sc = scenario or project.scenario
    opts = options or MatchOptions()
    saved = project_defaults(project)
    weights = default_weights(project) if opts.weights is None else \
        parse_weights(",".join(f"{k}={v}" for k, v in opts.weights.items()))
    if sum(weights.values()) <= 0:
        raise InputError("every weight is 0: give at least one component a weight above 0")
    reps, terrs, acc = project.reps, sc.territories, project.accounts
    n_r, n_t = len(reps), len(terrs)
    stats = stats or engine_for(project, sc).stats()
    terr = account_territories(project, sc) if len(acc) else np.zeros(0, dtype=np.int64)
    parts = {k: np.full((n_r, n_t), NEUTRAL) for k in COMPONENTS}
    has = {k: np.zeros((n_r, n_t), dtype=bool) for k in COMPONENTS}
    facts: dict = {"levels": [experience_level(r.skills.get("experience")) for r in reps]}
    used: dict[str, str | None] = {}
    for key, cands in (("industry", INDUSTRY_COLUMNS), ("language", LANGUAGE_COLUMNS)):
        col = _pick_column(acc.text, getattr(opts, f"{key}_column"), saved.get(f"{key}_column"), cands, key)
        used[f"{key}_column"] = col
        if col is not None and n_t and n_r:
            parts[key], has[key], facts[key] = text_fit(key, col, project, reps, terr, n_t)
    fields = list(stats.fields)
    used["potential_metric"] = pot = _pick_metric(
        fields, opts.potential_metric,
        [saved.get("potential_metric"), "potential", *(project.settings.get("balance_fields") or [])], "potential")
    if pot is not None and n_t and n_r:
        v = stats.value[:, stats.field_index(pot)]
        parts["experience"], has["experience"], rank = experience_fit(reps, v)
        facts["experience"] = (v, rank)
    if n_t and n_r:
        parts["distance"], has["distance"], facts["distance"] = distance_fit(
            _territory_points(project, sc, terr), reps, n_t, saved.get("distance_half_km"))
    acc_key = next((f.key for f in metric_fields(project) if f.source == "account_count"), None)
    used["workload_metric"] = work = _pick_metric(fields, opts.workload_metric,
                                                  [saved.get("workload_metric"), acc_key], "workload")
    if work is not None and n_t and n_r:
        load = stats.value[:, stats.field_index(work)]
        parts["capacity"], has["capacity"], cap = capacity_fit(reps, load)
        facts["capacity"] = (load, cap)
    total_w = sum(weights.values())
    score = sum(weights[k] * parts[k] for k in COMPONENTS) / total_w

    rep_index = {r.id: i for i, r in enumerate(reps)}
    current = np.array([rep_index.get(t.rep_id, -1) for t in terrs], dtype=np.int64)
    keep = {sc.territories[sc.territory_index(k)].id for k in opts.keep}
    kept = np.array([t.locked or t.id in keep for t in terrs], dtype=bool)
    pool = np.ones(n_r, dtype=bool)
    if opts.reps is not None:
        wanted = {x.strip().casefold() for x in opts.reps if x.strip()}
        unknown = wanted - {r.id.casefold() for r in reps} - {r.name.casefold() for r in reps}
        if unknown:
            raise InputError(f"no rep {sorted(unknown)[0]!r}")
        pool = np.array([r.id.casefold() in wanted or r.name.casefold() in wanted for r in reps], dtype=bool)
        kept |= (current >= 0) & ~pool[np.maximum(current, 0)] if n_r else False  # the others stay put
    pool[current[kept & (current >= 0)]] = False
    plan = solve(score, current, kept, pool)
    return MatchResult(sc.name, list(reps), list(terrs), weights, score, parts, has, current, plan, kept, pool,
                       used, facts)
