"""The Metrics dock's table: ``MetricsTableModel`` (one row per territory, or per group of the
hierarchy level shown) and ``DeviationDelegate``, which paints the deviation column as a bar over the
tolerance band.

The model compares new rows with the old and emits ``dataChanged`` for the rows that differ; it
resets only when the number of rows changes or the caller asks (scenario or level switched).
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from territory_desk.ui.doc_model import DocModel
from territory_desk.ui.panels.common import account_count_key, fmt_int, fmt_value, swatch_icon

COL_NAME, COL_VALUE, COL_DEV, COL_ACCOUNTS, COL_UNITS, COL_PIECES, COL_PP = range(7)
SORT_ROLE = Qt.UserRole + 1
GOOD, WARN, BAD = QColor("#2e9e48"), QColor("#ef8a17"), QColor("#d64541")
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
        self.rows: list[tuple] = []  # raw values per territory (or hierarchy group), see KEYS
        self.name_header = "Territory"  # the level's name when rows are groups
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
            return [self.name_header, self.label or "Value", "Deviation", "Accts", "Units", "Pcs", "PP"][section]
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

    def refresh(self, s, reset: bool = False, groups: list[tuple[str, str]] | None = None) -> None:
        """Rows from a Stats snapshot: one per territory, or one per (name, colour) of ``groups`` when
        ``s`` is rolled up to a hierarchy level."""
        doc = self.model.doc
        terrs = groups if groups is not None else [(t.name, t.color) for t in doc.scenario.territories]
        k = s.field_index(self.field) if self.field in s.fields else None
        acc_key = account_count_key(doc.project)
        a = s.field_index(acc_key) if acc_key in s.fields else None
        rows = [(t[0], t[1],
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
