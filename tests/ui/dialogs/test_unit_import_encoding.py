"""File → Import units… on a shapefile without a .cpg: the dialog shows the encoding it chose with the
layer's accented names as read, a wrong choice shows as such, and the encoding picked is used."""
from __future__ import annotations

import shapely
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gis_tools import write_old_shapefile
from tests.ui.dialogs.test_import_dialogs import trigger_from_file_menu, when_modal, write_units

ROWS = [("C1", "Doña Ana"), ("C2", "Mayagüez"), ("C3", "Peñuelas")]


def _pick(combo, data):
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentData() != data:
        before = combo.currentIndex()
        QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"{data!r} not in the list"


def test_import_units_with_the_encoding_chosen_in_the_dialog(qtbot, window, project_file, tmp_path):
    w = window
    assert w.open_path(project_file)
    shp = write_old_shapefile(tmp_path / "cells.shp", ROWS, "cp1252")
    w.areas["imports"]._ask_open_path = lambda title, filters: str(shp)
    reports = []
    w.areas["imports"]._show_report = lambda report, error="": reports.append(report)
    seen = {}

    def on_options(d):
        box = d.encoding_box
        seen["visible"] = d.form.isRowVisible(box)
        seen["automatic"] = box.combo.itemText(0)
        seen["auto_sample"] = box.sample.text()
        _pick(box.combo, "UTF-8")
        seen["utf8_sample"] = box.sample.text()
        _pick(box.combo, "CP1252")
        qtbot.mouseClick(d.replace_radio, Qt.MouseButton.LeftButton)
        d.accept()

    when_modal(qtbot, on_options)
    trigger_from_file_menu(w, "Import units…")
    qtbot.waitUntil(lambda: bool(reports))
    assert seen["visible"] and seen["automatic"] == "Automatic (Windows-1252)"
    assert "Doña Ana" in seen["auto_sample"] and "Mayagüez" in seen["auto_sample"]
    assert "\ufffd" in seen["utf8_sample"]  # UTF-8 would garble them: the user sees it before importing
    assert w.model.doc.project.units.names == [n for _, n in ROWS]
    assert any("CP1252, as chosen" in n for n in reports[-1].notes)


def test_no_encoding_row_for_a_geopackage(qtbot, window, project_file, tmp_path):
    w = window
    assert w.open_path(project_file)
    path = write_units(tmp_path / "cells.gpkg", ["A", "B"], [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    w.areas["imports"]._ask_open_path = lambda title, filters: path
    seen = {}

    def on_options(d):
        seen["visible"] = d.form.isRowVisible(d.encoding_box)
        seen["encoding"] = d.options().encoding
        d.reject()

    when_modal(qtbot, on_options)
    trigger_from_file_menu(w, "Import units…")
    qtbot.waitUntil(lambda: bool(seen))
    assert seen == {"visible": False, "encoding": None}
