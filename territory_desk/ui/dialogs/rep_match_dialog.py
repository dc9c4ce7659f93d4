"""Territories → Suggest reps…: weights of the five match components, the optimal plan (territory,
current rep, suggested rep, score), the score breakdown of the selected row, the total score now
vs proposed, and Apply (one undo step, pushed by ui/areas/reps.py).

The plan is recomputed whenever a weight or a Keep box changes (milliseconds on hundreds of
territories). Locked territories keep their rep and show ticked Keep boxes that cannot be cleared.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QDoubleSpinBox, QGridLayout, QGroupBox, QHeaderView, QLabel,
    QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.reps.matching import COMPONENTS, DEFAULT_WEIGHTS, LABELS, MatchOptions, default_weights, match_reps
from territory_desk.services.reps import apply_command, breakdown, status

COL_KEEP, COL_TERRITORY, COL_CURRENT, COL_SUGGESTED, COL_SCORE, COL_STATUS = range(6)
CHANGED = QColor(255, 213, 79, 70)
TIPS = {
    "industry": "Share of the territory's accounts in the rep's industries",
    "language": "Share of the territory's accounts (with a stated language) in a language the rep speaks",
    "experience": "Senior reps for high-potential territories, juniors for smaller ones",
    "distance": "Mean distance from the rep's home to the territory's accounts",
    "capacity": "Workload of the territory vs the rep's capacity (overload costs most)",
}


class RepMatchDialog(QDialog):
    def __init__(self, model, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Suggest reps")
        self.setObjectName("repMatchDialog")
        self.model = model
        self.doc = model.doc
        self.match = None
        try:
            saved = default_weights(self.doc.project)
        except TerritoryDeskError:  # damaged settings: start from the defaults
            saved = dict(DEFAULT_WEIGHTS)
        self.keep: set[str] = set()

        box = QGroupBox("Weights (0 switches a component off)", self)
        grid = QGridLayout(box)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for i, key in enumerate(COMPONENTS):
            spin = QDoubleSpinBox(box)
            spin.setObjectName(f"weight_{key}")
            spin.setRange(0.0, 100.0)
            spin.setSingleStep(0.5)
            spin.setDecimals(1)
            spin.setValue(float(saved[key]))
            spin.setToolTip(TIPS[key])
            label = QLabel(LABELS[key], box)
            label.setToolTip(TIPS[key])
            grid.addWidget(label, 0, i)
            grid.addWidget(spin, 1, i)
            spin.valueChanged.connect(lambda _v: self.recompute())
            self.spins[key] = spin

        self.plan = QTableWidget(0, 6, self)
        self.plan.setObjectName("planTable")
        self.plan.setHorizontalHeaderLabels(["Keep", "Territory", "Current rep", "Suggested rep", "Score", ""])
        self.plan.horizontalHeaderItem(COL_KEEP).setToolTip("Keep the current rep (locked territories always do)")
        self.breakdown = QTableWidget(len(COMPONENTS), 5, self)
        self.breakdown.setObjectName("breakdownTable")
        self.breakdown.setHorizontalHeaderLabels(["Component", "Weight", "Suggested", "Current", "Why (suggested rep)"])
        for t in (self.plan, self.breakdown):
            t.setEditTriggers(QAbstractItemView.NoEditTriggers)
            t.setSelectionBehavior(QAbstractItemView.SelectRows)
            t.setSelectionMode(QAbstractItemView.SingleSelection)
            t.verticalHeader().hide()
            t.setAlternatingRowColors(True)
            t.setWordWrap(False)
            t.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
            t.horizontalHeader().setStretchLastSection(True)
        self.plan.horizontalHeader().setSectionResizeMode(COL_TERRITORY, QHeaderView.Stretch)
        self.plan.horizontalHeader().setStretchLastSection(False)
        self.breakdown.setWordWrap(True)  # the "why" texts are read in full
        self.breakdown.horizontalHeader().setSectionResizeMode(4, QHeaderView.Stretch)
        self.breakdown.setMinimumHeight(self.breakdown.verticalHeader().defaultSectionSize() * 6 + 4)
        self.caption = QLabel(self)
        self.caption.setObjectName("breakdownCaption")
        lower = QWidget(self)
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.caption)
        ll.addWidget(self.breakdown, 1)
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(self.plan)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)

        self.total = QLabel(self)
        self.total.setObjectName("totalLabel")
        self.total.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("errorLabel")
        self.error.setStyleSheet("color:#d64541")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel, self)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.AcceptRole)
        self.apply_button.setObjectName("applyButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Scenario <b>{html.escape(self.doc.scenario.name)}</b>: the best rep for every territory, "
                             "one rep per territory.", self))
        lay.addWidget(box)
        lay.addWidget(split, 1)
        lay.addWidget(self.total)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.plan.itemChanged.connect(self._on_item_changed)
        self.plan.currentCellChanged.connect(lambda row, *_: self.show_breakdown(row))
        self.resize(860, 640)
        self.recompute()
        if self.plan.rowCount():
            self.plan.setCurrentCell(0, COL_TERRITORY)

    # ---- public -------------------------------------------------------------------------------------
    def weights(self) -> dict[str, float]:
        return {k: float(s.value()) for k, s in self.spins.items()}

    def command(self):
        """The undoable command putting the plan in force (None when nothing changes)."""
        if self.match is None or not self.match.changes():
            return None
        return apply_command(self.match)

    def recompute(self) -> None:
        options = MatchOptions(weights=self.weights(), keep=tuple(sorted(self.keep)))
        try:
            self.match = match_reps(self.doc.project, self.doc.scenario, options, stats=self.doc.stats())
        except TerritoryDeskError as exc:
            self.match = None
            self.error.setText(str(exc))
            self.apply_button.setEnabled(False)
            self.total.setText("")
            return
        self.error.setText("")
        self._fill_plan()
        res = self.match
        n = len(res.changes())
        text = (f"Total score: now <b>{res.current_total:.2f}</b>, suggested <b>{res.total:.2f}</b> "
                f"({res.total - res.current_total:+.2f}) · {n} territor{'y changes' if n == 1 else 'ies change'} rep")
        if res.unmatched_reps():
            text += " · without a territory: " + ", ".join(res.reps[r].name for r in res.unmatched_reps())
        if res.unmatched_territories():
            text += " · without a rep: " + ", ".join(res.territories[t].name for t in res.unmatched_territories())
        self.total.setText(text)
        self.apply_button.setEnabled(n > 0)
        self.show_breakdown(self.plan.currentRow())

    # ---- tables -------------------------------------------------------------------------------------
    def _fill_plan(self) -> None:
        res, t = self.match, self.plan
        t.blockSignals(True)
        t.setRowCount(len(res.territories))
        bold = QFont(self.font())
        bold.setBold(True)
        for i, terr in enumerate(res.territories):
            r, c = int(res.plan[i]), int(res.current[i])
            keep = QTableWidgetItem()
            keep.setFlags(Qt.ItemIsUserCheckable | (Qt.NoItemFlags if terr.locked else Qt.ItemIsEnabled)
                          | Qt.ItemIsSelectable)
            keep.setCheckState(Qt.Checked if res.kept[i] else Qt.Unchecked)
            keep.setToolTip("Locked territory: keeps its rep" if terr.locked else "Keep the current rep")
            st = status(res, i)
            cells = [keep, QTableWidgetItem(terr.name), QTableWidgetItem(res.reps[c].name if c >= 0 else "–"),
                     QTableWidgetItem(res.reps[r].name if r >= 0 else "–"),
                     QTableWidgetItem(f"{res.score[r, i]:.2f}" if r >= 0 else "–"), QTableWidgetItem(st)]
            cells[COL_SCORE].setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            if st == "changed":
                cells[COL_SUGGESTED].setFont(bold)
                for item in cells[1:]:
                    item.setBackground(QBrush(CHANGED))
                gain = res.score[r, i] - (res.score[c, i] if c >= 0 else 0.0)
                cells[COL_SCORE].setToolTip(f"{gain:+.2f} against the current rep")
            for col, item in enumerate(cells):
                if col != COL_KEEP:
                    item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                t.setItem(i, col, item)
        t.blockSignals(False)

    def show_breakdown(self, row: int) -> None:
        res, b = self.match, self.breakdown
        if res is None or not (0 <= row < len(res.territories)):
            self.caption.setText("")
            b.clearContents()
            return
        r, c = int(res.plan[row]), int(res.current[row])
        terr = res.territories[row]
        who = res.reps[r].name if r >= 0 else "no rep"
        self.caption.setText(f"<b>{html.escape(terr.name)}</b>: suggested {html.escape(who)}"
                             + (f", now {html.escape(res.reps[c].name)}" if c >= 0 and c != r else "")
                             + "  <span style='color:#777'>(* no data: neutral 0.50)</span>")
        new = breakdown(res, r, row) if r >= 0 else []
        old = breakdown(res, c, row) if c >= 0 else []
        for k, key in enumerate(COMPONENTS):
            n = new[k] if new else None
            o = old[k] if old else None
            cells = [LABELS[key], f"{res.weights[key]:g}",
                     "–" if n is None else f"{n.score:.2f}" + ("" if n.has_data else " *"),
                     "–" if o is None else f"{o.score:.2f}" + ("" if o.has_data else " *"),
                     n.detail if n is not None else (o.detail if o is not None else "")]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2, 3):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if col == 4:
                    item.setToolTip(text + (f"\nNow: {o.detail}" if o is not None and n is not None and c != r else ""))
                if res.weights[key] == 0:
                    item.setForeground(QBrush(QColor("#999999")))
                b.setItem(k, col, item)
        b.resizeRowsToContents()

    def _on_item_changed(self, item) -> None:
        if item.column() != COL_KEEP or self.match is None:
            return
        terr = self.match.territories[item.row()]
        if item.checkState() == Qt.Checked:
            self.keep.add(terr.id)
        else:
            self.keep.discard(terr.id)
        row = item.row()
        self.recompute()
        self.plan.setCurrentCell(row, COL_TERRITORY)
