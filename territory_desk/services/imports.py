"""Import use cases shared by the CLI and the GUI: accounts, reps and base units.

Each import is one transaction. ``plan_*`` reads and checks the file and builds the new state in
memory without touching the project; ``import_*`` puts a plan in with its undoable command (the one
the editor pushes), on a Project in memory, or, given a project *file*, through
``project_files.edit_project``: saved atomically only when everything succeeded, so a failed import
leaves the file byte for byte as it was.

A file that cannot be imported at all raises InputError (one line); a file where no row could be
imported raises ImportFailed, which carries the report (every rejected row and its reason).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from territory_desk.domain.model.accounts import AccountTable, locate_points
from territory_desk.domain.model.adjacency import Adjacency, build_adjacency
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.editing.data import ReplaceAccounts, ReplaceReps, ReplaceUnits
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.command import Command
from territory_desk.domain.stats.metrics import metric_fields
from territory_desk.domain.model.territory_layers import check_rules_fit
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.projection import transform_geometries
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import UNASSIGNED
from territory_desk.domain.model.units import UnitLayer
from territory_desk.io.imports.accounts import build_accounts
from territory_desk.io.imports.column_mapping import ColumnMapping, apply_overrides, auto_map, validate
from territory_desk.io.imports.report import ADDED, KEPT, ImportReport
from territory_desk.io.imports.reps import build_reps
from territory_desk.io.tables.limits import ReadLimits
from territory_desk.io.tables.reader import RawTable, read_table
from territory_desk.io.unit_files import read_unit_layer
from territory_desk.services.project_files import apply_steps, edit_project


class ImportFailed(InputError):
    """Nothing could be imported; ``report`` says why for every row."""

    def __init__(self, message: str, report: ImportReport):
        super().__init__(message)
        self.report = report


@dataclass
class AccountImport:
    accounts: AccountTable
    report: ImportReport


@dataclass
class RepImport:
    reps: list[Rep]
    report: ImportReport


@dataclass
class UnitImport:
    units: UnitLayer
    adjacency: Adjacency
    assignments: dict[str, np.ndarray]  # scenario name -> assignment over the new units
    account_unit_index: np.ndarray
    report: ImportReport


# ---- mapping ------------------------------------------------------------------------------------
def preview(path: str, kind: str = "accounts", sheet: str | None = None, rows: int = 20,
            limits: ReadLimits | None = None) -> tuple[RawTable, ColumnMapping]:
    """The first rows of a table and the automatic mapping of its columns (for the mapping dialog)."""
    return table_preview(path, sheet, rows, limits, lambda raw: auto_map(raw.columns, raw.frame, kind))


def table_preview(path: str, sheet: str | None, rows: int, limits: ReadLimits | None,
                  auto: Callable[[RawTable], ColumnMapping]) -> tuple[RawTable, ColumnMapping]:
    """The first ``rows`` rows of a table and ``auto``'s mapping of its columns (judged on more rows)."""
    raw = read_table(path, sheet, nrows=max(rows, 200), limits=limits)
    mapping = auto(raw)
    raw.frame = raw.frame.iloc[:rows]
    raw.rows = raw.rows[:rows]
    return raw, mapping


def resolve_mapping(raw: RawTable, kind: str, mapping: ColumnMapping | dict[str, str] | None) -> ColumnMapping:
    """A full mapping as is (checked against the file's columns), or overrides on the automatic one."""
    if isinstance(mapping, ColumnMapping):
        return full_mapping(raw, ColumnMapping(mapping.targets, kind), validate)
    return apply_overrides(auto_map(raw.columns, raw.frame, kind), mapping or {}, raw.columns)


def full_mapping(raw: RawTable, mapping: ColumnMapping, validate: Callable[[ColumnMapping], None]) -> ColumnMapping:
    """A mapping chosen for every column (the mapping dialog), checked against the file's columns;
    a column it does not name is ignored."""
    missing = [c for c in mapping.targets if c not in raw.columns]
    if missing:
        raise InputError(f"{raw.path}: the file has no column {missing[0]!r} (columns: {', '.join(raw.columns)})")
    result = ColumnMapping({c: mapping.targets.get(c, "ignore") for c in raw.columns}, mapping.kind)
    validate(result)
    return result


def nothing_imported(report: ImportReport, what: str) -> ImportFailed:
    counts = report.rejection_counts()
    first = min(report.rejected, key=lambda r: r.row) if report.rejected else None
    detail = ", ".join(f"{n:,} {c}" for c, n in counts.most_common(3))
    example = f"; row {first.row}: {first.reason}" if first else ""
    return ImportFailed(f"{report.source}: none of the {report.rows_read:,} row(s) could be imported as {what} "
                        f"({detail}{example})", report)


# ---- plans (no side effects) --------------------------------------------------------------------
def plan_accounts(project: Project, path: str, mapping: ColumnMapping | dict | None = None,
                  sheet: str | None = None, limits: ReadLimits | None = None) -> AccountImport:
    raw = read_table(path, sheet, limits=limits)
    m = resolve_mapping(raw, "accounts", mapping)
    accounts, report = build_accounts(raw, m, project.units, project.accounts if len(project.accounts) else None)
    if not report.ok:
        raise nothing_imported(report, "accounts")
    check_rules_fit(project.layers, accounts)
    wanted = list(project.settings.get("balance_fields") or [])
    available = {f.key for f in metric_fields(SimpleNamespace(units=project.units, accounts=accounts))}
    gone = [f for f in wanted if f not in available]
    if gone:
        report.notes.append(f"balance field(s) no longer available after this import: {', '.join(gone)}")
    return AccountImport(accounts, report)


def plan_reps(project: Project, path: str, mapping: ColumnMapping | dict | None = None,
              sheet: str | None = None, limits: ReadLimits | None = None) -> RepImport:
    raw = read_table(path, sheet, limits=limits)
    m = resolve_mapping(raw, "reps", mapping)
    reps, report = build_reps(raw, m, project.reps)
    if not report.ok:
        raise nothing_imported(report, "reps")
    kept = {r.id for r in reps}
    orphans = [f"{t.name} ({t.rep_id}) in {s.name}" for s in project.scenarios for t in s.territories
               if t.rep_id and t.rep_id not in kept]
    if orphans:
        report.notes.append(f"{len(orphans)} territor{'y keeps' if len(orphans) == 1 else 'ies keep'} a rep who is "
                            "no longer in the list: " + ", ".join(orphans[:5]) + (" …" if len(orphans) > 5 else ""))
    return RepImport(reps, report)


def plan_units(project: Project, path: str, layer: str | None = None, id_field: str | None = None,
               name_field: str | None = None, replace: bool = False, encoding: str | None = None) -> UnitImport:
    """Replace the project's units (assignments kept where ids match) or add the layer's units to
    them (new ids only); the adjacency graph is rebuilt and the accounts are located again.
    ``encoding`` overrides the text encoding chosen for a shapefile without a .cpg."""
    new, ureport = read_unit_layer(path, id_field, name_field, layer, encoding)
    old = project.units
    report = ImportReport("units", path, rows_read=ureport.features + len(ureport.skipped))
    for feature, why in ureport.skipped:
        report.reject(feature, "", f"skipped feature: {why}")
    report.notes.extend(line for line in ureport.text().splitlines()[1:])
    if replace:
        units = new
        found = pd.Index(old.ids).get_indexer(pd.Index(new.ids))
        assignments = {s.name: np.where(found >= 0, s.assignment[np.maximum(found, 0)], UNASSIGNED)
                       for s in project.scenarios}
        gone = np.ones(len(old), dtype=bool)
        gone[found[found >= 0]] = False
        assigned_gone = int((project.scenario.assignment[gone] >= 0).sum())
        report.imported = len(units)
        report.row_outcomes = np.where(found >= 0, KEPT, ADDED).astype(np.int8)
        report.removed_ids = [old.ids[i] for i in np.flatnonzero(gone)]
        report.notes.insert(0, f"replaced the units: {int((found >= 0).sum()):,} id(s) kept with their assignments, "
                               f"{int((found < 0).sum()):,} new, {int(gone.sum()):,} removed"
                               + (f"; {assigned_gone:,} of the removed unit(s) had a territory in "
                                  f"{project.scenario.name!r}" if assigned_gone else ""))
        row_ids = new.ids
        features = _feature_numbers(report.rows_read, ureport.skipped)
    else:
        existing = set(old.ids)
        add = np.array([i not in existing for i in new.ids], dtype=bool)
        features = _feature_numbers(report.rows_read, ureport.skipped)
        for k in np.flatnonzero(~add):
            report.reject(int(features[k]), new.ids[k], f"duplicate id: unit {new.ids[k]!r} is already in the project")
        if not add.any():
            raise nothing_imported(report, "new units")
        units = _combined(old, new, add)
        n_new = int(add.sum())
        assignments = {s.name: np.concatenate([s.assignment, np.full(n_new, UNASSIGNED, dtype=np.int64)])
                       for s in project.scenarios}
        report.imported = n_new
        report.row_outcomes = np.full(n_new, ADDED, dtype=np.int8)
        row_ids = [i for i, a in zip(new.ids, add) if a]
        features = features[add]
        report.notes.insert(0, f"added {n_new:,} unit(s) to the {len(old):,} of the project (unassigned)")
    report.rejected.sort(key=lambda r: r.row)
    report.row_numbers, report.row_ids = features, list(row_ids)
    adjacency = build_adjacency(units.projected())
    acc = project.accounts
    located = locate_points(acc.lon, acc.lat, units.geometry, units.source_crs)
    outside = int((located < 0).sum())
    if outside:
        report.notes.append(f"{outside:,} account(s) lie outside every unit now (they stay in the project; "
                            "`territory-desk check` lists them)")
    return UnitImport(units, adjacency, assignments, located, report)


def _feature_numbers(total: int, skipped: list[tuple[int, str]]) -> np.ndarray:
    out = np.ones(total + 1, dtype=bool)
    out[0] = False
    out[[k for k, _ in skipped]] = False
    return np.flatnonzero(out).astype(np.int64)


def _combined(old: UnitLayer, new: UnitLayer, add: np.ndarray) -> UnitLayer:
    """The old units followed by the new ones (reprojected into the old units' CRS)."""
    geoms = transform_geometries(new.geometry[add], new.source_crs, old.source_crs)
    n_old, n_new = len(old), int(add.sum())
    numeric = {k: np.concatenate([old.numeric.get(k, np.full(n_old, np.nan)),
                                  new.numeric[k][add] if k in new.numeric else np.full(n_new, np.nan)])
               for k in [*old.numeric, *[k for k in new.numeric if k not in old.numeric]]}
    text = {k: list(old.text.get(k, [""] * n_old)) + ([v for v, a in zip(new.text[k], add) if a]
                                                      if k in new.text else [""] * n_new)
            for k in [*old.text, *[k for k in new.text if k not in old.text]]}
    return UnitLayer(old.ids + [i for i, a in zip(new.ids, add) if a],
                     old.names + [nm for nm, a in zip(new.names, add) if a],
                     np.concatenate([old.geometry, geoms]), old.crs, numeric=numeric, text=text, work_crs=old.work_crs)


# ---- applying -----------------------------------------------------------------------------------
def import_into(target: str | Project, source: str, build: Callable[[Project], tuple[Command, ImportReport]]):
    """One import as one transaction: ``build(project)`` reads and checks the file and returns the
    command that puts the result in (and the report). On a Project it runs in memory; on a project
    *file* through ``edit_project``: saved atomically only when everything succeeded."""
    reports = []

    def step(doc: Document) -> Command:
        command, report = build(doc.project)
        reports.append(report)
        return command

    if isinstance(target, Project):
        apply_steps(Document(target), [step])
    else:
        edit_project(os.fspath(target), step, source=source)
    return reports[0]


def import_accounts(target: str | Project, path: str, mapping: ColumnMapping | dict | None = None,
                    sheet: str | None = None, limits: ReadLimits | None = None) -> ImportReport:
    def build(project: Project) -> tuple[Command, ImportReport]:
        plan = plan_accounts(project, path, mapping, sheet, limits)
        return ReplaceAccounts(plan.accounts, f"Import accounts from {os.path.basename(path)}"), plan.report
    return import_into(target, path, build)


def import_reps(target: str | Project, path: str, mapping: ColumnMapping | dict | None = None,
                sheet: str | None = None, limits: ReadLimits | None = None) -> ImportReport:
    def build(project: Project) -> tuple[Command, ImportReport]:
        plan = plan_reps(project, path, mapping, sheet, limits)
        return ReplaceReps(plan.reps, f"Import reps from {os.path.basename(path)}"), plan.report
    return import_into(target, path, build)


def units_command(plan: UnitImport, text: str = "Import units") -> ReplaceUnits:
    """The undoable command that puts a unit import in."""
    return ReplaceUnits(plan.units, plan.adjacency, plan.assignments, plan.account_unit_index, text)


def import_units(target: str | Project, path: str, layer: str | None = None, id_field: str | None = None,
                 name_field: str | None = None, replace: bool = False, encoding: str | None = None) -> ImportReport:
    def build(project: Project) -> tuple[Command, ImportReport]:
        plan = plan_units(project, path, layer, id_field, name_field, replace, encoding)
        return units_command(plan, f"Import units from {os.path.basename(path)}"), plan.report
    return import_into(target, path, build)
