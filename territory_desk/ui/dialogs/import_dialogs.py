"""The dialogs of File → Import: the column mapping of a table (a preview of the first rows with one
combo box per source column, automatically mapped and overridable), the options of a units import
(layer, id field, add or replace), and the report shown at the end (summary and every rejected row,
savable as CSV; also shown, with an error headline, when nothing could be imported)."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
    QHeaderView, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QRadioButton, QTableView, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.io.imports.column_mapping import ColumnMapping, missing_essentials, target_choices, validate
from territory_desk.io.imports.report import ImportReport
from territory_desk.io.tables.reader import RawTable, list_sheets
from territory_desk.ui.dialogs.read_limits import Declined, session_limits, with_raised_limits
from territory_desk.ui.dialogs.buttons import ok_cancel
from territory_desk.ui.dialogs.text_encoding_box import Preview, TextEncodingBox


TARGET_LABELS = {
    "id": "Id", "name": "Name", "first_name": "First name", "last_name": "Last name", "lat": "Latitude",
    "lon": "Longitude", "street": "Street", "city": "City", "state": "State", "zip": "ZIP code",
    "county": "County", "capacity": "Capacity", "languages": "Languages", "industries": "Industries",
    "experience": "Experience level", "numeric": "Number (keep)", "text": "Text (keep)", "ignore": "— ignore —",
}
CELL_CHARS = 80
MAX_COLUMN_PX = 240


class ColumnMappingDialog(QDialog):
    """``mapping()`` gives the chosen ColumnMapping once the dialog was accepted."""

    check_mapping = staticmethod(validate)  # raises on a mapping that cannot be imported
    missing_in = staticmethod(missing_essentials)  # what a mapping still lacks ("" for nothing)

    def __init__(self, raw: RawTable, mapping: ColumnMapping, kind: str = "accounts", sheets: list[str] | None = None,
                 reload: Callable[[str], tuple[RawTable, ColumnMapping]] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("columnMappingDialog")
        self.kind = kind
        self._reload = reload
        what = "accounts" if kind == "accounts" else "reps"
        self.setWindowTitle(f"Import {what} — {os.path.basename(raw.path)}")
        lay = QVBoxLayout(self)
        self.info = QLabel()
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.sheet_combo: QComboBox | None = None
        if sheets and len(sheets) > 1:
            row = QHBoxLayout()
            row.addWidget(QLabel("Sheet:"))
            self.sheet_combo = QComboBox()
            self.sheet_combo.setObjectName("sheetCombo")
            self.sheet_combo.addItems(sheets)
            self.sheet_combo.setCurrentText(raw.sheet)
            self.sheet_combo.currentTextChanged.connect(self._sheet_changed)
            row.addWidget(self.sheet_combo)
            row.addStretch(1)
            lay.addLayout(row)
        hint = QLabel("Choose what each column holds. Rows without coordinates are placed offline by ZIP code, "
                      "then city and state, then county. Number columns become balance metrics.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.table = QTableWidget()
        self.table.setObjectName("mappingTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        lay.addWidget(self.table, 1)
        self.problem = QLabel()
        self.problem.setObjectName("mappingProblem")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        lay.addWidget(self.problem)
        self.buttons = ok_cancel(self, "Import")
        lay.addWidget(self.buttons)
        self.combos: dict[str, QComboBox] = {}
        self._fill(raw, mapping)
        self.resize(960, 520)

    # ---- content --------------------------------------------------------------------------------
    def _fill(self, raw: RawTable, mapping: ColumnMapping) -> None:
        self.raw = raw
        self.info.setText(f"<b>{_html(os.path.basename(raw.path))}</b> — read as {_html(raw.describe())}; "
                          f"{len(raw.columns)} column(s); the first {len(raw)} row(s) are shown.")
        t = self.table
        t.clear()
        t.setColumnCount(len(raw.columns))
        t.setRowCount(len(raw) + 1)
        t.setHorizontalHeaderLabels(raw.columns)
        t.setVerticalHeaderLabels(["import as"] + [str(r) for r in raw.rows])
        self.combos = {}
        choices = target_choices(self.kind)
        for c, col in enumerate(raw.columns):
            combo = QComboBox()
            combo.setObjectName(f"target:{col}")
            for target in choices:
                combo.addItem(TARGET_LABELS.get(target, target), target)
            current = mapping.targets.get(col, "ignore")
            base = current.split(":", 1)[0]
            combo.setCurrentIndex(max(0, combo.findData(base)))
            combo.setToolTip(f"what column {col!r} holds")
            combo.currentIndexChanged.connect(self._changed)
            t.setCellWidget(0, c, combo)
            self.combos[col] = combo
            values = raw.frame[col].tolist()
            for r, v in enumerate(values, start=1):
                text = str(v)
                item = QTableWidgetItem(text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…")
                if len(text) > CELL_CHARS:
                    item.setToolTip(text[:2000])
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
        for c in range(t.columnCount()):
            t.setColumnWidth(c, min(max(t.columnWidth(c), 120), MAX_COLUMN_PX))
        self._changed()

    def _sheet_changed(self, sheet: str) -> None:
        if self._reload is None:
            return
        try:
            raw, mapping = self._reload(sheet)
        except TerritoryDeskError as exc:
            self.problem.setText(str(exc))
            return
        self._fill(raw, mapping)

    def _changed(self) -> None:
        mapping = self.mapping()
        try:
            self.check_mapping(mapping)
            problem = self.missing_in(mapping)
        except TerritoryDeskError as exc:
            problem = str(exc)
        self.problem.setText(problem[:1].upper() + problem[1:] + ("." if problem else ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    # ---- result ---------------------------------------------------------------------------------
    def set_target(self, column: str, target: str) -> None:
        combo = self.combos[column]
        combo.setCurrentIndex(combo.findData(target))

    def target(self, column: str) -> str:
        return str(self.combos[column].currentData())

    def mapping(self) -> ColumnMapping:
        targets = {col: str(combo.currentData()) for col, combo in self.combos.items()}
        return ColumnMapping(targets, self.kind)

    def sheet(self) -> str | None:
        return self.sheet_combo.currentText() if self.sheet_combo is not None else (self.raw.sheet or None)


# ---- units ------------------------------------------------------------------------------------------
AUTO = "(automatic)"  # the id field the reader guesses


@dataclass
class UnitImportOptions:
    layer: str | None
    id_field: str | None
    replace: bool
    encoding: str | None = None  # a shapefile's text encoding; None: chosen automatically


class UnitImportDialog(QDialog):
    def __init__(self, path: str, layers: list[tuple[str, str]], fields_of: Callable[[str | None], list[str]],
                 n_units: int, parent: QWidget | None = None, text_preview: Preview | None = None):
        super().__init__(parent)
        self.setObjectName("unitImportDialog")
        self.setWindowTitle(f"Import units — {os.path.basename(path)}")
        self._fields_of = fields_of
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("layerCombo")
        for name, geom in layers:
            self.layer_combo.addItem(f"{name} ({geom.lower() or 'unknown'})", name)
        self.layer_combo.setEnabled(len(layers) > 1)
        polys = [k for k, (_, g) in enumerate(layers) if "polygon" in g.lower()]
        if polys:
            self.layer_combo.setCurrentIndex(polys[0])
        form.addRow("Layer:", self.layer_combo)
        self.id_combo = QComboBox()
        self.id_combo.setObjectName("idFieldCombo")
        form.addRow("Unit id field:", self.id_combo)
        self.encoding_box = TextEncodingBox(text_preview or (lambda _layer, _enc: None))
        form.addRow("Text encoding:", self.encoding_box)
        self.form = form
        lay.addLayout(form)
        self.add_radio = QRadioButton(f"Add the layer's units to the {n_units:,} units of the project "
                                      "(new ids only; they start unassigned)")
        self.add_radio.setObjectName("addUnits")
        self.replace_radio = QRadioButton("Replace the project's units (assignments are kept where unit ids match)")
        self.replace_radio.setObjectName("replaceUnits")
        self.group = QButtonGroup(self)
        self.group.addButton(self.add_radio)
        self.group.addButton(self.replace_radio)
        self.replace_radio.setChecked(True)
        lay.addWidget(self.add_radio)
        lay.addWidget(self.replace_radio)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        lay.addWidget(self.problem)
        note = QLabel("The adjacency graph is rebuilt and the accounts are located again; Ctrl+Z undoes the import.")
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = ok_cancel(self, "Import")
        lay.addWidget(buttons)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self._layer_changed()
        self.resize(560, 0)

    def _layer_changed(self) -> None:
        self.id_combo.clear()
        self.id_combo.addItem(AUTO, None)
        try:
            fields = self._fields_of(self.layer())
            self.problem.setText("")
        except TerritoryDeskError as exc:
            fields = []
            self.problem.setText(str(exc))
        for f in fields:
            self.id_combo.addItem(f, f)
        self.form.setRowVisible(self.encoding_box, self.encoding_box.set_layer(self.layer()))

    def layer(self) -> str | None:
        return self.layer_combo.currentData() if self.layer_combo.count() > 1 else None

    def options(self) -> UnitImportOptions:
        return UnitImportOptions(self.layer(), self.id_combo.currentData(), self.replace_radio.isChecked(),
                                 self.encoding_box.encoding())


# ---- report -----------------------------------------------------------------------------------------
class RejectedRowsModel(QAbstractTableModel):
    """Row number, id and reason of every rejected row (a model: a million rows cost nothing)."""

    HEADERS = ("Row", "Id", "Reason")

    def __init__(self, report: ImportReport, parent=None):
        super().__init__(parent)
        self.rows = sorted(report.rejected, key=lambda r: r.row)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 3

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        r = self.rows[index.row()]
        value = (r.row or "", r.id, r.reason)[index.column()]
        text = str(value)
        if role == Qt.ItemDataRole.DisplayRole and len(text) > 200:
            text = text[:199] + "…"
        return text

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None


class ImportReportDialog(QDialog):
    def __init__(self, report: ImportReport, error: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importReportDialog")
        self.report = report
        what = {"accounts": "accounts", "reps": "reps", "units": "units"}.get(report.kind, "data")
        self.setWindowTitle(f"Import {what} — report")
        lay = QVBoxLayout(self)
        head = QLabel()
        head.setObjectName("reportHeadline")
        head.setWordWrap(True)
        if error:
            head.setText(f"<b>Nothing was imported.</b> The project is unchanged.<br>{_html(error)}")
        else:
            head.setText(f"<b>Imported {report.imported:,} of {report.rows_read:,} row(s)</b>"
                         + (f"; {len(report.rejected):,} rejected (listed below)." if report.rejected else "."))
        lay.addWidget(head)
        self.summary = QPlainTextEdit("\n".join(report.summary_lines(examples=0)))
        self.summary.setObjectName("reportSummary")
        self.summary.setReadOnly(True)
        self.summary.setMaximumHeight(150)
        lay.addWidget(self.summary)
        self.table = QTableView()
        self.table.setObjectName("rejectedRows")
        self.model = RejectedRowsModel(report, self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 140)
        self.table.setVisible(bool(report.rejected))
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save report as CSV…")
        self.save_button.setObjectName("saveReport")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save_csv)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)
        self.resize(820, 520 if report.rejected else 320)

    def _ask_save_path(self) -> str:
        start = os.path.join(str(QSettings().value("files/lastDir", os.getcwd())),
                             f"import-{self.report.kind}-report.csv")
        path = QFileDialog.getSaveFileName(self, "Save the import report", start, "CSV files (*.csv)")[0]
        if path and not path.lower().endswith(".csv"):
            path += ".csv"
        return path

    def save_csv(self) -> bool:
        path = self._ask_save_path()
        if not path:
            return False
        try:
            self.report.write_csv(path)
        except OSError as exc:
            QMessageBox.warning(self, "territory_desk", f"Could not save the report: {exc.strerror or exc}")
            return False
        self.save_button.setText(f"Saved to {os.path.basename(path)}")
        return True


# ---- the first steps of a table import (accounts, reps, opportunities, leads, quotas) ------------

def ask_table_mapping(window, path: str, kind: str, preview, dialog_class) -> tuple | None:
    """(mapping, sheet) from the mapping dialog of a table import, or None when the user gave up.
    ``preview(path, kind, sheet, limits=...)`` reads the first rows within the session's reading limits."""
    try:
        raw, mapping = with_raised_limits(window, lambda limits: preview(path, kind, limits=limits))
    except Declined:
        return None
    dialog = dialog_class(raw, mapping, kind, list_sheets(path, session_limits(window)),
                          reload=lambda sheet: preview(path, kind, sheet, limits=session_limits(window)), parent=window)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.mapping(), dialog.sheet()
    finally:
        dialog.deleteLater()


def choose_table(path: str, ask_mapping, error) -> tuple | None:
    """The file, column mapping and sheet of a table import, or None when the user gave up or the
    file could not be previewed (``error`` is told why). ``ask_mapping(path)`` shows the mapping dialog."""
    if not path:
        return None
    try:
        chosen = ask_mapping(path)
    except TerritoryDeskError as exc:
        error(str(exc))
        return None
    return None if chosen is None else (path, *chosen)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
