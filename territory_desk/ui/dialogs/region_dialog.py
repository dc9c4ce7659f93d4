"""Dialogs of the sales hierarchy: name its levels, and pick the region rows move to.

Both are plain QDialogs: tests fill them with real keys, or replace the panel's ``_ask_*`` methods
that open them.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from territory_desk.domain.stats.hierarchy import default_level_name
from territory_desk.ui.dialogs.buttons import ok_cancel

LEVEL_HELP = ("Level 1 is the territories, level 2 the regions they belong to, level 3 the areas above "
              "those regions, and so on. The names label the Metrics dock's Level box and "
              "<tt>stats&nbsp;\u2011\u2011level</tt>; a blank keeps the default name.")


class LevelNamesDialog(QDialog):
    """One line per level, bottom (territories) first; ``names()`` once accepted."""

    def __init__(self, names: list[str], rows: int, used: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("levelNamesDialog")
        self.setWindowTitle("Name hierarchy levels")
        self.setMinimumWidth(380)
        help_label = QLabel(LEVEL_HELP, self)
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color:#555")
        form = QFormLayout()
        self.edits: list[QLineEdit] = []
        for k in range(rows):
            edit = QLineEdit(names[k] if k < len(names) else "", self)
            edit.setObjectName(f"levelName{k + 1}")
            edit.setPlaceholderText(default_level_name(k))
            what = "territories" if k == 0 else ("in use" if k < used else "not in use yet")
            form.addRow(f"Level {k + 1} ({what}):", edit)
            self.edits.append(edit)
        buttons = ok_cancel(self)
        lay = QVBoxLayout(self)
        lay.addWidget(help_label)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def names(self) -> list[str]:
        return [e.text().strip() for e in self.edits]


class RegionChoiceDialog(QDialog):
    """A combo of target regions (indented by depth), e.g. for "Move to region…"."""

    def __init__(self, title: str, label: str, choices: list[tuple[str | None, str]], current: int = 0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("regionChoiceDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(320)
        self.combo = QComboBox(self)
        self.combo.setObjectName("regionCombo")
        for key, text in choices:
            self.combo.addItem(text, key)
        self.combo.setCurrentIndex(max(0, min(current, len(choices) - 1)))
        buttons = ok_cancel(self)
        form = QFormLayout()
        form.addRow(label, self.combo)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def choice(self) -> int:
        return self.combo.currentIndex()
