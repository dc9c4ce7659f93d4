"""View → Thematic map…: what to colour the units by (a metric of the units or a KPI of their
territory, with the period for KPIs), the classification (quantiles, natural breaks, equal
intervals), the number of classes and the colour ramp."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QSpinBox, QVBoxLayout

from territory_desk.services.kpis import KPI_PREFIX, available_periods, default_period, thematic_fields
from territory_desk.ui.canvas.overlays.thematic import METHODS, RAMPS, ThematicSpec
from territory_desk.ui.dialogs.buttons import ok_cancel


class ThematicDialog(QDialog):
    def __init__(self, project, current: ThematicSpec | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("thematicDialog")
        self.setWindowTitle("Thematic map")
        lay = QVBoxLayout(self)
        intro = QLabel("Colour every unit by a metric, or by a KPI of its territory, in classes.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.field = QComboBox()
        self.field.setObjectName("thematicField")
        for key, label in thematic_fields(project):
            self.field.addItem(label, key)
        self.period = QComboBox()
        self.period.setObjectName("thematicPeriod")
        self.period.setEditable(True)
        self.period.addItems(available_periods(project))
        self.period.setCurrentText(default_period(project))
        self.method = QComboBox()
        self.method.setObjectName("thematicMethod")
        for key, label in METHODS.items():
            self.method.addItem(label, key)
        self.classes = QSpinBox()
        self.classes.setObjectName("thematicClasses")
        self.classes.setRange(2, 9)
        self.classes.setValue(5)
        self.ramp = QComboBox()
        self.ramp.setObjectName("thematicRamp")
        self.ramp.addItems(list(RAMPS))
        form.addRow("Colour by:", self.field)
        form.addRow("Period (KPIs):", self.period)
        form.addRow("Classes by:", self.method)
        form.addRow("Number of classes:", self.classes)
        form.addRow("Colours:", self.ramp)
        lay.addLayout(form)
        buttons = ok_cancel(self, "Show")
        lay.addWidget(buttons)
        self.field.currentIndexChanged.connect(self._field_changed)
        if current is not None:
            self.set_spec(current)
        self._field_changed()

    def _field_changed(self) -> None:
        self.period.setEnabled(str(self.field.currentData() or "").startswith(KPI_PREFIX))

    def set_spec(self, spec: ThematicSpec) -> None:
        self.field.setCurrentIndex(max(0, self.field.findData(spec.field)))
        self.method.setCurrentIndex(max(0, self.method.findData(spec.method)))
        self.classes.setValue(spec.k)
        self.ramp.setCurrentText(spec.ramp)
        if spec.period:
            self.period.setCurrentText(spec.period)

    def spec(self) -> ThematicSpec:
        field = str(self.field.currentData())
        return ThematicSpec(field, str(self.method.currentData()), self.classes.value(), self.ramp.currentText(),
                            self.period.currentText().strip() or None if field.startswith(KPI_PREFIX) else None)
