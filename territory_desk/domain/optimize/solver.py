"""The optimiser: start plan, balance, compactness, recombination; progress, cancel, time limit.

Phases:
* start: METIS on the unit graph (or growth around fixed units, or the plan being rebalanced),
  contiguity repaired, no territory empty;
* balance: sweeps, then diffusion and block transfers, then iterated local search (kick a heavy
  border unit across, forbid its return, balance again; keep only improvements); further start
  plans are tried while the result stays outside the bands;
* compactness: soft-band annealing, back into the bands, hard-band annealing, greedy polish;
* recombination (the merge-split move of ReCom-style districting): the union of two neighbouring
  territories is re-partitioned as a small problem of its own (METIS bisection, balance,
  compactness) and replaces the pair when its Polsby-Popper sum is higher and both halves stay
  inside every band of the whole problem; pairs are visited worst first, rounds repeat while some
  pair improves.

Iteration budgets scale with the number of units (capped for large problems) and with the
problem's ``effort`` (the recombination's sub-problems use a fraction). Deterministic for a seed:
every random choice comes from one numpy Generator, every sort is stable, and the phases end on
convergence or fixed budgets. Only the time limit (or a cancel) can cut a run short; then the best
plan so far is returned and ``stopped`` says why.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.optimize.blocks import diffuse, kick, territory_graph, transfer
from territory_desk.domain.optimize.initial import fill_empty, grow_regions, metis_by_component, metis_partition, repair_contiguity, subgraph
from territory_desk.domain.optimize.problem import Constraint, Problem
from territory_desk.domain.optimize.search import anneal, anneal_soft, out_of_band, sweep
from territory_desk.domain.optimize.state import SearchState

Progress = Callable[[float, str], None]
# annealing: iterations per unit, temperatures (in Polsby-Popper units), band penalty from b0 to b1
SCHEDULE = {"soft_iters": 300, "soft_cap": 3e6, "t0": 1e-2, "t1": 1e-4, "b0": 0.1, "b1": 3.0,
            "hard_iters": 100, "hard_cap": 1e6}


EFFORT = 0.2  # recombination: annealing budget of a pair, relative to a full problem of its size
ROUNDS = None  # recombination rounds at most; by default 12 for a few thousand units, fewer for more
RESTARTS = 5  # further start plans tried while the balance phase ends outside the bands


class Clock:
    """Time limit, cancel flag, progress reports and phase timings of one run."""

    def __init__(self, limit: float, cancel: Callable[[], bool] | None, progress: Progress | None):
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + max(limit, 0.0)
        self.cancel, self.progress = cancel, progress
        self.stopped = ""
        self.marks: dict[str, float] = {}
        self._last = self.t0

    def stop(self) -> bool:
        if not self.stopped:
            if self.cancel is not None and self.cancel():
                self.stopped = "cancelled"
            elif time.perf_counter() > self.deadline:
                self.stopped = "time limit"
        return bool(self.stopped)

    def report(self, fraction: float, text: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), text)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = now - self._last
        self._last = now


def iterations(n: int, per_unit: float, cap: float, effort: float) -> int:
    """per_unit x n, but at most max(cap, n x per_unit / 10) for large problems; times effort."""
    return int(effort * min(per_unit * n, max(cap, per_unit * n / 10)))


def balance(st: SearchState, clock: Clock, mode: str = "balance", kicks: int = 40) -> None:
    """Local balancing, then iterated local search: while a territory stays outside its band, kick
    one of its heavy border units across and balance again; keep the result only if better."""
    local_balance(st, clock, mode)
    tries: dict[tuple[int, int], int] = {}
    for _ in range(kicks):
        bad = out_of_band(st)
        if not bad or clock.stop():
            break
        before, snapshot = st.balance_cost(), st.an.copy()
        _, t, c = min(bad, key=lambda b: (tries.get(b[1:], 0), -b[0]))
        nth = tries.get((t, c), 0)
        tries[(t, c)] = nth + 1
        if not kick(st, t, c, nth):
            continue
        local_balance(st, clock, mode, diffusion=False)
        if st.balance_cost() >= before - 1e-9:
            st.reset(snapshot)
    st.tabu.clear()


def local_balance(st: SearchState, clock: Clock, mode: str = "balance", rounds: int = 60,
                  diffusion: bool = True) -> None:
    """Single-unit sweeps, then diffusion and block transfers while territories stay outside the band."""
    diffusing = diffusion
    for r in range(rounds):
        while sweep(st, mode) and not clock.stop():
            pass
        bad = out_of_band(st)
        if not bad or clock.stop():
            return
        moved = False
        if diffusing:
            for c in sorted({c for _, _, c in bad}):
                moved |= diffuse(st, c)
            diffusing = moved
        if not moved:
            for _, t, c in bad:
                moved |= transfer(st, t, c)
        if not moved:
            return


def compact(st: SearchState, clock: Clock, rng: np.random.Generator, lo: float, hi: float) -> None:
    """Soft-band annealing (the band's penalty rises as the temperature falls), back into the band,
    then hard-band annealing and greedy polish."""
    n, effort = st.g.n, st.p.effort
    p = SCHEDULE
    if st.p.start is not None and st.p.disruption is not None:  # minimal disruption: greedy moves only
        for _ in range(100):
            if not sweep(st, "compact") or clock.stop():
                break
        return
    anneal_soft(st, iterations(n, p["soft_iters"], p["soft_cap"], effort), rng, p["t0"], p["t1"], p["b0"], p["b1"],
                stop=clock.stop, progress=lambda f: clock.report(lo + (hi - lo) * 0.8 * f, "improving compactness"))
    if clock.stop():
        return
    if not st.in_band():
        balance(st, clock, "restore")
    anneal(st, iterations(n, p["hard_iters"], p["hard_cap"], effort), rng, p["t1"], p["t1"] / 10, stop=clock.stop)
    clock.report(lo + (hi - lo) * 0.9, "polishing")
    for _ in range(100):
        if not sweep(st, "compact") or clock.stop():
            break


def default_rounds(n: int) -> int:
    return max(3, min(12, int(200_000 / max(n, 1))))


def recombine(st: SearchState, clock: Clock, lo: float, hi: float, rounds: int | None = None) -> int:
    """Rounds of merge-split over all neighbouring pairs; returns how many pairs were redrawn."""
    p = st.p
    rounds = rounds if rounds is not None else (ROUNDS if ROUNDS is not None else default_rounds(p.n))
    if p.k <= 2 or p.disruption is not None:
        return 0
    total = 0
    for r in range(rounds):
        x, y = territory_graph(st)
        order = np.argsort(np.asarray(st.pp)[x] + np.asarray(st.pp)[y], kind="stable")
        accepted = 0
        for i, (A, B) in enumerate(zip(x[order].tolist(), y[order].tolist())):
            if clock.stop():
                return total + accepted
            clock.report(lo + (hi - lo) * (r + i / max(len(order), 1)) / rounds, "recombining neighbouring territories")
            if st.cnt[A] + st.cnt[B] < 3:
                continue
            sub = _pair_problem(st, A, B, seed=p.seed + 7919 * r + 31 * A + B)
            if sub is None:
                continue
            members, problem = sub
            sol = solve(problem)
            if not sol.within_tolerance or (sol.pieces != 1).any():
                continue
            if 2.0 * sol.mean_polsby_popper <= st.pp[A] + st.pp[B] + 1e-9:
                continue
            a = st.an.copy()
            a[members] = np.where(sol.assignment == 0, A, B)
            if _within_bands(st, a, A, B):
                st.reset(a)
                accepted += 1
        total += accepted
        if not accepted:
            break
    return total


def _pair_problem(st: SearchState, A: int, B: int, seed: int) -> tuple[np.ndarray, Problem] | None:
    """The union of A and B as a 2-territory problem whose bands keep both halves inside the bands
    of the whole problem (or None when the pair is too far from the target to split safely)."""
    p = st.p
    members = np.flatnonzero((st.an == A) | (st.an == B))
    values = p.values[members]
    delta = np.abs(values.sum(axis=0) / 2.0 / p.targets - 1.0)
    tol = (p.tolerances - delta) / (1.0 + delta)
    if (tol <= 0.05 * p.tolerances).any():
        return None
    fixed = np.full(len(members), -1, dtype=np.int64)
    f = p.fixed[members]
    fixed[f == A] = 0
    fixed[f == B] = 1
    problem = Problem(
        graph=subgraph(p.graph, members), k=2,
        constraints=[Constraint(c.name, float(t)) for c, t in zip(p.constraints, tol)],
        values=values, fixed=fixed, seed=seed, time_limit=60.0, effort=EFFORT, alloc=np.array([2]))
    return members, problem


def _within_bands(st: SearchState, a: np.ndarray, A: int, B: int) -> bool:
    for t in (A, B):
        s = st.W[a == t].sum(axis=0)
        if (np.abs(s - 1.0) > st.tol_np * (1 + 1e-9)).any():
            return False
    return True


@dataclass
class Solution:
    assignment: np.ndarray  # (n,) territory of each local unit
    max_deviation: np.ndarray  # (m,) largest relative deviation from the target per constraint
    within_tolerance: bool
    pieces: np.ndarray  # (k,) connected pieces per territory (on the working graph)
    mean_polsby_popper: float
    seconds: float
    stopped: str = ""  # "", "cancelled" or "time limit"
    phases: dict[str, float] = field(default_factory=dict)


def balance_weight(p: Problem) -> np.ndarray:
    """One weight per unit for METIS and seeded growth: the mean of its shares of each target."""
    return (p.values / p.targets).mean(axis=1)


def start_plan(p: Problem, attempt: int = 0) -> np.ndarray:
    """A complete, contiguous-as-possible plan with no empty territory, honouring fixed units
    (``attempt`` > 0 gives another METIS partition)."""
    g, k = p.graph, p.k
    w = balance_weight(p)
    grow_w = w + 0.25 * k / max(p.n, 1)  # units without weight still count a little when growing
    fixed = p.fixed
    if p.start is not None:
        a = np.asarray(p.start, dtype=np.int64).copy()
        a[fixed >= 0] = fixed[fixed >= 0]
        if (a < 0).any():
            a = grow_regions(g, a, k, grow_w)
    elif (fixed >= 0).any():
        a, centres = _seeded(p, w)
        a = grow_regions(g, a, k, grow_w, centres)
    else:
        a = metis_by_component(g, w, p.alloc if p.alloc is not None else np.array([k]), p.seed + 7_777 * attempt)
    for _ in range(4):
        a = repair_contiguity(g, fill_empty(g, a, k, w, fixed), k, w, fixed)
        if np.bincount(a, minlength=k).min() > 0:
            break
    return a


def _seeded(p: Problem, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed units placed; territories without any get the centre of an unclaimed METIS part."""
    g, k, fixed = p.graph, p.k, p.fixed
    a = np.where(fixed >= 0, fixed, -1)
    centres = np.zeros((k, 2))
    anchored = np.unique(fixed[fixed >= 0])
    for t in anchored:
        centres[t] = g.xy[fixed == t].mean(axis=0)
    free = [t for t in range(k) if t not in set(anchored.tolist())]
    if free:
        part = metis_partition(g, w, k, p.seed)
        claimed = {int(np.bincount(part[fixed == t]).argmax()) for t in anchored}
        parts = [q for q in range(k) if q not in claimed][: len(free)]
        for t, q in zip(free, parts):
            members = np.flatnonzero((part == q) & (a < 0))
            if len(members) == 0:
                members = np.flatnonzero(a < 0)
            c = g.xy[members].mean(axis=0)
            u = int(members[np.argmin(((g.xy[members] - c) ** 2).sum(axis=1))])
            a[u] = t
            centres[t] = g.xy[u]
    return a, centres


def solve(p: Problem, progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Solution:
    """Optimise a problem; always returns a complete plan (the best one found)."""
    clock = Clock(p.time_limit, cancel, progress)
    rng = np.random.default_rng(p.seed)
    clock.report(0.0, "initial partition")
    st = SearchState(p, start_plan(p))
    clock.lap("start")
    clock.report(0.05, "balancing")
    if not clock.stop():
        balance(st, clock)
    restarts = RESTARTS if p.start is None and not (p.fixed >= 0).any() and p.effort >= 1.0 else 0
    for attempt in range(1, restarts + 1):  # another start when this one stays outside the bands
        if st.in_band() or clock.stop():
            break
        clock.report(0.05 + 0.1 * attempt / restarts, f"balancing (start {attempt + 1})")
        other = SearchState(p, start_plan(p, attempt))
        balance(other, clock)
        if other.excess() < st.excess():
            st = other
    clock.lap("balance")
    if p.compactness and not clock.stop():
        compact(st, clock, rng, 0.15, 0.7)
        clock.lap("compact")
        recombine(st, clock, 0.7, 0.95)
        clock.lap("recombine")
    if not st.in_band() and not clock.stop():
        balance(st, clock, "restore")
    clock.report(1.0, "done")
    dev = st.max_deviation()
    return Solution(
        assignment=st.an.copy(),
        max_deviation=dev,
        within_tolerance=bool((dev <= st.tol_np * (1 + 1e-9)).all()),
        pieces=p.graph.pieces(st.an, p.k),
        mean_polsby_popper=float(np.mean(st.pp)),
        seconds=time.perf_counter() - clock.t0,
        stopped=clock.stopped,
        phases=clock.marks,
    )
