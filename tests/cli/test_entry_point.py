"""The `territory-desk` entry point: the command table in cli/__init__.py, modules that do not import
it back, `python -m territory_desk.cli`, and a command line that starts without the heavy libraries."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


def test_no_cli_module_imports_the_cli_package_back():
    """cli/__init__.py (the entry point) imports the command modules; none of them imports it."""
    folder = Path(__file__).parents[2] / "territory_desk" / "cli"
    for path in folder.glob("*.py"):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert "territory_desk.cli" not in names, f"{path.name} imports territory_desk.cli"


def test_python_dash_m_runs_the_command():
    r = subprocess.run([sys.executable, "-m", "territory_desk.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("territory-desk ")


def test_help_and_the_options_of_every_command_load_no_heavy_library():
    code = ("import sys, contextlib, io\n"
            "from territory_desk.cli import main\n"
            "for args in (['--help'], ['export', '--help'], ['import-accounts', '--help'], ['optimize', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        main(args)\n"
            "heavy = [m for m in ('numpy', 'pandas', 'shapely', 'pyproj', 'PySide6') if m in sys.modules]\n"
            "print(heavy); sys.exit(1 if heavy else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
