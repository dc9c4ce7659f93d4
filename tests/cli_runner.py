"""Running the `territory-desk` command in-process from tests: exit code, stdout and stderr."""
from __future__ import annotations

import hashlib

from territory_desk.cli import main


def run(capsys, *args):
    """``main(args)`` with every argument as text; returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def digest(path) -> str:
    """SHA-256 of a file: a refused command must leave the project byte for byte as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
