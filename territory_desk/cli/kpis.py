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
import os
import sys

from territory_desk.cli import add_raw_csv_option
from territory_desk.cli.imports import add_limits_argument
from territory_desk.domain.model.errors import InputError

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
        s.add_argument("project", metavar="PROJECT.gpkg")
        s.add_argument("file", metavar="FILE", help="CSV/TSV or XLSX export")
        s.add_argument("--map", action="append", default=[], metavar="SOURCE=TARGET",
                       help=f"map a source column to a target; repeatable. Targets: {TARGETS[kind]}, ignore. "
                            "Salesforce, HubSpot and Zoho headers are mapped automatically; --map overrides.")
        s.add_argument("--sheet", metavar="S", help="worksheet of an XLSX file (the first one by default)")
        s.add_argument("--report", metavar="OUT.csv", help="write every row's outcome (imported, with any warning, "
                                                          "or rejected with the reason) as CSV")
        s.add_argument("--dry-run", action="store_true", help="check the file and print the report; change nothing")
        add_raw_csv_option(s)
        add_limits_argument(s)
        commands[f"import-{kind}"] = (lambda k: (lambda a: _cmd_import(a, k)))(kind)

    s = sub.add_parser("kpis", help="sales KPIs per territory or hierarchy level for a period "
                                    "(revenue, pipeline, close rate, cycle, lead response, coverage, attainment, ...)")
    s.add_argument("project", metavar="PROJECT.gpkg")
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
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--period", required=True, metavar="P", help=PERIOD_HELP)
    s.add_argument("--level", default="0", metavar="L")
    s.add_argument("--scenario", metavar="S")
    commands["snapshot"] = _cmd_snapshot

    s = sub.add_parser("review", help="compare the KPIs of two periods per territory and flag drifting workload "
                                      "or attainment (rebalancing candidates); exit 1 when something is flagged")
    s.add_argument("project", metavar="PROJECT.gpkg")
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
    from territory_desk.cli.imports import _with_report_on_failure, limits_of
    from territory_desk.io.imports.column_mapping import parse_overrides
    from territory_desk.services import activity_imports

    overrides = parse_overrides(a.map)
    limits = limits_of(a)
    if a.dry_run:
        from territory_desk.persistence.store import load_project

        project = load_project(a.project)
        return _with_report_on_failure(
            lambda: activity_imports.plan_activity(project, kind, a.file, overrides, a.sheet, limits).report, a)
    return _with_report_on_failure(
        lambda: activity_imports.import_activity(a.project, kind, a.file, overrides, a.sheet, limits), a)


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


def _write(text: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise InputError(f"{output}: the folder {folder} does not exist")
    tmp = f"{output}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    os.replace(tmp, output)
    print(f"wrote {output}")


def _cmd_kpis(a) -> int:
    from territory_desk.domain.kpis.measures import compute_kpis
    from territory_desk.persistence.store import load_project
    from territory_desk.services.kpis import kpi_csv, kpi_json, kpi_text

    project = load_project(a.project)
    table = compute_kpis(project, a.period, a.level, project.get_scenario(a.scenario), _options(a, project))
    text = kpi_csv(table, a.raw_csv) if a.format == "csv" else {"json": kpi_json, "table": kpi_text}[a.format](table)
    _write(text, a.output)
    return 0


def _cmd_snapshot(a) -> int:
    from territory_desk.domain.kpis.reviews import snapshot_of
    from territory_desk.domain.kpis.measures import compute_kpis
    from territory_desk.services.imports import _transaction

    done = {}

    def run(project):
        table = compute_kpis(project, a.period, a.level, project.get_scenario(a.scenario))
        rows = snapshot_of(table)
        act = project.activity
        project.activity = act.replaced(snapshots=act.snapshots.concat(rows))
        done["text"] = (f"saved a snapshot of {table.period.label} ({table.level.name.lower()} level, scenario "
                        f"{table.scenario}): {len(table.group_ids)} group(s) x {len(table.keys)} KPIs")
    _transaction(a.project, "", run)
    print(done["text"])
    return 0


def _cmd_review(a) -> int:
    from territory_desk.domain.kpis.reviews import review_periods
    from territory_desk.persistence.store import load_project
    from territory_desk.services.kpis import review_csv, review_dict, review_text

    project = load_project(a.project)
    review = review_periods(project, a.before, a.after, a.level, project.get_scenario(a.scenario), a.threshold,
                            a.source, a.source)
    if a.format == "json":
        import json

        text = json.dumps(review_dict(review), indent=2)
    else:
        text = review_csv(review, a.raw_csv) if a.format == "csv" else review_text(review)
    _write(text, a.output)
    return 1 if review.flagged else 0
