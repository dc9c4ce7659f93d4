"""Values read from a project file, validated: each helper checks the SQLite types of a column and
raises Damaged (what and where) instead of letting a wrong type travel into the domain."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np

from territory_desk.domain.model.magnitudes import BOUND_TEXT, describe_out_of_range, first_out_of_range


class Damaged(Exception):
    """A value read from a project file is missing or of the wrong type (message: what and where)."""


def rows(conn: sqlite3.Connection, sql: str, ncols: int) -> list[Any]:
    """The columns of a query's result, each a tuple of its values (typed Any: the readers replace
    each by its checked form, texts(), floats(), ...)."""
    result = conn.execute(sql).fetchall()
    return list(zip(*result)) if result else [()] * ncols


def texts(values: tuple | list, what: str, nullable: bool = False) -> list:
    """Check a column of TEXT values (None allowed only when nullable)."""
    allowed = {str, type(None)} if nullable else {str}
    if not set(map(type, values)) <= allowed:
        bad = next(v for v in values if type(v) not in allowed)
        raise Damaged(f"{what} holds {_describe(bad)} where text is expected")
    return list(values)


def floats(values: tuple | list, what: str, first_row: int = 1) -> np.ndarray:
    """A float64 array from a column of REAL/INTEGER/NULL values (NULL -> NaN, "missing").

    Infinities and magnitudes beyond ±MAX_MAGNITUDE (1e15) are refused naming the row: sums of
    such values overflow (domain/magnitudes.py). ``first_row`` numbers the rows of a chunk."""
    if not set(map(type, values)) <= {float, int, type(None)}:
        bad = next(v for v in values if type(v) not in (float, int, type(None)))
        raise Damaged(f"{what} holds {_describe(bad)} where a number is expected")
    arr = np.array(values, dtype=np.float64)  # SQLite integers (int64) all fit
    k = first_out_of_range(arr)
    if k is not None:
        raise Damaged(f"{what} holds {describe_out_of_range(float(arr[k]))} in row {first_row + k}; {BOUND_TEXT}")
    return arr


def ints(values: tuple | list, what: str, lo: int, hi: int) -> np.ndarray:
    """An int64 array from a column of INTEGER values, each in [lo, hi)."""
    if not set(map(type, values)) <= {int}:
        bad = next(v for v in values if type(v) is not int)
        raise Damaged(f"{what} holds {_describe(bad)} where an integer is expected")
    arr = np.array(values, dtype=np.int64)
    if len(arr) and (arr.min() < lo or arr.max() >= hi):
        raise Damaged(f"{what} holds a value outside {lo}..{hi - 1}")
    return arr


def json_value(text: object, what: str, expected: type) -> Any:
    """Parse a JSON text (never anything else: no pickles, no eval) and check its top-level type."""
    if type(text) is not str:
        raise Damaged(f"{what} holds {_describe(text)} where JSON text is expected")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Damaged(f"{what} is not valid JSON") from None
    if not isinstance(value, expected):
        raise Damaged(f"{what} is not a JSON {'object' if expected is dict else 'array'}")
    return value


def _describe(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bytes):
        return f"binary data ({len(value)} bytes)"
    return "text" if isinstance(value, str) else f"a value of type {type(value).__name__}"
