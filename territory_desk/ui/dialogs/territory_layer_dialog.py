"""Dialogs of territory layers: add or edit a territory layer with its account rule checked while
it is typed, and choose accounts to pin from a searchable list.

Both are opened with ``open()`` (window-modal, not blocking) and read with ``values()`` once
accepted, so tests drive them with real keys and clicks.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel,
    QLineEdit, QTableView, QVBoxLayout, QWidget,
)

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.territory_layers import LAYER_KINDS
from territory_desk.domain.stats.kinds import account_territories
from territory_desk.domain.stats.membership import counted_accounts
from territory_desk.services.territory_layers import rule_preview
from territory_desk.ui.dialogs.buttons import ok_cancel

RULE_HELP = ("Accounts go to the first territory layer whose rule they match. Examples: <tt>employees &gt;= 1000</tt>, "
             "<tt>industry in (Healthcare, Finance) and state != TX</tt>, <tt>name contains \"corp\"</tt>. "
             "An empty rule takes every account left.")
NO_SOURCE = "(no territories)"


class TerritoryLayerDialog(QDialog):
    """Add a territory layer (``layer`` None) or edit one. ``values()``: name, rule, description, and for a new
    layer kind, from_scenario (None = start empty) and copy_assignment."""

    def __init__(self, project, layer=None, parent: QWidget | None = None, source: str | None = None):
        super().__init__(parent)
        self.project, self.layer = project, layer
        self.setObjectName("layerDialog")
        self.setWindowTitle("Edit territory layer" if layer else "Add territory layer")
        self.setMinimumWidth(460)
        self.name = QLineEdit(layer.name if layer else "", self)
        self.name.setObjectName("layerName")
        self.name.setPlaceholderText("e.g. Enterprise")
        self.rule = QLineEdit(layer.rule if layer else "", self)
        self.rule.setObjectName("layerRule")
        self.rule.setPlaceholderText("e.g. employees >= 1000")
        self.rule_status = QLabel(self)
        self.rule_status.setObjectName("ruleStatus")
        self.rule_status.setWordWrap(True)
        self.description = QLineEdit(layer.description if layer else "", self)
        help_label = QLabel(RULE_HELP, self)
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color:#555")
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Account rule:", self.rule)
        form.addRow("", self.rule_status)
        form.addRow("Description:", self.description)
        self.kind = self.source = self.copy_assignment = None
        if layer is None:
            self.kind = QComboBox(self)
            self.kind.addItems(list(LAYER_KINDS))
            self.source = QComboBox(self)
            self.source.setObjectName("layerSource")
            self.source.addItems([NO_SOURCE] + [s.name for s in project.scenarios])
            self.source.setCurrentText(source or project.active)
            self.copy_assignment = QCheckBox("Copy the assignment of units too", self)
            self.copy_assignment.setChecked(True)
            form.addRow("Territories:", self.kind)
            form.addRow("Start from:", self.source)
            form.addRow("", self.copy_assignment)
            self.source.currentTextChanged.connect(
                lambda text: self.copy_assignment.setEnabled(text != NO_SOURCE))
        self.buttons = ok_cancel(self)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(help_label)
        lay.addWidget(self.buttons)
        self._timer = QTimer(self, singleShot=True, interval=150, timeout=self.validate)
        self.rule.textChanged.connect(lambda _t: self._timer.start())
        self.name.textChanged.connect(lambda _t: self.validate())
        self.validate()

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.Ok)

    def validate(self) -> bool:
        """Check the name and the rule now; shows how many accounts the rule routes."""
        self._timer.stop()
        n = len(self.project.accounts)
        ok, text, bad = True, "", False
        try:
            matched, routed = rule_preview(self.project, self.rule.text(), self.layer.name if self.layer else None)
            text = f"routes {routed:,} of {n:,} accounts"
            if matched != routed:
                text += f" ({matched - routed:,} more match but an earlier territory layer takes them)"
        except InputError as exc:
            ok, bad, text = False, True, str(exc)
        name = self.name.text().strip()
        if not name:
            ok = False
        elif any(l.name.casefold() == name.casefold() and l is not self.layer for l in self.project.layers):
            ok, bad, text = False, True, f"a territory layer named {name!r} exists already"
        self.rule_status.setText(text)
        self.rule_status.setStyleSheet("color:#b00020" if bad else "color:#1b5e20")
        self.ok_button.setEnabled(ok)
        return ok

    def accept(self) -> None:
        if self.validate():
            super().accept()

    def values(self) -> dict:
        out = {"name": self.name.text().strip(), "rule": self.rule.text().strip(),
               "description": self.description.text().strip()}
        if self.layer is None:
            src = self.source.currentText()
            out.update(kind=self.kind.currentText(), from_scenario=None if src == NO_SOURCE else src,
                       copy_assignment=self.copy_assignment.isChecked())
        return out


class _AccountModel(QAbstractTableModel):
    HEADERS = ("Id", "Name", "Counted in", "Pinned to")

    def __init__(self, rows: list[tuple[str, str, str, str]], parent=None):
        super().__init__(parent)
        self.all = rows
        self._folded = [(r[0] + "\t" + r[1]).casefold() for r in rows]
        self.visible = list(range(len(rows)))

    def set_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self.beginResetModel()
        self.visible = [i for i, f in enumerate(self._folded) if needle in f] if needle else list(range(len(self.all)))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.visible)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def data(self, index, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and index.isValid():
            return self.all[self.visible[index.row()]][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None


class PinDialog(QDialog):
    """Choose accounts (search by id or name; several with Ctrl/Shift) and the territory to pin them
    to. Only the accounts the scenario's territory layer counts are listed. ``values()``: (account ids, territory id)."""

    def __init__(self, project, scenario, territory: int = 0, picked: list[int] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle(f"Pin accounts — {scenario.name}")
        self.resize(620, 520)
        acc = project.accounts
        where = account_territories(project, scenario)
        counted = counted_accounts(project, scenario)
        names = [t.name for t in scenario.territories]
        terr_name = {t.id: t.name for t in scenario.territories}
        self.rows_index = [i for i in range(len(acc)) if counted[i]]
        rows = [(acc.ids[i], acc.names[i], names[where[i]] if where[i] >= 0 else "—",
                 terr_name.get(scenario.pins.get(acc.ids[i], ""), "")) for i in self.rows_index]
        self.search = QLineEdit(self)
        self.search.setObjectName("accountSearch")
        self.search.setPlaceholderText("Search accounts by id or name…")
        self.search.setClearButtonEnabled(True)
        self.model = _AccountModel(rows, self)
        self.table = QTableView(self)
        self.table.setObjectName("accountTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.territory = QComboBox(self)
        self.territory.setObjectName("pinTerritory")
        for t in scenario.territories:
            self.territory.addItem(f"{t.name} ({t.id})", t.id)
        if 0 <= territory < len(scenario.territories):
            self.territory.setCurrentIndex(territory)
        self.count = QLabel(self)
        self.buttons = ok_cancel(self, "Pin")
        form = QFormLayout()
        form.addRow("Pin to territory:", self.territory)
        lay = QVBoxLayout(self)
        lay.addWidget(self.search)
        lay.addWidget(self.table)
        lay.addWidget(self.count)
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self.search.textChanged.connect(self._filter)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        if picked:
            self._select([self.rows_index.index(i) for i in picked if i in self.rows_index])
        self._update()

    def _select(self, rows: list[int]) -> None:
        sm = self.table.selectionModel()
        for r in rows:
            sm.select(self.model.index(self.model.visible.index(r), 0),
                      sm.SelectionFlag.Select | sm.SelectionFlag.Rows)

    def _filter(self, text: str) -> None:
        self.model.set_filter(text)
        self._update()

    def selected_ids(self) -> list[str]:
        rows = sorted({ix.row() for ix in self.table.selectionModel().selectedRows()})
        return [self.model.all[self.model.visible[r]][0] for r in rows]

    def _update(self) -> None:
        n = len(self.selected_ids())
        self.count.setText(f"{len(self.model.visible):,} account(s) listed · {n:,} selected")
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(n > 0 and self.territory.count() > 0)

    def values(self) -> tuple[list[str], str]:
        return self.selected_ids(), self.territory.currentData()
