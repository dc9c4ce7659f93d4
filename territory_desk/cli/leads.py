"""CLI commands of lead routing: `assign` and `rules`. Registered by territory_desk.cli.

    territory-desk assign PROJECT.gpkg LEADS.csv -o ASSIGNED.csv [--explain] [--rules RULES.json] [--sheet S]
                          [--limits rows=N,columns=N,field=SIZE,line=SIZE,unzipped=SIZE]
    territory-desk rules PROJECT.gpkg [--set RULES.json | --show]

`assign` never changes the project. `rules --set` checks the whole list first and saves the project
atomically (a refused list leaves the file as it was).
"""
from __future__ import annotations

import argparse
import json
import sys

from territory_desk.cli.options import add_limits_option, add_project_argument, add_raw_csv_option, limits_of
from territory_desk.domain.model.errors import InputError

RULES_HELP = ("a JSON list of rules, e.g. [{\"name\": \"By ZIP\", \"type\": \"unit\", \"column\": \"zip\", "
              "\"match\": \"zip\"}, {\"name\": \"Rest\", \"type\": \"fallback\", \"target\": \"queue\", "
              "\"value\": \"Unrouted\"}]. Types: account, condition, unit, point, round_robin, fallback; "
              "any rule may have \"when\" (a condition such as \"employees >= 1000\"), \"cap\" and \"layer\"")


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("assign", help="give every lead of a CSV/XLSX file its territory and rep with the lead "
                                      "routing rules (unmatched leads are kept and reported)")
    add_project_argument(s)
    s.add_argument("leads", metavar="LEADS.csv", help="CSV/TSV (any usual encoding and delimiter) or XLSX")
    s.add_argument("-o", "--output", required=True, metavar="ASSIGNED.csv",
                   help="every input column plus territory_id, territory, rep_id, rep, rule")
    s.add_argument("--explain", action="store_true", help="add an 'explain' column telling why each lead went where")
    s.add_argument("--rules", metavar="RULES.json", help="use these rules instead of the project's; " + RULES_HELP)
    s.add_argument("--sheet", metavar="S", help="worksheet of an XLSX file (the first one by default)")
    add_raw_csv_option(s)
    add_limits_option(s)

    s = sub.add_parser("rules", help="show the project's lead routing rules, or set them from a JSON file")
    add_project_argument(s)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--set", metavar="RULES.json", help="replace the rules (checked first; [] clears them); " + RULES_HELP)
    g.add_argument("--show", action="store_true", help="print the rules as JSON (the format --set reads)")
    return {"assign": _cmd_assign, "rules": _cmd_rules}


def _cmd_assign(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.leads import assign_file, read_rules_file

    limits = limits_of(a)
    project = load_project(a.project)
    rules = read_rules_file(a.rules) if a.rules else None
    report = assign_file(project, a.leads, a.output, rules, explain=a.explain, sheet=a.sheet, raw=a.raw_csv,
                         limits=limits)
    print(report.summary())
    return 0


def _cmd_rules(a) -> int:
    from territory_desk.domain.leads.rules import SetLeadRules, describe, project_rules, rules_json
    from territory_desk.services.leads import read_rules_file
    from territory_desk.services.project_files import edit_project

    if a.set:
        items = read_rules_file(a.set)
        edit = edit_project(a.project, SetLeadRules(items))  # checks every rule against the project first
        rules = project_rules(edit.project)
        print(f"saved {len(rules)} lead routing rule(s) in {a.project}")
        for k, r in enumerate(rules, start=1):
            print(f"  {k}. {r.name}: {describe(r)}")
        return 0
    from territory_desk.domain.leads.rules import SETTINGS_KEY, parse_rules
    from territory_desk.persistence.reader import load_project

    project = load_project(a.project)
    try:
        rules = project_rules(project)
    except InputError as exc:  # e.g. a territory a rule names was deleted since: show them anyway
        rules = parse_rules(project.settings.get(SETTINGS_KEY) or [])
        print(f"territory-desk: warning: {exc}", file=sys.stderr)
    if a.show:
        print(json.dumps(rules_json(rules), indent=2, ensure_ascii=False))
    elif not rules:
        print("no lead routing rules (set them with --set RULES.json)")
    else:
        for k, r in enumerate(rules, start=1):
            print(f"{k}. {r.name}: {describe(r)}")
    return 0
