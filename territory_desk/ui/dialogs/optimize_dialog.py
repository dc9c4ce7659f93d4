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
from territory_desk.domain.editing.territories import unique_scenario_name
from territory_desk.services.optimize import OptimizeOptions

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

        # -- what
        self.design = QRadioButton("Design new territories")
        self.design.setObjectName("modeDesign")
        self.rebalance = QRadioButton("Rebalance scenario")
        self.rebalance.setObjectName("modeRebalance")
        self.mode = QButtonGroup(self)
        for b in (self.design, self.rebalance):
            self.mode.addButton(b)
        self.design.setChecked(True)
        self.source = QComboBox()
        self.source.setObjectName("sourceScenario")
        self.source.addItems([s.name for s in project.scenarios])
        self.source.setCurrentText(project.active)
        self.k = QSpinBox()
        self.k.setObjectName("territoryCount")
        self.k.setRange(1, max(1, len(project.units)))
        self.k.setValue(min(max(len(doc.scenario.territories), 2), len(project.units)))
        self.seeds = QCheckBox(f"Around the home of each rep ({self.n_reps} reps with a home)")
        self.seeds.setObjectName("seedsFromReps")
        self.seeds.setEnabled(self.n_reps > 0)
        self.scope = QComboBox()
        self.scope.setObjectName("scope")
        self.scope.addItem("All units", None)
        if self.selection:
            self.scope.addItem(f"Selected units ({len(self.selection)})", "selection")
        for r in doc.scenario.regions:
            self.scope.addItem(f"Region: {r.name}", ("region", r.id))
        self.locks = QCheckBox("Keep locked territories as they are")
        self.locks.setObjectName("respectLocks")
        self.locks.setChecked(True)
        what = QGroupBox("What")
        f = QFormLayout(what)
        row = QHBoxLayout()
        row.addWidget(self.rebalance)
        row.addWidget(self.source, 1)
        f.addRow(self.design)
        f.addRow("Territories:", self.k)
        f.addRow("", self.seeds)
        f.addRow(row)
        f.addRow("Scope:", self.scope)
        f.addRow("", self.locks)

        # -- balance
        self.each = QRadioButton("Each checked metric within its own tolerance")
        self.each.setObjectName("balanceEach")
        self.index = QRadioButton("One weighted index of the checked metrics, within")
        self.index.setObjectName("balanceIndex")
        self.bal_mode = QButtonGroup(self)
        for b in (self.each, self.index):
            self.bal_mode.addButton(b)
        self.each.setChecked(True)
        self.index_tol = _pct_box(tol_pct)
        self.index_tol.setObjectName("indexTolerance")
        self.table = QTableWidget(len(self.fields), 3)
        self.table.setObjectName("metricTable")
        self.table.setHorizontalHeaderLabels(["Metric", "Tolerance ±", "Weight"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(COL_METRIC, QHeaderView.ResizeMode.Stretch)
        for r, name in enumerate(self.fields):
            item = QTableWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.table.setItem(r, COL_METRIC, item)
            self.table.setCellWidget(r, COL_TOL, _pct_box(tol_pct))
            w = QDoubleSpinBox()
            w.setRange(0.0, 100.0)
            w.setDecimals(2)
            w.setValue(1.0)
            self.table.setCellWidget(r, COL_WEIGHT, w)
        self.table.setMinimumHeight(min(32 + 30 * len(self.fields), 220))
        bal = QGroupBox("Balance")
        v = QVBoxLayout(bal)
        v.addWidget(self.each)
        row = QHBoxLayout()
        row.addWidget(self.index)
        row.addWidget(self.index_tol)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.table)

        # -- rebalance, run
        self.min_disruption = QCheckBox("Move as few accounts as possible")
        self.min_disruption.setObjectName("minDisruption")
        self.min_disruption.setChecked(True)
        self.disruption_weight = QDoubleSpinBox()
        self.disruption_weight.setObjectName("disruptionWeight")
        self.disruption_weight.setRange(0.0, 100.0)
        self.disruption_weight.setValue(1.0)
        self.disruption_weight.setToolTip("0 = balance only; larger = fewer accounts change territory")
        self.time_limit = QSpinBox()
        self.time_limit.setObjectName("timeLimit")
        self.time_limit.setRange(1, 3600)
        self.time_limit.setValue(60)
        self.time_limit.setSuffix(" s")
        self.seed = QSpinBox()
        self.seed.setObjectName("randomSeed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        self.name = QLineEdit()
        self.name.setObjectName("scenarioName")
        run = QGroupBox("Result")
        f2 = QFormLayout(run)
        row = QHBoxLayout()
        row.addWidget(self.min_disruption)
        row.addWidget(QLabel("weight"))
        row.addWidget(self.disruption_weight)
        row.addStretch(1)
        f2.addRow("Rebalancing:", row)
        f2.addRow("Time limit:", self.time_limit)
        f2.addRow("Random seed:", self.seed)
        f2.addRow("New scenario:", self.name)

        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setStyleSheet("color:#b00020")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Design")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for w_ in (what, bal, run, self.error, self.buttons):
            lay.addWidget(w_)
        for sig in (self.mode.buttonToggled, self.bal_mode.buttonToggled, self.seeds.toggled,
                    self.min_disruption.toggled):
            sig.connect(lambda *_: self._update())
        self.source.currentTextChanged.connect(lambda *_: self._update())
        self._update()

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


def _pct_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.1, 50.0)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(" %")
    box.setValue(value)
    return box
