"""CLI commands of CRM activity and KPIs: import-opportunities, import-leads, import-quotas, kpis, snapshot, review.
Registered by territory_desk.cli.

    territory-desk import-opportunities PROJECT.gpkg deals.csv [--map 'Deal Stage=stage' ...]
    territory-desk kpis PROJECT.gpkg [--period 2026Q3] [--level region] [--format table|csv|json] [-o FILE]
    territory-desk snapshot PROJECT.gpkg --period 2026Q3 [--level region]
    territory-desk review PROJECT.gpkg --from 2026Q2 --to 2026Q3 [--threshold 15] [--format table|csv|json]

Imports are one transaction each (the project file is written only when the import succeeded).
"""
from __future__ import annotations

import argparse
import json
import sys

from territory_desk.cli.imports import add_table_import_arguments, run_table_import
from territory_desk.cli.options import add_project_argument, add_raw_csv_option
from territory_desk.domain.model.errors import InputError
from territory_desk.io.output_files import write_text

TARGETS = {  # kept literal so `territory-desk --help` stays light (io.activity_mapping.ROLES)
    "opportunities": "id, account, amount, stage, status, won, closed_flag, created, closed, owner",
    "leads": "id, created, response_hours, responded, owner, converted, account, lat, lon, zip, city, state, county",
    "quotas": "rep, territory, period, amount",
}
PERIOD_HELP = "2026Q3, 2026-07 (month), 2026 (year), 2026H2, 2026-07-01..2026-09-30, or all (default)"


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    commands = {}
    for kind, what in (("opportunities", "opportunities (deals) with amount, stage, won/lost, dates and owner"),
                       ("leads", "leads with created time, first response, owner, converted, account or location"),
                       ("quotas", "quotas per rep or territory and period")):
        s = sub.add_parser(f"import-{kind}", help=f"import CRM {what} from CSV or XLSX (replaces the project's {kind})")
        add_table_import_arguments(
            s, f"map a source column to a target; repeatable. Targets: {TARGETS[kind]}, ignore. "
               "Salesforce, HubSpot and Zoho headers are mapped automatically; --map overrides.",
            "write every row's outcome (imported, with any warning, or rejected with the reason) as CSV")
        commands[f"import-{kind}"] = (lambda k: (lambda a: _cmd_import(a, k)))(kind)

    s = sub.add_parser("kpis", help="sales KPIs per territory or hierarchy level for a period "
                                    "(revenue, pipeline, close rate, cycle, lead response, coverage, attainment, ...)")
    add_project_argument(s)
    s.add_argument("--period", default="all", metavar="P", help=PERIOD_HELP)
    s.add_argument("--level", default="0", metavar="L", help="hierarchy level: territory (default), region, "
                                                                      "area, ... or its number (0 = territory)")
    s.add_argument("--scenario", metavar="S", help="scenario (default: the active one)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--potential", metavar="FIELD", help="numeric account column that measures potential (high-"
                                                        "potential share; default: potential or revenue)")
    s.add_argument("--high-potential-top", type=float, default=None, metavar="SHARE",
                   help="top share of accounts by potential that counts as high potential (default 0.2)")
    s.add_argument("-o", "--output", metavar="FILE", help="write to a file instead of the screen")
    add_raw_csv_option(s)
    commands["kpis"] = _cmd_kpis

    s = sub.add_parser("snapshot", help="save the KPIs of a period into the project (for reviews over time)")
    add_project_argument(s)
    s.add_argument("--period", required=True, metavar="P", help=PERIOD_HELP)
    s.add_argument("--level", default="0", metavar="L")
    s.add_argument("--scenario", metavar="S")
    commands["snapshot"] = _cmd_snapshot

    s = sub.add_parser("review", help="compare the KPIs of two periods per territory and flag drifting workload "
                                      "or attainment (rebalancing candidates); exit 1 when something is flagged")
    add_project_argument(s)
    s.add_argument("--from", dest="before", required=True, metavar="P", help="the earlier period")
    s.add_argument("--to", dest="after", required=True, metavar="P", help="the later period")
    s.add_argument("--level", default="0", metavar="L")
    s.add_argument("--scenario", metavar="S")
    s.add_argument("--threshold", type=float, default=15.0, metavar="PCT",
                   help="flag changes beyond this many per cent (default 15)")
    s.add_argument("--source", choices=["auto", "live", "snapshot"], default="auto",
                   help="auto (default): a period's latest snapshot when there is one, else computed now; "
                        "live: always computed now; snapshot: snapshots only")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("-o", "--output", metavar="FILE")
    add_raw_csv_option(s)
    commands["review"] = _cmd_review
    return commands


def _cmd_import(a, kind: str) -> int:
    from territory_desk.services import activity_imports as act

    return run_table_import(a, lambda project, *args: act.plan_activity(project, kind, *args),
                            lambda path, *args: act.import_activity(path, kind, *args))


def _options(a, project):
    from territory_desk.domain.kpis.measures import KpiOptions

    opts = KpiOptions.from_settings(project.settings)
    if getattr(a, "potential", None):
        opts.potential_field = a.potential
    top = getattr(a, "high_potential_top", None)
    if top is not None:
        if not 0.0 < top <= 1.0:
            raise InputError("--high-potential-top is a share between 0 and 1, e.g. 0.2 for the top 20 %")
        opts.high_potential_top = top
    return opts


def _write(text: str, output: str | None, project: str) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if not output:
        sys.stdout.write(text)
        return
    write_text(output, text, project)
    print(f"wrote {output}")


def _cmd_kpis(a) -> int:
    from territory_desk.domain.kpis.measures import compute_kpis
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.kpis import kpi_csv, kpi_json, kpi_text

    project = load_project(a.project)
    table = compute_kpis(project, a.period, a.level, project.get_scenario(a.scenario), _options(a, project))
    text = kpi_csv(table, a.raw_csv) if a.format == "csv" else {"json": kpi_json, "table": kpi_text}[a.format](table)
    _write(text, a.output, a.project)
    return 0


def _cmd_snapshot(a) -> int:
    from territory_desk.domain.kpis.measures import compute_kpis
    from territory_desk.domain.kpis.reviews import TakeSnapshot
    from territory_desk.services.project_files import edit_project

    tables = []

    def snapshot(doc):
        tables.append(compute_kpis(doc.project, a.period, a.level, doc.project.get_scenario(a.scenario)))
        return TakeSnapshot(tables[0])

    edit_project(a.project, snapshot)
    table = tables[0]
    print(f"saved a snapshot of {table.period.label} ({table.level.name.lower()} level, scenario "
          f"{table.scenario}): {len(table.group_ids)} group(s) x {len(table.keys)} KPIs")
    return 0


def _cmd_review(a) -> int:
    from territory_desk.domain.kpis.reviews import review_periods
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.kpis import review_csv, review_dict, review_text

    project = load_project(a.project)
    review = review_periods(project, a.before, a.after, a.level, project.get_scenario(a.scenario), a.threshold,
                            a.source, a.source)
    if a.format == "json":
        text = json.dumps(review_dict(review), indent=2)
    else:
        text = review_csv(review, a.raw_csv) if a.format == "csv" else review_text(review)
    _write(text, a.output, a.project)
    return 1 if review.flagged else 0
