"""CLI command: optimize (automatic territory design and rebalancing). Registered by territory_desk.cli.

`territory-desk optimize PROJECT --territories K --balance FIELD[:TOL] ...` designs K balanced,
compact, contiguous territories (or rebalances a scenario with --from), adds the result as a new
scenario, makes it active and saves the project atomically; it prints the figures of the result.
"""
from __future__ import annotations

import argparse

from territory_desk.cli.options import add_project_argument, add_raw_csv_option, check_writable, split_list
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
    add_project_argument(s)
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


def _options(a):
    """The OptimizeOptions of the command line, checked before the project is read (the balance is
    completed from the project's balance fields in ``_with_default_balance``)."""
    from territory_desk.domain.optimize import parse_tolerance
    from territory_desk.services.optimize import OptimizeOptions

    balance, weights = parse_balance(a.balance), parse_weights(a.weights)
    if balance and weights:
        raise InputError("use either --balance (one constraint per metric) or --weights (one index), not both")
    if a.min_disruption and not a.source:
        raise InputError("--min-disruption needs --from SCENARIO (the plan to rebalance)")
    if a.time_limit <= 0:
        raise InputError("--time-limit must be positive")
    return OptimizeOptions(
        territories=a.territories, balance=balance, weights=weights, tolerance=parse_tolerance(a.tolerance),
        seeds=a.seeds, scenario_name=a.scenario, source=a.source, min_disruption=a.min_disruption,
        disruption_weight=a.disruption_weight, respect_locks=not a.ignore_locks, region=a.region,
        seed=a.seed, time_limit=a.time_limit)


def _for_project(options, project, unit_ids: list[str]):
    """The options completed from the project: its balance fields, the indices of ``--units``."""
    if not options.balance and not options.weights:
        fields = project.settings.get("balance_fields") or []
        if not fields:
            raise InputError("say what to balance: --balance FIELD[:TOL] or --weights FIELD=W,...")
        options.balance = [(f, None) for f in fields]
    if unit_ids:
        options.units = project.units.indices_of(unit_ids).tolist()
    return options


def _cmd_optimize(a) -> int:
    from territory_desk.domain.editing.scenarios import AddScenario
    from territory_desk.services.optimize import moves_lines, run
    from territory_desk.services.project_files import check_project_path, edit_project

    check_project_path(a.project)
    options = _options(a)
    if a.moves_csv:
        check_writable(a.moves_csv)
    results = []

    def design(doc):
        results.append(run(doc.project, _for_project(options, doc.project, split_list(a.units))))
        return AddScenario(results[0].scenario)  # and makes it the active scenario

    edit_project(a.project, design)
    result = results[0]
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
