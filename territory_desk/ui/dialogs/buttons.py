"""The button row the dialogs share: OK (with the dialog's own word for it) and Cancel, wired to the
dialog's accept and reject."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox


def ok_cancel(dialog: QDialog, ok_text: str = "") -> QDialogButtonBox:
    """OK and Cancel for ``dialog``; ``ok_text`` names what OK does ("Import", "Show", "Pin"…)."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    if ok_text:
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
