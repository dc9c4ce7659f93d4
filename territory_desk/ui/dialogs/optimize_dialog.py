"""Tools → Design territories…: what to design (K new territories, or rebalance a scenario), which
metrics to balance (each within its tolerance, or one weighted index), seeds, locks, scope, time.

The dialog only collects options: ``options()`` gives the ``services.optimize.OptimizeOptions``;
ui/areas/optimize.py runs the optimiser.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
    QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QRadioButton, QSpinBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.editing.scenarios import unique_scenario_name
from territory_desk.services.optimize import OptimizeOptions
from territory_desk.ui.dialogs.buttons import ok_cancel

COL_METRIC, COL_TOL, COL_WEIGHT = 0, 1, 2


class OptimizeDialog(QDialog):
    def __init__(self, doc, selection: set[int] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Design territories")
        self.setObjectName("optimizeDialog")
        self.doc = doc
        project = doc.project
        self.selection = sorted(selection or [])
        settings = project.settings or {}
        self.fields = list(doc.fields)
        chosen = [f for f in settings.get("balance_fields") or [] if f in self.fields] or self.fields[:1]
        tol_pct = float(settings.get("tolerance_pct", 5.0))
        self.n_reps = len([r for r in project.reps if r.home_lon is not None and r.home_lat is not None])
        lay = QVBoxLayout(self)
        for group in (self._what_group(), self._balance_group(chosen, tol_pct), self._result_group(),
                      self._error_label(), self._buttons()):
            lay.addWidget(group)
        for sig in (self.mode.buttonToggled, self.bal_mode.buttonToggled, self.seeds.toggled,
                    self.min_disruption.toggled):
            sig.connect(lambda *_: self._update())
        self.source.currentTextChanged.connect(lambda *_: self._update())
        self._update()

    # ---- the groups of the dialog --------------------------------------------------------------------
    def _what_group(self) -> QGroupBox:
        """Design K new territories (or around the reps' homes) or rebalance a scenario; scope; locks."""
        project, doc = self.doc.project, self.doc
        self.design = QRadioButton("Design new territories", objectName="modeDesign")
        self.rebalance = QRadioButton("Rebalance scenario", objectName="modeRebalance")
        self.mode = _exclusive(self, self.design, self.rebalance)
        self.source = QComboBox(objectName="sourceScenario")
        self.source.addItems([s.name for s in project.scenarios])
        self.source.setCurrentText(project.active)
        self.k = QSpinBox(objectName="territoryCount")
        self.k.setRange(1, max(1, len(project.units)))
        self.k.setValue(min(max(len(doc.scenario.territories), 2), len(project.units)))
        self.seeds = QCheckBox(f"Around the home of each rep ({self.n_reps} reps with a home)", objectName="seedsFromReps")
        self.seeds.setEnabled(self.n_reps > 0)
        self.scope = QComboBox(objectName="scope")
        self.scope.addItem("All units", None)
        if self.selection:
            self.scope.addItem(f"Selected units ({len(self.selection)})", "selection")
        for r in doc.scenario.regions:
            self.scope.addItem(f"Region: {r.name}", ("region", r.id))
        self.locks = QCheckBox("Keep locked territories as they are", objectName="respectLocks")
        self.locks.setChecked(True)
        what = QGroupBox("What")
        f = QFormLayout(what)
        f.addRow(self.design)
        f.addRow("Territories:", self.k)
        f.addRow("", self.seeds)
        f.addRow(_row(self.rebalance, (self.source, 1)))
        f.addRow("Scope:", self.scope)
        f.addRow("", self.locks)
        return what

    def _balance_group(self, chosen: list[str], tol_pct: float) -> QGroupBox:
        """Each checked metric within its tolerance, or one weighted index of them."""
        self.each = QRadioButton("Each checked metric within its own tolerance", objectName="balanceEach")
        self.index = QRadioButton("One weighted index of the checked metrics, within", objectName="balanceIndex")
        self.bal_mode = _exclusive(self, self.each, self.index)
        self.index_tol = _pct_box(tol_pct)
        self.index_tol.setObjectName("indexTolerance")
        self.table = self._metric_table(chosen, tol_pct)
        bal = QGroupBox("Balance")
        v = QVBoxLayout(bal)
        v.addWidget(self.each)
        v.addLayout(_row(self.index, self.index_tol, None))
        v.addWidget(self.table)
        return bal

    def _metric_table(self, chosen: list[str], tol_pct: float) -> QTableWidget:
        table = QTableWidget(len(self.fields), 3, objectName="metricTable")
        table.setHorizontalHeaderLabels(["Metric", "Tolerance ±", "Weight"])
        table.verticalHeader().hide()
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setSectionResizeMode(COL_METRIC, QHeaderView.ResizeMode.Stretch)
        for r, name in enumerate(self.fields):
            item = QTableWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            table.setItem(r, COL_METRIC, item)
            table.setCellWidget(r, COL_TOL, _pct_box(tol_pct))
            table.setCellWidget(r, COL_WEIGHT, _number_box(0.0, 100.0, 1.0))
        table.setMinimumHeight(min(32 + 30 * len(self.fields), 220))
        return table

    def _result_group(self) -> QGroupBox:
        """How much a rebalance may disrupt, the time limit, the random seed, the new scenario's name."""
        self.min_disruption = QCheckBox("Move as few accounts as possible", objectName="minDisruption")
        self.min_disruption.setChecked(True)
        self.disruption_weight = _number_box(0.0, 100.0, 1.0)
        self.disruption_weight.setObjectName("disruptionWeight")
        self.disruption_weight.setToolTip("0 = balance only; larger = fewer accounts change territory")
        self.time_limit = QSpinBox(objectName="timeLimit")
        self.time_limit.setRange(1, 3600)
        self.time_limit.setValue(60)
        self.time_limit.setSuffix(" s")
        self.seed = QSpinBox(objectName="randomSeed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        self.name = QLineEdit(objectName="scenarioName")
        run = QGroupBox("Result")
        f = QFormLayout(run)
        f.addRow("Rebalancing:", _row(self.min_disruption, QLabel("weight"), self.disruption_weight, None))
        f.addRow("Time limit:", self.time_limit)
        f.addRow("Random seed:", self.seed)
        f.addRow("New scenario:", self.name)
        return run

    def _error_label(self) -> QLabel:
        self.error = QLabel("", objectName="errorLabel")
        self.error.setStyleSheet("color:#b00020")
        self.error.setWordWrap(True)
        return self.error

    def _buttons(self) -> QDialogButtonBox:
        self.buttons = ok_cancel(self, "Design")
        return self.buttons

    # ---- state -------------------------------------------------------------------------------------
    def _update(self) -> None:
        rebalance = self.rebalance.isChecked()
        self.source.setEnabled(rebalance)
        self.seeds.setEnabled(self.n_reps > 0 and not rebalance)
        self.k.setEnabled(not rebalance and not self.seeds.isChecked())
        if self.seeds.isChecked() and not rebalance:
            self.k.setValue(max(1, min(self.n_reps, self.k.maximum())))
        self.min_disruption.setEnabled(rebalance)
        self.disruption_weight.setEnabled(rebalance and self.min_disruption.isChecked())
        index = self.index.isChecked()
        self.index_tol.setEnabled(index)
        for r in range(self.table.rowCount()):
            self.table.cellWidget(r, COL_TOL).setEnabled(not index)
            self.table.cellWidget(r, COL_WEIGHT).setEnabled(index)
        base = self.source.currentText() if rebalance else self.doc.project.active
        self.name.setPlaceholderText(unique_scenario_name(self.doc.project, f"{base} {'rebalanced' if rebalance else 'optimized'}"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Rebalance" if rebalance else "Design")

    def checked_metrics(self) -> list[int]:
        return [r for r in range(self.table.rowCount())
                if self.table.item(r, COL_METRIC).checkState() == Qt.CheckState.Checked]

    def set_metric(self, name: str, checked: bool = True, tolerance_pct: float | None = None,
                   weight: float | None = None) -> None:
        r = self.fields.index(name)
        self.table.item(r, COL_METRIC).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        if tolerance_pct is not None:
            self.table.cellWidget(r, COL_TOL).setValue(tolerance_pct)
        if weight is not None:
            self.table.cellWidget(r, COL_WEIGHT).setValue(weight)

    def options(self) -> OptimizeOptions:
        rows = self.checked_metrics()
        if not rows:
            raise InputError("check at least one metric to balance")
        names = [self.fields[r] for r in rows]
        o = OptimizeOptions(time_limit=float(self.time_limit.value()), seed=int(self.seed.value()),
                            respect_locks=self.locks.isChecked(),
                            scenario_name=self.name.text().strip() or None)
        if self.index.isChecked():
            o.weights = {n: float(self.table.cellWidget(r, COL_WEIGHT).value()) for n, r in zip(names, rows)}
            if sum(o.weights.values()) <= 0:
                raise InputError("give the index at least one positive weight")
            o.tolerance = self.index_tol.value() / 100.0
        else:
            o.balance = [(n, self.table.cellWidget(r, COL_TOL).value() / 100.0) for n, r in zip(names, rows)]
        scope = self.scope.currentData()
        if scope == "selection":
            o.units = list(self.selection)
        elif isinstance(scope, tuple):
            o.region = scope[1]
        if self.rebalance.isChecked():
            o.source = self.source.currentText()
            o.min_disruption = self.min_disruption.isChecked()
            o.disruption_weight = float(self.disruption_weight.value())
        else:
            o.territories = int(self.k.value())
            if self.seeds.isChecked():
                o.seeds, o.territories = "reps", None
        return o

    def accept(self) -> None:
        try:
            self.options()
        except InputError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


def _exclusive(parent: QWidget, *buttons: QRadioButton) -> QButtonGroup:
    """The radio buttons as one exclusive group, the first one checked."""
    group = QButtonGroup(parent)
    for b in buttons:
        group.addButton(b)
    buttons[0].setChecked(True)
    return group


def _row(*items) -> QHBoxLayout:
    """A horizontal row of widgets; ``(widget, stretch)`` stretches one, ``None`` adds a stretch."""
    row = QHBoxLayout()
    for item in items:
        if item is None:
            row.addStretch(1)
        elif isinstance(item, tuple):
            row.addWidget(*item)
        else:
            row.addWidget(item)
    return row


def _number_box(lo: float, hi: float, value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(2)
    box.setValue(value)
    return box


def _pct_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.1, 50.0)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(" %")
    box.setValue(value)
    return box
