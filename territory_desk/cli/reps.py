"""CLI command: match-reps (rep matching). Registered by territory_desk.cli.

`territory-desk match-reps PROJECT` scores every rep against every territory (industry, language,
experience vs potential, distance, capacity vs workload), prints the optimal plan with its score
breakdown, and with --apply puts it in force and saves the project atomically.
"""
from __future__ import annotations

import argparse
import json
import sys

from territory_desk.cli.options import add_project_argument, add_raw_csv_option, split_list
from territory_desk.domain.model.errors import InputError

EXAMPLES = """examples:
  territory-desk match-reps demo.gpkg
  territory-desk match-reps demo.gpkg --weights industry=2,language=1,experience=1,distance=1,capacity=1
  territory-desk match-reps demo.gpkg --weights distance=0 --keep T01,T02 --format csv > plan.csv
  territory-desk match-reps demo.gpkg --scenario "Plan B" --apply

Components score 0..1; a component without data (no language column, a rep without skills) is a
neutral 0.5, marked * in the table. Locked territories and --keep ones keep their rep."""


def register(sub: argparse._SubParsersAction) -> dict:
    s = sub.add_parser("match-reps", help="suggest the best rep for every territory (optimal assignment of "
                                          "skills, language, experience, distance and capacity)",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_project_argument(s)
    s.add_argument("--weights", metavar="NAME=W[,...]",
                   help="weights of industry, language, experience, distance, capacity (0 switches one off); "
                        "those not given keep the weights last applied to the project, else industry=2 and 1 "
                        "for the rest")
    s.add_argument("--scenario", metavar="NAME", help="the scenario to staff (default: the active one)")
    s.add_argument("--keep", metavar="T[,T...]", help="territories (id or name) that keep their current rep")
    s.add_argument("--reps", metavar="R[,R...]", help="only these reps (id or name) may be moved")
    s.add_argument("--industry-column", metavar="COL", help="account column with the industry (default: auto)")
    s.add_argument("--language-column", metavar="COL", help="account column with the language (default: auto)")
    s.add_argument("--potential", metavar="METRIC", help="metric experience is matched to (default: potential)")
    s.add_argument("--workload", metavar="METRIC", help="metric compared with capacity (default: accounts)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--apply", action="store_true", help="assign the suggested reps and save the project")
    add_raw_csv_option(s)
    return {"match-reps": _cmd_match_reps}


def _match(a, project):
    from territory_desk.domain.reps.matching import MatchOptions, default_weights, match_reps, parse_weights

    weights = parse_weights(a.weights, base=default_weights(project)) if a.weights else None
    if weights is not None and sum(weights.values()) <= 0:
        raise InputError("--weights: every weight is 0; give at least one component a weight above 0")
    scenario = project.get_scenario(a.scenario)
    if not project.reps:
        raise InputError("the project has no reps; import them first (territory-desk import-reps)")
    if not scenario.territories:
        raise InputError(f"scenario {scenario.name!r} has no territories")
    options = MatchOptions(weights=weights, keep=tuple(split_list(a.keep)),
                           reps=tuple(split_list(a.reps)) if a.reps else None,
                           industry_column=a.industry_column, language_column=a.language_column,
                           potential_metric=a.potential, workload_metric=a.workload)
    return match_reps(project, scenario, options)


def _cmd_match_reps(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.project_files import check_project_path, edit_project
    from territory_desk.services.reps import apply_command, result_csv, result_dict, result_table

    check_project_path(a.project)
    results = []

    def staff(doc):
        results.append(_match(a, doc.project))
        return apply_command(results[0]) if results[0].changes() else None  # None: nothing to save

    if a.apply:
        edit_project(a.project, staff)
    else:
        results.append(_match(a, load_project(a.project)))
    result = results[0]
    if a.format == "json":
        print(json.dumps(result_dict(result), indent=2))
    elif a.format == "csv":
        sys.stdout.write(result_csv(result, a.raw_csv))
    else:
        print(result_table(result))
    if a.apply:
        note = sys.stderr if a.format != "table" else sys.stdout
        changes = result.changes()
        if not changes:
            print("nothing to apply: every territory already has its suggested rep", file=note)
        else:
            print(f"saved {a.project}: {len(changes)} territor{'y' if len(changes) == 1 else 'ies'} "
                  f"of {result.scenario!r} changed rep", file=note)
    return 0
