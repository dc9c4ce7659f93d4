"""The core imports no Qt: the CLI and the domain run headless (import-linter checks the layers too)."""
import subprocess
import sys

import pytest

PySide6 = pytest.importorskip("PySide6")


def test_core_and_cli_import_no_qt():
    code = (
        "import sys\n"
        "import territory_desk.cli, territory_desk.domain.stats.engine, territory_desk.domain.editing.territories\n"
        "import territory_desk.persistence.store, territory_desk.services.reports, territory_desk.services.demo\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'territory_desk.ui'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_pyside_does_not_leak_none_references():
    """PySide6 6.12.0 drops a reference to None on every void call and aborts Python 3.11 (KNOWN-PITFALLS)."""
    code = (
        "import sys\n"
        "from PySide6.QtGui import QPainterPath\n"
        "p = QPainterPath(); before = sys.getrefcount(None)\n"
        "for _ in range(1000): p.moveTo(0, 0)\n"
        "print(sys.getrefcount(None) - before)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert abs(int(r.stdout.strip())) < 50
