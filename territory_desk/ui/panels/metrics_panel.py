"""The "Metrics" dock: live balance of one metric per territory, a summary and a bar chart.

Refreshes from ``doc.stats()`` on every ``DocModel.changed`` (O(territories x fields)). The table
model compares the new rows with the old and emits ``dataChanged`` for the rows that differ; it
resets only when the number of territories changes or the scenario is switched.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QRectF, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView,
    QLabel, QSplitter, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView, QVBoxLayout, QWidget,
)

from ..doc_model import DocModel
from . import account_count_key, field_labels, fmt_int, fmt_value, swatch_icon
from .balance_chart import BalanceChart

COL_NAME, COL_VALUE, COL_DEV, COL_ACCOUNTS, COL_UNITS, COL_PIECES, COL_PP = range(7)
SORT_ROLE = Qt.UserRole + 1
GOOD, WARN, BAD = QColor("#2e9e48"), QColor("#ef8a17"), QColor("#d64541")
SUMMARY = [("maxdev", "Max |deviation|", "Max |deviation|"), ("cv", "Coeff. of variation", "Coefficient of variation"),
           ("outside", "Outside tolerance", "Outside tolerance"),
           ("noncontig", "Non-contiguous", "Non-contiguous territories"), ("unassigned", "Unassigned", "Unassigned")]
KEYS = ("name", "color", "value", "deviation_pct", "accounts", "units", "pieces", "polsby_popper")


class MetricsTableModel(QAbstractTableModel):
    """One row per territory (row = territory index); the view sorts through a proxy."""

    def __init__(self, model: DocModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.field = ""
        self.label = ""
        self.tolerance = 5.0
        self.scale = 15.0  # deviation % at the edge of the bar cell
        self.rows: list[tuple] = []  # raw values per territory, see KEYS
        self.texts: list[tuple[str, ...]] = []  # what each cell shows (formatted once per change)
        self._icons: dict[str, object] = {}

    @staticmethod
    def _format(row: tuple) -> tuple[str, ...]:
        name, _color, value, dev, acc, units, pieces, pp = row
        return (name, fmt_value(value), f"{dev:+.1f} %", fmt_int(acc), fmt_int(units), str(pieces), f"{pp:.2f}")

    def width_key(self) -> tuple[int, ...]:
        """Longest text per column: the columns need refitting only when this changes."""
        return tuple(max((len(t[c]) for t in self.texts), default=0) for c in range(7))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 7

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return ["Territory", self.label or "Value", "Deviation", "Accts", "Units", "Pcs", "PP"][section]
        if role == Qt.ToolTipRole and section in (COL_ACCOUNTS, COL_PIECES, COL_PP):
            return {COL_ACCOUNTS: "Accounts", COL_PIECES: "Pieces (more than 1: not contiguous)",
                    COL_PP: "Polsby-Popper compactness: 4πA/P², 1 = circle"}[section]
        if role == Qt.ToolTipRole and section == COL_DEV:
            return f"Deviation from the mean; the shaded band is ±{self.tolerance:g} %"
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignLeft if section == COL_NAME else Qt.AlignRight) | Qt.AlignVCenter)
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        c = index.column()
        if role == Qt.DisplayRole:
            return self.texts[index.row()][c]
        name, color, value, dev, acc, units, pieces, pp = self.rows[index.row()]
        if role == SORT_ROLE:
            return [name.casefold(), value, dev, acc, units, pieces, pp][c]
        if role == Qt.DecorationRole and c == COL_NAME:
            if color not in self._icons:
                self._icons[color] = swatch_icon(color)
            return self._icons[color]
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignLeft if c == COL_NAME else Qt.AlignRight) | Qt.AlignVCenter)
        if c == COL_PIECES and pieces > 1:
            if role == Qt.BackgroundRole:
                return QBrush(QColor(214, 69, 65, 40))
            if role == Qt.ForegroundRole:
                return QBrush(BAD)
            if role == Qt.FontRole:
                f = QFont()
                f.setBold(True)
                return f
            if role == Qt.ToolTipRole:
                return f"{name} is not contiguous: {pieces} pieces"
        if role == Qt.ToolTipRole and c == COL_DEV:
            return f"{name}: {dev:+.2f} % from the mean (tolerance ±{self.tolerance:g} %)"
        return None

    def refresh(self, s, reset: bool = False) -> None:
        doc = self.model.doc
        terrs = doc.scenario.territories
        k = s.field_index(self.field) if self.field in s.fields else None
        acc_key = account_count_key(doc.project)
        a = s.field_index(acc_key) if acc_key in s.fields else None
        rows = [(t.name, t.color,
                 float(s.value[i, k]) if k is not None else 0.0,
                 float(s.deviation_pct[i, k]) if k is not None else 0.0,
                 int(s.value[i, a]) if a is not None else 0,
                 int(s.units[i]), int(s.pieces[i]), float(s.polsby_popper[i])) for i, t in enumerate(terrs)]
        peak = max((abs(r[3]) for r in rows), default=0.0)
        scale = max(2.5 * self.tolerance, 5.0 * -(-peak * 1.1 // 5.0))  # round up to 5 %, band visible
        if reset or len(rows) != len(self.rows):
            self.beginResetModel()
            self.rows, self.texts, self.scale = rows, [self._format(r) for r in rows], scale
            self.endResetModel()
            return
        old, self.rows = self.rows, rows
        for i, (a_row, b_row) in enumerate(zip(old, rows)):
            if a_row != b_row:
                self.texts[i] = self._format(b_row)
                first = COL_NAME if a_row[:2] != b_row[:2] else COL_VALUE
                self.dataChanged.emit(self.index(i, first), self.index(i, COL_PP))
        if scale != self.scale and rows:
            self.scale = scale
            self.dataChanged.emit(self.index(0, COL_DEV), self.index(len(rows) - 1, COL_DEV))


class DeviationDelegate(QStyledItemDelegate):
    """Deviation % as a bar from the centre line, over the shaded tolerance band, with the number."""

    def __init__(self, table: MetricsTableModel, parent=None):
        super().__init__(parent)
        self.table = table

    def paint(self, painter, option, index):
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, opt.widget)
        dev = float(index.data(SORT_ROLE) or 0.0)
        tol, scale = self.table.tolerance, max(self.table.scale, 1e-9)
        fm = opt.fontMetrics
        text_w = fm.horizontalAdvance("+88.8 %") + 6
        r = QRectF(opt.rect).adjusted(4, 4, -text_w - 4, -4)
        if r.width() < 12:
            r.setWidth(0)
        cx, k = r.center().x(), r.width() / 2 / scale
        painter.save()
        painter.setClipRect(opt.rect)
        if r.width():
            painter.fillRect(QRectF(cx - min(tol, scale) * k, r.top(), 2 * min(tol, scale) * k, r.height()),
                             QColor(46, 160, 67, 45))
            color = GOOD if abs(dev) <= tol else WARN if abs(dev) <= 2 * tol else BAD
            end = cx + max(-scale, min(scale, dev)) * k
            bar = QRectF(min(cx, end), r.top() + r.height() * 0.2, abs(end - cx), r.height() * 0.6)
            painter.fillRect(bar, color)
            if abs(dev) > scale:  # clipped: a notch at the end says "more"
                painter.fillRect(QRectF(end - 2 if dev > 0 else end, r.top(), 2, r.height()), color.darker(140))
            painter.setPen(QPen(QColor("#666666"), 1))
            painter.drawLine(int(cx), int(r.top()), int(cx), int(r.bottom()))
        if opt.state & QStyle.State_Selected:
            pen = opt.palette.highlightedText().color()
        else:
            pen = BAD if abs(dev) > 2 * tol else WARN.darker(130) if abs(dev) > tol else opt.palette.text().color()
        painter.setPen(pen)
        text_rect = QRectF(opt.rect).adjusted(opt.rect.width() - text_w - 4, 0, -4, 0)
        painter.drawText(text_rect, Qt.AlignRight | Qt.AlignVCenter, f"{dev:+.1f} %")
        painter.restore()


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
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
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

    def refresh(self, reset: bool = False) -> None:
        stats = self.model.doc.stats()
        self.table_model.refresh(stats, reset)
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

    def _on_doc_changed(self, change) -> None:
        if change.kind in ("scenario", "data") and list(self.model.doc.fields) != self._fields:
            self._fill_fields()
            self.set_field(self.current_field() if self.current_field() in self._fields else self._fields[0])
        self.refresh(reset=change.kind in ("scenario", "data"))

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
                            self.model.active_territory)

    def _on_row_changed(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        self._activate(self.proxy.mapToSource(current).row())

    def _activate(self, t: int) -> None:
        self.model.set_active_territory(t)
        self.chart.set_active(t)
        self.territoryActivated.emit(t)

    def _select_territory(self, t: int) -> None:
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
