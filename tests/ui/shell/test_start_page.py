"""The start page: each choice clicked with the mouse reaches the main window's file action; recent
projects show name and folder, missing ones cannot be clicked; the page renders with its icon."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QLabel

from territory_desk.ui.shell.start_page import MAX_RECENT_SHOWN, app_icon, describe_recent, start_page_for


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(20, button.height() // 2))


@pytest.fixture
def project_files(tmp_path):
    paths = []
    for name in ("acme.gpkg", "west.gpkg"):
        p = tmp_path / name
        p.write_bytes(b"x")
        paths.append(str(p))
    return paths


class FakeWindow:
    """The four file actions and recent_files() of MainWindow, recording what was asked."""

    def __init__(self, recent):
        self.calls: list[tuple] = []
        self._recent = recent

    def recent_files(self):
        return list(self._recent)

    def open_demo(self):
        self.calls.append(("demo",))

    def open_dialog(self):
        self.calls.append(("open",))

    def new_project_dialog(self, units_path=""):
        self.calls.append(("new", units_path))

    def open_path(self, path):
        self.calls.append(("path", path))
        return True


@pytest.fixture
def page_for(qtbot):
    def make(window):
        page = start_page_for(window)
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        return page
    return make


def test_each_choice_reaches_its_file_action(qtbot, page_for, project_files):
    win = FakeWindow(project_files)
    page = page_for(win)
    click(qtbot, page.demo_button)
    click(qtbot, page.open_button)
    click(qtbot, page.new_button)
    click(qtbot, page.recent_buttons[project_files[1]])
    assert win.calls == [("demo",), ("open",), ("new", ""), ("path", project_files[1])]


def test_missing_recent_projects_are_shown_but_cannot_be_opened(qtbot, page_for, project_files, tmp_path):
    gone = str(tmp_path / "deleted.gpkg")
    win = FakeWindow([gone] + project_files)
    page = page_for(win)
    assert list(page.recent_buttons) == [gone] + project_files
    assert not page.recent_buttons[gone].isEnabled()
    assert "not found" in page.recent_buttons[gone].description()
    click(qtbot, page.recent_buttons[gone])
    assert win.calls == []
    assert page.recent_buttons[project_files[0]].text() == "acme.gpkg"
    assert page.recent_buttons[project_files[0]].toolTip() == project_files[0]


def test_recent_list_is_capped_and_without_duplicates(qtbot, page_for, tmp_path):
    paths = []
    for i in range(MAX_RECENT_SHOWN + 3):
        p = tmp_path / f"p{i}.gpkg"
        p.write_bytes(b"x")
        paths.append(str(p))
    page = page_for(FakeWindow([paths[0]] + paths))
    assert list(page.recent_buttons) == paths[:MAX_RECENT_SHOWN]


def test_no_recent_projects_says_so(qtbot, page_for):
    page = page_for(FakeWindow([]))
    assert page.recent_buttons == {}
    assert "No recent projects" in page.findChild(QLabel, "startNoRecent").text()


def test_describe_recent_names_folder_and_age(tmp_path):
    p = tmp_path / "plan.gpkg"
    p.write_bytes(b"x")
    t = dt.datetime(2026, 3, 4, 9, 30)
    os.utime(p, (t.timestamp(), t.timestamp()))
    assert describe_recent(str(p), now=dt.datetime(2026, 3, 4, 18, 0)) == (
        "plan.gpkg", f"{tmp_path} — saved today 09:30", True)
    assert describe_recent(str(p), now=dt.datetime(2026, 3, 5, 8, 0))[1].endswith("saved yesterday 09:30")
    assert describe_recent(str(p), now=dt.datetime(2026, 4, 1))[1].endswith("saved 2026-03-04")
    title, text, exists = describe_recent(str(tmp_path / "gone.gpkg"))
    assert (title, exists) == ("gone.gpkg", False) and "not found" in text


def test_page_renders_with_the_app_icon(qtbot, page_for, project_files, tmp_path):
    assert not app_icon().isNull()
    for n in (16, 48, 256):
        pm = app_icon().pixmap(n, n)
        assert pm.width() == n and not pm.toImage().isNull()
        assert pm.toImage().pixelColor(n // 2, n // 2).alpha() == 255  # drawn, not transparent
    page = page_for(FakeWindow(project_files))
    image = page.grab().toImage()
    logo = page.findChild(QLabel, "startLogo")
    assert logo is not None and not logo.pixmap().isNull()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # icon colours and text, not an empty page
    image.save(str(tmp_path / "start_page.png"))


def test_start_page_for_wires_a_real_main_window(qtbot, tmp_path, project_files, monkeypatch):
    from territory_desk.ui.shell.app import make_app
    from territory_desk.ui.shell.main_window import MainWindow

    make_app()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    QSettings().setValue("files/recent", project_files)
    calls = []
    monkeypatch.setattr(MainWindow, "open_demo", lambda self: calls.append("demo"))
    monkeypatch.setattr(MainWindow, "open_dialog", lambda self: calls.append("open"))
    monkeypatch.setattr(MainWindow, "new_project_dialog", lambda self, units_path="": calls.append("new"))
    monkeypatch.setattr(MainWindow, "open_path", lambda self, p: calls.append(p) or True)
    win = MainWindow()
    qtbot.addWidget(win)
    page = start_page_for(win)
    win.setCentralWidget(page)
    win.resize(1200, 800)
    win.show()
    for b in (page.demo_button, page.open_button, page.new_button, page.recent_buttons[project_files[0]]):
        click(qtbot, b)
    assert calls == ["demo", "open", "new", project_files[0]]
