"""CLI commands of this area (placeholder; filled in by the area). Registered by territory_desk.cli."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    return {}
