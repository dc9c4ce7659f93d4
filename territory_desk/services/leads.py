"""Assign a file of leads with the lead routing rules: the use case behind `territory-desk assign`
and Tools → Lead routing rules… → Test on a file.

The leads are read as text (CSV in any of the usual encodings and delimiters, or XLSX: io/tables.py),
routed (domain/leads/routing.py) and written as CSV with every input column, in the input order, plus
territory_id, territory, rep_id, rep and rule (the rule that placed the lead, "(none)" when none
did) and, on request, explain (why). No lead is dropped: unplaced leads stay in the output with an
empty owner and are listed in the report with their row number and the reasons. The output file is
written whole or not at all (a temporary file renamed into place), formula-safe (text cells a
spreadsheet would evaluate get a leading apostrophe, io/safe_csv.py) unless ``raw``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.leads.routing import NO_RULE, Routing, route_leads
from territory_desk.domain.leads.rules import LeadRule, parse_rules, project_rules, rules_json
from territory_desk.io.imports.geocoding import lookup_zips, zip_table
from territory_desk.io.output_files import check_output, replaced_when_written
from territory_desk.io.tables.safe_csv import write_frame
from territory_desk.io.tables.limits import ReadLimits
from territory_desk.io.tables.reader import RawTable, read_table

OUTPUT_COLUMNS = ("territory_id", "territory", "rep_id", "rep", "rule")
EXPLAIN_COLUMN = "explain"
SHOWN_UNMATCHED = 20
RULES_FILE_LIMIT = 16 << 20


@dataclass
class AssignReport:
    source: str
    rows: int = 0
    per_rule: list[tuple[str, str, int]] = field(default_factory=list)  # (rule name, type, leads placed)
    unmatched: int = 0
    first_unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row number, reasons)
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # rows that could not be split into cells
    no_rep: int = 0
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.rows - self.unmatched

    def summary(self) -> str:
        width = max([len(n) for n, _, _ in self.per_rule] + [10])
        lines = [f"{self.rows:,} lead(s) read from {os.path.basename(self.source)}; "
                 f"{self.matched:,} placed, {self.unmatched:,} unmatched"]
        for k, (name, kind, count) in enumerate(self.per_rule, start=1):
            lines.append(f"  {k:>2}. {name:<{width}}  {kind:<11} {count:>10,}")
        lines.append(f"      {NO_RULE:<{width}}  {'':<11} {self.unmatched:>10,}")
        if self.no_rep:
            lines.append(f"{self.no_rep:,} lead(s) went to a territory that has no rep (rep left empty)")
        if self.unmatched:
            lines.append(f"unmatched leads (kept in the output with rule {NO_RULE!r}); first "
                         f"{len(self.first_unmatched)}:")
            lines += [f"  row {row}: {why}" for row, why in self.first_unmatched]
        if self.unreadable:
            lines.append(f"{len(self.unreadable)} row(s) could not be read and are not in the output:")
            lines += [f"  row {row}: {why}" for row, why in self.unreadable[:SHOWN_UNMATCHED]]
        lines += [f"note: {n}" for n in self.notes]
        if self.output:
            lines.append(f"written to {self.output}")
        return "\n".join(lines)


# ---- rules files ----------------------------------------------------------------------------------
def read_rules_file(path: str) -> list[dict]:
    """A rules file: a JSON list of rules, or an object with a "lead_rules" list (at most 16 MiB:
    a rule list is a few kilobytes; anything bigger is no rules file)."""
    try:
        if os.path.getsize(path) > RULES_FILE_LIMIT:
            raise InputError(f"{path} is {os.path.getsize(path) / (1 << 20):,.0f} MiB: too big for a rules file "
                             "(at most 16 MiB)")
        with open(path, encoding="utf-8-sig") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: the JSON is nested too deeply for a rule list") from None
    if isinstance(data, dict) and "lead_rules" in data:
        data = data["lead_rules"]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of rules")
    return data


def resolve_rules(project, rules=None) -> list[LeadRule]:
    """``rules`` as checked LeadRules: None = the project's; a list of dicts or of LeadRules."""
    if rules is None:
        checked = project_rules(project)
        if not checked:
            raise InputError("the project has no lead routing rules: set them with `territory-desk rules PROJECT "
                             "--set RULES.json`, in Tools → Lead routing rules…, or pass --rules RULES.json")
        return checked
    if all(isinstance(r, LeadRule) for r in rules):
        rules = rules_json(rules)
    checked = parse_rules(rules, project)
    if not checked:
        raise InputError("the rule list is empty")
    return checked


# ---- assignment -----------------------------------------------------------------------------------
def zip_points(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of the centre of each ZIP code (offline table); NaN when unknown."""
    idx, _ = lookup_zips(values)
    table = zip_table()
    ok = idx >= 0
    lon = np.where(ok, table.lon[np.maximum(idx, 0)], np.nan)
    lat = np.where(ok, table.lat[np.maximum(idx, 0)], np.nan)
    return lon, lat


def read_leads(path: str, sheet: str | None = None, limits: ReadLimits | None = None) -> RawTable:
    raw = read_table(path, sheet, limits=limits)
    if not raw.columns:
        raise InputError(f"{path}: no columns")
    return raw


def assign_table(project, raw: RawTable, rules=None, explain: bool = False) -> tuple[Routing, AssignReport]:
    checked = resolve_rules(project, rules)
    columns = {c: raw.frame[c].to_numpy(dtype=object) for c in raw.columns}
    routing = route_leads(project, checked, columns, len(raw), explain=explain, zip_points=zip_points)
    report = AssignReport(raw.path, rows=len(raw), no_rep=routing.no_rep, unreadable=list(raw.bad_rows),
                          notes=list(raw.notes))
    report.per_rule = [(r.name, r.type, c) for r, c in zip(checked, routing.counts)]
    miss = routing.unmatched
    report.unmatched = len(miss)
    shown = miss[:SHOWN_UNMATCHED]
    report.first_unmatched = [(int(raw.rows[k]), str(routing.reason[k])) for k in shown]
    return routing, report


def assigned_frame(raw: RawTable, routing: Routing, explain: bool, notes: list[str] | None = None):
    """The input columns plus the assignment columns (same-named input columns are replaced)."""
    out = raw.frame.copy(deep=False)
    added = list(OUTPUT_COLUMNS) + ([EXPLAIN_COLUMN] if explain else [])
    clash = [c for c in out.columns if str(c).casefold() in added]
    if clash:
        out = out.drop(columns=clash)
        if notes is not None:
            notes.append("the input's column(s) " + ", ".join(clash) + " were replaced by the new assignment")
    values = {"territory_id": routing.territory_id, "territory": routing.territory, "rep_id": routing.rep_id,
              "rep": routing.rep, "rule": routing.rule_names()}
    if explain:
        values[EXPLAIN_COLUMN] = routing.explain
    for name, v in values.items():
        out[name] = v
    return out


def check_output_path(leads_path: str, out_path: str) -> None:
    if os.path.abspath(out_path) == os.path.abspath(leads_path):
        raise InputError("write the assigned leads to another file than the leads file (-o)")
    if out_path.lower().endswith((".xlsx", ".xls", ".gpkg")):
        raise InputError(f"{out_path}: the assigned leads are written as CSV; give a .csv file name")
    check_output(out_path)


def assign_file(project, leads_path: str, out_path: str | None = None, rules=None, explain: bool = False,
                sheet: str | None = None, raw: bool = False, limits: ReadLimits | None = None) -> AssignReport:
    """Read, route and (when ``out_path``) write (formula-safe unless ``raw``); the report says what happened."""
    if out_path:
        check_output_path(leads_path, out_path)
    checked = resolve_rules(project, rules)  # a bad rule list fails before the file is read
    t0 = time.perf_counter()
    table = read_leads(leads_path, sheet, limits)
    t1 = time.perf_counter()
    routing, report = assign_table(project, table, checked, explain)
    t2 = time.perf_counter()
    report.seconds = {"read": t1 - t0, "rules": t2 - t1}
    if out_path:
        frame = assigned_frame(table, routing, explain, report.notes)
        with replaced_when_written(out_path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
            write_frame(frame, f, raw)
        report.output = out_path
        report.seconds["write"] = time.perf_counter() - t2
    return report
