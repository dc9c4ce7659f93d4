"""The model and delegate behind the territory tree: drops of map units, centred lock checkboxes."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from territory_desk.ui.canvas.map_canvas import UNITS_MIME
from territory_desk.ui.panels.common import is_checked


COL_NAME, COL_REP, COL_UNITS, COL_ACCOUNTS, COL_LOCKED = range(5)
HEADERS = ["Name", "Rep", "Units", "Accts", "Lock"]
KIND, KEY = Qt.UserRole + 1, Qt.UserRole + 2  # "region"/"territory"; region id / territory index
CHECKED, UNCHECKED, PARTIAL = Qt.Checked, Qt.Unchecked, Qt.PartiallyChecked

def _set_text(item: QStandardItem, text: str) -> None:
    if item.text() != text:  # every setText is a dataChanged the view has to process
        item.setText(text)


class _TreeModel(QStandardItemModel):
    """Accepts unit drops from the canvas onto territory rows."""

    def __init__(self, panel):
        super().__init__(0, len(HEADERS), panel)
        self.panel = panel
        self.setHorizontalHeaderLabels(HEADERS)

    def mimeTypes(self) -> list[str]:
        return [UNITS_MIME]

    def supportedDropActions(self):
        return Qt.CopyAction | Qt.MoveAction

    def _target(self, row: int, parent) -> int:
        index = self.index(row, 0, parent) if row >= 0 else parent.siblingAtColumn(0)
        return index.data(KEY) if index.isValid() and index.data(KIND) == "territory" else -1

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data.hasFormat(UNITS_MIME) and self._target(row, parent) >= 0

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        t = self._target(row, parent)
        if t < 0 or not data.hasFormat(UNITS_MIME):
            return False
        text = bytes(data.data(UNITS_MIME)).decode("ascii", "ignore")
        units = [int(s) for s in text.replace(";", ",").split(",") if s.strip().lstrip("-").isdigit()]
        return self.panel.assign_units(units, t)


class _CenteredCheckDelegate(QStyledItemDelegate):
    """A checkbox drawn in the middle of its cell; a click anywhere in the cell toggles it."""

    def paint(self, painter, option, index):
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget else QApplication.style()
        checked = is_checked(index.data(Qt.CheckStateRole))
        opt.features &= ~QStyleOptionViewItem.HasCheckIndicator
        opt.text = ""
        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, opt.widget)
        if not index.flags() & Qt.ItemIsUserCheckable:  # region rows have no lock
            return
        box = QStyleOptionViewItem(opt)
        s = style.pixelMetric(QStyle.PM_IndicatorWidth, opt, opt.widget)
        box.rect = QRect(0, 0, s, s)
        box.rect.moveCenter(option.rect.center())
        box.state = (opt.state & ~QStyle.State_HasFocus) | (QStyle.State_On if checked else QStyle.State_Off)
        style.drawPrimitive(QStyle.PE_IndicatorItemViewItemCheck, box, painter, opt.widget)

    def editorEvent(self, event, model, option, index) -> bool:
        if not (index.flags() & Qt.ItemIsUserCheckable) or not (index.flags() & Qt.ItemIsEnabled):
            return False
        t = event.type()
        if t == QEvent.MouseButtonDblClick:
            return True
        toggle = (t == QEvent.MouseButtonRelease and event.button() == Qt.LeftButton
                  and option.rect.contains(event.position().toPoint())) or \
                 (t == QEvent.KeyPress and event.key() in (Qt.Key_Space, Qt.Key_Select))
        if not toggle:
            return False
        new = UNCHECKED if is_checked(index.data(Qt.CheckStateRole)) else CHECKED
        return model.setData(index, new, Qt.CheckStateRole)


