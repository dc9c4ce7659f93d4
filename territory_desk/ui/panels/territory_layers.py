"""The "Territory layers" dock: territory layers with their rules, the accounts each routes and
their scenarios (the live plan marked, the active one bold), and the pinned accounts of the active
scenario.

Every edit is one undo step through ``DocModel.push``. Territory layer dialogs are opened with ``open()``
(``self.dialog``) and confirmations sit in ``_confirm`` so tests can drive or replace them.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QListWidget, QListWidgetItem, QMessageBox, QSplitter, QToolBar,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from territory_desk.domain.editing.scenarios import SwitchScenario
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.editing.territory_layers import AddLayer, DeleteLayer, EditLayer, MoveLayer, PromoteScenario, UnpinAccounts
from territory_desk.domain.model.territory_layers import find_layer
from territory_desk.services.territory_layers import layer_summaries, pin_rows
from territory_desk.ui.dialogs.territory_layer_dialog import TerritoryLayerDialog
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import compact_toolbar

KIND_ROLE = Qt.ItemDataRole.UserRole  # ("layer", name) or ("scenario", name)
LIVE_COLOUR = "#2e7d32"


def _dot(color: str) -> QIcon:
    pm = QPixmap(10, 10)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    p.drawEllipse(1, 1, 8, 8)
    p.end()
    return QIcon(pm)


class TerritoryLayerPanel(QWidget):
    pinRequested = Signal()  # "Pin accounts…": the window opens the pin dialog

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.dialog = None
        self._live_icon = _dot(LIVE_COLOUR)
        self._blank_icon = _dot("#00000000")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("layerTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Territory layer / scenario", "Rule", "Accounts"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        head = self.tree.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.pin_title = QLabel(self)
        self.pin_title.setStyleSheet("font-weight:600")
        self.pin_list = QListWidget(self)
        self.pin_list.setObjectName("pinList")
        self.pin_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._build_actions()
        self._build_layout()
        self.tree.currentItemChanged.connect(lambda *_: self._update_actions())
        self.tree.itemDoubleClicked.connect(self._on_double_clicked)
        self.pin_list.itemSelectionChanged.connect(self._update_actions)
        model.scenarioChanged.connect(self.refresh)
        model.territoriesChanged.connect(self.refresh_pins)
        self.refresh()

    # ---- construction ---------------------------------------------------------------------------
    def _action(self, text: str, slot, tip: str = "", short: str = "") -> QAction:
        a = QAction(text, self)
        a.setIconText(short or text.rstrip("…"))
        a.setToolTip(tip or text.rstrip("…"))
        a.triggered.connect(lambda _checked=False: slot())
        return a

    def _build_actions(self) -> None:
        A = self._action
        self.act_add = A("Add territory layer…", self.add_layer,
                         "Add a territory layer: the accounts a rule chooses, with their own territories", "Add")
        self.act_edit = A("Edit territory layer…", self.edit_layer, "Rename the territory layer or change its rule",
                          "Edit")
        self.act_delete = A("Delete territory layer…", self.delete_layer, short="Delete")
        self.act_up = A("Move up", lambda: self.move_layer(-1), "Earlier in the routing order (takes accounts first)", "▲")
        self.act_down = A("Move down", lambda: self.move_layer(1), "Later in the routing order", "▼")
        self.act_switch = A("Switch to scenario", self.switch_scenario, "Edit this scenario (in its territory layer)", "Switch")
        self.act_promote = A("Promote to live plan", self.promote, "Make the scenario the plan in force of its territory layer",
                             "Promote")
        self.act_pin = A("Pin accounts…", self.pinRequested.emit, "Pin accounts chosen from a list to a territory",
                         "Pin…")
        self.act_unpin = A("Unpin", self.unpin_selected, "Remove the selected pins")
        self.layer_actions = [self.act_add, self.act_edit, self.act_delete, self.act_up, self.act_down]
        self.scenario_actions = [self.act_switch, self.act_promote]

    def _toolbar(self, actions) -> QToolBar:
        return compact_toolbar(self, actions)

    def _build_layout(self) -> None:
        top = QWidget(self)
        lt = QVBoxLayout(top)
        lt.setContentsMargins(0, 0, 0, 0)
        lt.setSpacing(2)
        lt.addWidget(self._toolbar(self.layer_actions + self.scenario_actions))
        lt.addWidget(self.tree)
        bottom = QWidget(self)
        lb = QVBoxLayout(bottom)
        lb.setContentsMargins(0, 4, 0, 0)
        lb.setSpacing(2)
        lb.addWidget(self.pin_title)
        lb.addWidget(self._toolbar([self.act_pin, self.act_unpin]))
        lb.addWidget(self.pin_list)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split)

    # ---- contents -------------------------------------------------------------------------------
    def refresh(self) -> None:
        project = self.model.doc.project
        current = self.current()
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        select = None
        try:
            summaries = layer_summaries(project)
        except TerritoryDeskError as exc:  # a rule that no longer fits the accounts
            self.tree.addTopLevelItem(QTreeWidgetItem([f"Territory layers cannot be evaluated: {exc}"]))
            summaries = []
        for s in summaries:
            item = QTreeWidgetItem([s.label, s.rule or ("every account" if not s.name else "every account left"),
                                    f"{s.accounts:,}"])
            item.setData(0, KIND_ROLE, ("layer", s.name))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, s.description or s.label)
            item.setToolTip(1, s.rule or "")
            if s.kind != "units":
                item.setText(0, f"{s.label} ({s.kind})")
            self.tree.addTopLevelItem(item)
            for name in s.scenarios:
                sc = project.get_scenario(name)
                child = QTreeWidgetItem([name, "live plan" if name == s.live else "", ""])
                child.setData(0, KIND_ROLE, ("scenario", name))
                child.setIcon(0, self._live_icon if name == s.live else self._blank_icon)
                child.setToolTip(0, f"{name}: {len(sc.territories)} territories, {len(sc.pins)} pin(s)"
                                    + (" — the plan in force" if name == s.live else "")
                                    + (" — being edited" if name == project.active else ""))
                if name == s.live:
                    child.setForeground(1, QColor(LIVE_COLOUR))
                if name == project.active:
                    for c in range(3):
                        child.setFont(c, bold)
                item.addChild(child)
                if current == ("scenario", name):
                    select = child
            if current == ("layer", s.name):
                select = item
        self.tree.expandAll()
        if self.tree.columnWidth(0) < 150:
            self.tree.setColumnWidth(0, 170)
        if select is not None:
            self.tree.setCurrentItem(select)
        self.refresh_pins()
        self._update_actions()

    def refresh_pins(self) -> None:
        doc = self.model.doc
        sc = doc.scenario
        rows = pin_rows(doc.project, sc)
        self.pin_title.setText(f"Pinned accounts — {sc.name} ({len(rows)})")
        self.pin_list.clear()
        for r in rows:
            text = f"{r.account_name or '(account gone)'} ({r.account_id}) → {r.territory_name or r.territory_id}"
            item = QListWidgetItem(text + ("  — not counted" if r.stale else ""))
            item.setData(Qt.ItemDataRole.UserRole, r.account_id)
            item.setToolTip("Counted in this territory wherever the account lies" if not r.stale else
                            "The account or the territory no longer exists: this pin does not count")
            self.pin_list.addItem(item)
        self._update_actions()

    def current(self) -> tuple[str, str] | None:
        """("layer", name) or ("scenario", name) of the selected row (None when none, or when what it
        names is gone: the tree is being rebuilt)."""
        item = self.tree.currentItem()
        data = item.data(0, KIND_ROLE) if item is not None else None
        if not data:
            return None
        project = self.model.doc.project
        if data[0] == "scenario" and not any(s.name == data[1] for s in project.scenarios):
            return None
        if data[0] == "layer" and data[1] and not any(l.name == data[1] for l in project.layers):
            return None
        return tuple(data)

    def current_layer(self) -> str | None:
        """Name of the selected layer (or of the selected scenario's layer); None for none."""
        cur = self.current()
        if cur is None:
            return None
        if cur[0] == "layer":
            return cur[1]
        return self.model.doc.project.get_scenario(cur[1]).layer

    def current_scenario(self) -> str | None:
        cur = self.current()
        return cur[1] if cur and cur[0] == "scenario" else None

    def scenario_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for k in range(top.childCount()):
                if top.child(k).data(0, KIND_ROLE) == ("scenario", name):
                    return top.child(k)
        return None

    def layer_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).data(0, KIND_ROLE) == ("layer", name):
                return self.tree.topLevelItem(i)
        return None

    def _update_actions(self) -> None:
        layer = self.current_layer()
        named = bool(layer)
        project = self.model.doc.project
        pos = next((k for k, l in enumerate(project.layers) if named and l.name == layer), -1)
        self.act_edit.setEnabled(named)
        self.act_delete.setEnabled(named)
        self.act_up.setEnabled(pos > 0)
        self.act_down.setEnabled(0 <= pos < len(project.layers) - 1)
        name = self.current_scenario()
        self.act_switch.setEnabled(name is not None and name != project.active)
        live = name is not None and project.get_scenario(name).live
        self.act_promote.setEnabled(name is not None and not live)
        self.act_unpin.setEnabled(bool(self.pin_list.selectedItems()))
        self.act_pin.setEnabled(len(project.accounts) > 0 and bool(self.model.doc.scenario.territories))

    # ---- actions --------------------------------------------------------------------------------
    def _confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def _open(self, dialog, on_accept) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.accepted.connect(lambda: on_accept(dialog.values()))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None) if self.dialog is dialog else None)
        dialog.open()

    def add_layer(self) -> None:
        self._open(TerritoryLayerDialog(self.model.doc.project, None, self, self.current_scenario()),
                   lambda v: self.model.push(AddLayer(v["name"], v["rule"], v["kind"], v["description"],
                                                      v["from_scenario"], v["copy_assignment"])))

    def edit_layer(self) -> None:
        name = self.current_layer()
        if not name:
            return
        layer = find_layer(self.model.doc.project, name)
        self._open(TerritoryLayerDialog(self.model.doc.project, layer, self),
                   lambda v: self.model.push(EditLayer(name, v["name"], v["rule"], v["description"])))

    def delete_layer(self) -> None:
        name = self.current_layer()
        if not name:
            return
        mine = [s.name for s in self.model.doc.project.scenarios if s.layer.casefold() == name.casefold()]
        text = (f"Delete the territory layer {name!r} and its {len(mine)} scenario(s) ({', '.join(mine)})?"
                if mine else f"Delete the territory layer {name!r}?")
        if self._confirm("Delete territory layer", text):
            self.model.push(DeleteLayer(name, with_scenarios=bool(mine)))

    def move_layer(self, step: int) -> None:
        name = self.current_layer()
        layers = self.model.doc.project.layers
        pos = next((k for k, l in enumerate(layers) if l.name == name), -1)
        if pos >= 0 and 0 <= pos + step < len(layers):
            self.model.push(MoveLayer(name, pos + step))

    def switch_scenario(self, name: str | None = None) -> None:
        name = name or self.current_scenario()
        if name and name != self.model.doc.project.active:
            self.model.push(SwitchScenario(name))

    def promote(self, name: str | None = None) -> None:
        name = name or self.current_scenario()
        if name:
            self.model.push(PromoteScenario(name))

    def unpin_selected(self) -> None:
        ids = [it.data(Qt.ItemDataRole.UserRole) for it in self.pin_list.selectedItems()]
        if ids:
            self.model.push(UnpinAccounts(ids))

    def _on_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        data = item.data(0, KIND_ROLE)
        if data and data[0] == "scenario":
            self.switch_scenario(data[1])
        elif data and data[0] == "layer" and data[1]:
            self.edit_layer()
