"""Tools → Lead routing rules…: the ordered rule list of the project, edited in place.

Left: the rules in order (Add, Delete, Move up, Move down). Right: the selected rule's form
(lead_rule_form.py: name, type, "only when" condition checked as you type, the type's own settings,
and the rule's problem if it has one). "Test on a file…" routes a leads file with the rules as they
are in the dialog (on a worker thread) and shows the summary. ``rules()`` gives the list (JSON form)
once accepted; ui/areas/leads.py stores it as one undo step.
"""
from __future__ import annotations

import copy
import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QPlainTextEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.domain.leads.rules import RULE_TYPES, LeadRule, check_rule, describe, parse_rules
from territory_desk.services.leads import assign_file
from territory_desk.ui.dialogs.lead_rule_form import FORM_KEYS, LeadRuleForm, error_label
from territory_desk.ui.dialogs.buttons import ok_cancel
from territory_desk.ui.dialogs.read_limits import Declined, with_raised_limits
from territory_desk.ui.workers import run_with_progress


def _with_defaults(d: dict) -> dict:
    """A stored rule with its defaults filled in (lat/lon columns...), so the form shows them."""
    try:
        full = LeadRule.from_dict(d).to_dict()
    except TerritoryDeskError:
        return d
    full.update({k: v for k, v in d.items() if k not in full and k not in FORM_KEYS})
    return full


class LeadRulesDialog(QDialog):
    def __init__(self, project, rules: list[dict] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("leadRulesDialog")
        self.setWindowTitle("Lead routing rules")
        self.project = project
        self._rules: list[dict] = [_with_defaults(d) for d in copy.deepcopy(list(rules or []))]
        self.last_report = None
        self._build()
        for k in range(len(self._rules)):
            self.list.addItem("")
            self._refresh_item(k)
        if self._rules:
            self.list.setCurrentRow(0)
        self._show_current()
        self.resize(980, 620)

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setObjectName("ruleList")
        self.list.setSpacing(2)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(lambda _row: self._show_current())
        self.add_button = self._button("&Add", "addRule", self.add_rule)
        self.delete_button = self._button("&Delete", "deleteRule", self.delete_rule)
        self.up_button = self._button("Move &up", "moveUp", lambda: self.move_rule(-1))
        self.down_button = self._button("Move do&wn", "moveDown", lambda: self.move_rule(1))
        left = QVBoxLayout()
        left.addWidget(QLabel("Rules, tried in order (the first that places a lead wins):"))
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        for b in (self.add_button, self.delete_button, self.up_button, self.down_button):
            row.addWidget(b)
        left.addLayout(row)

        self.form_box = LeadRuleForm(self.project)
        self.form_box.edited.connect(self._store)
        f = self.form_box  # its layout and fields, reachable from the dialog too
        self.form, self.name, self.type, self.when, self.when_error = f.form, f.name, f.type, f.when, f.when_error
        self.target, self.value, self.layer, self.team, self.reps = f.target, f.value, f.layer, f.team, f.reps
        self.id_column, self.name_column, self.column, self.match = f.id_column, f.name_column, f.column, f.match
        self.lat_column, self.lon_column, self.cap, self.rule_error = f.lat_column, f.lon_column, f.cap, f.rule_error

        self.test_button = self._button("&Test on a file…", "testRules", self.test_on_file)
        self.result_view = QPlainTextEdit()
        self.result_view.setObjectName("testResult")
        self.result_view.setReadOnly(True)
        self.result_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.result_view.setPlaceholderText("Test the rules on a leads file (CSV or XLSX): nothing is saved.")
        right = QVBoxLayout()
        right.addWidget(self.form_box)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        right.addLayout(test_row)
        right.addWidget(self.result_view, 1)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        self.error = error_label("dialogError")
        self.buttons = ok_cancel(self)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def _button(self, text: str, name: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setAutoDefault(False)
        b.clicked.connect(lambda _checked=False: slot())
        return b

    # ---- the list -------------------------------------------------------------------------------
    def rules(self) -> list[dict]:
        return copy.deepcopy(self._rules)

    def add_rule(self) -> None:
        names = {r.get("name", "").casefold() for r in self._rules}
        k = len(self._rules) + 1
        while f"rule {k}" in names:
            k += 1
        rule = {"name": f"Rule {k}", "type": "condition", "target": "queue", "value": "Unassigned leads"}
        row = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self._rules)
        self._rules.insert(row, rule)
        self.list.insertItem(row, "")
        self._refresh_item(row)
        self.list.setCurrentRow(row)
        self.name.setFocus()
        self.name.selectAll()

    def delete_rule(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        del self._rules[row]
        self.list.takeItem(row)
        self._show_current()
        self._check_all()

    def move_rule(self, step: int) -> None:
        row = self.list.currentRow()
        new = row + step
        if row < 0 or not (0 <= new < len(self._rules)):
            return
        self._rules[row], self._rules[new] = self._rules[new], self._rules[row]
        self._refresh_item(row)
        self._refresh_item(new)
        self.list.setCurrentRow(new)

    def _problem(self, row: int) -> str:
        try:
            rule = LeadRule.from_dict(self._rules[row], row + 1)
            check_rule(self.project, rule, row + 1)
        except TerritoryDeskError as exc:
            return str(exc)
        return ""

    def _refresh_item(self, row: int) -> None:
        d = self._rules[row]
        problem = self._problem(row)
        try:
            text = describe(LeadRule.from_dict(d))
        except TerritoryDeskError:
            text = RULE_TYPES.get(d.get("type"), str(d.get("type")))
        item = self.list.item(row)
        short = text if len(text) <= 58 else text[:57] + "…"
        item.setText(f"{row + 1}. {'⚠ ' if problem else ''}{d.get('name', '')}\n      {short}")
        item.setToolTip(problem or text)

    # ---- the form -------------------------------------------------------------------------------
    def _show_current(self) -> None:
        row = self.list.currentRow()
        has = 0 <= row < len(self._rules)
        self.form_box.setEnabled(has)
        self.delete_button.setEnabled(has)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < len(self._rules) - 1)
        self.form_box.load(self._rules[row] if has else {"name": "", "type": "condition"})
        self._show_problem(row)
        self._check_all()

    def _store(self) -> None:
        """The form -> the selected rule (on every edit), with its problem shown."""
        row = self.list.currentRow()
        if not (0 <= row < len(self._rules)):
            return
        self.form_box.check_when()
        self._rules[row] = self.form_box.rule_dict(self._rules[row])
        self._refresh_item(row)
        self._show_problem(row)
        self._check_all()

    def _show_problem(self, row: int) -> None:
        """The selected rule's problem under the form (unless it is the condition's, shown already)."""
        self.form_box.show_problem(self._problem(row) if 0 <= row < len(self._rules) else "")

    def _check_all(self) -> bool:
        try:
            parse_rules(self._rules, self.project)
        except TerritoryDeskError as exc:
            self.error.setText(str(exc))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return False
        self.error.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        return True

    def accept(self) -> None:
        if self._check_all():
            super().accept()

    # ---- trying the rules -----------------------------------------------------------------------
    def _ask_leads_file(self) -> str:
        return QFileDialog.getOpenFileName(self, "Test the rules on a leads file", "",
                                           "Tables (*.csv *.tsv *.txt *.xlsx);;All files (*)")[0]

    def test_on_file(self) -> None:
        path = self._ask_leads_file()
        if not path:
            return
        if not self._check_all():
            self.result_view.setPlainText(f"The rules have a problem: {self.error.text()}")
            return
        rules, project = self.rules(), self.project
        label = f"Assigning the leads of {os.path.basename(path)}…"
        try:
            report = with_raised_limits(self, lambda limits: run_with_progress(
                self, label, lambda: assign_file(project, path, None, rules, limits=limits)))
        except Declined as exc:
            self.result_view.setPlainText(f"Cannot test on {os.path.basename(path)}: {exc.__cause__}")
            return
        except TerritoryDeskError as exc:
            self.result_view.setPlainText(f"Cannot test on {os.path.basename(path)}: {exc}")
            return
        self.last_report = report
        self.result_view.setPlainText(report.summary())
