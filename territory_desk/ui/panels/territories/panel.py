"""The "Territories" dock: a tree of regions -> territories, their actions, and the scenario list.

Every edit goes through ``DocModel.push`` (one undo step each). Counts update in place from
``assignmentChanged`` (only the touched rows and their regions); edits that keep the tree's shape
(rename, recolour, lock, rep) refresh rows in place; anything else rebuilds the tree.
Dialogs sit in ``_ask_*``/``_confirm`` methods so tests can replace them.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QListWidget, QMenu, QSplitter, QToolBar, QToolButton, QTreeView,
    QVBoxLayout, QWidget,
)

from territory_desk.domain.editing.territories import EditTerritory
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import account_count_key, compact_toolbar, fmt_int, is_checked, swatch_icon
from territory_desk.ui.panels.territories.regions import RegionActionsMixin, RegionTreeModel
from territory_desk.ui.panels.territories.actions import TerritoryActionsMixin
from territory_desk.ui.panels.territories.tree import (
    CHECKED, COL_ACCOUNTS, COL_LOCKED, COL_NAME, COL_REP, COL_UNITS, HEADERS, KEY, KIND, PARTIAL, UNCHECKED,
    _CenteredCheckDelegate, _set_text,
)


class TerritoryPanel(TerritoryActionsMixin, RegionActionsMixin, QWidget):
    territoryActivated = Signal(int)  # a territory row was selected (it is now the paint target)
    zoomToTerritoryRequested = Signal(int)
    visibilityChanged = Signal()  # model.hidden_territories changed: redraw the map

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self._updating = False  # True while the panel writes items itself (ignore itemChanged)
        self._syncing = False  # True while the tree follows model.active_territory (do not echo it)
        self._shape: tuple = ()
        self._rows: dict[int, list[QStandardItem]] = {}
        self._regions: dict[str, list[QStandardItem]] = {}
        self._region_terrs: dict[str, list[int]] = {}
        self._icons: dict[str, object] = {}
        self._fitted: dict[int, int] = {}
        self._acc_key = account_count_key(model.doc.project)

        self.tree_model = RegionTreeModel(self)  # + drags of rows onto regions (regions.py)
        self.tree = QTreeView(self)
        self.tree.setObjectName("territoryTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setIndentation(14)
        self.tree.setEditTriggers(QAbstractItemView.EditKeyPressed)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.tree.setDragDropMode(QAbstractItemView.DragDrop)
        self.tree.setDragDropOverwriteMode(True)  # drops land on rows, never between them
        self.tree.setAcceptDrops(True)
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.setItemDelegateForColumn(COL_LOCKED, _CenteredCheckDelegate(self.tree))
        head = self.tree.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(COL_NAME, QHeaderView.Stretch)
        for c, align in ((COL_REP, Qt.AlignLeft), (COL_UNITS, Qt.AlignRight), (COL_ACCOUNTS, Qt.AlignRight),
                         (COL_LOCKED, Qt.AlignHCenter)):
            head.setSectionResizeMode(c, QHeaderView.Interactive)  # sized by _fit_columns, not per edit
            self.tree_model.horizontalHeaderItem(c).setTextAlignment(align | Qt.AlignVCenter)

        self.scenario_list = QListWidget(self)
        self.scenario_list.setObjectName("scenarioList")
        self.scenario_list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.scenario_list.setIconSize(QSize(10, 10))

        self._build_actions()
        self._build_layout()
        self.tree_model.itemChanged.connect(self._on_item_changed)
        self.tree.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.tree.doubleClicked.connect(self._on_double_clicked)
        self.tree.customContextMenuRequested.connect(self._tree_menu)
        self.scenario_list.itemDoubleClicked.connect(lambda _i: self.switch_scenario())
        self.scenario_list.currentItemChanged.connect(lambda *_: self._update_actions())
        self.scenario_list.customContextMenuRequested.connect(
            lambda pos: self._menu(self.scenario_actions, self.scenario_list.viewport().mapToGlobal(pos)))
        model.assignmentChanged.connect(self._on_assignment)
        model.territoriesChanged.connect(self.refresh)
        model.scenarioChanged.connect(self.refresh_scenarios)
        model.activeTerritoryChanged.connect(self._select_territory)
        model.selectionChanged.connect(self._update_actions)
        self.rebuild()
        self.refresh_scenarios()

    # ---- construction ---------------------------------------------------------------------------
    def _action(self, text: str, slot, short: str = "", key=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        a.setIconText(short or text.rstrip("…"))
        a.setToolTip(tip or text.rstrip("…"))
        a.triggered.connect(lambda _checked=False: slot())
        if key is not None:  # only while the tree has focus (Delete elsewhere must not delete a territory)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.WidgetShortcut)
            self.tree.addAction(a)
        return a

    def _build_actions(self) -> None:
        A = self._action
        self.act_add = A("Add territory…", self.add_territory, "Add", tip="Add a territory (in the selected region)")
        self.act_rename = A("Rename", self.rename_territory, key=Qt.Key_F2)
        self.act_recolour = A("Recolour…", self.recolour_territory, "Colour")
        self.act_autocolour = A("Auto-colour all", self.auto_colour, "Auto-colour",
                                tip="Recolour every territory so that neighbours differ (one undo step)")
        self.act_set_rep = A("Set rep…", self.set_rep, "Rep")
        self.act_delete = A("Delete territory…", self.delete_territory, "Delete", key=QKeySequence.Delete)
        self.act_merge = A("Merge into…", self.merge_territory, "Merge")
        self.act_assign = A("Assign selection here", self.assign_selection, "Assign",
                            tip="Assign the selected map units to this territory")
        self.act_zoom = A("Zoom to territory", self.zoom_to_territory, "Zoom")
        self.act_scn_switch = A("Switch to scenario", self.switch_scenario, "Switch")
        self.act_scn_duplicate = A("Duplicate scenario…", self.duplicate_scenario, "Duplicate")
        self.act_scn_rename = A("Rename scenario…", self.rename_scenario, "Rename")
        self.act_scn_delete = A("Delete scenario…", self.delete_scenario, "Delete")
        self.territory_actions = [self.act_add, self.act_rename, self.act_recolour, self.act_autocolour,
                                  self.act_set_rep, self.act_merge, self.act_assign, self.act_zoom,
                                  self.act_delete, *self._build_region_actions()]
        self.scenario_actions = [self.act_scn_switch, self.act_scn_duplicate, self.act_scn_rename,
                                 self.act_scn_delete]

    def _toolbar(self, actions) -> QToolBar:
        return compact_toolbar(self, actions)

    def _build_layout(self) -> None:
        top = QWidget(self)
        lt = QVBoxLayout(top)
        lt.setContentsMargins(0, 0, 0, 0)
        lt.setSpacing(2)
        bar = self._toolbar([self.act_add, self.act_recolour, self.act_merge, self.act_assign, self.act_delete])
        more = QToolButton(bar)
        more.setText("More")
        more.setPopupMode(QToolButton.InstantPopup)
        more.setMenu(QMenu(more))
        more.menu().addActions(self.territory_actions)
        bar.addWidget(more)
        lt.addWidget(bar)
        lt.addWidget(self.tree)
        bottom = QWidget(self)
        lb = QVBoxLayout(bottom)
        lb.setContentsMargins(0, 4, 0, 0)
        lb.setSpacing(2)
        title = QLabel("Scenarios", bottom)
        title.setStyleSheet("font-weight:600")
        lb.addWidget(title)
        lb.addWidget(self._toolbar(self.scenario_actions))
        lb.addWidget(self.scenario_list)
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split)

    # ---- tree contents ----------------------------------------------------------------------------
    def _icon(self, color: str):
        if color not in self._icons:
            self._icons[color] = swatch_icon(color)
        return self._icons[color]

    def _shape_of(self) -> tuple:
        sc = self.model.doc.scenario
        return (tuple((t.id, t.region_id) for t in sc.territories), tuple((r.id, r.parent_id) for r in sc.regions))

    def rebuild(self) -> None:
        """Recreate every row (territory list or region layout changed, or scenario switched)."""
        sc = self.model.doc.scenario
        collapsed = {rid for rid, row in self._regions.items() if not self.tree.isExpanded(row[0].index())}
        self._updating = True
        try:
            self.tree_model.removeRows(0, self.tree_model.rowCount())
            self._rows, self._regions, self._region_terrs = {}, {}, {}
            root = self.tree_model.invisibleRootItem()
            parents = {r.id: r.parent_id for r in sc.regions}
            for r in sc.regions:
                self._regions[r.id] = self._new_row("region", r.id)
                self._region_terrs[r.id] = []
            for r in sc.regions:  # nest under the parent region unless the chain has a cycle
                parent = self._regions[r.parent_id][0] if sc.reaches_top(r.id) and r.parent_id in parents else root
                parent.appendRow(self._regions[r.id])
            for t, terr in enumerate(sc.territories):
                self._rows[t] = self._new_row("territory", t)
                (self._regions[terr.region_id][0] if terr.region_id in self._regions else root).appendRow(self._rows[t])
                rid = terr.region_id
                while rid in self._region_terrs and t not in self._region_terrs[rid]:
                    self._region_terrs[rid].append(t)  # every ancestor region counts t
                    rid = parents.get(rid)
            self._shape = self._shape_of()
            self._refresh_rows()
        finally:
            self._updating = False
        self.tree.expandAll()
        for rid in collapsed & set(self._regions):
            self.tree.collapse(self._regions[rid][0].index())
        self._select_territory(self.model.active_territory)
        self._update_actions()

    def _new_row(self, kind: str, key) -> list[QStandardItem]:
        items = [QStandardItem() for _ in HEADERS]
        for c, it in enumerate(items):
            it.setData(kind, KIND)
            it.setData(key, KEY)
            it.setEditable(c == COL_NAME and kind == "territory")
            it.setDropEnabled(True)  # units onto territories, territory/region rows onto regions
            it.setDragEnabled(True)
            if c in (COL_UNITS, COL_ACCOUNTS):
                it.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            if kind == "region":
                f = it.font()
                f.setBold(True)
                it.setFont(f)
        items[COL_NAME].setCheckable(True)
        items[COL_LOCKED].setCheckable(kind == "territory")
        return items

    def _refresh_rows(self) -> None:
        """Write names, colours, reps, flags and counts into the existing rows (no structure change)."""
        doc, hidden = self.model.doc, self.model.hidden_territories
        for r in doc.scenario.regions:
            _set_text(self._regions[r.id][COL_NAME], r.name)
        for t, terr in enumerate(doc.scenario.territories):
            items = self._rows[t]
            _set_text(items[COL_NAME], terr.name)
            items[COL_NAME].setIcon(self._icon(terr.color))
            items[COL_NAME].setCheckState(UNCHECKED if terr.id in hidden else CHECKED)
            items[COL_NAME].setToolTip(f"{terr.name} ({terr.id}) — check to show on the map")
            rep = doc.project.rep(terr.rep_id)
            _set_text(items[COL_REP], rep.name if rep else "")
            items[COL_LOCKED].setCheckState(CHECKED if terr.locked else UNCHECKED)
        self._refresh_counts(range(len(doc.scenario.territories)))
        self._refresh_region_checks()
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Widths from upper bounds (all units, all accounts, longest rep) so live edits never resize."""
        fm, head, project = self.tree.fontMetrics(), self.tree.header(), self.model.doc.project
        samples = {COL_REP: [r.name for r in project.reps], COL_UNITS: [fmt_int(len(project.units))],
                   COL_ACCOUNTS: [fmt_int(len(project.accounts))], COL_LOCKED: []}
        for c, texts in samples.items():
            w = min(max(fm.horizontalAdvance(x) for x in [HEADERS[c], *texts]) + 12, 90 if c == COL_REP else 100)
            if self._fitted.get(c) != w:  # keeps a width the user dragged until the bound changes
                self._fitted[c] = w
                head.resizeSection(c, w)

    def _refresh_counts(self, territories) -> None:
        stats = self.model.doc.stats()
        acc = stats.value[:, stats.field_index(self._acc_key)] if self._acc_key in stats.fields else None
        touched_regions: set[str] = set()
        for t in territories:
            if t not in self._rows:
                continue
            _set_text(self._rows[t][COL_UNITS], fmt_int(stats.units[t]))
            _set_text(self._rows[t][COL_ACCOUNTS], fmt_int(acc[t]) if acc is not None else "")
            touched_regions |= {rid for rid, ts in self._region_terrs.items() if t in ts}
        for rid in touched_regions:
            ts = self._region_terrs[rid]
            _set_text(self._regions[rid][COL_UNITS], fmt_int(stats.units[ts].sum()))
            _set_text(self._regions[rid][COL_ACCOUNTS], fmt_int(acc[ts].sum()) if acc is not None else "")

    def _refresh_region_checks(self) -> None:
        hidden = self.model.hidden_territories
        terrs = self.model.doc.scenario.territories
        for rid, row in self._regions.items():
            n_hidden = sum(terrs[t].id in hidden for t in self._region_terrs[rid])
            total = len(self._region_terrs[rid])
            row[COL_NAME].setCheckState(CHECKED if n_hidden == 0 else UNCHECKED if n_hidden == total else PARTIAL)

    # ---- model signals ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Territory properties or structure changed: refresh rows in place when the shape is unchanged."""
        if self._shape_of() != self._shape:
            self.rebuild()
            return
        self._updating = True
        try:
            self._refresh_rows()
        finally:
            self._updating = False
        self._update_actions()

    def _on_assignment(self, _units, territories) -> None:
        self._updating = True
        try:
            self._refresh_counts(t for t in territories if t >= 0)
        finally:
            self._updating = False

    def _on_item_changed(self, item: QStandardItem) -> None:
        if self._updating:
            return
        kind, key, col = item.data(KIND), item.data(KEY), item.column()
        if kind == "region" and col == COL_NAME:
            self.set_visible([self.model.doc.scenario.territories[t].id for t in self._region_terrs[key]],
                             is_checked(item.checkState()))
        elif kind == "territory" and col == COL_NAME:
            terr = self.model.doc.scenario.territories[key]
            visible = is_checked(item.checkState())
            if visible == (terr.id in self.model.hidden_territories):
                self.set_visible([terr.id], visible)
            name = item.text().strip()
            if name != terr.name and not (name and self.model.push(EditTerritory(key, name=name))):
                self.refresh()
        elif kind == "territory" and col == COL_LOCKED:
            locked = is_checked(item.checkState())
            if locked != self.model.doc.scenario.territories[key].locked:
                if not self.model.push(EditTerritory(key, locked=locked)):
                    self.refresh()

    def set_visible(self, territory_ids, visible: bool) -> None:
        """Show or hide territories on the map (view state, not an undoable edit)."""
        hidden = self.model.hidden_territories
        before = set(hidden)
        if visible:
            hidden.difference_update(territory_ids)
        else:
            hidden.update(territory_ids)
        if hidden != before:
            self.refresh()
            self.visibilityChanged.emit()

    def _select_territory(self, t: int) -> None:
        if t not in self._rows or self.current_territory() == t:
            return
        self._syncing = True
        try:
            self.tree.setCurrentIndex(self._rows[t][COL_NAME].index())
        finally:
            self._syncing = False

    def _on_current_changed(self, current, _previous) -> None:
        self._update_actions()
        t = self.current_territory()
        if self._syncing or self._updating or t < 0:
            return
        self.model.set_active_territory(t)
        self.territoryActivated.emit(t)

    def _on_double_clicked(self, index) -> None:
        if index.data(KIND) == "territory":
            self.zoomToTerritoryRequested.emit(index.data(KEY))

    def current_territory(self) -> int:
        index = self.tree.currentIndex()
        if not (index.isValid() and index.data(KIND) == "territory"):
            return -1
        key = index.data(KEY)
        return key if 0 <= key < len(self.model.doc.scenario.territories) else -1

    def current_region(self) -> str | None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return None
        if index.data(KIND) == "region":
            return index.data(KEY)
        terrs = self.model.doc.scenario.territories
        key = index.data(KEY)
        # the tree may still show the previous scenario's rows while a switch is being announced
        return terrs[key].region_id if isinstance(key, int) and 0 <= key < len(terrs) else None

    def _update_actions(self) -> None:
        has_t = self.current_territory() >= 0
        n = len(self.model.doc.scenario.territories)
        for a in (self.act_rename, self.act_recolour, self.act_set_rep, self.act_delete, self.act_zoom):
            a.setEnabled(has_t)
        self.act_merge.setEnabled(has_t and n > 1)
        self.act_autocolour.setEnabled(n > 0)
        self.act_assign.setEnabled(has_t and bool(self.model.selection))
        name = self._current_scenario()
        for a in (self.act_scn_duplicate, self.act_scn_rename):
            a.setEnabled(name is not None)
        active = self.model.doc.project.active
        self.act_scn_switch.setEnabled(name is not None and name != active)
        self.act_scn_delete.setEnabled(name is not None and name != active)
        self._update_region_actions()

    def _menu(self, actions, global_pos) -> None:
        menu = QMenu(self)
        for a in actions:
            menu.addAction(a)
        menu.exec(global_pos)

    def _tree_menu(self, pos) -> None:
        self._menu(self.territory_actions, self.tree.viewport().mapToGlobal(pos))

    # ---- dialogs (tests replace these) ------------------------------------------------------------
