"""Reading limits in the editor: the same bounds and the same one-line message as `--limits` on the
command line (io/tables/limits.py), plus an offer to read the file again with the limit raised.

``with_raised_limits(widget, call)`` runs ``call(limits)`` with the window's session limits; when the
file goes beyond one, a box shows the refusal and offers "Read with the limit raised to …". Yes
raises that limit for the rest of the session (the window keeps it in ``read_limits``) and tries
again; No raises ``Declined`` (the user has seen why; nothing more to show).
"""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from territory_desk.io.tables.limits import DEFAULT_LIMITS, SIZE_KEYS, WHAT, LimitExceeded, ReadLimits, format_size


class Declined(Exception):
    """The user chose not to raise a limit; the refusal was already shown."""


def session_limits(widget: QWidget | None) -> ReadLimits:
    """The reading limits of the session ``widget`` belongs to (its window's ``read_limits``)."""
    holder = _holder(widget)
    return getattr(holder, "read_limits", None) or DEFAULT_LIMITS


def _holder(widget: QWidget | None):
    w = widget
    while w is not None:
        if hasattr(w, "read_limits"):  # the main window holds the session's limits
            return w
        w = w.parentWidget()
    return widget


def ask_raise(widget: QWidget | None, exc: LimitExceeded) -> bool:
    """The refusal, and whether to read again with the limit raised (tests replace this)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "File beyond a reading limit", str(exc),
                      QMessageBox.StandardButton.NoButton, widget)
    box.setObjectName("limitBox")
    raised = format_size(exc.suggested) if exc.key in SIZE_KEYS else f"{exc.suggested:,}"
    box.setInformativeText(f"Files from clients are read within limits so that a damaged or hostile file cannot "
                           f"hang the editor. Read this one with the {WHAT[exc.key]} limit raised to {raised} "
                           "for this session?")
    yes = box.addButton(f"Read with {raised}", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    chosen = box.clickedButton() is yes
    box.deleteLater()
    return chosen


def with_raised_limits(widget: QWidget | None, call, ask=None):
    """``call(limits)``; on LimitExceeded ask to raise the limit and retry, else raise Declined."""
    ask = ask or ask_raise
    holder = _holder(widget)
    limits = session_limits(widget)
    while True:
        try:
            return call(limits)
        except LimitExceeded as exc:
            if not ask(widget, exc):
                raise Declined() from exc
            limits = limits.raised(exc.key, exc.suggested)
            if holder is not None:
                holder.read_limits = limits
