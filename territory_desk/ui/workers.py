"""Run slow work (open, save, import) off the UI thread with a progress dialog; the window keeps painting."""
from __future__ import annotations

import gc
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget


class _Worker(QThread):
    finishedOk = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
            self.finishedOk.emit(self.result)
        except BaseException as exc:  # reported to the UI thread, never lost
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.error = exc
            self.failed.emit(exc)


def run_with_progress(parent: QWidget | None, label: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread while a modal busy dialog keeps the UI alive. Returns its
    result or raises its exception in the calling (UI) thread."""
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setWindowTitle("territory_desk")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    # Python's cyclic GC runs in whichever thread allocates: in the worker it could delete dead Qt
    # objects (old dialogs) off the UI thread and crash. Collect here, then keep it off meanwhile.
    gc.collect()
    gc.disable()
    worker = _Worker(fn)
    loop = QEventLoop()
    worker.finished.connect(loop.quit)
    try:
        worker.start()
        if not worker.isFinished():
            loop.exec()
        worker.wait()
    finally:
        gc.enable()
    dialog.reset()
    dialog.deleteLater()
    # read the outcome from the worker itself: queued signals may not be delivered yet
    if worker.error is not None:
        raise worker.error
    return worker.result


def run_in_background(fn: Callable[[], Any], on_error: Callable[[BaseException], None] | None = None,
                      parent: QObject | None = None) -> _Worker:
    """Fire-and-forget worker (autosave). Keep the returned object alive until it finishes."""
    worker = _Worker(fn, parent)
    if on_error is not None:
        worker.failed.connect(on_error)
    worker.start()
    return worker
