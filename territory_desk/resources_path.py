"""Where the resources/ folder (icons, styles) is, from a checkout and from the packaged app.

* In a checkout (and an editable install) it is the ``resources/`` folder beside the package.
* In the PyInstaller bundle (installer/territory_desk.spec puts it at ``resources`` inside the
  bundle) it is ``sys._MEIPASS/resources``: ``_internal/resources`` of the one-folder bundle, or
  ``Contents/Frameworks/resources`` (linked to ``Contents/Resources``) inside the macOS .app.
* ``TERRITORY_DESK_RESOURCES`` overrides both, for installs that keep resources elsewhere.

No Qt here: callers turn the paths into QIcons.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "TERRITORY_DESK_RESOURCES"
APP_ICON = ("icons", "territory-desk.svg")


def is_frozen() -> bool:
    """True inside a packaged app (PyInstaller and other freezers set ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def resources_dir() -> Path:
    """The resources directory for this run (it may be missing in a plain wheel install)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    if is_frozen():
        base = getattr(sys, "_MEIPASS", None) or os.path.dirname(os.path.abspath(sys.executable))
        return Path(base) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A file inside the resources directory, e.g. ``resource_path("icons", "territory-desk.svg")``.

    Refuses paths that leave the resources directory (``..`` or absolute parts)."""
    base = resources_dir()
    path = base.joinpath(*parts)
    if not path.resolve().is_relative_to(base.resolve()):
        raise ValueError(f"{os.path.join(*parts)}: not inside the resources directory")
    return path


def app_icon_path() -> Path:
    """The application icon (SVG; PNG sizes and .ico/.icns sit beside it)."""
    return resource_path(*APP_ICON)
