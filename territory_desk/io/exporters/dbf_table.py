"""The attribute table (.dbf) of an exported shapefile, written with pyshp so each field has the type
and decimals its values need: integers as ``N(w, 0)``, reals with their own decimals (GDAL would give
every real 15 decimals: ``259.000000000000000``). Widths fit the longest value, with room for edits
made later in a GIS as GDAL's defaults give (text 80 bytes, integers 9 digits).

dBase limits what a shapefile can hold: text fields at most 254 bytes (UTF-8 here; the export
writes a ``.cpg`` saying so). Longer text is cut at a character boundary and reported, never
silently; the GeoPackage and GeoJSON exports keep it whole.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapefile  # pyshp

from territory_desk.io.exporters.layer_fields import LayerField

MAX_TEXT_BYTES = 254
MAX_NUMBER_WIDTH = 24  # as GDAL writes and reads them
# room for edits in a GIS (a longer name, a territory that grows), as GDAL's defaults give
MIN_TEXT_WIDTH, MIN_INTEGER_WIDTH, MIN_REAL_WIDTH = 80, 9, 14  # 9 digits: GDAL reads a 32-bit Integer


def write_dbf(path: str, frame: pd.DataFrame, fields: list[LayerField]) -> list[str]:
    """Write ``frame``'s columns (named as ``fields``) to a UTF-8 dBase file; returns notes on text
    cut to the dBase limit."""
    columns, notes = [], []
    with open(path, "wb") as fh:
        w = shapefile.Writer(dbf=fh, encoding="utf-8", encodingErrors="strict")
        for f in fields:
            values, spec, note = _column(frame[f.name], f)
            columns.append(values)
            w.field(f.name, *spec)
            if note:
                notes.append(note)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyshp warns of trailing spaces, which dBase cannot keep
            for row in zip(*columns) if columns else ([] for _ in range(len(frame))):
                w.record(*row)
        w.close()
    return notes


def _column(series: pd.Series, f: LayerField) -> tuple[list, tuple, str]:
    """(values as pyshp takes them, (type, size, decimals), a note or "")."""
    if f.kind == "text":
        values = ["" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
                  for v in series.tolist()]
        cut = [_cut(v) for v in values]
        long = sum(1 for a, b in zip(values, cut) if a != b)
        width = min(max([len(v.encode("utf-8")) for v in cut] + [MIN_TEXT_WIDTH]), MAX_TEXT_BYTES)
        note = (f"{long:,} value(s) of {f.name!r} longer than {MAX_TEXT_BYTES} bytes were shortened "
                "(the dBase limit; GeoPackage and GeoJSON keep them whole)") if long else ""
        return cut, ("C", width, 0), note
    raw = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(raw)
    decimals = f.decimals if f.kind == "real" else 0
    texts = [f"{v:.{decimals}f}" for v in raw[ok].tolist()]
    width = max([len(t) for t in texts] + [1])
    while width > MAX_NUMBER_WIDTH and decimals > 0:
        decimals -= 1
        width = max(len(f"{v:.{decimals}f}") for v in raw[ok].tolist())
    width = max(width, MIN_REAL_WIDTH if decimals else MIN_INTEGER_WIDTH)
    values = [(int(v) if decimals == 0 else float(v)) if good else None for v, good in zip(raw.tolist(), ok.tolist())]
    return values, ("N", width, decimals), ""


def _cut(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_TEXT_BYTES:
        return text
    return data[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore")
