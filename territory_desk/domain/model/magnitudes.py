"""The numbers a project may hold: finite, and no larger in magnitude than MAX_MAGNITUDE.

Unit and account columns are summed per territory, squared for variances and multiplied by
distances; a value near the float limit (1e308) turns those into infinities (and numpy warnings).
A thousand trillion (1e15) is far beyond any population, revenue or workload a territory plan
handles, keeps every whole number exact (floats are exact up to 2**53 ≈ 9e15), and leaves room
for sums over millions of units and their squares. NaN means "missing" (an empty cell) and is
allowed; infinities and larger magnitudes are refused with one line naming the column and row.
"""
from __future__ import annotations

import numpy as np

from territory_desk.domain.model.errors import InputError

MAX_MAGNITUDE = 1e15
BOUND = f"±{MAX_MAGNITUDE:.0e}".replace("e+", "e")  # "±1e15"
BOUND_TEXT = f"numbers must lie within {BOUND}"


def first_out_of_range(values: np.ndarray) -> int | None:
    """Index of the first infinite value or value beyond ±MAX_MAGNITUDE (NaN is fine), else None."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = np.abs(v) > MAX_MAGNITUDE  # inf too; NaN compares False
    if not bad.any():
        return None
    return int(np.argmax(bad))


def describe_out_of_range(value: float) -> str:
    return "an infinite number" if np.isinf(value) else f"{value:.6g}"


def check_numeric_columns(columns: dict[str, np.ndarray], ids: list[str], what: str) -> None:
    """Refuse a numeric column holding an infinity or a magnitude beyond MAX_MAGNITUDE.

    ``what`` names the row kind ("unit", "account"); the message names column, row id and value.
    """
    for name, values in columns.items():
        k = first_out_of_range(values)
        if k is not None:
            raise InputError(f"{what} column {name!r} holds {describe_out_of_range(float(values[k]))} "
                             f"({what} {ids[k]!r}); {BOUND_TEXT}")


def check_columns(numeric: dict[str, np.ndarray], text: dict[str, list[str]], ids: list[str], what: str) -> None:
    """Turn the numeric columns into float64 arrays (in place), then refuse a column of the wrong
    length or one holding a number out of range, naming it (``what`` names the row kind)."""
    n = len(ids)
    for name, values in list(numeric.items()):
        numeric[name] = np.asarray(values, dtype=np.float64)
    lengths = {name: len(values) for name, values in numeric.items()}
    lengths.update((name, len(values)) for name, values in text.items())
    for name, length in lengths.items():
        if length != n:
            raise InputError(f"{what} column {name!r} has the wrong length")
    check_numeric_columns(numeric, ids, what)
