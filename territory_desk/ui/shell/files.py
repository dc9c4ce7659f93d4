"""File workflows of the main window: new, open, save, save as, recent files, dropped files,
autosave with crash recovery, and the lock that stops a project being edited twice."""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.services import session_files as sf
from territory_desk.services.project_files import create_demo, new_project_from_units, open_document, save_document
from territory_desk.ui.workers import run_in_background, run_with_progress

UNIT_FILE_SUFFIXES = (".shp", ".geojson", ".json", ".kml", ".kmz", ".zip", ".gml", ".fgb")
MAX_RECENT = 8
_OPEN_IN_THIS_PROCESS: set[str] = set()  # shared on purpose: a project open in one window opens read-only in another


class ProjectActions:
    """Mixin for MainWindow (expects self.model, self.set_document, self.show_message...)."""

    def init_project_actions(self) -> None:
        self._autosave_worker = None
        self._lock_held: str | None = None
        self._recovered_dirty = False  # restored or repaired on open: unsaved although the stack is clean
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        seconds = int(QSettings().value("autosave/seconds", 60))
        self.autosave_timer.start(max(5, seconds) * 1000)
        self._refresh_recent_menu()

    # ---- dialogs (small methods so tests can replace them) -------------------------------------
    def _ask_open_path(self, title: str, filters: str) -> str:
        return QFileDialog.getOpenFileName(self, title, self._last_dir(), filters)[0]

    def _ask_save_path(self, title: str, default: str = "") -> str:
        path = QFileDialog.getSaveFileName(self, title, default or self._last_dir(), "Projects (*.gpkg)")[0]
        if path and not path.lower().endswith(".gpkg"):
            path += ".gpkg"
        return path

    def ask(self, title: str, text: str, buttons, default) -> QMessageBox.StandardButton:
        """A question with ``buttons``; the button chosen (tests and the self-test replace this)."""
        return QMessageBox.question(self, title, text, buttons, default)

    def show_error(self, text: str) -> None:
        """A warning box: what went wrong, in one line (every area reports failures here)."""
        QMessageBox.warning(self, "territory_desk", text)

    def _notice(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    def _last_dir(self) -> str:
        return str(QSettings().value("files/lastDir", os.getcwd()))

    # ---- recent files ---------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = QSettings().value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)]

    def _remember(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent_files() if p != path]
        s = QSettings()
        s.setValue("files/recent", files[:MAX_RECENT])
        s.setValue("files/lastDir", os.path.dirname(path))
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        for p in self.recent_files():
            menu.addAction(p, lambda p=p: self.open_path(p))
        menu.setEnabled(bool(self.recent_files()))

    # ---- open -----------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path = self._ask_open_path("Open project", "Projects (*.gpkg);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a project with progress; handles locks and crash recovery. True when opened."""
        path = os.path.abspath(path)
        if not self.maybe_save():
            return False
        read_only = self._read_only_if_in_use(path)
        if read_only is None:
            return False
        try:
            doc = run_with_progress(self, f"Opening {os.path.basename(path)}…", lambda: open_document(path))
        except TerritoryDeskError as exc:
            self.show_error(str(exc))
            return False
        recovered = not read_only and self._offer_recovery(doc, path)
        self._release_current()
        if not read_only:
            sf.acquire_lock(path)
            self._lock_held = path
        _OPEN_IN_THIS_PROCESS.add(path)
        self.set_document(doc, read_only=read_only)
        repairs = doc.project.repairs
        if recovered or (repairs and not read_only):  # a save writes the repaired file
            self.setWindowModified(True)
            self._recovered_dirty = True
        self._remember(path)
        self.show_message(f"Opened {path}" + (" (recovered edits restored)" if recovered else "")
                          + (f" ({len(repairs)} repair(s) made while reading it)" if repairs else ""))
        if repairs:
            self._notice("Project repaired on open",
                         f"{os.path.basename(path)} was repaired while it was read (each repair is exact):\n\n"
                         + "\n".join(f"• {r}" for r in repairs)
                         + ("\n\nThe file itself is unchanged until you save." if not read_only else ""))
        return True

    def _read_only_if_in_use(self, path: str) -> bool | None:
        """False when the project is free to edit; True when it is open elsewhere (this process or
        another) and the user chose to open it read-only; None when they cancelled."""
        B = QMessageBox.StandardButton
        if path in _OPEN_IN_THIS_PROCESS and path != (self.model.doc.path if self.model else None):
            question = ("Project already open", f"{path} is open in another window.\nOpen it read-only?")
        elif sf.lock_owner(path) is not None and not sf.acquire_lock(path):
            owner = sf.lock_owner(path) or {}
            question = ("Project in use", f"{os.path.basename(path)} is being edited by another territory_desk "
                                          f"(process {owner.get('pid')} on {owner.get('host')}).\nOpen it read-only?")
        else:
            return False
        return True if self.ask(*question, B.Open | B.Cancel, B.Cancel) == B.Open else None

    def _offer_recovery(self, doc, path: str) -> bool:
        """Restore the autosaved edits of a session that did not end cleanly, if the user wants them.
        True when they were restored."""
        data = sf.pending_recovery(path)
        if data is None:
            return False
        answer = self.ask("Recover unsaved edits?",
                          f"territory_desk was not closed cleanly while editing {os.path.basename(path)}.\n"
                          "Restore the edits from the last autosave?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            sf.discard_recovery(path)
            return False
        try:
            sf.apply_recovery(doc.project, data)
            doc.rebuild()
        except TerritoryDeskError as exc:
            self.show_error(str(exc))
            return False
        return True

    def open_demo(self) -> None:
        path = os.path.join("projects", "demo.gpkg")
        if not os.path.exists(path):
            base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
            path = os.path.join(base or os.getcwd(), "demo.gpkg")
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                run_with_progress(self, "Building the US demo project…", lambda: create_demo(path))
        self.open_path(path)

    def new_demo_dialog(self) -> None:
        path = self._ask_save_path("Save the demo project as", "demo.gpkg")
        if path:
            try:
                run_with_progress(self, "Building the US demo project…", lambda: create_demo(path))
            except TerritoryDeskError as exc:
                self.show_error(str(exc))
                return
            self.open_path(path)

    def new_project_dialog(self, units_path: str = "") -> None:
        units_path = units_path or self._ask_open_path(
            "Base layer (units)", "GIS files (*.shp *.geojson *.json *.gpkg *.kml *.kmz *.zip);;All files (*)")
        if not units_path:
            return
        path = self._ask_save_path("Save the new project as", os.path.splitext(units_path)[0] + "-project.gpkg")
        if not path:
            return
        try:
            _, report = run_with_progress(self, "Reading the base layer and building adjacency…",
                                          lambda: new_project_from_units(path, units_path))
        except TerritoryDeskError as exc:
            self.show_error(str(exc))
            return
        self.open_path(path)
        self.show_message(report.splitlines()[0])

    # ---- save -----------------------------------------------------------------------------------
    def refuse_read_only(self) -> bool:
        if self.read_only:
            self.show_message("This project is open read-only: use Save As to keep your own copy.")
        return self.read_only

    def save(self) -> bool:
        if self.model is None:
            return False
        if self.read_only or not self.model.doc.path:
            return self.save_as_dialog()
        return self._save_to(self.model.doc.path)

    def save_as_dialog(self) -> bool:
        if self.model is None:
            return False
        path = self._ask_save_path("Save project as", self.model.doc.path or "")
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        doc = self.model.doc
        old = doc.path
        try:
            run_with_progress(self, f"Saving {os.path.basename(path)}…", lambda: save_document(doc, path))
        except (TerritoryDeskError, OSError) as exc:
            self.show_error(f"Could not save: {exc}")
            return False
        path = os.path.abspath(path)
        if old and os.path.abspath(old) != path:
            sf.discard_recovery(old)
        sf.discard_recovery(path)
        if self.read_only or (old and os.path.abspath(old) != path):
            self._release_current()
            sf.acquire_lock(path)
            self._lock_held = path
            _OPEN_IN_THIS_PROCESS.add(path)
            self.read_only = self.model.read_only = False
            self._update_enabled()
        self.model.undo_stack.setClean()
        self.setWindowModified(False)
        self._recovered_dirty = False
        self.update_title()
        self._remember(path)
        self.show_message(f"Saved {path}")
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes. False when the user cancelled."""
        if self.model is None or not (self.model.dirty or self._recovered_dirty):
            return True
        B = QMessageBox.StandardButton
        answer = self.ask("Unsaved changes", "Save the changes to the project before closing it?",
                           B.Save | B.Discard | B.Cancel, B.Save)
        if answer == B.Save:
            return self.save()
        if answer == B.Discard and self.model.doc.path:
            sf.discard_recovery(self.model.doc.path)
        return answer == B.Discard

    # ---- autosave ---------------------------------------------------------------------------------
    def autosave(self) -> None:
        """Write the recovery file in the background when there are unsaved edits."""
        if self.model is None or self.read_only or not self.model.doc.path or not self.model.dirty:
            return
        if self._autosave_worker is not None and self._autosave_worker.isRunning():
            return
        snap = sf.recovery_snapshot(self.model.doc.project)  # cheap copy on the UI thread
        path = self.model.doc.path
        self._autosave_worker = run_in_background(
            lambda: sf.write_recovery(path, snap),
            on_error=lambda exc: self.show_message(f"Autosave failed: {exc}"), parent=self)

    def _release_current(self) -> None:
        if self._autosave_worker is not None:
            self._autosave_worker.wait()
        if self.model is not None and self.model.doc.path:
            _OPEN_IN_THIS_PROCESS.discard(os.path.abspath(self.model.doc.path))
        if self._lock_held:
            sf.release_lock(self._lock_held)
            self._lock_held = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        if not self.maybe_save():
            event.ignore()
            return
        if self.model is not None and self.model.doc.path and not self.read_only:
            sf.discard_recovery(self.model.doc.path)
        self._release_current()
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        event.accept()

    # ---- dropped files --------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if path.lower().endswith(".gpkg"):
                from territory_desk.persistence.reader import is_project_file

                if is_project_file(path):
                    self.open_path(path)
                else:
                    self.new_project_dialog(path)
            elif path.lower().endswith(UNIT_FILE_SUFFIXES):
                self.new_project_dialog(path)
            else:
                self.show_message(f"Cannot open {os.path.basename(path)}: not a project or GIS file")
            event.acceptProposedAction()
            return
