"""Import use cases for CRM activity (opportunities, leads, quotas), shared by the CLI and the GUI.

Like the account import, each is one transaction: ``plan_activity`` reads and checks the file and
builds the project's new ``Activity`` in memory (the table of that kind replaced, the others kept);
``import_activity`` puts it in with the editor's undoable command, on a Project in memory, or on a
project *file* through ``edit_project``: saved atomically only when everything succeeded (a failure
leaves the file byte for byte as it was).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from territory_desk.domain.editing.command import Command
from territory_desk.domain.kpis.reviews import ReplaceActivity
from territory_desk.domain.model.activity import Activity
from territory_desk.domain.model.project import Project
from territory_desk.io.imports.activity import ActivityReport, build_leads, build_opportunities, build_quotas
from territory_desk.io.imports.activity_mapping import KINDS, apply_overrides, auto_map, check_kind, validate
from territory_desk.io.imports.column_mapping import ColumnMapping
from territory_desk.io.tables.limits import ReadLimits
from territory_desk.io.tables.reader import RawTable, read_table
from territory_desk.services.imports import ImportFailed, full_mapping, import_into, nothing_imported, table_preview

__all__ = ["KINDS", "ActivityImport", "ImportFailed", "preview", "plan_activity", "import_activity"]


@dataclass
class ActivityImport:
    kind: str
    activity: Activity  # the project's whole new activity (the imported table swapped in)
    report: ActivityReport


def preview(path: str, kind: str, sheet: str | None = None, rows: int = 20,
            limits: ReadLimits | None = None) -> tuple[RawTable, ColumnMapping]:
    """The first rows of a table and the automatic mapping of its columns (for the mapping dialog)."""
    check_kind(kind)
    return table_preview(path, sheet, rows, limits, lambda raw: auto_map(raw.columns, kind))


def resolve_mapping(raw: RawTable, kind: str, mapping: ColumnMapping | dict | None) -> ColumnMapping:
    """A full mapping as chosen in the dialog (checked against the file), or overrides on the automatic one."""
    if isinstance(mapping, ColumnMapping):
        return full_mapping(raw, ColumnMapping(mapping.targets, kind), validate)
    return apply_overrides(auto_map(raw.columns, kind), mapping or {}, raw.columns)


def plan_activity(project: Project, kind: str, path: str, mapping: ColumnMapping | dict | None = None,
                  sheet: str | None = None, limits: ReadLimits | None = None) -> ActivityImport:
    """Read, check and build; no side effects. Raises InputError (file unusable) or ImportFailed
    (no row could be imported; carries the report)."""
    check_kind(kind)
    raw = read_table(path, sheet, limits=limits)
    m = resolve_mapping(raw, kind, mapping)
    act = project.activity
    if kind == "opportunities":
        table, report = build_opportunities(raw, m, project.accounts.ids, act.opportunities)
        new = act.replaced(opportunities=table)
    elif kind == "leads":
        table, report = build_leads(raw, m, project.accounts.ids, act.leads)
        new = act.replaced(leads=table)
    else:
        territory_ids = {t.id for s in project.scenarios for t in s.territories}
        table, report = build_quotas(raw, m, [r.id for r in project.reps], list(territory_ids))
        new = act.replaced(quotas=table)
    if not report.ok:
        raise nothing_imported(report, kind)
    return ActivityImport(kind, new, report)


def import_activity(target: str | Project, kind: str, path: str, mapping: ColumnMapping | dict | None = None,
                    sheet: str | None = None, limits: ReadLimits | None = None) -> ActivityReport:
    """Replace the project's table of ``kind`` with the file's rows (one transaction)."""
    def build(project: Project) -> tuple[Command, ActivityReport]:
        plan = plan_activity(project, kind, path, mapping, sheet, limits)
        return ReplaceActivity(plan.activity, f"Import {kind} from {os.path.basename(path)}"), plan.report
    return import_into(target, path, build)
