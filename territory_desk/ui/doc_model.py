"""Qt adapter for the domain Document: turns its plain listener calls into signals, and shows its
one undo history (the domain's CommandStack) as a QUndoStack, for the Edit menu and the history
dock. The UI never mutates the project except through commands pushed here (or the two-phase live
preview API used by the canvas tools)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command, CommandStack
from territory_desk.domain.editing.document import Document
from territory_desk.domain.editing.territories import MoveUnits
from territory_desk.domain.model.errors import TerritoryDeskError


class _Step(QUndoCommand):
    """One step of the document's history as the QUndoStack sees it: undo and redo delegate to the
    domain CommandStack (which checks that both histories are at the same step)."""

    def __init__(self, model: "DocModel", command: Command):
        super().__init__(command.text)
        self.model, self.command = model, command
        self._ran = True  # DocModel.push ran the command before pushing this step

    def redo(self) -> None:
        if self._ran:  # QUndoStack.push calls redo() at once
            self._ran = False
            return
        try:
            self.model.doc.history.redo(self.command)
        except TerritoryDeskError as exc:  # refused now: both histories drop the step
            self.setObsolete(True)
            self.model.messageRequested.emit(str(exc))

    def undo(self) -> None:
        self.model.doc.history.undo(self.command)


class _UndoStack(QUndoStack):
    """The QUndoStack over the domain history: marking it clean (after a save) marks the document
    saved too, so both agree on whether there are unsaved changes."""

    def __init__(self, history: CommandStack, parent: QObject | None = None):
        super().__init__(parent)
        self.history = history

    def setClean(self) -> None:
        super().setClean()
        self.history.mark_saved()


class DocModel(QObject):
    """Signals: changed(Change) for every edit, then the signals ``SIGNALS`` names for its kind;
    selectionChanged(); activeTerritoryChanged(int); messageRequested(str)."""

    changed = Signal(object)
    assignmentChanged = Signal(object, object)  # (unit indices, territory indices)
    territoriesChanged = Signal()
    scenarioChanged = Signal()
    dataChanged = Signal()  # accounts/reps/unit columns replaced (metric fields may differ)
    activityChanged = Signal()  # CRM activity or KPI snapshots replaced or added
    settingsChanged = Signal()  # project settings (lead routing rules)
    selectionChanged = Signal()
    activeTerritoryChanged = Signal(int)
    messageRequested = Signal(str)

    # every kind of change notice (domain/editing/changes.py) and the signals it emits, in order
    SIGNALS: dict[ChangeKind, tuple[str, ...]] = {
        ChangeKind.ASSIGNMENT: ("assignmentChanged",),
        ChangeKind.TERRITORIES: ("territoriesChanged",),
        ChangeKind.SCENARIO: ("scenarioChanged", "territoriesChanged"),
        ChangeKind.DATA: ("dataChanged", "scenarioChanged", "territoriesChanged"),
        ChangeKind.ACTIVITY: ("activityChanged",),
        ChangeKind.SETTINGS: ("settingsChanged",),
    }

    def __init__(self, doc: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.undo_stack = _UndoStack(doc.history, self)
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
        n = len(self.doc.scenario.territories)
        if change.kind == ChangeKind.TERRITORIES and self.active_territory >= n:
            self.set_active_territory(n - 1)
        elif change.kind == ChangeKind.SCENARIO and not (0 <= self.active_territory < n):
            self.set_active_territory(0 if n else -1)
        for name in self.SIGNALS[change.kind]:
            signal = getattr(self, name)
            if change.kind == ChangeKind.ASSIGNMENT:
                signal.emit(change.units, change.territories)
            else:
                signal.emit()

    def push(self, command: Command) -> bool:
        """Run a command as one undo step. Returns False (and reports) when it was refused."""
        if self.refuse_read_only():
            return False
        try:
            self.doc.execute(command)
        except TerritoryDeskError as exc:
            self.messageRequested.emit(str(exc))
            return False
        self.undo_stack.push(_Step(self, command))
        return True

    def refuse_read_only(self) -> bool:
        if self.read_only:
            self.messageRequested.emit("This project is open read-only (it is being edited elsewhere).")
        return self.read_only

    @property
    def dirty(self) -> bool:
        return not self.doc.history.is_clean

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
        self.push(MoveUnits([u for u, _ in applied], target, text, applied=applied))
