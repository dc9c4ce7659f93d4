"""Tools → Review periods…: compare the KPIs of two periods per territory (or group of a level), each
side computed now or taken from its latest snapshot, and list the territories whose workload or
attainment drifted beyond the threshold (rebalancing candidates, highlighted)."""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
    QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.stats.hierarchy import level_names
from territory_desk.domain.kpis.reviews import DEFAULT_THRESHOLD_PCT, TOTAL_ID, Review, review_periods
from territory_desk.domain.kpis.measures import KPI_LABELS
from territory_desk.services.kpis import available_periods, format_value

COLUMNS = ("revenue", "attainment_pct", "accounts_per_rep", "pipeline_per_rep", "opportunities_per_rep")
FLAGGED = QColor(255, 226, 196)


class ReviewDialog(QDialog):
    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.setObjectName("reviewDialog")
        self.setWindowTitle("Review periods")
        self.project = project
        self.review: Review | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        periods = [p for p in available_periods(project) if p != "all"] or ["all"]
        self.before, self.after = QComboBox(), QComboBox()
        for combo, name, pick in ((self.before, "reviewFrom", -2), (self.after, "reviewTo", -1)):
            combo.setObjectName(name)
            combo.setEditable(True)
            combo.addItems(periods)
            combo.setCurrentIndex(max(0, len(periods) + pick))
        self.level = QComboBox()
        self.level.setObjectName("reviewLevel")
        self.level.addItems(level_names(project))
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("reviewThreshold")
        self.threshold.setRange(0.0, 1000.0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(DEFAULT_THRESHOLD_PCT)
        self.source = QComboBox()
        self.source.setObjectName("reviewSource")
        for key, label in (("auto", "snapshot when there is one, else now"), ("live", "computed now"),
                           ("snapshot", "snapshots only")):
            self.source.addItem(label, key)
        row = QHBoxLayout()
        row.addWidget(self.before, 1)
        row.addWidget(QLabel("→"))
        row.addWidget(self.after, 1)
        form.addRow("Periods:", row)
        form.addRow("Level:", self.level)
        form.addRow("Drift threshold:", self.threshold)
        form.addRow("Figures:", self.source)
        lay.addLayout(form)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("reviewCompare")
        self.compare_button.clicked.connect(self.compare)
        lay.addWidget(self.compare_button)
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.table = QTableWidget()
        self.table.setObjectName("reviewTable")
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(980, 560)

    def compare(self) -> bool:
        try:
            self.review = review_periods(self.project, self.before.currentText(), self.after.currentText(),
                                         self.level.currentIndex(), None, self.threshold.value(),
                                         str(self.source.currentData()), str(self.source.currentData()))
        except TerritoryDeskError as exc:
            self.summary.setText(f"<span style='color:#b00020'>{html.escape(str(exc))}</span>")
            self.table.setRowCount(0)
            return False
        self._fill(self.review)
        return True

    def _fill(self, review: Review) -> None:
        flagged = review.flagged
        self.summary.setText(f"{review.before} → {review.after}: {len(flagged)} rebalancing candidate(s)"
                             + (": " + ", ".join(r.name for r in flagged) if flagged else "") + ".")
        heads = [review.level or "Group"]
        for k in COLUMNS:
            heads += [f"{KPI_LABELS[k]}\nbefore", "after", "change"]
        heads.append("Flags")
        t = self.table
        t.clear()
        t.setColumnCount(len(heads))
        t.setHorizontalHeaderLabels(heads)
        t.setRowCount(len(review.rows))
        for r, row in enumerate(review.rows):
            cells = [row.name]
            for k in COLUMNS:
                c = row.change_pct[k]
                cells += [format_value(k, row.before[k]), format_value(k, row.after[k]),
                          "–" if np.isnan(c) else ("new" if np.isinf(c) else f"{c:+.1f} %")]
            cells.append("; ".join(row.flags))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 0 < c < len(cells) - 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if row.flagged and row.group_id != TOTAL_ID:
                    item.setBackground(QBrush(FLAGGED))
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
