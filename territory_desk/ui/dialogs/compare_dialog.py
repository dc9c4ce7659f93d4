"""Scenarios → Compare scenarios…: two scenarios side by side.

The dialog (not modal: the map stays usable) shows the disruption figures and the per-territory
changes of a chosen measure (sortable); the main canvas shows the diff map (``DiffOverlay``: the
units that change territory, hatched in their territory's colour in B) for as long as the dialog
is open. "Export CSV…" writes the comparison; "Promote B to live plan" makes B the plan in force.
The comparison follows edits (recomputed shortly after each change).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
    QPushButton, QTableView, QVBoxLayout,
)

from territory_desk.domain.editing.changes import ChangeKind
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.compare import COMPACTNESS, Comparison, compare
from territory_desk.domain.editing.territory_layers import PromoteScenario
from territory_desk.domain.model.territory_layers import layer_label, live_scenario
from territory_desk.io.output_files import write_text
from territory_desk.services import compare as svc
from territory_desk.ui.canvas.overlays.diff import DiffOverlay

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ["Territory", "Status", "Rep A → B", "A", "B", "Change", "Change %"]
RECOMPUTE_MS = 250
UP, DOWN = QColor("#1b5e20"), QColor("#b00020")
STATUS = {"both": "", "added": "new in B", "removed": "not in B"}


def _number_item(value: float | None, text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setData(float("-inf") if value is None else float(value), SORT_ROLE)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setEditable(False)
    return item


def _text_item(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setData(text.casefold(), SORT_ROLE)
    item.setEditable(False)
    return item


def _fmt(value: float, measure: str) -> str:
    return f"{value:,.3f}" if measure == COMPACTNESS else f"{value:,.0f}"


class CompareDialog(QDialog):
    def __init__(self, window, a: str | None = None, b: str | None = None):
        super().__init__(window)
        self.window = window
        self.model = window.model
        self.setObjectName("compareDialog")
        self.setWindowTitle("Compare scenarios")
        self.setModal(False)
        self.resize(760, 640)
        self.comparison: Comparison | None = None
        self.data: dict | None = None
        self.overlay: DiffOverlay | None = None
        project = self.model.doc.project
        names = [s.name for s in project.scenarios]
        self.combo_a, self.combo_b = QComboBox(self), QComboBox(self)
        self.combo_a.setObjectName("scenarioA")
        self.combo_b.setObjectName("scenarioB")
        for combo in (self.combo_a, self.combo_b):
            combo.addItems(names)
        default_a, default_b = self._defaults(project)
        self.combo_a.setCurrentText(a or default_a)
        self.combo_b.setCurrentText(b or default_b)
        self.summary = QLabel(self)
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight:600")
        self.disruption_box = QGroupBox("Disruption (A → B)", self)
        self.disruption_grid = QGridLayout(self.disruption_box)
        self.measure = QComboBox(self)
        self.measure.setObjectName("compareMeasure")
        self.table_model = QStandardItemModel(0, len(COLUMNS), self)
        self.table_model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("compareTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS)):
            head.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.btn_zoom = QPushButton("Zoom to changes", self)
        self.btn_export = QPushButton("Export CSV…", self)
        self.btn_export.setObjectName("exportCsv")
        self.btn_promote = QPushButton("Promote B to live plan", self)
        self.btn_promote.setObjectName("promoteB")
        self.btn_close = QPushButton("Close", self)
        self._build_layout()
        self._timer = QTimer(self, singleShot=True, interval=RECOMPUTE_MS, timeout=self.recompute)
        self.combo_a.currentIndexChanged.connect(lambda _i: self.recompute())
        self.combo_b.currentIndexChanged.connect(lambda _i: self.recompute())
        self.measure.currentIndexChanged.connect(lambda _i: self._fill_table())
        self.btn_zoom.clicked.connect(self.zoom_to_changes)
        self.btn_export.clicked.connect(self.export_csv)
        self.btn_promote.clicked.connect(self.promote_b)
        self.btn_close.clicked.connect(self.close)
        self.model.changed.connect(self._on_doc_changed)
        self.finished.connect(lambda _r: self._remove_overlay())
        self.recompute()

    @staticmethod
    def _defaults(project) -> tuple[str, str]:
        """A: the live plan of the active scenario's layer; B: the active scenario, or else another
        scenario of the same layer."""
        active = project.scenario
        live = live_scenario(project, active.layer) or active
        if live is not active:
            return live.name, active.name
        same = [s for s in project.scenarios if s.layer == active.layer and s is not active]
        other = same[0] if same else next((s for s in project.scenarios if s is not active), active)
        return active.name, other.name

    def _build_layout(self) -> None:
        pick = QHBoxLayout()
        pick.addWidget(QLabel("A (from):", self))
        pick.addWidget(self.combo_a, 1)
        pick.addSpacing(12)
        pick.addWidget(QLabel("B (to):", self))
        pick.addWidget(self.combo_b, 1)
        legend = QLabel("On the map: units that change territory are hatched in the colour of their territory "
                        "in B (grey: unassigned in B).", self)
        legend.setWordWrap(True)
        legend.setStyleSheet("color:#555")
        metric = QHBoxLayout()
        metric.addWidget(QLabel("Per territory:", self))
        metric.addWidget(self.measure, 1)
        buttons = QHBoxLayout()
        for b in (self.btn_zoom, self.btn_export, self.btn_promote):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.btn_close)
        lay = QVBoxLayout(self)
        lay.addLayout(pick)
        lay.addWidget(self.summary)
        lay.addWidget(legend)
        lay.addWidget(self.disruption_box)
        lay.addLayout(metric)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)

    # ---- computing ------------------------------------------------------------------------------
    def _on_doc_changed(self, change) -> None:
        if not self.isVisible():
            return
        if change.kind == ChangeKind.SCENARIO:
            self._refill_names()
        self._timer.start()

    def _refill_names(self) -> None:
        names = [s.name for s in self.model.doc.project.scenarios]
        for combo in (self.combo_a, self.combo_b):
            current = combo.currentText()
            if [combo.itemText(i) for i in range(combo.count())] != names:
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(names)
                combo.setCurrentText(current if current in names else names[0])
                combo.blockSignals(False)

    def recompute(self) -> None:
        self._timer.stop()
        project = self.model.doc.project
        a, b = self.combo_a.currentText(), self.combo_b.currentText()
        try:
            self.comparison = cmp = compare(project, a, b)
            self.data = svc.comparison_dict(project, cmp)
        except TerritoryDeskError as exc:
            self.comparison = self.data = None
            self.summary.setText(str(exc))
            self._remove_overlay()
            return
        d = cmp.disruption.units_territory
        sa, sb = project.get_scenario(a), project.get_scenario(b)
        layers = "" if sa.layer == sb.layer else (f" — note: A is in the territory layer {layer_label(sa.layer)!r} "
                                                  f"and B in {layer_label(sb.layer)!r}")
        self.summary.setText(f"{len(cmp.changed_units):,} unit{'s' * (len(cmp.changed_units) != 1)} change "
                             f"territory ({svc.pct_text(d.pct)} of {int(d.total):,}){layers}")
        self._fill_disruption()
        self._fill_measures()
        self._fill_table()
        self._show_overlay()
        self.btn_promote.setText(f"Promote {b} to live plan")
        self.btn_promote.setEnabled(not sb.live)
        self.btn_zoom.setEnabled(len(cmp.changed_units) > 0)

    def _fill_disruption(self) -> None:
        grid = self.disruption_grid
        while grid.count():
            w = grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for c, text in enumerate(["", "Changed", "of total", "%"]):
            label = QLabel(f"<b>{text}</b>", self.disruption_box)
            grid.addWidget(label, 0, c, alignment=Qt.AlignmentFlag.AlignRight if c else Qt.AlignmentFlag.AlignLeft)
        for r, (key, label, share) in enumerate(svc.disruption_rows(self.comparison), start=1):
            whole = float(share.changed).is_integer() and float(share.total).is_integer()
            fmt = "{:,.0f}" if whole else "{:,.2f}"
            cells = [label, fmt.format(share.changed), fmt.format(share.total), svc.pct_text(share.pct)]
            for c, text in enumerate(cells):
                w = QLabel(text, self.disruption_box)
                w.setObjectName(f"disruption_{key}_{c}")
                grid.addWidget(w, r, c, alignment=Qt.AlignmentFlag.AlignRight if c else Qt.AlignmentFlag.AlignLeft)

    def _fill_measures(self) -> None:
        labels = svc.measure_labels(self.model.doc.project, self.comparison)
        keys = list(self.comparison.measures)
        current = self.measure.currentData()
        if [self.measure.itemData(i) for i in range(self.measure.count())] != keys:
            self.measure.blockSignals(True)
            self.measure.clear()
            for k in keys:
                self.measure.addItem(labels[k], k)
            default = current if current in keys else ("accounts" if "accounts" in keys else keys[0])
            self.measure.setCurrentIndex(keys.index(default))
            self.measure.blockSignals(False)

    def _fill_table(self) -> None:
        if self.comparison is None:
            return
        key = self.measure.currentData()
        k = self.comparison.measure_index(key)
        sort_col, order = self.proxy.sortColumn(), self.table.horizontalHeader().sortIndicatorOrder()
        self.table_model.removeRows(0, self.table_model.rowCount())
        reps = {r.id: r.name for r in self.model.doc.project.reps}
        for t in self.comparison.territories:
            a, b = float(t.a[k]), float(t.b[k])
            change, pct = b - a, float(t.change_pct[k])
            rep = f"{reps.get(t.rep_a, t.rep_a or '—')} → {reps.get(t.rep_b, t.rep_b or '—')}" \
                if t.rep_a != t.rep_b else reps.get(t.rep_a, t.rep_a or "—")
            change_item = _number_item(change, ("+" if change > 0 else "") + _fmt(change, key))
            pct_text = "—" if pct != pct else ("0.0 %" if round(pct, 1) == 0 else f"{pct:+.1f} %")
            pct_item = _number_item(None if pct != pct else pct, pct_text)
            for item in (change_item, pct_item):
                if change:
                    item.setForeground(UP if change > 0 else DOWN)
            self.table_model.appendRow([_text_item(t.name), _text_item(STATUS[t.status]), _text_item(rep),
                                        _number_item(a, _fmt(a, key)), _number_item(b, _fmt(b, key)),
                                        change_item, pct_item])
        if sort_col >= 0:
            self.table.sortByColumn(sort_col, order)

    # ---- the diff map ---------------------------------------------------------------------------
    def _show_overlay(self) -> None:
        canvas = self.window.canvas
        self._remove_overlay()
        cmp = self.comparison
        if canvas is None or cmp is None:
            return
        b = self.model.doc.project.get_scenario(cmp.b)
        colors = [b.territories[t].color if t >= 0 else "" for t in cmp.unit_b[cmp.changed_units].tolist()]
        self.overlay = DiffOverlay(canvas, cmp.changed_units, colors)
        canvas.add_overlay(self.overlay)

    def _remove_overlay(self) -> None:
        if self.overlay is not None:
            canvas = self.overlay.canvas
            try:
                canvas.remove_overlay(self.overlay)
            except RuntimeError:  # the canvas is gone with its document
                pass
            self.overlay = None

    def zoom_to_changes(self) -> None:
        if self.comparison is not None and len(self.comparison.changed_units) and self.window.canvas is not None:
            self.window.canvas.zoom_to_units(self.comparison.changed_units)

    # ---- actions --------------------------------------------------------------------------------
    def _ask_save_path(self, default: str) -> str:
        """Where to write the CSV (tests replace this)."""
        return QFileDialog.getSaveFileName(self, "Export comparison", default, "CSV files (*.csv)")[0]

    def export_csv(self) -> str | None:
        if self.data is None:
            return None
        doc_path = self.model.doc.path
        folder = os.path.dirname(doc_path) if doc_path else os.getcwd()
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{self.data['a']}_vs_{self.data['b']}")
        path = self._ask_save_path(os.path.join(folder, f"compare_{safe}.csv"))
        if not path:
            return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        try:
            write_text(path, svc.comparison_csv(self.data), doc_path)
        except (TerritoryDeskError, OSError) as exc:
            self.window.show_message(f"Could not export: {exc}")
            return None
        self.window.show_message(f"Comparison written to {path}")
        return path

    def promote_b(self) -> None:
        if self.comparison is not None:
            self.model.push(PromoteScenario(self.comparison.b))

    def closeEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        self._remove_overlay()
        self._timer.stop()
        super().closeEvent(ev)
