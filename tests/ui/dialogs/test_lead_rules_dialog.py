"""Tools → Lead routing rules… as a planner uses it: add a rule, type a condition (a bad one is
flagged as you type), pick the rule's type and settings, reorder, test on a file, OK stores the list
as one undo step."""
import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox

from territory_desk.domain.editing.document import Document
from territory_desk.domain.leads.rules import SETTINGS_KEY
from territory_desk.ui.dialogs.lead_rules_dialog import LeadRulesDialog

from tests.conftest import make_grid_project

START = [{"name": "Rest", "type": "fallback", "target": "queue", "value": "Unrouted"}]


@pytest.fixture
def window(window):
    window.default_answer = QMessageBox.StandardButton.Discard
    return window


def open_grid(window):
    p = make_grid_project()
    for r in p.reps[:2]:
        r.skills["team"] = "Inside"
    p.settings[SETTINGS_KEY] = [dict(r) for r in START]
    window.set_document(Document(p))
    QApplication.processEvents()
    return p


def retype(qtbot, widget, text):
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    qtbot.keyClicks(widget, text)


def ok_button(d):
    return d.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_add_a_rule_with_a_condition_checked_as_you_type_then_undo(qtbot, window, tmp_path):
    p = open_grid(window)
    seen = {}

    def drive(d):
        d.show()
        qtbot.waitExposed(d)
        assert d.list.count() == 1
        d.list.setCurrentRow(-1)
        qtbot.mouseClick(d.add_button, Qt.MouseButton.LeftButton)  # added at the end
        assert d.list.count() == 2 and d.list.currentRow() == 1
        retype(qtbot, d.name, "US by unit")
        d.type.setCurrentIndex(d.type.findData("unit"))
        assert d.form.isRowVisible(d.column) and not d.form.isRowVisible(d.target)
        retype(qtbot, d.column, "unit")
        qtbot.keyClicks(d.when, "country = US and")
        assert d.form.isRowVisible(d.when_error) and "ends too early" in d.when_error.text()
        assert "⚠" in d.list.item(1).text() and not ok_button(d).isEnabled()
        QApplication.processEvents()  # lay the form out before the picture
        seen["bad"] = d.grab()
        qtbot.keyClicks(d.when, " employees >= 10")
        assert not d.form.isRowVisible(d.when_error) and d.when_error.text() == ""
        assert "⚠" not in d.list.item(1).text() and ok_button(d).isEnabled()
        qtbot.mouseClick(d.up_button, Qt.MouseButton.LeftButton)  # before the fallback
        assert d.list.currentRow() == 0 and d.list.item(0).text().startswith("1. US by unit")
        retype(qtbot, d.cap, "25")
        assert d.cap.value() == 25
        QApplication.processEvents()
        seen["good"] = d.grab()
        qtbot.mouseClick(ok_button(d), Qt.MouseButton.LeftButton)
        return d.result() == QDialog.DialogCode.Accepted

    window.areas["leads"]._run_dialog = drive
    window.areas["leads"].act_rules.trigger()
    assert seen["bad"].save(str(tmp_path / "lead_rules_bad_condition.png"))
    assert seen["good"].save(str(tmp_path / "lead_rules_dialog.png"))
    want = [{"name": "US by unit", "type": "unit", "when": "country = US and employees >= 10", "cap": 25,
             "column": "unit"}, START[0]]
    assert p.settings[SETTINGS_KEY] == want
    assert window.model.undo_stack.undoText() == "Edit lead routing rules"
    window.model.undo_stack.undo()
    assert p.settings[SETTINGS_KEY] == START
    window.model.undo_stack.redo()
    assert p.settings[SETTINGS_KEY] == want


def test_cancel_and_unchanged_rules_store_nothing(qtbot, window):
    assert window.areas["leads"].act_rules in window.menus["tools"].actions()
    assert not window.areas["leads"].act_rules.isEnabled()  # no project open yet
    open_grid(window)
    assert window.areas["leads"].act_rules.isEnabled()
    window.areas["leads"]._run_dialog = lambda d: False
    assert not window.areas["leads"].edit_rules()
    window.areas["leads"]._run_dialog = lambda d: True
    assert not window.areas["leads"].edit_rules()
    assert window.model.undo_stack.count() == 0


def test_targets_values_delete_and_test_on_a_file(qtbot, window, tmp_path, monkeypatch):
    p = open_grid(window)
    leads = tmp_path / "leads.csv"
    with open(leads, "w", newline="") as f:
        csv.writer(f).writerows([["lead", "unit", "source"], ["a", "U0000", ""], ["b", "", "web"], ["c", "", ""]])
    d = LeadRulesDialog(p, [{"name": "Web", "type": "round_robin", "team": "Inside", "when": "source = web"},
                            {"name": "Old", "type": "point"}, START[0]], window)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    assert d.form.isRowVisible(d.team) and d.team.currentText() == "Inside"
    d.list.setCurrentRow(1)
    qtbot.mouseClick(d.delete_button, Qt.MouseButton.LeftButton)
    assert [r["name"] for r in d.rules()] == ["Web", "Rest"]
    d.list.setCurrentRow(0)
    qtbot.mouseClick(d.add_button, Qt.MouseButton.LeftButton)  # after the current rule (Web)
    retype(qtbot, d.name, "West")
    d.target.setCurrentIndex(d.target.findData("territory"))
    assert [d.value.itemData(k) for k in range(d.value.count())] == ["T0", "T1", "T2"]
    d.value.setCurrentIndex(0)
    retype(qtbot, d.when, "unit startswith U00")
    assert d.rules()[1] == {"name": "West", "type": "condition", "when": "unit startswith U00",
                            "target": "territory", "value": "T0"}
    d.target.setCurrentIndex(d.target.findData("rep"))
    d.value.setCurrentIndex(d.value.findData("R9"))
    retype(qtbot, d.value.lineEdit(), "R9")
    assert "the rep 'R9' is not in the project" in d.rule_error.text() and not ok_button(d).isEnabled()
    d.value.setCurrentIndex(d.value.findData("R2"))
    assert d.rule_error.text() == "" and ok_button(d).isEnabled()

    d._ask_leads_file = lambda: str(leads)
    qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)
    report = d.last_report
    assert report is not None and report.per_rule == [("Web", "round_robin", 1), ("West", "condition", 1),
                                                      ("Rest", "fallback", 1)]
    assert "3 lead(s) read from leads.csv; 3 placed, 0 unmatched" in d.result_view.toPlainText()
    assert p.settings[SETTINGS_KEY] == START  # testing stores nothing
    assert d.grab().save(str(tmp_path / "lead_rules_tested.png"))
    d._ask_leads_file = lambda: str(tmp_path / "missing.csv")
    qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)
    assert "missing.csv does not exist" in d.result_view.toPlainText()
    from territory_desk.io.tables.limits import ReadLimits
    from territory_desk.ui.dialogs import read_limits

    window.read_limits = ReadLimits(rows=2)  # the session's reading limits: the file is beyond them
    asked = []
    monkeypatch.setattr(read_limits, "ask_raise", lambda widget, exc: asked.append(str(exc)) or len(asked) > 1)
    d._ask_leads_file = lambda: str(leads)
    qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)  # declined: the refusal stays in the result view
    assert "leads.csv: the file has more than 2 rows" in asked[0]
    assert d.result_view.toPlainText().startswith("Cannot test on leads.csv: ") and "--limits rows=16" in \
        d.result_view.toPlainText()
    qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)  # raised for the session: read
    assert "3 lead(s) read from leads.csv" in d.result_view.toPlainText() and window.read_limits.rows == 16


def test_a_point_rule_shows_its_columns_and_a_layer_target_its_geography(qtbot, window):
    p = open_grid(window)
    d = LeadRulesDialog(p, [{"name": "Where", "type": "point"}], window)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    assert d.form.isRowVisible(d.lat_column) and d.lat_column.text() == "lat"
    assert not d.form.isRowVisible(d.layer)  # the project has no territory layers
    d.type.setCurrentIndex(d.type.findData("fallback"))
    assert [d.target.itemData(k) for k in range(d.target.count())] == ["rep", "queue"]
    assert not d.form.isRowVisible(d.lat_column)
