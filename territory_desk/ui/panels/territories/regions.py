"""Editing the sales hierarchy in the Territories dock (a mixin of TerritoryPanel): add a
region or an area above regions, rename, move territories or regions to a region, delete a region,
name the levels — and drag territory or region rows onto a region row.

Every edit is one undo step of a command in domain/editing/regions.py; dialogs sit in ``_ask_*`` and
``_confirm`` so tests can replace them.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from territory_desk.domain.editing.command import MacroCommand
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.hierarchy import depth
from territory_desk.domain.editing.regions import (
    AddRegion, DeleteRegion, RenameRegion, SetLevelNames, add_area_above, child_regions, is_inside, move_to_region,
)
from territory_desk.ui.dialogs.region_dialog import LevelNamesDialog, RegionChoiceDialog
from territory_desk.ui.panels.territories.tree import KEY, KIND, _TreeModel

ROWS_MIME = "application/x-territory-desk-tree-rows"  # JSON {"territories": [index…], "regions": [id…]}


class RegionTreeModel(_TreeModel):
    """The territory tree's model, which also lets territory and region rows be dragged onto a region
    row (they move into it). Drags are copies as far as the view knows: the rows are rebuilt from the
    scenario after the edit, never removed by the view."""

    def mimeTypes(self) -> list[str]:
        return [*super().mimeTypes(), ROWS_MIME]

    def supportedDragActions(self):
        return Qt.CopyAction

    def mimeData(self, indexes) -> QMimeData:
        rows = {(i.data(KIND), i.data(KEY)) for i in indexes if i.isValid()}
        payload = {"territories": sorted(k for kind, k in rows if kind == "territory"),
                   "regions": sorted(k for kind, k in rows if kind == "region")}
        data = QMimeData()
        data.setData(ROWS_MIME, json.dumps(payload).encode())
        return data

    def _region(self, row: int, parent) -> str | None:
        index = self.index(row, 0, parent) if row >= 0 else parent.siblingAtColumn(0)
        return index.data(KEY) if index.isValid() and index.data(KIND) == "region" else None

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        if data.hasFormat(ROWS_MIME):
            return self._region(row, parent) is not None
        return super().canDropMimeData(data, action, row, column, parent)

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        if not data.hasFormat(ROWS_MIME):
            return super().dropMimeData(data, action, row, column, parent)
        target = self._region(row, parent)
        try:
            payload = json.loads(bytes(data.data(ROWS_MIME)).decode())
        except ValueError:
            return False
        if target is None:
            return False
        return self.panel.move_rows([int(t) for t in payload.get("territories", [])],
                                    [str(r) for r in payload.get("regions", []) if r != target], target)


class RegionActionsMixin:
    # ---- dialogs (tests replace these) -------------------------------------------------------------
    def _ask_region(self, title: str, label: str, choices: list[tuple[str | None, str]], current: int = 0):
        """Index of the chosen entry of ``choices`` [(region id or None, text)], or None."""
        dialog = RegionChoiceDialog(title, label, choices, current, self)
        return dialog.choice() if dialog.exec() == QDialog.Accepted else None

    def _ask_level_names(self, names: list[str], rows: int, used: int) -> list[str] | None:
        dialog = LevelNamesDialog(names, rows, used, self)
        return dialog.names() if dialog.exec() == QDialog.Accepted else None

    # ---- construction ------------------------------------------------------------------------------
    def _build_region_actions(self) -> list[QAction]:
        A = self._action
        self.act_region_add = A("Add region…", self.add_region, "Region",
                                tip="Add a region beside the selected one (or at the top level)")
        self.act_area_above = A("Add area above…", self.add_area_above, "Area",
                                tip="Add a region that holds the selected region(s): an area one level up")
        self.act_region_rename = A("Rename region…", self.rename_region, "Rename")
        self.act_move_to_region = A("Move to region…", self.move_to_region, "Move",
                                    tip="Put the selected territories or regions into another region")
        self.act_region_delete = A("Delete region…", self.delete_region, "Delete",
                                   tip="Delete the selected region; what it holds moves one level up")
        self.act_level_names = A("Name hierarchy levels…", self.name_levels, "Levels",
                                 tip="Name the levels of the hierarchy (e.g. Territory, Region, Area)")
        sep = QAction(self)
        sep.setSeparator(True)
        self.region_actions = [self.act_region_add, self.act_area_above, self.act_region_rename,
                               self.act_move_to_region, self.act_region_delete, self.act_level_names]
        return [sep, *self.region_actions]

    def _update_region_actions(self) -> None:
        terrs, regs = self.selected_rows()
        self.act_area_above.setEnabled(bool(regs) or self.current_region() is not None)
        self.act_region_rename.setEnabled(len(regs) == 1)
        self.act_move_to_region.setEnabled(bool(terrs or regs))
        self.act_region_delete.setEnabled(bool(regs))

    # ---- reading the tree --------------------------------------------------------------------------
    def selected_rows(self) -> tuple[list[int], list[str]]:
        """(territory indices, region ids) of the selected rows (else of the current row), in scenario order."""
        indexes = self.tree.selectionModel().selectedRows(0)
        if not indexes and self.tree.currentIndex().isValid():
            indexes = [self.tree.currentIndex()]
        terrs = sorted({i.data(KEY) for i in indexes if i.data(KIND) == "territory"})
        picked = {i.data(KEY) for i in indexes if i.data(KIND) == "region"}
        return terrs, [r.id for r in self.model.doc.scenario.regions if r.id in picked]

    def _region_choices(self, exclude: set[str] = frozenset()) -> list[tuple[str, str]]:
        """Regions in tree order, indented by depth, leaving out ``exclude`` and everything under them."""
        sc, out, seen = self.model.doc.scenario, [], set()

        def walk(parent, level):
            for r in child_regions(sc, parent):
                if r.id not in seen and r.id not in exclude:
                    seen.add(r.id)
                    out.append((r.id, "    " * level + r.name))
                    walk(r.id, level + 1)

        walk(None, 0)
        for r in sc.regions:  # regions of a damaged cycle: listed flat
            if r.id not in seen and not any(is_inside(sc, r.id, x) for x in exclude):
                seen.add(r.id)
                out.append((r.id, r.name))
        return out

    def _select_region(self, region_id: str) -> None:
        if region_id in self._regions:
            self.tree.setCurrentIndex(self._regions[region_id][0].index())

    def _unique_name(self, base: str) -> str:
        taken = {r.name.casefold() for r in self.model.doc.scenario.regions}
        n = 1
        while f"{base} {n}".casefold() in taken:
            n += 1
        return f"{base} {n}"

    # ---- actions -----------------------------------------------------------------------------------
    def add_region(self) -> None:
        sc = self.model.doc.scenario
        current = sc.region(self.current_region())
        parent = current.parent_id if current is not None else None
        where = f" in {sc.region(parent).name}" if sc.region(parent) else ""
        name = self._ask_text("Add region", f"Name of the new region{where}:", self._unique_name("Region"))
        if name:
            cmd = AddRegion(name, parent)
            if self.model.push(cmd):
                self._select_region(cmd.region_id)

    def add_area_above(self) -> None:
        sc = self.model.doc.scenario
        regs = self.selected_rows()[1] or ([self.current_region()] if self.current_region() else [])
        if not regs:
            self.model.messageRequested.emit("Select the region(s) the new area is to hold")
            return
        names = ", ".join(sc.region(r).name for r in regs)
        name = self._ask_text("Add area above", f"Name of the new region holding {names}:", self._unique_name("Area"))
        if name:
            cmd = add_area_above(sc, name, regs)
            if self.model.push(cmd):
                self._select_region(cmd.region_id)

    def rename_region(self) -> None:
        regs = self.selected_rows()[1]
        if len(regs) != 1:
            return
        region = self.model.doc.scenario.region(regs[0])
        name = self._ask_text("Rename region", "New name:", region.name)
        if name and name != region.name:
            self.model.push(RenameRegion(region.id, name))

    def move_to_region(self) -> None:
        terrs, regs = self.selected_rows()
        if not (terrs or regs):
            return
        sc = self.model.doc.scenario
        top = "(top level)" if not terrs else "(no region)" if not regs else "(no region / top level)"
        choices = [(None, top), *self._region_choices(set(regs))]
        what = ", ".join([sc.territories[t].name for t in terrs] + [sc.region(r).name for r in regs])
        here = {sc.territories[t].region_id for t in terrs} | {sc.region(r).parent_id for r in regs}
        current = next((k for k, (rid, _) in enumerate(choices) if len(here) == 1 and rid in here), 0)
        k = self._ask_region("Move to region", f"Move {what} to:", choices, current)
        if k is not None:
            self.move_rows(terrs, regs, choices[k][0])

    def move_rows(self, terrs: list[int], regs: list[str], target: str | None) -> bool:
        """Territories into region ``target`` and regions under it (None: no region / top level), one
        undo step. Returns False (with a message in the status bar) when refused, e.g. a cycle."""
        sc = self.model.doc.scenario
        terrs = [t for t in terrs if sc.territories[t].region_id != target]
        regs = [r for r in regs if sc.region(r).parent_id != target]
        if not (terrs or regs):
            return False
        return self.model.push(move_to_region(sc, terrs, regs, target))

    def delete_region(self) -> None:
        regs = self.selected_rows()[1]
        if not regs:
            return
        sc = self.model.doc.scenario
        first = sc.region(regs[0])
        up = sc.region(first.parent_id)
        n_t = sum(t.region_id in regs for t in sc.territories)
        n_r = sum(r.parent_id in regs and r.id not in regs for r in sc.regions)
        names = ", ".join(sc.region(r).name for r in regs)
        held = " and ".join(x for x in (f"{n_t} territor{'y' if n_t == 1 else 'ies'}" if n_t else "",
                                        f"{n_r} region{'s' * (n_r != 1)}" if n_r else "") if x)
        where = "the level above" if len(regs) > 1 else up.name if up is not None else "the top level"
        verb = "move" if n_t + n_r > 1 else "moves"
        text = f"Delete {names}?" + (f" {'Its' if len(regs) == 1 else 'Their'} {held} {verb} to {where}." if held else "")
        if self._confirm("Delete region", text):
            parts = [DeleteRegion(r) for r in regs]
            self.model.push(parts[0] if len(parts) == 1 else MacroCommand(f"Delete {len(parts)} regions", parts))

    def name_levels(self) -> None:
        doc = self.model.doc
        used = depth(doc.scenario)
        custom = doc.project.settings.get("hierarchy_levels")
        custom = [str(x) for x in custom] if isinstance(custom, list) else []
        rows = max(used + 1, 3, len(custom))
        names = self._ask_level_names(custom, rows, used)
        if names is None:
            return
        try:
            cmd = SetLevelNames(names)
        except InputError as exc:
            self.model.messageRequested.emit(str(exc))
            return
        if cmd.names != custom:
            self.model.push(cmd)
