"""The start page shown while no project is open: the app icon, three ways to begin (the US demo,
an existing project, a new project from a boundary file) and the recent projects.

The page only emits signals; `start_page_for(window)` connects them to the main window's file
actions (open_demo, open_dialog, new_project_dialog, open_path) and fills in its recent files.
"""
from __future__ import annotations

import datetime as _dt
import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from territory_desk.resources_path import app_icon_path, resource_path

MAX_RECENT_SHOWN = 6
ICON_SIZE = 88


def app_icon() -> QIcon:
    """The application icon (SVG, with the rendered PNG sizes added for platforms without SVG)."""
    icon = QIcon(str(app_icon_path()))
    for n in (16, 24, 32, 48, 64, 128, 256):
        png = resource_path("icons", f"territory-desk-{n}.png")
        if png.is_file():
            icon.addFile(str(png), QSize(n, n))
    return icon


def describe_recent(path: str, now: _dt.datetime | None = None) -> tuple[str, str, bool]:
    """(title, description, exists) of a recent project for its button."""
    name = os.path.basename(path) or path
    folder = os.path.dirname(path)
    home = os.path.expanduser("~")
    if home and home != "~" and (folder == home or folder.startswith(home + os.sep)):
        folder = "~" + folder[len(home):] if folder != home else "home folder"
    try:
        mtime = _dt.datetime.fromtimestamp(os.path.getmtime(path))
    except OSError:
        return name, f"{folder} — not found (moved or deleted?)", False
    return name, f"{folder} — saved {_when(mtime, now or _dt.datetime.now())}", True


def _when(t: _dt.datetime, now: _dt.datetime) -> str:
    if t.date() == now.date():
        return f"today {t:%H:%M}"
    if t.date() == (now - _dt.timedelta(days=1)).date():
        return f"yesterday {t:%H:%M}"
    return f"{t:%Y-%m-%d}"


class StartPage(QWidget):
    """Centred welcome page. Emits one signal per choice; it never opens anything itself."""

    demoRequested = Signal()
    openRequested = Signal()
    newFromBoundaryRequested = Signal()
    recentRequested = Signal(str)

    def __init__(self, recent: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.setAutoFillBackground(True)
        self.recent_buttons: dict[str, QCommandLinkButton] = {}

        column = QWidget()
        column.setMaximumWidth(1040)
        lay = QVBoxLayout(column)
        lay.setContentsMargins(40, 32, 40, 32)
        lay.setSpacing(20)
        lay.addLayout(self._header())
        body = QHBoxLayout()
        body.setSpacing(40)
        body.addLayout(self._actions(), 1)
        body.addLayout(self._recent(recent or []), 1)
        lay.addLayout(body)
        tip = QLabel("Tip: drop a project (.gpkg) or a boundary file (.shp, .geojson, .kml, .zip) "
                     "anywhere on this window to open it.")
        tip.setObjectName("startTip")
        tip.setWordWrap(True)
        tip.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        lay.addWidget(tip)

        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        column.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 100)  # as wide as the window allows, up to the column's maximum
        row.addStretch(1)
        holder = QWidget()
        hl = QVBoxLayout(holder)
        hl.addStretch(1)
        hl.addLayout(row)
        hl.addStretch(2)
        scroll.setWidget(holder)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # ---- parts ----------------------------------------------------------------------------------
    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(20)
        logo = QLabel()
        logo.setObjectName("startLogo")
        pix: QPixmap = app_icon().pixmap(QSize(ICON_SIZE, ICON_SIZE), self.devicePixelRatioF())
        logo.setPixmap(pix)
        logo.setFixedSize(ICON_SIZE, ICON_SIZE)
        row.addWidget(logo, 0, Qt.AlignmentFlag.AlignVCenter)
        title = QLabel("<div style='font-size:22pt; font-weight:600'>territory_desk</div>"
                       "<div style='font-size:11pt'>Design balanced, compact, contiguous sales territories "
                       "— on a map, with the balance figures updating as you paint.</div>")
        title.setObjectName("startTitle")
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(title, 1, Qt.AlignmentFlag.AlignVCenter)
        return row

    def _section_label(self, text: str) -> QLabel:
        label = QLabel(f"<span style='font-size:12pt; font-weight:600'>{text}</span>")
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _button(self, title: str, description: str, icon: QIcon) -> QCommandLinkButton:
        b = QCommandLinkButton(title, description)
        b.setIcon(icon)
        b.setIconSize(QSize(24, 24))
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # the description wraps: the height follows the real width
        b.setSizePolicy(policy)
        return b

    def _actions(self) -> QVBoxLayout:
        st = self.style()
        col = QVBoxLayout()
        col.setSpacing(6)
        col.addWidget(self._section_label("Start"))
        self.demo_button = self._button(
            "Open the US demo",
            "3,108 US counties, 4,000 accounts and 16 territories, built from data shipped with the app "
            "(no network needed).",
            app_icon())
        self.open_button = self._button(
            "Open a project…", "A territory_desk project file (.gpkg).",
            st.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton))
        self.new_button = self._button(
            "New project from a boundary file…",
            "ZIP codes, counties or your own areas from a shapefile, GeoJSON, GeoPackage or KML, in any "
            "coordinate system.",
            st.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder))
        self.demo_button.setObjectName("startDemo")
        self.open_button.setObjectName("startOpen")
        self.new_button.setObjectName("startNew")
        self.demo_button.clicked.connect(self.demoRequested)
        self.open_button.clicked.connect(self.openRequested)
        self.new_button.clicked.connect(self.newFromBoundaryRequested)
        for b in (self.demo_button, self.open_button, self.new_button):
            col.addWidget(b)
        col.addStretch(1)
        return col

    def _recent(self, recent: list[str]) -> QVBoxLayout:
        col = QVBoxLayout()
        col.setSpacing(2)
        col.addWidget(self._section_label("Recent projects"))
        file_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        shown = 0
        for path in recent:
            if shown == MAX_RECENT_SHOWN:
                break
            if path in self.recent_buttons:
                continue
            title, description, exists = describe_recent(path)
            b = self._button(title, description, file_icon)
            b.setToolTip(path)
            b.setEnabled(exists)
            b.clicked.connect(lambda _=False, p=path: self.recentRequested.emit(p))
            self.recent_buttons[path] = b
            col.addWidget(b)
            shown += 1
        if not shown:
            none = QLabel("No recent projects yet. Projects you open or save appear here.")
            none.setObjectName("startNoRecent")
            none.setWordWrap(True)
            none.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            col.addWidget(none)
        col.addStretch(1)
        return col


def start_page_for(window) -> StartPage:
    """A StartPage wired to the main window's file actions and filled with its recent files.

    The main window shows it with ``self.setCentralWidget(start_page_for(self))``."""
    page = StartPage(window.recent_files())  # setCentralWidget takes ownership
    page.demoRequested.connect(window.open_demo)
    page.openRequested.connect(window.open_dialog)
    page.newFromBoundaryRequested.connect(lambda: window.new_project_dialog())
    page.recentRequested.connect(window.open_path)
    return page
