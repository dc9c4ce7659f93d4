"""Main-window actions for export: File → Export… (dialog with a preview) and Edit → Copy map.

Exports run on a worker thread behind a progress dialog (run_with_progress) with their own
QtMapRenderer, whose geometry cache is built on the first export and kept for the next ones; the
preview and the clipboard copy draw on the UI thread over the canvas's geometry cache.
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.ui.export.map_export import QtMapRenderer
from territory_desk.ui.workers import run_with_progress

# The dialogs and dock panels of this area are imported where first used: start-up does not load them.
CLIPBOARD_DPI = 144  # a 16:9 slide picture of 1920 x 1080 pixels


class ExportActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._worker_renderer = QtMapRenderer()  # used by one export at a time (the dialog is modal)
        self.act_export = QAction("&Export…", window)
        self.act_export.setShortcut(QKeySequence("Ctrl+E"))
        self.act_export.setObjectName("actionExport")
        self.act_export.triggered.connect(self.export_dialog)
        self.act_copy_map = QAction("Copy &map to clipboard", window)
        self.act_copy_map.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.act_copy_map.setObjectName("actionCopyMap")
        self.act_copy_map.triggered.connect(self.copy_map)
        file_menu, edit_menu = window.menus["file"], window.menus["edit"]
        file_menu.insertAction(window.act_quit, self.act_export)
        file_menu.insertSeparator(window.act_quit)
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_copy_map)
        for menu in (file_menu, edit_menu):
            menu.aboutToShow.connect(self.update_enabled)
        window.documentChanged.connect(self.update_enabled)
        self.update_enabled()

    def update_enabled(self) -> None:
        has = self.window.model is not None and self.window.canvas is not None
        self.act_export.setEnabled(has)
        self.act_copy_map.setEnabled(has)

    # ---- small steps tests can replace -------------------------------------------------------------
    def _run_dialog(self, dialog) -> bool:
        return bool(dialog.exec())

    # ---- actions -----------------------------------------------------------------------------------
    def make_dialog(self):
        from territory_desk.ui.dialogs.export_dialog import ExportDialog

        return ExportDialog(self.window, QtMapRenderer(self.window.canvas.cache))

    def export_dialog(self) -> None:
        if self.window.model is None or self.window.canvas is None:
            return
        dialog = self.make_dialog()
        try:
            if self._run_dialog(dialog):
                self.run_export(dialog.options())
        finally:
            dialog.deleteLater()

    def run_export(self, options: dict) -> str | None:
        """Run an export (keyword arguments of services.exports.export) off the UI thread; returns
        the written path, or None when it failed (the user was told why)."""
        from territory_desk.services.exports import export

        doc = self.window.model.doc
        opts = {**self.window.canvas.export_options(), **options}  # the map as it is on the canvas
        fmt, out = opts.pop("fmt"), opts.pop("out")
        renderer = self._worker_renderer
        box: dict = {}  # filled on the worker thread before it ends (not through queued signals)

        def job():
            try:
                box["result"] = export(doc.project, fmt, out, map_renderer=renderer, project_path=doc.path, **opts)
            except BaseException as exc:
                box["error"] = exc
                raise

        try:
            run_with_progress(self.window, f"Exporting {fmt.upper()}…", job)
        except (TerritoryDeskError, OSError):
            pass  # reported below from the box
        error = box.get("error")
        if isinstance(error, (TerritoryDeskError, OSError)):
            self.window.show_error(f"Export failed: {error}")
            return None
        if error is not None:
            raise error
        result = box["result"]
        self.window.show_message(result.message[0].upper() + result.message[1:])
        return result.path

    def copy_map(self) -> None:
        """The current view as a 16:9 picture with legend and scale bar, on the clipboard."""
        from territory_desk.services.exports import map_spec

        window = self.window
        if window.model is None or window.canvas is None:
            return
        canvas = window.canvas
        layers = {k: canvas.layer_visible(k) for k in ("accounts", "basemap", "unit_labels", "territory_labels")}
        try:
            spec = map_spec(window.model.doc.project, page="slide", dpi=CLIPBOARD_DPI, bounds=canvas.view.world_bounds(),
                            layers=layers, project_path=window.model.doc.path, **canvas.export_options())
            image = QtMapRenderer(canvas.cache).image(spec)
        except TerritoryDeskError as exc:
            self.window.show_error(f"Could not copy the map: {exc}")
            return
        QGuiApplication.clipboard().setImage(image)
        self.window.show_message(f"Map copied to the clipboard ({image.width()} x {image.height()} pixels)")


def install(window) -> ExportActions:
    """Add this area's actions to the window's menus (window.menus[name] is a QMenu)."""
    return ExportActions(window)
