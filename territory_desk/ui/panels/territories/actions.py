"""Territory and scenario actions of the Territories dock (a mixin of TerritoryPanel).

Dialogs sit in ``_ask_*``/``_confirm`` so tests can replace them; every edit is one undo step."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QColorDialog, QInputDialog, QListWidgetItem, QMessageBox

from territory_desk.domain.model.colors import color_for_new, distinct_colors, territory_neighbours
from territory_desk.domain.editing.territories import (
    AddTerritory, DeleteTerritory, EditTerritory, MoveUnits, merge_territories,
)
from territory_desk.domain.editing.scenarios import (
    DeleteScenario, DuplicateScenario, RenameScenario, SwitchScenario, unique_scenario_name,
)
from territory_desk.domain.editing.command import MacroCommand
from territory_desk.ui.panels.territories.tree import COL_NAME


class TerritoryActionsMixin:
    def _ask_text(self, title: str, label: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(self, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def _ask_choice(self, title: str, label: str, items: list[str], current: int = 0) -> int | None:
        text, ok = QInputDialog.getItem(self, title, label, items, current, False)
        return items.index(text) if ok and text in items else None

    def _ask_color(self, title: str, initial: str) -> str | None:
        c = QColorDialog.getColor(QColor(initial), self, title)
        return c.name() if c.isValid() else None

    def _confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.Yes

    # ---- territory actions -----------------------------------------------------------------------
    def _target(self) -> int:
        t = self.current_territory()
        return t if t >= 0 else self.model.active_territory

    def _neighbour_colours(self, units) -> set[str]:
        """Colours of the territories that touch the given units (the future neighbours)."""
        doc, adj = self.model.doc, self.model.doc.project.adjacency
        if not units:
            return set()
        sel = np.zeros(adj.n, dtype=bool)
        sel[list(units)] = True
        a = doc.scenario.assignment
        across = np.concatenate([a[adj.j[sel[adj.i] & ~sel[adj.j]]], a[adj.i[sel[adj.j] & ~sel[adj.i]]]])
        terrs = doc.scenario.territories
        return {terrs[t].color for t in np.unique(across[across >= 0]).tolist()}

    def add_territory(self) -> None:
        sc = self.model.doc.scenario
        name = self._ask_text("Add territory", "Name:", f"Territory {len(sc.territories) + 1}")
        if not name:
            return
        color = color_for_new(self._neighbour_colours(self.model.selection), [t.color for t in sc.territories])
        if self.model.push(AddTerritory(name, color, self.current_region())):
            self.model.set_active_territory(len(sc.territories) - 1)

    def rename_territory(self) -> None:
        t = self._target()
        if t in self._rows:
            self.tree.setCurrentIndex(self._rows[t][COL_NAME].index())
            self.tree.edit(self._rows[t][COL_NAME].index())

    def recolour_territory(self) -> None:
        t = self._target()
        if t < 0:
            return
        terr = self.model.doc.scenario.territories[t]
        color = self._ask_color(f"Colour of {terr.name}", terr.color)
        if color and color != terr.color:
            self.model.push(EditTerritory(t, color=color))

    def auto_colour(self) -> None:
        doc = self.model.doc
        adj, terrs = doc.project.adjacency, doc.scenario.territories
        real = ~adj.virtual
        nbrs = territory_neighbours(doc.scenario.assignment, adj.i[real], adj.j[real], len(terrs))
        parts = [EditTerritory(t, color=c) for t, c in enumerate(distinct_colors(nbrs)) if c != terrs[t].color]
        if parts:
            self.model.push(MacroCommand("Auto-colour territories", parts))
        else:
            self.model.messageRequested.emit("Territory colours are already distinct")

    def set_rep(self) -> None:
        t = self._target()
        if t < 0:
            return
        reps = self.model.doc.project.reps
        terr = self.model.doc.scenario.territories[t]
        ids = [None] + [r.id for r in reps]
        current = ids.index(terr.rep_id) if terr.rep_id in ids else 0
        k = self._ask_choice("Set rep", f"Rep for {terr.name}:", ["(no rep)"] + [r.name for r in reps], current)
        if k is not None and ids[k] != terr.rep_id:
            self.model.push(EditTerritory(t, rep_id=ids[k]))

    def delete_territory(self) -> None:
        t = self._target()
        if t < 0:
            return
        name = self.model.doc.scenario.territories[t].name
        if self._confirm("Delete territory", f"Delete {name}? Its units become unassigned."):
            self.model.push(DeleteTerritory(t))

    def merge_territory(self) -> None:
        t = self._target()
        terrs = self.model.doc.scenario.territories
        others = [i for i in range(len(terrs)) if i != t]
        if t < 0 or not others:
            return
        k = self._ask_choice("Merge territory", f"Merge {terrs[t].name} into:", [terrs[i].name for i in others])
        if k is not None:
            keep = others[k]
            if self.model.push(merge_territories(self.model.doc, keep, t)):
                self.model.set_active_territory(keep - (keep > t))

    def assign_units(self, units, t: int) -> bool:
        """Move units into territory t as one undo step (units already there are left out)."""
        doc = self.model.doc
        units = sorted({u for u in units if 0 <= u < len(doc.project.units) and doc.territory_of(u) != t})
        return bool(units) and self.model.push(MoveUnits(units, t))

    def assign_selection(self) -> None:
        t = self._target()
        if t >= 0:
            self.assign_units(self.model.selection, t)

    def zoom_to_territory(self) -> None:
        t = self._target()
        if t >= 0:
            self.zoomToTerritoryRequested.emit(t)

    # ---- scenarios --------------------------------------------------------------------------------
    def refresh_scenarios(self) -> None:
        current = self._current_scenario()
        project = self.model.doc.project
        self.scenario_list.clear()
        for s in project.scenarios:
            item = QListWidgetItem(s.name)
            item.setData(Qt.UserRole, s.name)
            item.setToolTip(f"{s.name}: {len(s.territories)} territories" +
                            (" (active)" if s.name == project.active else " — double-click to switch"))
            if s.name == project.active:
                f = QFont(item.font())
                f.setBold(True)
                item.setFont(f)
                item.setIcon(self._icon("#2e9e48"))
            self.scenario_list.addItem(item)
            if s.name == (current or project.active):
                self.scenario_list.setCurrentItem(item)
        self._update_actions()

    def _current_scenario(self) -> str | None:
        item = self.scenario_list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def switch_scenario(self) -> None:
        name = self._current_scenario()
        if name and name != self.model.doc.project.active:
            self.model.push(SwitchScenario(name))

    def duplicate_scenario(self) -> None:
        src = self._current_scenario() or self.model.doc.project.active
        default = unique_scenario_name(self.model.doc.project, f"{src} copy")
        name = self._ask_text("Duplicate scenario", f"Name of the copy of {src}:", default)
        if name:
            self.model.push(DuplicateScenario(src, name))

    def rename_scenario(self) -> None:
        old = self._current_scenario()
        new = old and self._ask_text("Rename scenario", "New name:", old)
        if new and new != old:
            self.model.push(RenameScenario(old, new))
            self._select_scenario(new)

    def delete_scenario(self) -> None:
        name = self._current_scenario()
        if name and self._confirm("Delete scenario", f"Delete scenario {name}?"):
            self.model.push(DeleteScenario(name))

    def _select_scenario(self, name: str) -> None:
        for i in range(self.scenario_list.count()):
            if self.scenario_list.item(i).data(Qt.UserRole) == name:
                self.scenario_list.setCurrentRow(i)

