"""The undo history view: a dock listing the steps of the document's one history (the QUndoStack
over the domain CommandStack, see doc_model.py), each by its command's label."""
from __future__ import annotations

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QUndoView, QWidget


def undo_history_view(stack: QUndoStack, parent: QWidget | None = None) -> QUndoView:
    view = QUndoView(stack, parent)
    view.setEmptyLabel("<opened>")
    view.setObjectName("undoHistory")
    return view
