"""Starting the desktop editor, and `territory-desk --selftest`."""
from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from territory_desk import __version__
from territory_desk.resources_path import app_icon_path
from territory_desk.ui.shell.main_window import MainWindow


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    QCoreApplication.setOrganizationName("territory_desk")
    QCoreApplication.setApplicationName("territory_desk")
    QCoreApplication.setApplicationVersion(__version__)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app.setWindowIcon(QIcon(str(app_icon_path())))
    QGuiApplication.setDesktopFileName("territory-desk")
    return app  # type: ignore[return-value]


class _FileOpenFilter(QObject):
    """macOS hands a .gpkg opened from Finder to a running app as a FileOpen event, not an argument."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.FileOpen and event.file():
            self.window.open_path(event.file())
            return True
        return False


def run_gui(project: str | None = None, selftest: bool = False) -> int:
    if selftest and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a self-test needs no screen
    app = make_app()
    if selftest:
        from territory_desk.ui.shell.selftest import run_selftest  # QtTest: loaded for the self-test only

        return run_selftest(app, project)
    win = MainWindow()
    app.installEventFilter(_FileOpenFilter(win))
    if QSettings().value("window/geometry"):
        win.show()
    else:
        win.showMaximized()  # first start: the map wants the whole screen
    if project:
        if not os.path.exists(project):
            print(f"territory-desk: error: {project}: no such file", file=sys.stderr)
            return 2
        if not win.open_path(project):
            return 2
    return app.exec()

