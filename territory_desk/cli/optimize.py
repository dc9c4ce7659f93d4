"""CLI command: optimize (automatic territory design and rebalancing). Registered by territory_desk.cli.

`territory-desk optimize PROJECT --territories K --balance FIELD[:TOL] ...` designs K balanced,
compact, contiguous territories (or rebalances a scenario with --from), adds the result as a new
scenario, makes it active and saves the project atomically; it prints the figures of the result.
"""
from __future__ import annotations

import argparse

from territory_desk.cli import add_raw_csv_option
from territory_desk.domain.model.errors import InputError

EXAMPLES = """examples:
  territory-desk optimize demo.gpkg --territories 20 --balance population:1%
  territory-desk optimize demo.gpkg --territories 16 --balance potential:0.05 --balance accounts:0.05
  territory-desk optimize demo.gpkg --territories 16 --weights potential=0.7,accounts=0.3 --tolerance 3%
  territory-desk optimize demo.gpkg --seeds reps --balance potential
  territory-desk optimize demo.gpkg --from Base --min-disruption --balance potential:2%"""


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser(
        "optimize", help="design balanced, compact, contiguous territories (or rebalance a scenario) "
                         "as a new active scenario",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--territories", "-k", type=int, metavar="K",
                   help="number of new territories to design (locked territories are kept besides them)")
    s.add_argument("--balance", action="append", default=[], metavar="FIELD[:TOL]",
                   help="a metric to balance within its own tolerance (0.02 or 2%%); repeatable. "
                        "Default: the project's balance fields")
    s.add_argument("--weights", metavar="FIELD=W[,FIELD=W...]",
                   help="balance one weighted index instead, e.g. potential=0.7,accounts=0.3")
    s.add_argument("--tolerance", default="0.05", metavar="TOL",
                   help="default tolerance, and the index's (default 0.05 = ±5 %%)")
    s.add_argument("--seeds", choices=["reps"], help="build each territory around a rep's home unit")
    s.add_argument("--scenario", metavar="NAME", help="name of the new scenario")
    s.add_argument("--from", dest="source", metavar="SCENARIO",
                   help="rebalance this scenario (same territories) instead of designing from scratch")
    s.add_argument("--min-disruption", action="store_true",
                   help="with --from: keep the accounts that change territory to a minimum")
    s.add_argument("--disruption-weight", type=float, default=1.0, metavar="W",
                   help="with --min-disruption: how much disruption weighs against balance (default 1; "
                        "larger = fewer moves, 0 = balance only)")
    s.add_argument("--region", metavar="REGION", help="design or rebalance only this region (id or name)")
    s.add_argument("--units", metavar="ID[,ID...]", help="design or rebalance only these units")
    s.add_argument("--ignore-locks", action="store_true", help="redesign locked territories too")
    s.add_argument("--seed", type=int, default=1, help="random seed (the result is the same for a seed)")
    s.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="stop after S seconds with the best plan so far (default 60)")
    s.add_argument("--moves-csv", metavar="OUT.csv", help="write every unit that changed territory as CSV")
    add_raw_csv_option(s)
    return {"optimize": _cmd_optimize}


def parse_balance(items: list[str]) -> list[tuple[str, float | None]]:
    from territory_desk.domain.optimize import parse_tolerance

    out: list[tuple[str, float | None]] = []
    for item in items:
        name, sep, tol = item.rpartition(":") if ":" in item else (item, "", "")
        name = name.strip()
        if not name:
            raise InputError(f"--balance {item!r}: give a metric name, e.g. potential:0.05")
        out.append((name, parse_tolerance(tol) if sep else None))
    return out


def parse_weights(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            w = float(value.strip().rstrip("%"))
        except ValueError:
            raise InputError(f"--weights {part!r}: use FIELD=WEIGHT, e.g. potential=0.7") from None
        if not sep or not name.strip() or w < 0:
            raise InputError(f"--weights {part!r}: use FIELD=WEIGHT with a positive weight")
        out[name.strip()] = w
    return out


def _cmd_optimize(a) -> int:
    from territory_desk.domain.optimize import parse_tolerance
    from territory_desk.persistence.store import load_project, save_project
    from territory_desk.services.optimize import OptimizeOptions, add_scenario, run
    from territory_desk.services.project_files import check_project_path

    check_project_path(a.project)
    balance, weights = parse_balance(a.balance), parse_weights(a.weights)
    if balance and weights:
        raise InputError("use either --balance (one constraint per metric) or --weights (one index), not both")
    if a.min_disruption and not a.source:
        raise InputError("--min-disruption needs --from SCENARIO (the plan to rebalance)")
    if a.time_limit <= 0:
        raise InputError("--time-limit must be positive")
    tolerance = parse_tolerance(a.tolerance)
    project = load_project(a.project)
    if not balance and not weights:
        fields = project.settings.get("balance_fields") or []
        if not fields:
            raise InputError("say what to balance: --balance FIELD[:TOL] or --weights FIELD=W,...")
        balance = [(f, None) for f in fields]
    units = None
    if a.units:
        units = project.units.indices_of([u.strip() for u in a.units.split(",") if u.strip()]).tolist()
    options = OptimizeOptions(
        territories=a.territories, balance=balance, weights=weights, tolerance=tolerance, seeds=a.seeds,
        scenario_name=a.scenario, source=a.source, min_disruption=a.min_disruption,
        disruption_weight=a.disruption_weight, respect_locks=not a.ignore_locks, region=a.region, units=units,
        seed=a.seed, time_limit=a.time_limit)
    if a.moves_csv:
        _check_writable(a.moves_csv)
    result = run(project, options)
    add_scenario(project, result.scenario)
    save_project(project, a.project)
    for line in result.summary_lines():
        print(line)
    if result.moves:
        print("moved:")
        for line in moves_lines(result.moves):
            print(f"  {line}")
    if a.moves_csv:
        from territory_desk.io.tables.safe_csv import write_csv_file

        write_csv_file(a.moves_csv, [["unit_id", "from_territory", "to_territory"], *result.moves], a.raw_csv)
        print(f"moves written to {a.moves_csv}")
    print(f"saved {a.project}: active scenario {result.scenario.name!r}")
    return 0


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


def _check_writable(path: str) -> None:
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK) or os.path.isdir(path):
        raise InputError(f"cannot write {path}")
