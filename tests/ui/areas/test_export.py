"""File → Export… and Edit → Copy map in the main window, driven with keys and clicks."""
from __future__ import annotations

import csv

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from tests.pdf_text import page_words


def _open(window, qtbot, demo_file):
    assert window.open_path(demo_file)
    qtbot.waitUntil(lambda: window.areas["export"].act_export.isEnabled())


def _drive_dialog(qtbot, steps):
    """A _run_dialog replacement: shows the dialog, runs ``steps(dialog)`` like a user, returns accepted."""
    def run(dialog):
        dialog.show()
        qtbot.waitExposed(dialog)
        steps(dialog)
        return dialog.result() == dialog.DialogCode.Accepted
    return run


def _choose(qtbot, combo, data):
    """Pick an item of a (non-editable) combo box with the keyboard, as a user would."""
    combo.setFocus()
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        QTest.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{data!r} not reachable in {combo.objectName()}")


def _type_path(qtbot, dialog, path):
    dialog.path_edit.selectAll()
    QTest.keyClicks(dialog.path_edit, str(path))


def test_menus_have_export_and_copy(window, qtbot, demo_file):
    acts = window.areas["export"]
    file_actions = window.menus["file"].actions()
    assert file_actions.index(acts.act_export) < file_actions.index(window.act_quit)
    assert acts.act_copy_map in window.menus["edit"].actions()
    assert not acts.act_export.isEnabled() and not acts.act_copy_map.isEnabled()  # no project yet
    _open(window, qtbot, demo_file)
    assert acts.act_copy_map.isEnabled()


def test_export_csv_through_the_dialog(window, qtbot, demo_file, tmp_path):
    _open(window, qtbot, demo_file)
    out = tmp_path / "alignment.csv"

    def steps(dialog):
        _choose(qtbot, dialog.format_box, "csv")
        qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.table_preview)  # tables preview as text
        assert dialog.table_preview.toPlainText().startswith("unit_id")
        _type_path(qtbot, dialog, out)
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    window.areas["export"]._run_dialog = _drive_dialog(qtbot, steps)
    window.areas["export"].act_export.trigger()
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + len(window.model.doc.project.units)
    assert "alignment.csv" in window.statusBar().currentMessage()
    assert window.errors == []


def test_export_region_pdf_with_preview(window, qtbot, demo_file, tmp_path):
    _open(window, qtbot, demo_file)
    out = tmp_path / "west.pdf"
    seen = {}

    def steps(dialog):
        _choose(qtbot, dialog.format_box, "pdf")
        _choose(qtbot, dialog.extent_box, "region:W")
        QTest.keyClicks(dialog.title_edit, "West plan")
        dialog.update_preview()
        seen["preview"] = dialog.preview.pixmap()
        seen["status"] = dialog.status.text()
        _type_path(qtbot, dialog, out)
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    window.areas["export"]._run_dialog = _drive_dialog(qtbot, steps)
    window.areas["export"].act_export.trigger()
    assert seen["status"] == ""
    pix = seen["preview"]
    assert not pix.isNull() and pix.width() > 300
    img = pix.toImage()
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20  # the preview shows a map, not an empty box
    text = page_words(out)
    assert "West plan" in text and "Region West" in text and "Seattle Area" in text
    assert "Boston Area" not in text  # other regions are context, not labelled or listed


def test_export_error_is_one_line(window, qtbot, demo_file, tmp_path):
    _open(window, qtbot, demo_file)
    path = window.areas["export"].run_export({"fmt": "png", "out": str(tmp_path / "no" / "map.png")})
    assert path is None
    assert len(window.errors) == 1 and "does not exist" in window.errors[0] and "\n" not in window.errors[0]


def test_copy_map_to_clipboard_with_the_shortcut(window, qtbot, demo_file, tmp_path):
    _open(window, qtbot, demo_file)
    QGuiApplication.clipboard().clear()
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    img = QGuiApplication.clipboard().image()
    assert (img.width(), img.height()) == (1920, 1080)
    img.save(str(tmp_path / "clip.png"))
    rgb = np.asarray(Image.open(tmp_path / "clip.png").convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3)[::97], axis=0)) > 30
    assert "copied" in window.statusBar().currentMessage()


def test_csv_export_protects_formula_cells_unless_the_box_is_cleared(window, qtbot, tmp_path):
    from territory_desk.persistence.store import save_project

    from tests.conftest import make_grid_project

    p = make_grid_project()
    p.scenario.territories[0].name = "=cmd|' /C calc'!A0"
    path = tmp_path / "f.gpkg"
    save_project(p, str(path))
    _open(window, qtbot, str(path))
    seen = {}

    def export(out, clear_box):
        def steps(dialog):
            _choose(qtbot, dialog.format_box, "csv")
            assert dialog.formula_safe.isVisible() and dialog.formula_safe.isChecked()
            if clear_box:
                box = dialog.formula_safe  # click its tick box (left end), as a user would
                qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
                assert not dialog.formula_safe.isChecked()
            dialog.update_preview()
            seen[clear_box] = dialog.table_preview.toPlainText()
            _type_path(qtbot, dialog, out)
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

        window.areas["export"]._run_dialog = _drive_dialog(qtbot, steps)
        window.areas["export"].act_export.trigger()
        with open(out, newline="", encoding="utf-8") as fh:
            return {r[3] for r in list(csv.reader(fh))[1:]}

    assert "'=cmd|' /C calc'!A0" in export(tmp_path / "safe.csv", clear_box=False)
    assert "'=cmd|" in seen[False]  # the preview shows the cells as the file holds them
    assert "=cmd|' /C calc'!A0" in export(tmp_path / "raw.csv", clear_box=True)
    assert "'=cmd|" not in seen[True]
    assert window.errors == []


def test_export_a_styled_shapefile_with_accounts_through_the_dialog(window, qtbot, demo_file, tmp_path):
    _open(window, qtbot, demo_file)
    out = tmp_path / "plan.shp"
    rows = {}

    def steps(dialog):
        _choose(qtbot, dialog.format_box, "shp")
        rows.update({k: dialog.form.isRowVisible(getattr(dialog, k))
                     for k in ("accounts", "label_metric", "metric_box", "dpi_box")})
        QTest.keyClick(dialog.metric_box, Qt.Key.Key_Home)
        _choose(qtbot, dialog.metric_box, "population")
        for box in (dialog.accounts, dialog.label_metric):
            box.isChecked() or qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        _type_path(qtbot, dialog, out)
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    window.areas["export"]._run_dialog = _drive_dialog(qtbot, steps)
    window.areas["export"].act_export.trigger()
    assert rows == {"accounts": True, "label_metric": True, "metric_box": True, "dpi_box": False}
    for name in ("plan.shp", "plan.dbf", "plan.cpg", "plan.qml", "plan.sld", "plan.fields.csv",
                 "plan_accounts.shp", "plan_accounts.qml"):
        assert (tmp_path / name).exists(), name
    label = (tmp_path / "plan.qml").read_text(encoding="utf-8")
    assert "format_number(&quot;population&quot;" in label and "pop_dev" in label
    assert "plan.qml" in window.statusBar().currentMessage() and window.errors == []
