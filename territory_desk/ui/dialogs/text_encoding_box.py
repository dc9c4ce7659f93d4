"""The "Text encoding" row of the unit import dialog: the encoding chosen for a shapefile's .dbf
(automatic: its .cpg, else UTF-8 when valid, else Windows-1252) or one the user picks, with a few of
the layer's accented names as they would be read, so a wrong choice shows before the import."""
from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.io.shapefile_encoding import TextEncoding

ENCODINGS = [  # (codec, label)
    ("UTF-8", "UTF-8"), ("CP1252", "Windows-1252 (Western Europe, the Americas)"),
    ("ISO-8859-1", "ISO-8859-1 (Latin-1)"), ("ISO-8859-15", "ISO-8859-15 (Latin-9)"),
    ("CP1250", "Windows-1250 (Central Europe)"), ("CP1251", "Windows-1251 (Cyrillic)"),
    ("CP1253", "Windows-1253 (Greek)"), ("CP1254", "Windows-1254 (Turkish)"), ("CP437", "DOS 437 (old dBase)"),
    ("CP850", "DOS 850 (old dBase, Western Europe)"), ("SHIFT_JIS", "Shift JIS (Japanese)"),
    ("GBK", "GBK (Simplified Chinese)"), ("BIG5", "Big5 (Traditional Chinese)"), ("EUC-KR", "EUC-KR (Korean)"),
]
Preview = Callable[[str | None, str | None], "tuple[TextEncoding, list[str]] | None"]  # (layer, encoding)


class TextEncodingBox(QWidget):
    """``encoding()``: None for automatic, else the codec picked."""

    def __init__(self, preview: Preview, parent: QWidget | None = None):
        super().__init__(parent)
        self._preview = preview
        self._layer: str | None = None
        self.combo = QComboBox(objectName="encodingCombo")
        self.combo.addItem("Automatic", None)
        for codec, label in ENCODINGS:
            self.combo.addItem(label, codec)
        self.sample = QLabel(objectName="encodingSample", wordWrap=True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.combo)
        lay.addWidget(self.sample)
        self.combo.currentIndexChanged.connect(self.refresh)

    def set_layer(self, layer: str | None) -> bool:
        """Show the layer's encoding; False when it is no shapefile (nothing to choose)."""
        self._layer = layer
        return self.refresh()

    def encoding(self) -> str | None:
        return self.combo.currentData()

    def refresh(self) -> bool:
        try:
            found = self._preview(self._layer, self.encoding())
        except TerritoryDeskError as exc:
            self.sample.setText(html.escape(str(exc)))
            return True
        if found is None:
            return False
        chosen, texts = found
        if self.encoding() is None:
            name = next((label.split(" (")[0] for codec, label in ENCODINGS if codec == chosen.encoding),
                        chosen.encoding or "as the .cpg file says")
            self.combo.setItemText(0, f"Automatic ({name})")
        names = ", ".join(f"“{html.escape(t)}”" for t in texts)
        self.sample.setText(f"Read as: {names}" if texts else "The text is plain ASCII: any encoding reads it alike.")
        self.sample.setToolTip(chosen.note)
        return True
