"""The "Metrics" dock: live balance of one metric per territory (or per region, area… of the sales
hierarchy: the "Level" combo rolls every figure up, stats/hierarchy.level_stats), a summary and a
bar chart.

Refreshes from ``doc.stats()`` on every ``DocModel.changed`` (O(territories x fields)); the table
(table.py) updates only the rows that differ and resets only when the number of territories
changes or the scenario is switched.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QSplitter,
    QTableView, QVBoxLayout, QWidget,
)

from territory_desk.domain.editing.changes import ChangeKind
from territory_desk.domain.model.colors import PALETTE
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.stats.hierarchy import level_names, level_stats
from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import account_count_key, field_labels, style_list_table
from territory_desk.ui.panels.metrics.balance_chart import BalanceChart
from territory_desk.ui.panels.metrics.table import BAD, COL_DEV, COL_NAME, COL_VALUE, KEYS, SORT_ROLE, DeviationDelegate, MetricsTableModel

SUMMARY = [("maxdev", "Max |deviation|", "Max |deviation|"), ("cv", "Coeff. of variation", "Coefficient of variation"),
           ("outside", "Outside tolerance", "Outside tolerance"),
           ("noncontig", "Non-contiguous", "Non-contiguous territories"), ("unassigned", "Unassigned", "Unassigned")]


class MetricsPanel(QWidget):
    territoryActivated = Signal(int)
    fieldChanged = Signal(str)
    toleranceChanged = Signal(float)

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self._syncing = False
        self._fit_key: tuple = ()
        settings = model.doc.project.settings
        self.table_model = MetricsTableModel(model, self)
        self.table_model.tolerance = float(settings.get("tolerance_pct") or 5.0)

        self.field_combo = QComboBox(self)
        self.field_combo.setObjectName("metricCombo")
        self.field_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.field_combo.setMinimumContentsLength(8)
        self._labels = field_labels(model.doc.project)
        self._fill_fields()
        wanted = (settings.get("balance_fields") or [None])[0]
        self.set_field(wanted if wanted in model.doc.fields else (model.doc.fields or [""])[0])
        self.tolerance_spin = QDoubleSpinBox(self)
        self.tolerance_spin.setObjectName("toleranceSpin")
        self.tolerance_spin.setRange(0.5, 100.0)
        self.tolerance_spin.setSingleStep(0.5)
        self.tolerance_spin.setDecimals(1)
        self.tolerance_spin.setPrefix("± ")
        self.tolerance_spin.setSuffix(" %")
        self.tolerance_spin.setValue(self.table_model.tolerance)
        self.tolerance_spin.setToolTip("Tolerance band around the mean")

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("metricsTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(COL_DEV, DeviationDelegate(self.table_model, self.table))
        style_list_table(self.table)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.Fixed)  # widths set by _fit_columns
        head.setMinimumSectionSize(30)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.viewport().installEventFilter(self)
        head.setSortIndicator(-1, Qt.AscendingOrder)  # territory order until a header is clicked
        self.table.setSortingEnabled(True)

        self.summary_labels: dict[str, QLabel] = {}
        summary = QWidget(self)
        grid = QGridLayout(summary)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(1)
        for n, (key, text, _long) in enumerate(SUMMARY):
            value = QLabel(summary)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.summary_labels[key] = value
            grid.addWidget(QLabel(text, summary), n % 3, (n // 3) * 2)
            grid.addWidget(value, n % 3, (n // 3) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.chart = BalanceChart(self)

        top = QHBoxLayout()
        top.addWidget(QLabel("Metric", self))
        top.addWidget(self.field_combo, 1)
        top.addWidget(QLabel("Tolerance", self))
        top.addWidget(self.tolerance_spin)
        upper = QWidget(self)
        lu = QVBoxLayout(upper)
        lu.setContentsMargins(0, 0, 0, 0)
        lu.setSpacing(3)
        lu.addWidget(self.table, 1)
        lu.addWidget(summary)
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(upper)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(3)
        lay.addLayout(top)
        lay.addWidget(split, 1)

        self.level_combo = QComboBox(self)
        self.level_combo.setObjectName("levelCombo")
        self.level_combo.setToolTip("Balance per level of the sales hierarchy: territories, regions, areas…")
        self.level = 0  # 0 = territories; 1 = regions; 2 = the regions' parents…
        self._level_groups: list[int] = []  # group index of every territory at the current level
        self._fill_levels()
        top.insertWidget(0, QLabel("Level", self))
        top.insertWidget(1, self.level_combo)
        self.level_combo.currentIndexChanged.connect(self._on_level_changed)
        self.field_combo.currentIndexChanged.connect(self._on_field_changed)
        self.tolerance_spin.valueChanged.connect(self._on_tolerance_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)
        self.chart.barClicked.connect(self._activate)
        model.changed.connect(self._on_doc_changed)
        model.activeTerritoryChanged.connect(self._select_territory)
        self.refresh(reset=True)

    # ---- public API -------------------------------------------------------------------------------
    def current_field(self) -> str:
        return self.table_model.field

    def set_field(self, key: str) -> None:
        i = self.field_combo.findData(key)
        if i >= 0:
            self.field_combo.setCurrentIndex(i)
        self._apply_field(key)

    def tolerance(self) -> float:
        return self.table_model.tolerance

    def displayed_rows(self) -> list[dict]:
        """The rows in the order the table shows them (raw numbers, not the formatted text)."""
        out = []
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            row = dict(zip(KEYS, self.table_model.rows[src]))
            row["territory"] = src
            out.append(row)
        return out

    def summary_text(self) -> str:
        return "\n".join(f"{long}: {self.summary_labels[key].text()}" for key, _short, long in SUMMARY)

    def set_level(self, key: int) -> None:
        """Show level ``key`` (0 territories, 1 regions, …) of the hierarchy."""
        i = self.level_combo.findData(key)
        if i >= 0 and i != self.level_combo.currentIndex():
            self.level_combo.setCurrentIndex(i)  # -> _on_level_changed

    def refresh(self, reset: bool = False) -> None:
        doc = self.model.doc
        stats = doc.stats()
        groups = None
        if self.level:
            try:
                lv, stats = level_stats(doc.project, stats, self.level, doc.scenario)
                groups = [(name, PALETTE[g % len(PALETTE)]) for g, name in enumerate(lv.group_names)]
                self._level_groups = lv.member.tolist()
            except TerritoryDeskError:  # the level vanished with its regions: back to territories
                self.level_combo.setCurrentIndex(0)  # -> _on_level_changed -> refresh
                return
        self.table_model.refresh(stats, reset, groups)
        self._refresh_summary(stats)
        self._fit_columns(force=reset)
        if reset:
            self._select_territory(self.model.active_territory)

    # ---- internals --------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Resize and obj is self.table.viewport():
            self._fit_columns()
        return super().eventFilter(obj, event)

    def _fit_columns(self, force: bool = True) -> None:
        """Numbers get their natural width; the deviation bar takes the rest; names give way first.

        Measured from the cached cell texts (never ``sizeHintForColumn``, which asks every cell for
        every role); during live edits only when a column's longest text changes length."""
        tm = self.table_model
        key = (tm.width_key(), self.table.viewport().width(), tm.label)
        if not force and key == self._fit_key:
            return
        self._fit_key = key
        head, fm = self.table.horizontalHeader(), self.table.fontMetrics()
        longest = {c: max((t[c] for t in tm.texts), key=len, default="") for c in range(tm.columnCount())}
        natural = {c: max(fm.horizontalAdvance(tm.headerData(c, Qt.Horizontal)) + 12,
                          fm.horizontalAdvance(longest[c]) + 10) for c in longest if c != COL_DEV}
        natural[COL_NAME] += 18  # the colour swatch
        dev_min = fm.horizontalAdvance("+88.8 %") + 50
        name = min(natural.pop(COL_NAME), 160)
        extra = self.table.viewport().width() - sum(natural.values()) - name - dev_min
        natural[COL_NAME] = name if extra >= 0 else max(72, name + extra)
        natural[COL_DEV] = dev_min + max(extra, 0)
        for c, w in natural.items():
            if head.sectionSize(c) != w:
                head.resizeSection(c, w)

    def _fill_fields(self) -> None:
        self._fields = list(self.model.doc.fields)
        self.field_combo.blockSignals(True)
        self.field_combo.clear()
        for key in self._fields:
            self.field_combo.addItem(self._labels.get(key, key.replace("_", " ").capitalize()), key)
        self.field_combo.blockSignals(False)

    def _apply_field(self, key: str) -> None:
        if key == self.table_model.field:
            return
        self.table_model.field = key
        self.table_model.label = self._labels.get(key, key.replace("_", " ").capitalize())
        self.table_model.headerDataChanged.emit(Qt.Horizontal, COL_VALUE, COL_VALUE)
        if hasattr(self, "chart"):
            self.refresh()
        self.fieldChanged.emit(key)

    def _on_field_changed(self, i: int) -> None:
        key = self.field_combo.itemData(i)
        if key:
            self._apply_field(key)

    def _on_tolerance_changed(self, v: float) -> None:
        self.table_model.tolerance = float(v)
        self.refresh()
        self.table.viewport().update()
        self.toleranceChanged.emit(float(v))

    def _fill_levels(self) -> None:
        names = level_names(self.model.doc.project, self.model.doc.scenario)
        if names == [self.level_combo.itemText(i) for i in range(self.level_combo.count())]:
            return
        self.level_combo.blockSignals(True)
        self.level_combo.clear()
        for k, name in enumerate(names):
            self.level_combo.addItem(name, k)
        self.level = self.level if self.level < len(names) else 0
        self.level_combo.setCurrentIndex(self.level)
        self.level_combo.setEnabled(len(names) > 1)
        self.level_combo.blockSignals(False)
        self.table_model.name_header = names[self.level]
        self.chart.group_label = names[self.level].casefold()
        self.table_model.headerDataChanged.emit(Qt.Horizontal, COL_NAME, COL_NAME)

    def _on_level_changed(self, i: int) -> None:
        key = self.level_combo.itemData(i)
        if key is None or key == self.level:
            return
        self.level = int(key)
        self.table_model.name_header = self.level_combo.itemText(i)
        self.chart.group_label = self.level_combo.itemText(i).casefold()
        self.table_model.headerDataChanged.emit(Qt.Horizontal, COL_NAME, COL_NAME)
        self.refresh(reset=True)

    def _on_doc_changed(self, change) -> None:
        if change.kind in (ChangeKind.SCENARIO, ChangeKind.DATA) and list(self.model.doc.fields) != self._fields:
            self._fill_fields()
            self.set_field(self.current_field() if self.current_field() in self._fields else self._fields[0])
        level = self.level
        if change.kind in (ChangeKind.TERRITORIES, ChangeKind.SCENARIO, ChangeKind.DATA):  # regions may have come or gone
            self._fill_levels()
        self.refresh(reset=change.kind in (ChangeKind.SCENARIO, ChangeKind.DATA) or level != self.level)

    def _refresh_summary(self, s) -> None:
        doc, tm = self.model.doc, self.table_model
        k = s.field_index(tm.field) if tm.field in s.fields else None
        acc_key = account_count_key(doc.project)
        n = len(tm.rows)
        outside = sum(abs(r[3]) > tm.tolerance for r in tm.rows)
        lab = self.summary_labels
        maxdev = float(s.max_abs_deviation_pct[k]) if k is not None and n else 0.0
        lab["maxdev"].setText(f"{maxdev:.1f} %" if n else "–")
        lab["cv"].setText(f"{float(s.cv[k]):.3f}" if k is not None and n else "–")
        lab["outside"].setText(f"{outside} of {n}")
        lab["noncontig"].setText(str(s.non_contiguous))
        un_acc = int(s.unassigned_value[s.field_index(acc_key)]) if acc_key in s.fields else 0
        lab["unassigned"].setText(f"{s.unassigned_units:,} unit{'s' * (s.unassigned_units != 1)} · "
                                  f"{un_acc:,} account{'s' * (un_acc != 1)}")
        bad = {"maxdev": maxdev > tm.tolerance, "outside": outside > 0, "noncontig": s.non_contiguous > 0,
               "unassigned": s.unassigned_units > 0}
        for key, label in lab.items():
            css = f"color:{BAD.name()};font-weight:600" if bad.get(key) else "font-weight:600"
            if label.styleSheet() != css:  # restyling is slow: only when the state flips
                label.setStyleSheet(css)
        self.chart.set_data([r[0] for r in tm.rows], [r[2] for r in tm.rows], [r[1] for r in tm.rows],
                            float(s.mean[k]) if k is not None and n else 0.0, tm.tolerance, tm.label,
                            self._active_row())

    def _on_row_changed(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        self._activate(self.proxy.mapToSource(current).row())

    def _activate(self, t: int) -> None:
        if self.level:  # a group row: show it, the paint target stays
            self.chart.set_active(t)
            return
        self.model.set_active_territory(t)
        self.chart.set_active(t)
        self.territoryActivated.emit(t)

    def _active_row(self) -> int:
        """Row of the active territory: itself, or its group at a hierarchy level."""
        t = self.model.active_territory
        if self.level:
            return self._level_groups[t] if 0 <= t < len(self._level_groups) else -1
        return t

    def _select_territory(self, t: int) -> None:
        if self.level:  # the active territory's group
            t = self._level_groups[t] if 0 <= t < len(self._level_groups) else -1
        self.chart.set_active(t)
        if not (0 <= t < self.table_model.rowCount()):
            return
        index = self.proxy.mapFromSource(self.table_model.index(t, 0))
        if self.table.currentIndex().row() == index.row():
            return
        self._syncing = True
        try:
            self.table.setCurrentIndex(index)
        finally:
            self._syncing = False
