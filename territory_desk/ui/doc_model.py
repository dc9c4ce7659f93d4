"""Qt adapter for the domain Document: turns its plain listener calls into signals, and owns the
one undo stack. The UI never mutates the project except through commands pushed here (or the
two-phase live preview API used by the canvas tools)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from territory_desk.domain.editing.territories import Command, MoveUnits
from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.model.errors import TerritoryDeskError


class _QtCommand(QUndoCommand):
    """A QUndoCommand that runs a domain command against the document."""

    def __init__(self, model: "DocModel", command: Command):
        super().__init__(command.text)
        self.model, self.command = model, command
        self.error: TerritoryDeskError | None = None

    def redo(self) -> None:
        try:
            self.command.redo(self.model.doc)
        except TerritoryDeskError as exc:
            self.error = exc
            self.setObsolete(True)

    def undo(self) -> None:
        self.command.undo(self.model.doc)


class DocModel(QObject):
    """Signals: changed(Change) for every edit; assignmentChanged(units ndarray, territories set);
    territoriesChanged(); scenarioChanged(); selectionChanged(); previewChanged(); messageRequested(str)."""

    changed = Signal(object)
    assignmentChanged = Signal(object, object)
    territoriesChanged = Signal()
    scenarioChanged = Signal()
    dataChanged = Signal()  # accounts/reps/unit columns replaced (metric fields may differ)
    selectionChanged = Signal()
    activeTerritoryChanged = Signal(int)
    messageRequested = Signal(str)

    def __init__(self, doc: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.undo_stack = QUndoStack(self)
        self.selection: set[int] = set()
        self.active_territory = 0 if doc.scenario.territories else -1
        self.hidden_territories: set[str] = set()  # territory ids switched off in the layer panel
        self._preview: list[tuple[int, int]] = []  # inverse changes of the pending live edit
        self._preview_target: int | None = None
        self.read_only = False  # a project open elsewhere: look, don't touch
        doc.listeners.append(self._on_change)

    # ---- plumbing ------------------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        self.changed.emit(change)
        if change.kind == "assignment":
            self.assignmentChanged.emit(change.units, change.territories)
        elif change.kind == "territories":
            n = len(self.doc.scenario.territories)
            if self.active_territory >= n:
                self.set_active_territory(n - 1)
            self.territoriesChanged.emit()
        elif change.kind == "data":
            self.dataChanged.emit()
            self.scenarioChanged.emit()
            self.territoriesChanged.emit()
        elif change.kind == "scenario":
            n = len(self.doc.scenario.territories)
            if not (0 <= self.active_territory < n):
                self.set_active_territory(0 if n else -1)
            self.scenarioChanged.emit()
            self.territoriesChanged.emit()

    def push(self, command: Command) -> bool:
        """Run a command as one undo step. Returns False (and reports) when it was refused."""
        if self.refuse_read_only():
            return False
        qc = _QtCommand(self, command)
        self.undo_stack.push(qc)
        if qc.error is not None:
            self.messageRequested.emit(str(qc.error))
            return False
        return True

    def refuse_read_only(self) -> bool:
        if self.read_only:
            self.messageRequested.emit("This project is open read-only (it is being edited elsewhere).")
        return self.read_only

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    # ---- selection & active territory ---------------------------------------------------------
    def set_selection(self, units) -> None:
        new = {int(u) for u in units}
        if new != self.selection:
            self.selection = new
            self.selectionChanged.emit()

    def set_active_territory(self, index: int) -> None:
        if index != self.active_territory:
            self.active_territory = index
            self.activeTerritoryChanged.emit(index)

    # ---- two-phase edits: live preview while the mouse moves, one command on release ----------
    @property
    def previewing(self) -> bool:
        return self._preview_target is not None

    def preview_move(self, units, dst: int) -> bool:
        """Add units to the pending live edit (applied to the engine now, stats update at once).

        Returns False with a message when the edit touches a locked territory."""
        if self.refuse_read_only():
            return False
        if self._preview_target is not None and self._preview_target != dst:
            self.cancel_preview()
        try:
            applied = self.doc.move_units(units, dst)
        except TerritoryDeskError as exc:
            self.messageRequested.emit(str(exc))
            return False
        self._preview_target = dst
        self._preview.extend(applied)
        return True

    def cancel_preview(self) -> None:
        if self._preview:
            self.doc.apply_changes(list(reversed(self._preview)))
        self._preview = []
        self._preview_target = None

    def commit_preview(self, text: str = "") -> None:
        """Turn the pending live edit into one undo step (does not re-apply it)."""
        target, applied = self._preview_target, self._preview
        self._preview, self._preview_target = [], None
        if target is None or not applied:
            return
        units = [u for u, _ in applied]
        self.push(MoveUnits(units, target, text or f"Assign {len(units)} unit(s)", applied=applied))
