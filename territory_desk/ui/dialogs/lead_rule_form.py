"""The form of one lead routing rule, the right-hand side of Tools → Lead routing rules… (the dialog
with the rule list is lead_rules_dialog.py): name, type, "only when" condition (checked as you type,
the error shown under it), the type's own settings (target, value, layer, columns, team, reps, cap;
only the rows the type and target use are shown) and the rule's problem under it.

``load(rule)`` shows a rule (JSON form) without signalling; every later edit emits ``edited``, and
``rule_dict(old)`` reads the form back (keeping the settings the form does not show).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSizePolicy, QSpinBox, QWidget

from territory_desk.domain.model.conditions import Condition
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.leads.rules import CONDITION_TARGETS, FALLBACK_TARGETS, RULE_TYPES, plan_for, team_names

ERROR_STYLE = "color: #b00020;"
AUTO_LAYER = "(the territory layer whose rule the lead satisfies)"
TARGET_LABELS = {"rep": "a rep", "team": "a team, in turn", "queue": "a queue", "territory": "a territory",
                 "layer": "a territory layer (located)"}
TYPE_FIELDS = {"condition": ("target", "value"), "fallback": ("target", "value"), "account": ("id_column", "name_column"),
               "unit": ("column", "match"), "point": ("lat_column", "lon_column"), "round_robin": ("team", "reps")}
ALL_FIELDS = ("target", "value", "layer", "id_column", "name_column", "column", "match", "lat_column", "lon_column",
              "team", "reps")
FORM_KEYS = {"name", "type", "when", "cap", "target", "value", "layer", "id_column", "name_column", "column",
             "match", "lat_column", "lon_column", "team", "reps"}


def error_label(name: str) -> QLabel:
    """A selectable red label for an error message."""
    w = QLabel("")
    w.setObjectName(name)
    w.setWordWrap(True)
    w.setStyleSheet(ERROR_STYLE)
    w.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return w


class LeadRuleForm(QGroupBox):
    """The selected rule's fields; ``edited`` on every change the user makes."""

    edited = Signal()

    def __init__(self, project, parent: QWidget | None = None):
        super().__init__("Rule", parent)
        self.project = project
        self._loading = False
        self.form = QFormLayout(self)
        self.name = self._line("ruleName")
        self.type = self._combo("ruleType", [(label, key) for key, label in RULE_TYPES.items()], self._on_type)
        self.when = self._line("ruleWhen", 'e.g. employees >= 1000 and industry in ("Healthcare", Finance)')
        self.when_error = error_label("whenError")
        self.when_error.setWordWrap(False)  # one line under the field (the whole text in its tooltip)
        self.when_error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.target = self._combo("ruleTarget", [], self._on_target)
        self.value = self._combo("ruleValue", [], editable=True)
        self.layer = self._combo("ruleLayer", [(AUTO_LAYER, "")] + [(x.name, x.name) for x in self.project.layers],
                                 self._on_target)
        self.id_column = self._line("idColumn", "lead column with the account id")
        self.name_column = self._line("nameColumn", "lead column with the company name")
        self.column = self._line("unitColumn", "lead column with the unit id or ZIP code")
        self.match = self._combo("unitMatch", [("Unit id", "id"), ("ZIP code (the unit containing its centre)", "zip")])
        self.lat_column = self._line("latColumn", "lat")
        self.lon_column = self._line("lonColumn", "lon")
        self.team = self._combo("ruleTeam", [(t, t) for t in [""] + team_names(self.project)], editable=True)
        self.reps = self._line("ruleReps", "or rep ids in turn: R01, R02, R03")
        self.cap = QSpinBox()
        self.cap.setObjectName("ruleCap")
        self.cap.setRange(0, 10_000_000)
        self.cap.setSpecialValueText("no cap")
        self.cap.setSuffix(" leads per rep")
        self.cap.valueChanged.connect(lambda _v: self._changed())
        self.rule_error = error_label("ruleError")
        for label, w in (("Name", self.name), ("Type", self.type), ("Only when", self.when), ("", self.when_error),
                         ("Goes to", self.target), ("Value", self.value), ("Territory layer", self.layer),
                         ("Account id column", self.id_column), ("Company column", self.name_column),
                         ("Unit / ZIP column", self.column), ("Column holds", self.match),
                         ("Latitude column", self.lat_column), ("Longitude column", self.lon_column),
                         ("Team", self.team), ("Reps", self.reps), ("Cap", self.cap), ("", self.rule_error)):
            self.form.addRow(label, w)

    def _combo(self, name: str, items: list[tuple[str, str]], slot=None, editable: bool = False) -> QComboBox:
        w = QComboBox()
        w.setObjectName(name)
        w.setEditable(editable)
        for text, data in items:
            w.addItem(text, data)
        call = slot or self._changed
        if editable:
            w.currentTextChanged.connect(lambda _t: call())
        else:
            w.currentIndexChanged.connect(lambda _i: call())
        return w

    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        w = QLineEdit()
        w.setObjectName(name)
        w.setPlaceholderText(placeholder)
        w.textChanged.connect(lambda _t: self._changed())
        return w

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    # ---- rule -> form -> rule -------------------------------------------------------------------
    def load(self, d: dict) -> None:
        """Show rule ``d`` (no ``edited`` while the fields are filled), with its condition checked."""
        self._loading = True
        try:
            self.name.setText(d.get("name", ""))
            self.type.setCurrentIndex(max(0, self.type.findData(d.get("type", "condition"))))
            self.when.setText(d.get("when", ""))
            for w, key in ((self.id_column, "id_column"), (self.name_column, "name_column"),
                           (self.column, "column"), (self.lat_column, "lat_column"), (self.lon_column, "lon_column")):
                w.setText(d.get(key, ""))
            self.match.setCurrentIndex(max(0, self.match.findData(d.get("match", "id"))))
            self.layer.setCurrentIndex(max(0, self.layer.findData(d.get("layer", ""))))
            self.team.setCurrentText(d.get("team", ""))
            self.reps.setText(", ".join(d.get("reps", [])))
            cap = d.get("cap")
            self.cap.setValue(int(cap) if isinstance(cap, (int, float)) and not isinstance(cap, bool) else 0)
            self._fill_targets(d.get("target", ""))
            self._fill_values(d.get("value", ""))
        finally:
            self._loading = False
        self._update_rows()
        self.check_when()

    def _kind(self) -> str:
        return self.type.currentData() or "condition"

    def _fill_targets(self, current: str) -> None:
        kind = self._kind()
        targets = CONDITION_TARGETS if kind == "condition" else FALLBACK_TARGETS if kind == "fallback" else ()
        self.target.blockSignals(True)
        self.target.clear()
        for t in targets:
            self.target.addItem(TARGET_LABELS[t], t)
        self.target.setCurrentIndex(max(0, self.target.findData(current)))
        self.target.blockSignals(False)

    def _fill_values(self, current: str) -> None:
        target = self.target.currentData()
        self.value.blockSignals(True)
        self.value.clear()
        if target == "territory":
            try:
                for t in plan_for(self.project, self.layer.currentData() or "").territories:
                    self.value.addItem(f"{t.id} — {t.name}", t.id)
            except TerritoryDeskError:
                pass
        elif target == "rep":
            for r in self.project.reps:
                self.value.addItem(f"{r.id} — {r.name}", r.id)
        elif target == "team":
            for name in team_names(self.project):
                self.value.addItem(name, name)
        elif target == "layer":
            for layer in self.project.layers:
                self.value.addItem(layer.name, layer.name)
        k = self.value.findData(current)
        if k >= 0 or (not current and self.value.count()):
            self.value.setCurrentIndex(max(k, 0))  # a new target starts on its first choice
        else:
            self.value.setEditText(current)
        self.value.blockSignals(False)

    def _value_text(self) -> str:
        k = self.value.currentIndex()
        if k >= 0 and self.value.currentText() == self.value.itemText(k):
            return str(self.value.itemData(k))
        return self.value.currentText().strip()

    def _fields(self) -> list[str]:
        """The settings of the current type and target: the form rows shown and the keys written."""
        kind, target = self._kind(), self.target.currentData()
        keys = list(TYPE_FIELDS[kind])
        if kind == "condition" and target == "layer":
            keys += ["column", "match", "lat_column", "lon_column"]
        if self.project.layers and (kind in ("account", "unit", "point") or target == "territory"):
            keys.append("layer")
        return keys

    def _update_rows(self) -> None:
        shown = self._fields()
        for key in ALL_FIELDS:
            self.form.setRowVisible(getattr(self, key), key in shown)

    def _on_type(self) -> None:
        if self._loading:
            return
        self._loading = True
        self._fill_targets(self.target.currentData() or "")
        self._fill_values(self._value_text())
        self._loading = False
        self._update_rows()
        self._changed()

    def _on_target(self) -> None:
        if self._loading:
            return
        self._loading = True
        self._fill_values("")
        self._loading = False
        self._update_rows()
        self._changed()

    def check_when(self) -> bool:
        """Parse the condition; its error (if any) goes on the row under it."""
        try:
            Condition.parse(self.when.text())
        except TerritoryDeskError as exc:
            self.when_error.setText(str(exc))
            self.when_error.setToolTip(str(exc))
            self.form.setRowVisible(self.when_error, True)
            return False
        self.when_error.setText("")
        self.form.setRowVisible(self.when_error, False)
        return True

    def rule_dict(self, old: dict) -> dict:
        """The rule as the form shows it, over ``old`` (whose settings the form does not show stay)."""
        d = {k: v for k, v in old.items() if k not in FORM_KEYS}  # settings the form does not show (rep_caps)
        d.update({"name": self.name.text().strip(), "type": self._kind()})
        if self.when.text().strip():
            d["when"] = self.when.text().strip()
        if self.cap.value() > 0:
            d["cap"] = self.cap.value()
        keys = self._fields()
        if "lat_column" in keys and "column" in keys:  # a layer target: by unit/ZIP column, else by lat/lon
            drop = ("lat_column", "lon_column") if self.column.text().strip() else ("column", "match")
            keys = [k for k in keys if k not in drop]
        for key in keys:
            w = getattr(self, key)
            if key == "value":
                v = self._value_text()
            elif key == "reps":
                v = [r.strip() for r in w.text().split(",") if r.strip()]
            elif key in ("target", "match", "layer"):
                v = w.currentData()
            else:
                v = (w.currentText() if isinstance(w, QComboBox) else w.text()).strip()
            if v or key in ("target", "value"):
                d[key] = v
        return d

    def show_problem(self, problem: str) -> None:
        """The rule's problem under the form (unless it is the condition's, shown already)."""
        self.rule_error.setText("" if self.when_error.text() else problem)
        self.form.setRowVisible(self.rule_error, bool(self.rule_error.text()))
