"""Main-window actions for optimize: Tools → Design territories….

The dialog collects the options; the optimiser runs on a worker thread behind a progress bar whose
Cancel keeps the best plan found so far; the result lands as a new active scenario through one
undoable AddScenario command (Edit → Undo returns to the previous scenario), and the figures of the
result (with what moved, when rebalancing) are shown.
"""
from __future__ import annotations

import threading
import time
import traceback

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.editing.scenarios import AddScenario


class _OptimizeWorker(QThread):
    progressed = Signal(float, str)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, project, options, cancel: threading.Event, parent=None):
        super().__init__(parent)
        self.project, self.options, self.cancel = project, options, cancel
        self._last = 0.0

    def _progress(self, fraction: float, text: str) -> None:
        now = time.monotonic()
        if now - self._last >= 0.05 or fraction >= 1.0:  # at most 20 updates a second
            self._last = now
            self.progressed.emit(fraction, text)

    def run(self) -> None:
        from territory_desk.services.optimize import run  # the optimiser's scipy stack: loaded on first use

        try:
            self.done.emit(run(self.project, self.options, self._progress, self.cancel.is_set))
        except BaseException as exc:  # reported to the UI thread, never lost
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.failed.emit(exc)


class OptimizeActions(QObject):
    finished = Signal(object)  # the OptimizeResult, or None when the run failed

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.worker: _OptimizeWorker | None = None
        self.progress: QProgressDialog | None = None
        self._cancel = threading.Event()
        self.act_design = QAction("&Design territories…", window)
        self.act_design.triggered.connect(lambda _checked=False: self.design_dialog())
        self.act_design.setObjectName("actionDesignTerritories")
        self.act_design.setStatusTip("Design balanced, compact, contiguous territories, or rebalance a scenario")
        tools = window.menus["tools"]
        tools.addSeparator()
        tools.addAction(self.act_design)
        tools.aboutToShow.connect(self.update_enabled)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        window.documentChanged.connect(self.update_enabled)
        self.update_enabled()

    def shutdown(self) -> None:
        """Stop a running design and wait for its thread (the application is quitting)."""
        if self.worker is not None:
            self._cancel.set()
            self.worker.wait()

    def update_enabled(self) -> None:
        model = self.window.model
        self.act_design.setEnabled(model is not None and not model.read_only and self.worker is None)

    # ---- small steps tests can replace -------------------------------------------------------------
    def make_dialog(self):
        from territory_desk.ui.dialogs.optimize_dialog import OptimizeDialog  # imports the optimiser (~0.1 s)

        model = self.window.model
        return OptimizeDialog(model.doc, model.selection, self.window)

    def _run_dialog(self, dialog) -> bool:
        return bool(dialog.exec())

    def _show_result(self, title: str, text: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("optimizeResult")
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.result_box = box

    # ---- actions -----------------------------------------------------------------------------------
    def design_dialog(self) -> None:
        model = self.window.model
        if model is None or self.worker is not None or model.refuse_read_only():
            return
        dialog = self.make_dialog()
        try:
            if self._run_dialog(dialog):
                self.start(dialog.options())
        finally:
            dialog.deleteLater()

    def start(self, options) -> None:
        """Run the optimiser on a worker thread (returns at once; ``finished`` tells the end)."""
        model = self.window.model
        self._cancel = threading.Event()
        self.progress = dlg = QProgressDialog("Designing territories…", "Cancel", 0, 100, self.window)
        dlg.setObjectName("optimizeProgress")
        dlg.setWindowTitle("Design territories")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setMinimumDuration(0)
        dlg.setValue(0)
        dlg.canceled.connect(self.cancel)
        dlg.show()
        self.worker = worker = _OptimizeWorker(model.doc.project, options, self._cancel, self)
        worker.progressed.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_thread_end)
        self.update_enabled()
        worker.start()

    def cancel(self) -> None:
        """Stop the run; the best plan found so far becomes the result."""
        self._cancel.set()
        if self.progress is not None:
            self.progress.setLabelText("Stopping: keeping the best plan so far…")

    def _on_progress(self, fraction: float, text: str) -> None:
        dlg = self.progress
        if dlg is not None and not self._cancel.is_set():
            dlg.setLabelText(text[:1].upper() + text[1:] + "…")
            dlg.setValue(int(round(fraction * 100)))  # (a modal progress dialog processes events here)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _on_done(self, result) -> None:
        from territory_desk.services.optimize import moves_lines

        self._close_progress()
        model = self.window.model
        if not model.push(AddScenario(result.scenario, text=f"Design territories: {result.scenario.name}")):
            self.finished.emit(None)
            return
        # show the metric that was balanced in the Metrics panel
        opts = self.worker.options if self.worker is not None else None
        balanced = ([m for m, _ in opts.balance] or list(opts.weights)) if opts is not None else []
        if balanced and balanced[0] in model.doc.fields:
            self.window.metrics_panel.set_field(balanced[0])
        lines = result.summary_lines()
        self.window.show_message(f"New scenario {result.scenario.name!r}: " + "; ".join(lines[1:3]))
        details = "\n".join(moves_lines(result.moves, ids_shown=10_000)) if result.moves else ""
        self._show_result("Design territories", "\n".join(lines), details)
        self.finished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self._close_progress()
        if isinstance(exc, TerritoryDeskError):
            self.window.show_error(str(exc))
        else:
            self.window.show_error(f"The design failed unexpectedly: {exc}\n\n{getattr(exc, '__traceback_text__', '')}")
        self.finished.emit(None)

    def _on_thread_end(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.update_enabled()


def install(window) -> OptimizeActions:
    """Add this area's actions to the window's menus (window.menus[name] is a QMenu)."""
    return OptimizeActions(window)
