"""Commands and the one undo history (no Qt).

Every user edit is a ``Command``: ``redo(doc)`` applies it (the first time too) and ``undo(doc)``
puts back exactly what was there. A command that refuses raises a ``TerritoryDeskError`` and leaves
the document as it was. ``text`` is the command's label in the undo history, written for the user
("Move 3 units to Boston Area"); a command may refine it on its first redo, once it knows the names.
What a command did is read from its public attributes after it ran (``MoveUnits.moved_units``).

``CommandStack`` is the history of one document: ``push`` runs a command and records it (whatever
could be redone is dropped), ``undo``/``redo`` walk the history, ``macro`` groups the pushes of a
block into one step, ``mark_saved``/``is_clean`` tell whether the document differs from its file.
The CLI runs its commands through it (``Document.execute``); the editor's QUndoStack wraps it, one
QUndoCommand per step delegating to this history (ui/doc_model.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from territory_desk.domain.editing.document import Document


class Command:
    """One undoable edit of a Document."""

    text: str = "Edit"

    def redo(self, doc: Document) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self, doc: Document) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class MacroCommand(Command):
    """Several commands as one step, all or nothing: when a part refuses, the parts already done
    are undone and the error goes on."""

    def __init__(self, text: str, parts: list[Command]):
        self.text, self.parts = text, parts

    def redo(self, doc: Document) -> None:
        done: list[Command] = []
        try:
            for p in self.parts:
                p.redo(doc)
                done.append(p)
        except Exception:
            for p in reversed(done):
                p.undo(doc)
            raise

    def undo(self, doc: Document) -> None:
        for p in reversed(self.parts):
            p.undo(doc)


class HistoryError(RuntimeError):
    """The undo history was asked for a step it does not have (a programming error, not the user's)."""


class CommandStack:
    """The undo history of a document (see the module docstring)."""

    def __init__(self, doc: Document):
        self.doc = doc
        self._commands: list[Command] = []
        self._index = 0  # commands [0, index) are done, [index, len) can be redone
        self._clean: int | None = 0  # the index the file matches; None: no reachable state does
        self._open: MacroCommand | None = None
        self.listeners: list[Callable[[], None]] = []  # called after every push, undo, redo, save mark

    # ---- changing the history ----------------------------------------------------------------------
    def push(self, command: Command) -> Command:
        """Run ``command`` and record it as the next step (inside ``macro``: as a part of that step).
        A command that refuses raises, and the history stays as it was."""
        command.redo(self.doc)
        if self._open is not None:
            self._open.parts.append(command)
        else:
            self._record(command)
        return command

    @contextmanager
    def macro(self, text: str) -> Iterator[MacroCommand]:
        """Group the commands pushed inside the ``with`` block into one step labelled ``text``. All or
        nothing: when the block raises, the parts already done are undone and the error goes on."""
        if self._open is not None:  # a macro inside a macro: its parts join the outer step
            yield self._open
            return
        group = MacroCommand(text, [])
        self._open = group
        try:
            yield group
        except BaseException:
            self._open = None
            for part in reversed(group.parts):
                part.undo(self.doc)
            raise
        self._open = None
        if group.parts:
            self._record(group)

    @property
    def in_macro(self) -> bool:
        return self._open is not None

    def _record(self, command: Command) -> None:
        del self._commands[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state was in the redo steps just dropped
        self._commands.append(command)
        self._index += 1
        self._changed()

    def undo(self, expected: Command | None = None) -> Command | None:
        """Undo the last done step (None when there is none). ``expected``: the command the caller
        believes it is undoing; HistoryError when it is another one (two histories out of step)."""
        if not self.can_undo:
            return None
        command = self._commands[self._index - 1]
        self._check(command, expected)
        command.undo(self.doc)
        self._index -= 1
        self._changed()
        return command

    def redo(self, expected: Command | None = None) -> Command | None:
        """Redo the next undone step (None when there is none); ``expected`` as for ``undo``. A step
        that refuses now is dropped from the history and its error goes on."""
        if not self.can_redo:
            return None
        command = self._commands[self._index]
        self._check(command, expected)
        try:
            command.redo(self.doc)
        except Exception:  # refused now (the project changed under it): the step cannot be redone
            del self._commands[self._index:self._index + 1]
            if self._clean is not None and self._clean > self._index:
                self._clean = None
            self._changed()
            raise
        self._index += 1
        self._changed()
        return command

    def set_index(self, index: int) -> None:
        """Undo or redo until ``index`` steps are done."""
        if not 0 <= index <= len(self._commands):
            raise HistoryError(f"the history has no step {index} (it has {len(self._commands)})")
        while self._index > index:
            self.undo()
        while self._index < index:
            self.redo()

    def mark_saved(self) -> None:
        """The document now matches its file."""
        self._clean = self._index
        self._changed()

    # ---- reading the history -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._commands)

    @property
    def index(self) -> int:
        """How many steps are done (the rest can be redone)."""
        return self._index

    @property
    def can_undo(self) -> bool:
        return self._index > 0 and self._open is None

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands) and self._open is None

    @property
    def is_clean(self) -> bool:
        """True while the document matches its file (as of the last ``mark_saved``)."""
        return self._clean == self._index

    @property
    def labels(self) -> list[str]:
        """Every step's label, oldest first."""
        return [c.text for c in self._commands]

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self._index > 0 else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self._index < len(self._commands) else ""

    def command(self, index: int) -> Command:
        return self._commands[index]

    # ---- plumbing ----------------------------------------------------------------------------------
    @staticmethod
    def _check(command: Command, expected: Command | None) -> None:
        if expected is not None and command is not expected:
            raise HistoryError(f"the undo history is out of step: its step is {command.text!r}, "
                               f"not {expected.text!r}")

    def _changed(self) -> None:
        for fn in list(self.listeners):
            fn()
