"""Limits for reading CRM tables (CSV/TSV and XLSX): what a file may hold before it is refused.

A client's file is untrusted input: one line without a newline, a cell of a gigabyte or a million
columns must be refused quickly with one clear line, never read into memory whole. The defaults
are generous (far above any real CRM export) and every one can be changed:

==========  ==========  ==========================================================================
key         default     what it bounds
==========  ==========  ==========================================================================
rows        10,000,000  data rows of a table (records after the header; blank lines count)
columns     16,384      cells in a row (Excel's own maximum)
field       1 MiB       bytes of one cell (Salesforce's longest text field holds 131,072 chars)
line        8 MiB       bytes of one line of a text file, and of one row (a quoted cell may span lines)
unzipped    4 GiB       bytes of an XLSX workbook once unzipped (a "zip bomb" is refused up front)
==========  ==========  ==========================================================================

On the command line: ``--limits rows=20000000,field=4MiB`` (sizes take K, KB, KiB, M, MB, MiB, G,
GB, GiB; ``none`` removes a limit). In the editor, a refused file offers to read it again with the
limit raised.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from territory_desk.domain.model.errors import InputError

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
UNLIMITED = 1 << 62
SIZE_KEYS = ("field", "line", "unzipped")
COUNT_KEYS = ("rows", "columns")
WHAT = {"rows": "row", "columns": "column", "field": "field", "line": "line", "unzipped": "unzipped-size"}
_UNITS = {"": 1, "b": 1, "k": KiB, "kb": 1000, "kib": KiB, "m": MiB, "mb": 1000 ** 2, "mib": MiB,
          "g": GiB, "gb": 1000 ** 3, "gib": GiB}


@dataclass(frozen=True)
class ReadLimits:
    rows: int = 10_000_000
    columns: int = 16_384
    field: int = 1 * MiB
    line: int = 8 * MiB
    unzipped: int = 4 * GiB

    def raised(self, key: str, value: int) -> ReadLimits:
        """A copy with one limit changed."""
        return dataclasses.replace(self, **{key: value})

    def describe(self) -> str:
        return ",".join(f"{k}={format_limit(k, getattr(self, k))}" for k in (*COUNT_KEYS, *SIZE_KEYS))


DEFAULT_LIMITS = ReadLimits()
LIMITS_HELP = ("reading limits as KEY=VALUE[,KEY=VALUE...]: rows (default 10000000), columns (16384), "
               "field (bytes of a cell, 1MiB), line (bytes of a line or row, 8MiB), unzipped (bytes of an XLSX "
               "once unzipped, 4GiB); sizes take K/KB/KiB, M/MB/MiB, G/GB/GiB; 'none' removes a limit")


class LimitExceeded(InputError):
    """A file goes beyond one of the ReadLimits. ``str()`` is the whole one-line message (with the
    ``--limits`` option that raises the limit); ``what`` is the message without that hint and
    ``suggested`` a raised value to offer."""

    def __init__(self, source: str, what: str, key: str, limit: int, needed: int | None = None):
        self.source, self.what, self.key, self.limit = source, what, key, limit
        self.suggested = next_limit(key, limit, needed)
        hint = f"{key}={format_limit(key, self.suggested)}"
        shown = format_size(limit) if key in SIZE_KEYS else f"{limit:,}"
        super().__init__(f"{source}: {what} (the {WHAT[key]} limit is {shown}; raise it with --limits {hint})")


def next_limit(key: str, limit: int, needed: int | None = None) -> int:
    """A raised limit to offer: what the file needs when that is known, else eight times as much."""
    if needed is not None and needed > limit:
        if key in SIZE_KEYS:
            step = MiB if needed >= MiB else KiB
            return -(-needed // step) * step
        return needed
    return min(UNLIMITED, limit * 8)


def format_limit(key: str, value: int) -> str:
    if value >= UNLIMITED:
        return "none"
    if key not in SIZE_KEYS:
        return str(value)
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


def format_size(n: int) -> str:
    """A byte count for messages: 8 MiB, 1.5 GiB, 700 bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v >= 10 or v.is_integer() else f"{v:.1f} {unit}"
    return f"{n:,} bytes"


def parse_limits(text: str | None, base: ReadLimits = DEFAULT_LIMITS) -> ReadLimits:
    """``rows=20000000,field=4MiB`` (also ``none``) over ``base``; InputError with one line when wrong."""
    if not text or not text.strip():
        return base
    out = base
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in (*COUNT_KEYS, *SIZE_KEYS):
            raise InputError(f"--limits: expected KEY=VALUE with KEY one of {', '.join((*COUNT_KEYS, *SIZE_KEYS))}, "
                             f"got {item!r}")
        out = out.raised(key, _parse_value(key, value.strip()))
    return out


def _parse_value(key: str, value: str) -> int:
    if value.lower() in ("none", "off", "unlimited"):
        return UNLIMITED
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", value.replace("_", ""))
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS or (unit and key not in SIZE_KEYS):
        kind = "a size such as 4MiB" if key in SIZE_KEYS else "a whole number"
        raise InputError(f"--limits {key}: expected {kind} or 'none', got {value!r}")
    number = int(float(m.group(1)) * _UNITS[unit])
    if number < 1:
        raise InputError(f"--limits {key}: the limit must be at least 1")
    return number
