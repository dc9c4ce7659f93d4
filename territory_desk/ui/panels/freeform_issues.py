"""The "Overlaps and gaps" dock of a freeform scenario: overlapping territories with the accounts they
both count (flagged), accounts covered by no territory, territories without a shape, and the fix
for an overlap: clip one territory by its neighbour (one undo step).

Reads the live engine (``services.freeform.freeform_issues``); refreshes a moment after the last
change, so a vertex drag is not slowed down by it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from territory_desk.domain.editing.freeform import ClipByNeighbour
from territory_desk.services.freeform import FreeformIssues, freeform_issues
from territory_desk.ui.doc_model import DocModel

MAX_ROWS = 200
REFRESH_MS = 250


class FreeformIssuesPanel(QWidget):
    zoomRequested = Signal(int)  # territory index

    def __init__(self, model: DocModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("freeformIssuesPanel")
        self.model = model
        self.issues = FreeformIssues()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.overlaps = QTreeWidget(self)
        self.overlaps.setObjectName("freeformOverlaps")
        self.overlaps.setHeaderLabels(["Overlap", "Accounts in both", "km²"])
        self.overlaps.setRootIsDecorated(True)
        self.clip_a = QPushButton("Clip first by second", self)
        self.clip_b = QPushButton("Clip second by first", self)
        for b in (self.clip_a, self.clip_b):
            b.setEnabled(False)
        self.uncovered_label = QLabel("Accounts in no territory")
        self.uncovered = QListWidget(self)
        self.uncovered.setObjectName("freeformUncovered")
        buttons = QHBoxLayout()
        buttons.addWidget(self.clip_a)
        buttons.addWidget(self.clip_b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.summary)
        lay.addWidget(QLabel("<b>Overlapping territories</b> (accounts counted in both)"))
        lay.addWidget(self.overlaps, 3)
        lay.addLayout(buttons)
        lay.addWidget(self.uncovered_label)
        lay.addWidget(self.uncovered, 2)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh)
        self.overlaps.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.overlaps.itemDoubleClicked.connect(self._zoom_item)
        self.clip_a.clicked.connect(lambda: self.clip(first=True))
        self.clip_b.clicked.connect(lambda: self.clip(first=False))
        model.changed.connect(lambda _c: self._timer.start())
        self.refresh()

    # ---- reading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._timer.stop()
        doc = self.model.doc
        sc = doc.scenario
        self.overlaps.clear()
        self.uncovered.clear()
        if not sc.is_freeform or not hasattr(doc.engine, "overlaps"):
            self.issues = FreeformIssues()
            self.summary.setText("The active scenario is not freeform: nothing is drawn.")
            self.uncovered_label.setText("Accounts in no territory")
            self._update_buttons()
            return
        self.issues = issues = freeform_issues(doc.project, sc, doc.engine)
        acc, terrs = doc.project.accounts, sc.territories
        for o in issues.overlaps:
            item = QTreeWidgetItem([f"{terrs[o.first].name} ∩ {terrs[o.second].name}", f"{len(o.accounts):,}",
                                    f"{o.area_m2 / 1e6:,.1f}"])
            item.setData(0, Qt.ItemDataRole.UserRole, (o.first, o.second))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            if len(o.accounts):
                item.setForeground(1, Qt.GlobalColor.darkRed)
            for i in o.accounts[:MAX_ROWS].tolist():
                child = QTreeWidgetItem([f"⚑ {acc.names[i] or acc.ids[i]} ({acc.ids[i]})", "", ""])
                child.setToolTip(0, "counted in both territories")
                item.addChild(child)
            self.overlaps.addTopLevelItem(item)
        self.overlaps.resizeColumnToContents(0)
        n_unc = len(issues.uncovered)
        self.uncovered_label.setText(f"<b>Accounts in no territory</b>: {n_unc:,}")
        for i in issues.uncovered[:MAX_ROWS].tolist():
            self.uncovered.addItem(f"{acc.names[i] or acc.ids[i]} ({acc.ids[i]})")
        if n_unc > MAX_ROWS:
            self.uncovered.addItem(f"… and {n_unc - MAX_ROWS:,} more")
        parts = [f"{len(issues.overlaps)} overlap{'s' * (len(issues.overlaps) != 1)}",
                 f"{n_unc:,} account{'s' * (n_unc != 1)} in no territory"]
        if issues.without_shape:
            names = ", ".join(terrs[t].name for t in issues.without_shape[:5])
            parts.append(f"not drawn yet: {names}" + (" …" if len(issues.without_shape) > 5 else ""))
        self.summary.setText(" · ".join(parts) if not issues.clean else "No overlaps and no gaps.")
        self._update_buttons()

    def selected_pair(self) -> tuple[int, int] | None:
        item = self.overlaps.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        pair = self.selected_pair()
        terrs = self.model.doc.scenario.territories
        for button, first in ((self.clip_a, True), (self.clip_b, False)):
            button.setEnabled(pair is not None)
            if pair is not None:
                a, b = pair if first else pair[::-1]
                button.setText(f"Clip {terrs[a].name} by {terrs[b].name}")

    # ---- the fix ---------------------------------------------------------------------------------
    def clip(self, first: bool = True) -> bool:
        """Cut the overlap out of one territory of the selected pair (undoable)."""
        pair = self.selected_pair()
        if pair is None:
            return False
        a, b = pair if first else pair[::-1]
        terrs = self.model.doc.scenario.territories
        ok = self.model.push(ClipByNeighbour(terrs[a].id, terrs[b].id))
        self.refresh()
        return ok

    def _zoom_item(self, item, _col) -> None:
        while item.parent() is not None:
            item = item.parent()
        pair = item.data(0, Qt.ItemDataRole.UserRole)
        if pair:
            self.zoomRequested.emit(pair[0])
