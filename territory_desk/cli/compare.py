"""CLI command: compare (scenario comparison). Registered by territory_desk.cli.

`territory-desk compare PROJECT A B` prints how B differs from A: disruption (units, accounts and
every numeric account column that change territory or rep, in count and %) and the per-territory
change of every metric; `--list units|accounts` prints what changes instead.
"""
from __future__ import annotations

import argparse
import json
import sys

from territory_desk.cli.options import add_project_argument, add_raw_csv_option
from territory_desk.domain.model.errors import InputError
from territory_desk.io.output_files import write_text

EXAMPLES = """examples:
  territory-desk compare demo.gpkg Base "Base copy"
  territory-desk compare demo.gpkg Base Plan --format csv -o comparison.csv
  territory-desk compare demo.gpkg Base Plan --format json
  territory-desk compare demo.gpkg Base Plan --list accounts --format csv -o moved_accounts.csv"""


def register(sub: argparse._SubParsersAction) -> dict:
    s = sub.add_parser("compare", help="compare two scenarios: per-territory changes and disruption",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_project_argument(s)
    s.add_argument("a", metavar="A", help="the scenario compared from (e.g. the live plan)")
    s.add_argument("b", metavar="B", help="the scenario compared to (e.g. the proposal)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--fields", metavar="F[,F...]", help="measures to show in the table (default: all)")
    s.add_argument("--list", choices=["units", "accounts"],
                   help="list the units or accounts that change (territory or rep) instead")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the screen")
    add_raw_csv_option(s)
    return {"compare": _cmd_compare}


def _cmd_compare(a) -> int:
    from territory_desk.domain.compare import compare
    from territory_desk.persistence.reader import load_project
    from territory_desk.services import compare as svc

    project = load_project(a.project)
    d = svc.comparison_dict(project, compare(project, a.a, a.b))
    if a.fields:
        fields = [f.strip() for f in a.fields.split(",") if f.strip()]
        unknown = [f for f in fields if f not in d["measures"]]
        if unknown:
            raise InputError(f"--fields: no measure {unknown[0]!r}; measures: {', '.join(d['measures'])}")
    else:
        fields = None
    if a.list:
        text = {"json": lambda: json.dumps(d["changed_units" if a.list == "units" else "changed_accounts"], indent=2),
                "csv": lambda: svc.changes_csv(d, a.list, a.raw_csv),
                "table": lambda: svc.changes_table(d, a.list, a.raw_csv)}[a.format]()
    elif a.format == "json":
        text = json.dumps(d, indent=2)
    elif a.format == "csv":
        text = svc.comparison_csv(d, a.raw_csv)
    else:
        text = svc.comparison_table(d, fields)
    if not text.endswith("\n"):
        text += "\n"
    if a.output:
        write_text(a.output, text, a.project)
        print(f"wrote {a.output}")
    else:
        sys.stdout.write(text)
    return 0
