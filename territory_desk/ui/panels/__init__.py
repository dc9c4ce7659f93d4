"""Dock panels: the territory tree with scenarios (left) and the live balance metrics (right).

Import the panels from their modules (``territories.panel.TerritoryPanel``,
``metrics.panel.MetricsPanel``); this package module holds the small drawing and formatting helpers
they share, and exposes the panel classes lazily.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QToolBar

from territory_desk.domain.stats.metrics import metric_fields

UNITS_MIME = "application/x-territory-desk-units"  # text "1,2,3": unit indices dragged from the canvas


def compact_toolbar(parent, actions) -> QToolBar:
    """A borderless text-only tool bar of ``actions`` for the top of a dock panel."""
    bar = QToolBar(parent)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.setStyleSheet("QToolBar{border:0;spacing:1px;padding:0} QToolButton{padding:1px 5px}")
    for a in actions:
        bar.addAction(a)
    return bar


def style_list_table(table) -> None:
    """The look of the docks' read-only tables: whole rows selected one at a time, no grid, no row
    numbers, compact rows, alternating colours."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.horizontalHeader().setHighlightSections(False)


def swatch_icon(color: str, size: int = 12) -> QIcon:
    """A small rounded colour square with a dark outline (territory colour in lists and tables).

    Not cached globally: pixmaps must not outlive the QApplication; callers keep a per-widget dict."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    fill = QColor(color)
    if not fill.isValid():
        fill = QColor("#888888")
    p.setPen(QPen(fill.darker(160), 1.0))
    p.setBrush(fill)
    p.drawRoundedRect(QRectF(0.5, 0.5, size - 1.0, size - 1.0), 2.0, 2.0)
    p.end()
    icon = QIcon(pm)
    icon.addPixmap(pm, QIcon.Selected)  # keep the true colour on selected rows
    return icon


def fmt_int(v: float) -> str:
    return f"{int(round(float(v))):,}"


def fmt_value(v: float) -> str:
    """Thousands separators; one decimal only for small non-integral values."""
    v = float(v)
    if not np.isfinite(v):
        return "–"
    if abs(v) >= 100 or v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def fmt_compact(v: float) -> str:
    """Axis and bar labels, three significant digits: 950, 12.3k, 1.2M."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.0f}" if float(v).is_integer() or a >= 10 else f"{v:.2g}"


def account_count_key(project) -> str | None:
    """The metric key that counts accounts (``accounts`` unless a unit column already took that name)."""
    return next((f.key for f in metric_fields(project) if f.source == "account_count"), None)


def field_labels(project) -> dict[str, str]:
    return {f.key: f.label for f in metric_fields(project)}


def is_checked(state) -> bool:
    """Qt check states arrive as enums or ints depending on the call path."""
    return getattr(state, "value", state) == Qt.CheckState.Checked.value


def __getattr__(name: str):  # lazy: importing a helper must not import both panels
    if name == "TerritoryPanel":
        from territory_desk.ui.panels.territories.panel import TerritoryPanel
        return TerritoryPanel
    if name == "MetricsPanel":
        from territory_desk.ui.panels.metrics.panel import MetricsPanel
        return MetricsPanel
    if name == "BalanceChart":
        from territory_desk.ui.panels.metrics.balance_chart import BalanceChart
        return BalanceChart
    raise AttributeError(name)


__all__ = ["UNITS_MIME", "swatch_icon", "fmt_int", "fmt_value", "fmt_compact", "account_count_key",
           "field_labels", "is_checked", "TerritoryPanel", "MetricsPanel", "BalanceChart"]
