"""The attribute fields of exported GIS layers: their types, their rounding and their shapefile names.

* Counts are integers (``259``, never ``259.0``); a metric whose every value is a whole number (a
  population, revenue in whole dollars) is an integer field too.
* Other metric values keep 2 decimals, or 7 significant digits when the column is smaller than
  100,000 (a density of 0.000345678 keeps its digits); deviations and shares are rounded to 0.1 %,
  compactness to 0.0001: the digits beyond are noise of floating-point sums.
* Shapefile (dBase) names are at most 10 ASCII characters. ``short_names`` makes readable unique
  ones (``population_dev_pct`` → ``pop_dev``, not a truncation like ``populatio1``); the export writes
  the full → short map beside the shapefile as ``NAME.fields.csv``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

DBF_NAME_LIMIT = 10
SIGNIFICANT = 7  # digits kept of a metric's values (at least 2 decimals)
PCT_DECIMALS = 1
COMPACTNESS_DECIMALS = 4
AREA_DECIMALS = 2
MAX_DECIMALS = 10
# words shortened in shapefile field names (the rest lose inner vowels only when still too long)
ABBREVIATIONS = {
    "territory": "terr", "territories": "terr", "population": "pop", "potential": "pot", "revenue": "rev",
    "accounts": "acct", "account": "acct", "deviation": "dev", "percent": "pct", "employees": "emp",
    "employee": "emp", "households": "hh", "household": "hh", "number": "num", "average": "avg",
    "income": "inc", "customers": "cust", "customer": "cust", "opportunities": "opp", "opportunity": "opp",
    "pipeline": "pipe", "quantity": "qty", "amount": "amt", "annual": "ann", "workload": "work",
    "popper": "pp", "region": "reg", "median": "med", "total": "tot", "square": "sq",
}


@dataclass(frozen=True)
class LayerField:
    name: str
    kind: str  # "text", "integer" or "real"
    description: str
    decimals: int = 0  # reals: digits after the point


def text_field(name: str, description: str) -> LayerField:
    return LayerField(name, "text", description)


def int_field(name: str, description: str) -> LayerField:
    return LayerField(name, "integer", description)


def typed_column(values, description: str, name: str, decimals: int | None = None) -> tuple[pd.Series, LayerField]:
    """(column, field) for numbers: an integer column when every value is a whole number, else reals
    rounded to ``decimals`` (default: ``value_decimals``). Missing values stay missing."""
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    finite = np.isfinite(v)
    if finite.any() and np.all(v[finite] == np.round(v[finite])) and np.all(np.abs(v[finite]) < 2 ** 53):
        col = pd.array(np.where(finite, v, 0).astype(np.int64), dtype="Int64")
        col[~finite] = pd.NA
        return pd.Series(col, name=name), int_field(name, description)
    d = value_decimals(v) if decimals is None else decimals
    return pd.Series(np.round(v, d), name=name), LayerField(name, "real", description, d)


def value_decimals(values: np.ndarray) -> int:
    """Decimals that keep ``SIGNIFICANT`` digits of the largest value, and at least 2."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return 2
    top = math.floor(math.log10(float(v.max())))
    return int(min(max(SIGNIFICANT - 1 - top, 2), MAX_DECIMALS))


# ---- shapefile names -------------------------------------------------------------------------------
def short_names(names: list[str], limit: int = DBF_NAME_LIMIT) -> dict[str, str]:
    """{full name: dBase name}: ASCII, at most ``limit`` characters, starting with a letter, unique
    without regard to case (dBase compares names case-insensitively)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        short = _unique(_shorten(_ascii(name), limit), limit, taken)
        taken.add(short.casefold())
        out[name] = short
    return out


_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l",
                          "Ł": "L", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th"})


def _ascii(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.translate(_LETTERS)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text) or "field"
    return text if text[0].isalpha() else "f" + text


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    low = name.lower()
    for suffix, short in (("_dev_pct", "_dev"), ("_share_pct", "_shr"), ("_pct", "_pct")):
        if low.endswith(suffix) and len(low) > len(suffix):
            return _shorten(name[: -len(suffix)], limit - len(short)) + short
    words = [w for w in name.split("_") if w]
    steps = (
        lambda ws: [ABBREVIATIONS.get(w.lower(), w) for w in ws],
        lambda ws: [w[0] + re.sub(r"[aeiouAEIOU]", "", w[1:]) if len(w) > 4 else w for w in ws],
    )
    for step in steps:
        words = [w for w in step(words) if w] or words
        if len("_".join(words)) <= limit:
            return "_".join(words)
    joined = "".join(words)
    return joined[:limit]


def _unique(name: str, limit: int, taken: set[str]) -> str:
    if name.casefold() not in taken:
        return name
    k = 2
    while True:
        suffix = str(k)
        candidate = name[: limit - len(suffix)] + suffix
        if candidate.casefold() not in taken:
            return candidate
        k += 1


def field_map_rows(fields: list[LayerField], short: dict[str, str]) -> list[list]:
    """Rows of ``NAME.fields.csv``: field, shapefile_field, type, decimals, description."""
    rows: list[list] = [["field", "shapefile_field", "type", "decimals", "description"]]
    for f in fields:
        rows.append([f.name, short[f.name], f.kind, f.decimals if f.kind == "real" else "", f.description])
    return rows
