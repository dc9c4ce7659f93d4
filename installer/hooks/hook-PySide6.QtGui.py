# Replaces PyInstaller's own hook for this PySide6 module: the same collection (add_qt6_dependencies
# reads the module name from this file's name) minus the Qt plugins and files listed in
# qt_bundle_filter.py, removed here so their library dependencies are never collected either.
import os
import sys

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qt_bundle_filter import keep_hook_entries  # noqa: E402

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = keep_hook_entries(binaries)
datas = keep_hook_entries(datas)
