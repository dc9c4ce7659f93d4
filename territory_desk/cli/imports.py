"""CLI commands: import-accounts, import-reps, import-units (CRM and GIS files). Registered by territory_desk.cli.

Each prints a short report; the project file is written only when the import succeeded (one
transaction). A file that cannot be imported at all gives one error line and exit status 2; the
project file is left exactly as it was.
"""
from __future__ import annotations

import argparse

from territory_desk.cli.options import (
    ENCODING_HELP, add_limits_option, add_project_argument, add_raw_csv_option, check_writable, limits_of,
)

# the roles of io.column_mapping (kept literal here so that `territory-desk --help` stays light)
ACCOUNT_TARGETS = "id, name, lat, lon, street, city, state, zip, county"
REP_TARGETS = ("id, name, first_name, last_name, lat, lon, street, city, state, zip, county, capacity, languages, "
               "industries, experience")
_MAP_HELP = ("map a source column to a target, e.g. --map 'Billing Zip=zip' --map 'ARR=numeric:revenue'; "
             "repeatable. Targets: {roles}, numeric[:NAME], text[:NAME], ignore. "
             "Columns are mapped automatically from Salesforce, HubSpot and Zoho headers; --map overrides.")


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("import-accounts", help="import or re-import accounts from a CSV or XLSX export "
                                               "(geocoded offline when a row has no coordinates)")
    _table_args(s, ACCOUNT_TARGETS)

    s = sub.add_parser("import-reps", help="import the sales reps from a CSV or XLSX file")
    _table_args(s, REP_TARGETS)

    s = sub.add_parser("import-units", help="add the polygons of a GIS file to the project's units, or replace "
                                            "them (--replace keeps assignments where unit ids match)")
    add_project_argument(s)
    s.add_argument("file", metavar="FILE", help="shapefile (.shp, folder or .zip), GeoJSON, GeoPackage, KML/KMZ")
    s.add_argument("--layer", metavar="L", help="layer of a multi-layer file (GeoPackage, folder of shapefiles)")
    s.add_argument("--id-field", metavar="F")
    s.add_argument("--name-field", metavar="F")
    s.add_argument("--replace", action="store_true",
                   help="replace the units instead of adding to them; assignments are kept where ids match")
    s.add_argument("--encoding", metavar="E", help=ENCODING_HELP)
    s.add_argument("--report", metavar="OUT.csv", help="write every feature's outcome as CSV")
    add_raw_csv_option(s)
    return {"import-accounts": _cmd_import_accounts, "import-reps": _cmd_import_reps,
            "import-units": _cmd_import_units}


def add_table_import_arguments(s: argparse.ArgumentParser, map_help: str, report_help: str) -> None:
    """PROJECT FILE --map --sheet --report --dry-run --raw-csv --limits: every import of a CRM table."""
    add_project_argument(s)
    s.add_argument("file", metavar="FILE", help="CSV/TSV (UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252, also mixed "
                                                "line by line; comma, semicolon, tab or Excel's sep= line) or XLSX; "
                                                "the format is read from the content, not the name")
    s.add_argument("--map", action="append", default=[], metavar="SOURCE=TARGET", help=map_help)
    s.add_argument("--sheet", metavar="S", help="worksheet of an XLSX file (the first one by default)")
    s.add_argument("--report", metavar="OUT.csv", help=report_help)
    s.add_argument("--dry-run", action="store_true", help="check the file and print the report; change nothing")
    add_raw_csv_option(s)
    add_limits_option(s)


def _table_args(s: argparse.ArgumentParser, roles: str) -> None:
    add_table_import_arguments(s, _MAP_HELP.format(roles=roles),
                               "write every row's outcome (imported with its geocoding method, or rejected with "
                               "the reason) as CSV")


def _finish(report, a) -> int:
    if a.report:
        report.write_csv(a.report, raw=a.raw_csv)
    print(report.summary())
    if a.report:
        print(f"report written to {a.report}")
    return 0


def with_report_on_failure(fn, a) -> int:
    """Run an import; when nothing could be imported, still write the --report before the error."""
    from territory_desk.services.imports import ImportFailed

    if a.report:  # check before importing: a report that cannot be written must not follow a saved import
        check_writable(a.report, "the report")
    try:
        return _finish(fn(), a)
    except ImportFailed as exc:
        if a.report:
            exc.report.write_csv(a.report, raw=a.raw_csv)
            print(f"report written to {a.report}")
        raise


def run_table_import(a, plan, apply) -> int:
    """``--dry-run``: ``plan(project, file, overrides, sheet, limits).report`` on the loaded project;
    otherwise ``apply(project_path, file, overrides, sheet, limits)`` (one transaction) -> report."""
    from territory_desk.io.imports.column_mapping import parse_overrides

    overrides = parse_overrides(a.map)
    limits = limits_of(a)
    if a.dry_run:
        from territory_desk.persistence.reader import load_project

        project = load_project(a.project)
        return with_report_on_failure(lambda: plan(project, a.file, overrides, a.sheet, limits).report, a)
    return with_report_on_failure(lambda: apply(a.project, a.file, overrides, a.sheet, limits), a)


def _cmd_import_accounts(a) -> int:
    from territory_desk.services import imports

    return run_table_import(a, imports.plan_accounts, imports.import_accounts)


def _cmd_import_reps(a) -> int:
    from territory_desk.services import imports

    return run_table_import(a, imports.plan_reps, imports.import_reps)


def _cmd_import_units(a) -> int:
    from territory_desk.services.imports import import_units

    return with_report_on_failure(
        lambda: import_units(a.project, a.file, a.layer, a.id_field, a.name_field, replace=a.replace,
                             encoding=a.encoding), a)

