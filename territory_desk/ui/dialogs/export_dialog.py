"""File → Export…: format, what to export (whole map, current view, a region, a territory), options and
a live preview of the result (the map page, or the first rows of a table).

The dialog only collects options (``options()`` gives the keyword arguments of
``services.exports.export``); ui/areas/export.py runs the export.
"""
from __future__ import annotations

import html
import os

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QSpinBox, QStackedWidget, QVBoxLayout, QWidget,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.io.tables.safe_csv import safe_cell
from territory_desk.services.export_formats import EXTENSIONS, LAYER_FORMATS, MAP_FORMATS, TABLE_FORMATS
from territory_desk.services.exports import map_spec
from territory_desk.services.map_specs import default_title

FORMATS = [  # (key, label)
    ("pdf", "PDF map (vector)"), ("png", "PNG image"), ("svg", "SVG map (vector)"), ("pptx", "PowerPoint deck"),
    ("html", "Interactive web map (HTML, offline)"), ("csv", "CSV table for CRMs"), ("xlsx", "Excel workbook"),
    ("gpkg", "GeoPackage layer"), ("geojson", "GeoJSON layer"), ("shp", "Shapefile layer"),
    ("kml", "KML (Google Earth)"),
]
TABLES = [("alignment", "Alignment: unit → territory, region, rep"), ("accounts", "Accounts: account → territory → rep"),
          ("summary", "Territory summary with all metrics")]
PAGES = [("letter", "Letter (landscape)"), ("a4", "A4 (landscape)"), ("slide", "16:9 slide")]
PREVIEW_W, PREVIEW_H = 520, 330
PREVIEW_DPI = 110  # rendered larger than shown, then scaled down smoothly
STYLED_LAYERS = tuple(f for f in LAYER_FORMATS if f != "kml")  # with QGIS styles and an accounts layer


class ExportDialog(QDialog):
    def __init__(self, window, renderer, parent=None):
        super().__init__(parent or window)
        self.setWindowTitle("Export")
        self.setObjectName("exportDialog")
        self.window_ = window
        self.renderer = renderer  # QtMapRenderer over the canvas's geometry (UI thread)
        self.project = window.model.doc.project
        self.project_path = window.model.doc.path
        self.map_extras = window.canvas.export_options()  # the thematic map and heat map shown on the canvas
        self.preview_error = ""
        self._timer = QTimer(self, singleShot=True, interval=150, timeout=self.update_preview)
        self._build()
        self._fill_extent()
        self._format_changed()

    # ---- widgets -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.format_box = QComboBox(objectName="format")
        for key, label in FORMATS:
            self.format_box.addItem(label, key)
        self.scenario_box = QComboBox(objectName="scenario")
        for sc in self.project.scenarios:
            self.scenario_box.addItem(sc.name, sc.name)
        self.scenario_box.setCurrentIndex(self.scenario_box.findData(self.project.active))
        self.extent_box = QComboBox(objectName="extent")
        self.title_edit = QLineEdit(objectName="title", placeholderText=default_title(self.project, self.project_path))
        self.page_box = QComboBox(objectName="page")
        for key, label in PAGES:
            self.page_box.addItem(label, key)
        self.dpi_box = QSpinBox(objectName="dpi", minimum=72, maximum=600, singleStep=50, value=300, suffix=" dpi")
        self.metric_box = QComboBox(objectName="metric")
        fields = list(map_spec(self.project).stats["summary"]["max_abs_deviation_pct"])
        for f in fields:
            self.metric_box.addItem(f.replace("_", " ").capitalize(), f)
        default = map_spec(self.project).metric
        self.metric_box.setCurrentIndex(max(0, self.metric_box.findData(default)))
        self.table_box = QComboBox(objectName="table")
        for key, label in TABLES:
            self.table_box.addItem(label, key)
        self.inset = QCheckBox("Inset of the whole map", objectName="inset")
        self.accounts = QCheckBox("Draw accounts", objectName="accounts")
        self.accounts.setChecked(self._canvas_layers().get("accounts", False))
        self.label_metric = QCheckBox("Label territories with the metric under their name", objectName="labelMetric")
        self.label_metric.setToolTip("The layer's QGIS style labels each territory with its name; with this, "
                                     "also the metric's value and deviation")
        self.tiles = QCheckBox("Online map tiles (OpenStreetMap; needs the network when viewed)", objectName="tiles")
        self.formula_safe = QCheckBox("Protect from spreadsheet formulas (' before text starting with =, +, -, @)",
                                      objectName="formulaSafe", checked=True)
        self.formula_safe.setToolTip("Clear it only for files read by programs, not opened in a spreadsheet "
                                     "(the CLI's --raw-csv)")
        self.path_edit = QLineEdit(objectName="path")
        browse = QPushButton("Browse…", objectName="browse", clicked=self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        for label, w in (("Format", self.format_box), ("Scenario", self.scenario_box), ("Show", self.extent_box),
                         ("Title", self.title_edit), ("Page", self.page_box), ("Resolution", self.dpi_box),
                         ("Legend metric", self.metric_box), ("Table", self.table_box)):
            form.addRow(label, w)
        for w in (self.inset, self.accounts, self.label_metric, self.tiles, self.formula_safe):
            form.addRow("", w)
        form.addRow("Save to", row)
        self.form = form
        self.preview = QLabel(objectName="preview", alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.preview.setStyleSheet("QLabel { background: #fafafa; border: 1px solid #c8c8c8; }")
        self.table_preview = QPlainTextEdit(objectName="tablePreview", readOnly=True)
        self.table_preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.table_preview.setFont(QFont("DejaVu Sans Mono", 8))
        self.table_preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.preview)
        self.stack.addWidget(self.table_preview)
        self.status = QLabel(objectName="status", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        left = QWidget()
        left.setLayout(form)
        body = QHBoxLayout()
        body.addWidget(left, 1)
        body.addWidget(self.stack)
        lay = QVBoxLayout(self)
        lay.addLayout(body)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.scenario_box.currentIndexChanged.connect(self._fill_extent)
        for w in (self.extent_box, self.page_box, self.metric_box, self.table_box):
            w.currentIndexChanged.connect(self.schedule_preview)
        for w in (self.inset, self.accounts, self.label_metric, self.tiles, self.formula_safe):
            w.toggled.connect(self.schedule_preview)
        self.title_edit.textChanged.connect(self.schedule_preview)
        self.path_edit.textChanged.connect(self._update_buttons)

    def _canvas_layers(self) -> dict:
        canvas = self.window_.canvas
        return {k: canvas.layer_visible(k) for k in ("accounts", "basemap", "unit_labels", "territory_labels")}

    def _fill_extent(self) -> None:
        sc = self.project.get_scenario(self.scenario_box.currentData())
        current = self.extent_box.currentData()
        self.extent_box.blockSignals(True)
        self.extent_box.clear()
        self.extent_box.addItem("Whole map", "all:")
        self.extent_box.addItem("Current view", "view:")
        for r in sc.regions:
            self.extent_box.addItem(f"Region: {r.name}", f"region:{r.id}")
        for t in sc.territories:
            self.extent_box.addItem(f"Territory: {t.name}", f"territory:{t.id}")
        k = self.extent_box.findData(current) if current else 0
        self.extent_box.setCurrentIndex(max(k, 0))
        self.extent_box.blockSignals(False)
        self.schedule_preview()

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    def _format_changed(self) -> None:
        fmt = self.fmt
        is_map = fmt in MAP_FORMATS
        self._set_row(self.page_box, is_map)
        self._set_row(self.dpi_box, is_map)
        self._set_row(self.metric_box, fmt in MAP_FORMATS + ("pptx", "html") + LAYER_FORMATS)
        self._set_row(self.title_edit, fmt in MAP_FORMATS + ("pptx", "html"))
        self._set_row(self.table_box, fmt in TABLE_FORMATS)
        self._set_row(self.inset, is_map)
        self._set_row(self.accounts, is_map or fmt in STYLED_LAYERS)
        self.accounts.setText("Draw accounts" if is_map else "Add the accounts layer (points in their territory's "
                              "colour)")
        self._set_row(self.label_metric, fmt in STYLED_LAYERS)
        self.form.labelForField(self.metric_box).setText("Legend metric" if fmt not in LAYER_FORMATS else "Metric")
        self._set_row(self.tiles, fmt == "html")
        self._set_row(self.formula_safe, fmt == "csv")
        view = self.extent_box.findData("view:")
        self.extent_box.model().item(view).setEnabled(is_map)
        if not is_map and self.extent_box.currentIndex() == view:
            self.extent_box.setCurrentIndex(0)
        self._suggest_path()
        self.schedule_preview()

    def _set_row(self, widget, visible: bool) -> None:
        self.form.setRowVisible(widget, visible)

    # ---- output path -------------------------------------------------------------------------------
    def _suggest_path(self) -> None:
        ext = EXTENSIONS[self.fmt][0]
        text = self.path_edit.text().strip()
        if text and text != getattr(self, "_suggested", None):  # the user's own name: keep it
            stem, old = os.path.splitext(text)
            if old.lower() != ext and any(old.lower() in e for e in EXTENSIONS.values()):
                self.path_edit.setText(stem + ext)
            return
        folder = QSettings().value("export/lastDir", "") or os.path.dirname(self.project_path or "") or os.getcwd()
        stem = os.path.splitext(os.path.basename(self.project_path or "territories"))[0]
        kind = {"csv": "alignment", "xlsx": "alignment", "html": "web-map", "pptx": "deck"}.get(self.fmt,
               "map" if self.fmt in MAP_FORMATS else "territories")
        self._suggested = os.path.join(str(folder), f"{stem}-{kind}{ext}")
        self.path_edit.setText(self._suggested)

    def _ask_path(self) -> str:
        ext = EXTENSIONS[self.fmt][0]
        return QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), f"{self.fmt.upper()} (*{ext})")[0]

    def browse(self) -> None:
        path = self._ask_path()
        if path:
            self.path_edit.setText(path)

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(bool(self.path_edit.text().strip()) and not self.preview_error)

    # ---- options and preview -----------------------------------------------------------------------
    def options(self) -> dict:
        """Keyword arguments for services.exports.export (besides project, map_renderer)."""
        kind, key = (self.extent_box.currentData() or "all:").split(":", 1)
        fmt = self.fmt
        opts = {"fmt": fmt, "out": self.path_edit.text().strip(), "scenario": self.scenario_box.currentData(),
                "region": key if kind == "region" else None, "territory": key if kind == "territory" else None,
                "title": self.title_edit.text().strip() or None, "metric": self.metric_box.currentData()}
        if fmt in MAP_FORMATS:
            layers = self._canvas_layers()
            layers["accounts"] = self.accounts.isChecked()
            opts.update(page=self.page_box.currentData(), dpi=self.dpi_box.value(), inset=self.inset.isChecked(),
                        layers=layers, bounds=self.window_.canvas.view.world_bounds() if kind == "view" else None)
        if fmt in TABLE_FORMATS:
            opts["table"] = self.table_box.currentData()
        if fmt == "csv":
            opts["raw_csv"] = not self.formula_safe.isChecked()
        if fmt == "html":
            opts["online_tiles"] = self.tiles.isChecked()
        if fmt in STYLED_LAYERS:
            opts.update(accounts=self.accounts.isChecked(), label_metric=self.label_metric.isChecked())
        return opts

    def schedule_preview(self) -> None:
        self._timer.start()

    def update_preview(self) -> None:
        """Render the preview now (tests call it directly instead of waiting for the timer)."""
        self._timer.stop()
        o = self.options()
        try:
            if o["fmt"] in TABLE_FORMATS:
                self._table_preview(o)
            else:
                self._map_preview(o)
            self.preview_error = ""
            self.status.setText("")
        except TerritoryDeskError as exc:
            self.preview_error = str(exc)
            self.status.setText(f"<span style='color:#b00020'>{html.escape(self.preview_error)}</span>")
        self._update_buttons()

    def _map_preview(self, o: dict) -> None:
        page = o.get("page") or "slide"
        spec = map_spec(self.project, scenario=o["scenario"], region=o["region"], territory=o["territory"],
                        title=o["title"], metric=o["metric"], page=page, dpi=PREVIEW_DPI, bounds=o.get("bounds"),
                        inset=o.get("inset", False), project_path=self.project_path,
                        layers=o.get("layers") or ({"accounts": True} if o.get("accounts") else None),
                        **self.map_extras)
        if o["fmt"] not in MAP_FORMATS:
            spec = spec.with_(show_title=o["fmt"] == "pptx")
        image = self.renderer.image(spec)
        image.setDevicePixelRatio(1.0)  # shown scaled to the preview box, whatever the dpi
        pix = QPixmap.fromImage(image).scaled(PREVIEW_W - 8, PREVIEW_H - 8, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
        self.preview.setPixmap(pix)
        self.preview_image = image
        self.stack.setCurrentWidget(self.preview)

    def _table_preview(self, o: dict) -> None:
        from territory_desk.io.exporters.tables import build_table  # openpyxl (~0.1 s): on the first table preview

        spec = map_spec(self.project, scenario=o["scenario"], region=o["region"], territory=o["territory"])
        table = build_table(o["table"], self.project, spec.scenario, spec.stats, spec.territories)
        raw = o.get("raw_csv", o["fmt"] != "csv")  # the cells as the file will hold them
        rows = [table.header] + [[str(safe_cell(v, raw)) for v in r] for r in table.rows[:40]]
        widths = [min(max(len(r[c]) for r in rows), 24) for c in range(len(table.header))]
        lines = ["  ".join(v[:24].ljust(w) for v, w in zip(r, widths)) for r in rows]
        more = len(table.rows) - 40
        self.table_preview.setPlainText("\n".join(lines) + (f"\n… {more:,} more rows" if more > 0 else ""))
        self.stack.setCurrentWidget(self.table_preview)

    def accept(self) -> None:
        if not self.path_edit.text().strip():
            self.status.setText("Choose where to save the export.")
            return
        QSettings().setValue("export/lastDir", os.path.dirname(os.path.abspath(self.path_edit.text().strip())))
        super().accept()
