"""The "Reps" dock: every rep with home, capacity, territories, workload vs capacity and how well the
rep matches the territories they hold (the match score of domain/reps/matching.py), plus a
"Suggest reps…" button.

Follows the document: any change (territories, assignment, scenario, data) schedules one refresh a
few milliseconds later, so a paint stroke costs one refresh per burst of moves, not one per move.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.reps.matching import match_reps
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import fmt_value, style_list_table

COL_NAME, COL_HOME, COL_CAPACITY, COL_TERRITORIES, COL_WORKLOAD, COL_SCORE = range(6)
HEADERS = ["Rep", "Home", "Capacity", "Territories", "Workload", "Match"]
OVER, FULL = QColor(214, 69, 65, 55), QColor(46, 160, 67, 45)
SORT_ROLE = Qt.UserRole + 1


class _Item(QTableWidgetItem):
    """Sorts by the raw number in SORT_ROLE when there is one."""

    def __lt__(self, other) -> bool:
        a, b = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if a is not None and b is not None:
            return a < b
        return super().__lt__(other)


class RepPanel(QWidget):
    suggestRequested = Signal()
    territoryActivated = Signal(int)  # a double-clicked rep's first territory (now the active one)

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.rows: list[dict] = []  # what the table shows, in rep order (tests and tooltips read it)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("repTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        style_list_table(self.table)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeToContents)
        head.setSectionResizeMode(COL_TERRITORIES, QHeaderView.Stretch)
        head.setSortIndicator(-1, Qt.AscendingOrder)  # rep order until a header is clicked
        self.table.setSortingEnabled(True)
        self.table.horizontalHeaderItem(COL_SCORE).setToolTip(
            "How well the rep fits the territories they hold (0..1, weighted mean of industry, language, "
            "experience, distance and capacity)")
        self.table.horizontalHeaderItem(COL_WORKLOAD).setToolTip("Workload of the rep's territories vs capacity")
        self.summary = QLabel(self)
        self.summary.setObjectName("repSummary")
        self.summary.setWordWrap(True)
        self.suggest_button = QPushButton("Suggest reps…", self)
        self.suggest_button.setObjectName("suggestRepsButton")
        self.suggest_button.setToolTip("Find the best rep for every territory and apply it as one undo step")
        self.suggest_button.clicked.connect(self.suggestRequested)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.suggest_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(3)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.refresh)
        self.table.itemDoubleClicked.connect(self._on_double_click)
        model.changed.connect(lambda _change: self._timer.start())
        self.refresh()

    # ---- data ---------------------------------------------------------------------------------------
    def compute_rows(self) -> tuple[list[dict], str]:
        """One dict per rep (name, home, capacity, territories, workload, utilisation, score) and the
        summary line, from the live document."""
        doc = self.model.doc
        project, sc, stats = doc.project, doc.scenario, doc.stats()
        result, note = None, ""
        if project.reps and sc.territories:
            try:
                result = match_reps(project, sc, stats=stats)
            except TerritoryDeskError as exc:  # e.g. a saved setting names a column that is gone
                note = f" · match scores unavailable: {exc}"
        work = result.used.get("workload_metric") if result else None
        k = stats.field_index(work) if work in stats.fields else None
        rows = []
        for r, rep in enumerate(project.reps):
            mine = [t for t, terr in enumerate(sc.territories) if terr.rep_id == rep.id]
            load = float(sum(stats.value[t, k] for t in mine)) if k is not None else None
            use = load / rep.capacity if load is not None and rep.capacity and rep.capacity > 0 else None
            score = float(sum(result.score[r, t] for t in mine) / len(mine)) if result is not None and mine else None
            rows.append({"id": rep.id, "name": rep.name, "home": rep.home_city, "capacity": float(rep.capacity or 0),
                         "territories": [sc.territories[t].name for t in mine], "workload": load,
                         "utilisation": use, "score": score})
        held = sum(1 for row in rows if row["territories"])
        no_rep = sum(1 for t in sc.territories if project.rep(t.rep_id) is None)
        over = sum(1 for row in rows if row["utilisation"] is not None and row["utilisation"] > 1)
        text = (f"{len(rows)} rep{'s' * (len(rows) != 1)}, {held} with territories · {no_rep} "
                f"territor{'y' if no_rep == 1 else 'ies'} without a rep · {over} over capacity"
                + (f" ({work})" if work else "") + note)
        return rows, text

    def refresh(self) -> None:
        self._timer.stop()
        self.rows, text = self.compute_rows()
        self.summary.setText(text)
        t = self.table
        sorting = t.isSortingEnabled()
        t.setSortingEnabled(False)
        t.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            use = row["utilisation"]
            cells = [
                (row["name"], None), (row["home"] or "–", None),
                (fmt_value(row["capacity"]) if row["capacity"] else "–", row["capacity"]),
                (", ".join(row["territories"]) or "–", len(row["territories"])),
                ("–" if row["workload"] is None else fmt_value(row["workload"])
                 + (f" ({use:.0%})" if use is not None else ""), use if use is not None else -1.0),
                ("–" if row["score"] is None else f"{row['score']:.2f}", row["score"] if row["score"] is not None else -1.0),
            ]
            for c, (text_, key) in enumerate(cells):
                item = _Item(text_)
                item.setData(Qt.UserRole, row["id"])
                if key is not None:
                    item.setData(SORT_ROLE, float(key))
                if c in (COL_CAPACITY, COL_WORKLOAD, COL_SCORE):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if c == COL_WORKLOAD and use is not None and use >= 0.8:
                    item.setBackground(QBrush(OVER if use > 1 else FULL))
                    item.setToolTip(f"{row['name']}: {use:.0%} of capacity" + (" — overloaded" if use > 1 else ""))
                if c == COL_TERRITORIES and row["territories"]:
                    item.setToolTip("\n".join(row["territories"]))
                t.setItem(i, c, item)
        t.setSortingEnabled(sorting)

    def _on_double_click(self, item) -> None:
        rep_id = item.data(Qt.UserRole)
        terrs = self.model.doc.scenario.territories
        t = next((i for i, terr in enumerate(terrs) if rep_id and terr.rep_id == rep_id), -1)
        if t >= 0:
            self.model.set_active_territory(t)
            self.territoryActivated.emit(t)
