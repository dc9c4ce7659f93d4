"""The KPI dashboard dock: a period and level picker, a sortable KPI table (one row per territory or
group of the chosen hierarchy level), a bar chart of one KPI with the quota ticks, and the trend of
that KPI over the quarters for the selected row.

Clicking a row (or a bar) selects that territory's units on the map and makes it the active
territory; selecting units of one territory on the map (or making a territory active) selects its
row. The figures are recomputed (domain.kpis, vectorised) after edits, debounced, and only while
the dock is visible.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget,
)

from territory_desk.domain.editing.changes import ChangeKind
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.stats.hierarchy import level_names
from territory_desk.domain.kpis.measures import KPI_LABELS, KpiTable, compute_kpis
from territory_desk.services.kpis import TABLE_KPIS, available_periods, default_period, format_value
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import swatch_icon
from territory_desk.ui.panels.kpis.charts import KpiBarChart, TrendChart

SORT_ROLE = Qt.UserRole + 1
CHART_KPIS = ("revenue", "pipeline", "attainment_pct", "close_rate_pct", "avg_deal", "cycle_days",
              "response_median_h", "coverage_pct", "revenue_per_rep", "accounts_per_rep")
REFRESH_MS = 250
TREND_PERIODS = 8


class KpiTableModel(QAbstractTableModel):
    """Rows = groups of the table's level (row = group index); columns = name + TABLE_KPIS."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table: KpiTable | None = None
        self.keys = list(TABLE_KPIS)
        self.colors: list[str] = []
        self._icons: dict[str, object] = {}

    def set_table(self, table: KpiTable | None, colors: list[str]) -> None:
        self.beginResetModel()
        self.table, self.colors = table, colors
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.table is None else len(self.table.group_ids)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 1 + len(self.keys)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            if section == 0:
                return self.table.level.name if self.table is not None else "Territory"
            return KPI_LABELS[self.keys[section - 1]].replace(" (", "\n(")
        if role == Qt.ToolTipRole and section > 0:
            return KPI_LABELS[self.keys[section - 1]]
        return None

    def value(self, row: int, key: str) -> float:
        return self.table.value(row, key)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.table is None:
            return None
        r, c = index.row(), index.column()
        if c == 0:
            if role in (Qt.DisplayRole, SORT_ROLE):
                return self.table.group_names[r]
            if role == Qt.DecorationRole and r < len(self.colors) and self.colors[r]:
                color = self.colors[r]
                if color not in self._icons:
                    self._icons[color] = swatch_icon(color)
                return self._icons[color]
            return None
        key = self.keys[c - 1]
        v = self.table.value(r, key)
        if role == Qt.DisplayRole:
            return format_value(key, v)
        if role == SORT_ROLE:
            return v if math.isfinite(v) else -math.inf
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class DashboardPanel(QWidget):
    rowSelected = Signal(int)  # group index

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardPanel")
        self.model = model
        self.table: KpiTable | None = None
        self._syncing = False
        self._stale = False
        self._cache: dict[tuple, KpiTable] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        row.addWidget(QLabel("Period:"))
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("periodCombo")
        self.period_combo.setEditable(True)  # any period text: 2026-07, 2026H2, a date range
        self.period_combo.setToolTip("2026Q3, 2026-07, 2026, 2026H2, 2026-07-01..2026-09-30 or all")
        row.addWidget(self.period_combo, 1)
        row.addWidget(QLabel("Level:"))
        self.level_combo = QComboBox()
        self.level_combo.setObjectName("levelCombo")
        row.addWidget(self.level_combo, 1)
        row.addWidget(QLabel("Chart:"))
        self.kpi_combo = QComboBox()
        self.kpi_combo.setObjectName("chartKpiCombo")
        for k in CHART_KPIS:
            self.kpi_combo.addItem(KPI_LABELS[k], k)
        row.addWidget(self.kpi_combo, 1)
        lay.addLayout(row)
        self.message = QLabel()
        self.message.setObjectName("dashboardMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555;")
        lay.addWidget(self.message)
        self.view = QTableView()
        self.view.setObjectName("kpiTable")
        self.kpi_model = KpiTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.kpi_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.view.setAlternatingRowColors(True)
        self.bars = KpiBarChart()
        self.trend = TrendChart()
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.bars)
        split.addWidget(self.trend)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 2)
        lay.addWidget(split, 1)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh)
        self.view.selectionModel().currentRowChanged.connect(self._on_row_changed)
        self.view.clicked.connect(lambda idx: self._select_group(self.proxy.mapToSource(idx).row()))
        self.bars.barClicked.connect(self._on_bar)
        self.period_combo.activated.connect(lambda _i: self.refresh())
        self.period_combo.lineEdit().editingFinished.connect(self.refresh)
        self.level_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.kpi_combo.currentIndexChanged.connect(lambda _i: self._update_charts())
        model.changed.connect(self._on_changed)
        model.selectionChanged.connect(self._follow_map)
        model.activeTerritoryChanged.connect(lambda _t: self._follow_map())
        self.fill_choices()
        self.refresh()

    # ---- choices -------------------------------------------------------------------------------
    def fill_choices(self) -> None:
        project = self.model.doc.project
        self.period_combo.blockSignals(True)
        current = self.period_combo.currentText()
        self.period_combo.clear()
        periods = available_periods(project)
        self.period_combo.addItems(periods)
        self.period_combo.setCurrentText(current if current else default_period(project))
        self.period_combo.blockSignals(False)
        self.level_combo.blockSignals(True)
        lv = self.level_combo.currentIndex()
        self.level_combo.clear()
        self.level_combo.addItems(level_names(project))
        self.level_combo.setCurrentIndex(max(0, min(lv, self.level_combo.count() - 1)))
        self.level_combo.blockSignals(False)

    @property
    def period(self) -> str:
        return self.period_combo.currentText().strip() or "all"

    def set_period(self, text: str) -> None:
        self.period_combo.setCurrentText(text)
        self.refresh()

    def set_level(self, index: int) -> None:
        self.level_combo.setCurrentIndex(index)

    # ---- refresh -------------------------------------------------------------------------------
    def _on_changed(self, change) -> None:
        self._cache.clear()
        if change.kind in (ChangeKind.ACTIVITY, ChangeKind.DATA, ChangeKind.SCENARIO, ChangeKind.TERRITORIES):
            self.fill_choices()
        if self.isVisible():
            self._timer.start()
        else:
            self._stale = True  # recomputed when the dock is shown

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._stale:
            self.refresh()

    def kpis(self, period: str, level: int) -> KpiTable:
        """KPIs of a period and level, cached until the next edit."""
        key = (period, level)
        if key not in self._cache:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = compute_kpis(self.model.doc.project, period, level)
        return self._cache[key]

    def refresh(self) -> None:
        self._timer.stop()
        self._stale = False
        project = self.model.doc.project
        try:
            table = self.kpis(self.period, max(0, self.level_combo.currentIndex()))
        except TerritoryDeskError as exc:
            self.message.setText(str(exc))
            return
        self.table = table
        act = project.activity
        if not len(act.opportunities) and not len(act.leads):
            self.message.setText("No CRM activity yet: File → Import opportunities…, leads… or quotas…")
        else:
            extra = f" · {'; '.join(table.notes)}" if table.notes else ""
            self.message.setText(f"{table.period.label} · scenario {table.scenario} · {len(act.opportunities):,} "
                                 f"opportunities, {len(act.leads):,} leads{extra}")
        self.kpi_model.set_table(table, self._colors(table))
        self.view.resizeColumnsToContents()
        self._update_charts()
        self._follow_map()

    def _colors(self, table: KpiTable) -> list[str]:
        terrs = self.model.doc.scenario.territories
        if table.level.index == 0:
            return [t.color for t in terrs]
        out = []
        for g in range(len(table.group_ids)):
            members = table.level.children(g)
            out.append(terrs[int(members[0])].color if len(members) else "#888888")
        return out

    def _update_charts(self) -> None:
        table = self.table
        if table is None:
            return
        key = self.kpi_combo.currentData() or "revenue"
        quotas = table.column("quota") if key in ("revenue", "revenue_per_rep") else None
        if key == "revenue_per_rep" and quotas is not None:
            reps = table.column("reps")
            quotas = np.where(reps > 0, quotas / np.maximum(reps, 1), 0.0)
        row = self.current_group()
        self.bars.set_data(table.group_names, table.column(key), quotas, self._colors(table),
                           f"{KPI_LABELS[key]} — {table.period.label}", row)
        self._update_trend(key, row)

    def _update_trend(self, key: str, group: int) -> None:
        project = self.model.doc.project
        periods = [p for p in available_periods(project, TREND_PERIODS) if p != "all"]
        table = self.table
        if group < 0 or table is None or not periods:
            self.trend.set_data([], [], None, f"{KPI_LABELS[key]} per quarter — select a row")
            return
        values, quotas = [], []
        for p in periods:
            t = self.kpis(p, table.level.index)
            values.append(t.value(group, key) if group < len(t.group_ids) else math.nan)
            quotas.append(t.value(group, "quota") if key == "revenue" and group < len(t.group_ids) else 0.0)
        self.trend.set_data(periods, values, quotas, f"{KPI_LABELS[key]} per quarter — {table.group_names[group]}")

    # ---- selection both ways -------------------------------------------------------------------
    def current_group(self) -> int:
        idx = self.view.selectionModel().currentIndex()
        return self.proxy.mapToSource(idx).row() if idx.isValid() else -1

    def select_row(self, group: int) -> None:
        """Select the row of a group in the (sorted) view without echoing it to the map."""
        self._syncing = True
        try:
            if group < 0:
                self.view.clearSelection()
                self.view.selectionModel().setCurrentIndex(QModelIndex(), self.view.selectionModel().SelectionFlag.Clear)
            else:
                idx = self.proxy.mapFromSource(self.kpi_model.index(group, 0))
                self.view.selectionModel().setCurrentIndex(
                    idx, self.view.selectionModel().SelectionFlag.ClearAndSelect | self.view.selectionModel().SelectionFlag.Rows)
                self.view.scrollTo(idx)
        finally:
            self._syncing = False
        self.bars.set_active(group)
        self._update_trend(self.kpi_combo.currentData() or "revenue", group)

    def _on_row_changed(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        self._select_group(self.proxy.mapToSource(current).row())

    def _on_bar(self, group: int) -> None:
        self.select_row(group)
        self._select_group(group)

    def _select_group(self, group: int) -> None:
        """Select the group's units on the map (and make its first territory the active one)."""
        table = self.table
        if table is None or not (0 <= group < len(table.group_ids)) or self._syncing:
            return
        territories = table.level.children(group)
        a = self.model.doc.scenario.assignment
        units = np.flatnonzero(np.isin(a, territories))
        self._syncing = True
        try:
            if len(territories):
                self.model.set_active_territory(int(territories[0]))
            self.model.set_selection(units.tolist())
        finally:
            self._syncing = False
        self.bars.set_active(group)
        self._update_trend(self.kpi_combo.currentData() or "revenue", group)
        self.rowSelected.emit(group)

    def _follow_map(self) -> None:
        """The map's selection (all in one group) or else the active territory picks the row."""
        if self._syncing or self.table is None:
            return
        member = self.table.level.member
        a = self.model.doc.scenario.assignment
        sel = np.fromiter(self.model.selection, dtype=np.int64) if self.model.selection else np.zeros(0, np.int64)
        terrs = np.unique(a[sel]) if len(sel) else np.zeros(0, np.int64)
        groups = np.unique(member[terrs[terrs >= 0]]) if len(terrs) and len(member) else np.zeros(0, np.int64)
        if len(groups) == 1 and (terrs >= 0).all():
            group = int(groups[0])
        elif len(sel) == 0 and 0 <= self.model.active_territory < len(member):
            group = int(member[self.model.active_territory])
        else:
            return
        if group != self.current_group():
            self.select_row(group)
