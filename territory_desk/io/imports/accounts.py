"""Accounts from a CRM table: validate every row, place it (own coordinates or offline geocoding),
locate it in the project's units, compare with the accounts already in the project.

A row is imported whole or rejected with one reason (the first problem found, in this order:
missing or duplicate id, non-numeric value, unusable coordinates or address, outside every unit).
Text cells are kept verbatim (a "=HYPERLINK(...)" name stays that text). Vectorised throughout:
one million rows take seconds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from territory_desk.domain.model.accounts import AccountTable, locate_points
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.units import UnitLayer
from territory_desk.io.imports.column_mapping import ColumnMapping, parse_numbers
from territory_desk.io.imports.geocoding import METHOD_NAMES, place_rows
from territory_desk.io.imports.report import ADDED, CHANGED, UNCHANGED, ImportReport, method_counts, start_report
from territory_desk.io.tables.reader import RawTable

ADDRESS_ROLES = ("street", "city", "state", "zip", "county")
LOCATION_ROLES = ("lat", "zip", "city", "county")


def text_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The stripped text of a column (a plain list comprehension: str.strip is C and the pandas
    accessor costs twice as much)."""
    values = frame[column].to_numpy(dtype=object)
    return np.array([v.strip() for v in values], dtype=object) if len(values) else values


def check_location_columns(raw: RawTable, mapping: ColumnMapping, what: str) -> None:
    if any(mapping.column(r) for r in LOCATION_ROLES):
        return
    hint = ""
    if len(raw.columns) == 1:
        hint = (" The file has a single column: is it separated by something other than a comma, semicolon or"
                " tab?")
    raise InputError(f"{raw.path}: no column holds {what} coordinates, a ZIP code, a city or a county "
                     f"(columns: {', '.join(raw.columns[:12])}{' …' if len(raw.columns) > 12 else ''}); "
                     f"map one with --map 'COLUMN=zip' or 'COLUMN=lat'.{hint}")


def row_ids(raw: RawTable, mapping: ColumnMapping, reason: np.ndarray, report: ImportReport) -> np.ndarray:
    """Ids of every row (from the id column, or the row number); sets missing/duplicate reasons."""
    col = mapping.column("id")
    if col is None:
        report.notes.append("no id column: rows are numbered by their row in the file (a re-import cannot match "
                            "them by id; map one with --map 'COLUMN=id')")
        return np.array([str(r) for r in raw.rows], dtype=object)
    ids = text_column(raw.frame, col)
    empty = ids == ""
    reason[empty & no_reason(reason)] = "missing id: the id cell is empty"
    s = pd.Series(ids)
    dup = (s.duplicated(keep="first") & ~empty).to_numpy()
    if dup.any():
        first_row = dict(zip(ids[~dup & ~empty][::-1], raw.rows[~dup & ~empty][::-1]))
        for k in np.flatnonzero(dup & no_reason(reason)):
            reason[k] = f"duplicate id: {_short(ids[k])!r} (first in row {first_row.get(ids[k], '?')})"
    return ids


def numeric_columns(raw: RawTable, mapping: ColumnMapping, reason: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    decimal_comma = raw.delimiter == ";"
    for source, name in mapping.kept("numeric"):
        texts = raw.frame[source].to_numpy(dtype=object)
        nums = parse_numbers(texts, decimal_comma)
        for mask, what in ((nums.bad, "non-numeric value"), (nums.huge, "number out of range")):
            for k in np.flatnonzero(mask & no_reason(reason)):
                reason[k] = f"{what}: {_short(texts[k].strip())!r} in column {source!r}"
        out[name] = nums.values
    return out


def build_accounts(raw: RawTable, mapping: ColumnMapping, units: UnitLayer,
                   previous: AccountTable | None = None) -> tuple[AccountTable, ImportReport]:
    """The new account table and its report. Raises InputError when nothing can be imported."""
    report = start_report("accounts", raw, mapping, reimport=previous is not None and len(previous) > 0)
    check_location_columns(raw, mapping, "account")
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    ids = row_ids(raw, mapping, reason, report)
    numeric = numeric_columns(raw, mapping, reason)
    place = place_rows(raw.frame, mapping, decimal_comma=raw.delimiter == ";")
    free = no_reason(reason)
    reason[free] = place.reason[free]
    # locate the placed rows in the units; outside every unit is a rejection (swapped ones say so)
    unit_index = np.full(n, -1, dtype=np.int64)
    cand = np.flatnonzero(no_reason(reason) & place.placed)
    unit_index[cand] = locate_points(place.lon[cand], place.lat[cand], units.geometry, units.source_crs)
    outside = cand[unit_index[cand] < 0]
    if len(outside):
        _explain_outside(outside, place, units, reason)
    keep = no_reason(reason)
    for k in np.flatnonzero(~keep):
        report.reject(int(raw.rows[k]), ids[k], reason[k])
    report.rejected.sort(key=lambda r: r.row)
    if not keep.any():
        report.imported = 0
        return AccountTable.empty(), report
    name_col = mapping.column("name")
    names = text_column(raw.frame, name_col) if name_col else ids
    text: dict[str, list[str]] = {}
    for role in ADDRESS_ROLES:
        c = mapping.column(role)
        if c is not None:
            text[role] = text_column(raw.frame, c)[keep].tolist()
    for source, name in mapping.kept("text"):
        key = name if name not in text else f"{name}_2"
        text[key] = raw.frame[source].to_numpy(dtype=object)[keep].tolist()
    table = AccountTable(ids[keep].tolist(), names[keep].tolist(), place.lon[keep], place.lat[keep],
                         numeric={k: v[keep] for k, v in numeric.items()}, text=text, unit_index=unit_index[keep])
    report.imported = len(table)
    report.methods = method_counts(place.method[keep])
    report.row_numbers = raw.rows[keep]
    report.row_ids = table.ids
    report.row_methods = place.method[keep]
    if previous is not None:
        compare_accounts(previous, table, report)
    else:
        report.row_outcomes = np.full(len(table), ADDED, dtype=np.int8)
        report.added = len(table)
    if "street" in text and report.methods.get("coordinates", 0) < len(table):
        report.notes.append("street addresses are kept as text; offline geocoding uses ZIP, city and county")
    return table, report


def _explain_outside(rows: np.ndarray, place, units: UnitLayer, reason: np.ndarray) -> None:
    lon, lat = place.lon[rows], place.lat[rows]
    swappable = np.abs(lon) <= 90
    swapped = np.full(len(rows), -1, dtype=np.int64)
    if swappable.any():
        swapped[swappable] = locate_points(lat[swappable], lon[swappable], units.geometry, units.source_crs)
    for k, r in enumerate(rows.tolist()):
        how = METHOD_NAMES[int(place.method[r])]
        if swapped[k] >= 0:
            reason[r] = (f"swapped coordinates: ({lat[k]:g}, {lon[k]:g}) lies outside every unit; with latitude "
                         f"and longitude exchanged it would lie in unit {units.ids[swapped[k]]!r}")
        else:
            where = f" (by {how}" + (f" {place.place[r]}" if place.place is not None and place.place[r] else "") + ")"
            reason[r] = f"outside every unit: ({lat[k]:.5g}, {lon[k]:.5g}){where if how != 'coordinates' else ''}"


def compare_accounts(old: AccountTable, new: AccountTable, report: ImportReport) -> None:
    """Added / changed / unchanged per new account and the ids of removed ones (re-import by id)."""
    old_ids = pd.Index(old.ids)
    if not old_ids.is_unique:
        first = ~old_ids.duplicated()
        positions = np.flatnonzero(first)
        old_ids = old_ids[first]
    else:
        positions = np.arange(len(old_ids))
    found = old_ids.get_indexer(pd.Index(new.ids))
    matched = found >= 0
    pos = positions[found[matched]]
    changed = np.zeros(int(matched.sum()), dtype=bool)
    changed |= np.asarray(new.names, dtype=object)[matched] != np.asarray(old.names, dtype=object)[pos]
    for a, b in ((new.lon, old.lon), (new.lat, old.lat)):
        changed |= _differs(a[matched], b[pos])
    for k in set(new.numeric) & set(old.numeric):
        changed |= _differs(new.numeric[k][matched], old.numeric[k][pos])
    for k in set(new.text) & set(old.text):
        changed |= np.asarray(new.text[k], dtype=object)[matched] != np.asarray(old.text[k], dtype=object)[pos]
    outcomes = np.full(len(new), ADDED, dtype=np.int8)
    outcomes[np.flatnonzero(matched)[changed]] = CHANGED
    outcomes[np.flatnonzero(matched)[~changed]] = UNCHANGED
    report.row_outcomes = outcomes
    report.added = int((outcomes == ADDED).sum())
    report.changed = int((outcomes == CHANGED).sum())
    report.unchanged = int((outcomes == UNCHANGED).sum())
    still = np.zeros(len(old), dtype=bool)
    still[pos] = True
    report.removed_ids = [old.ids[i] for i in np.flatnonzero(~still)]
    new_cols, old_cols = set(new.numeric) | set(new.text), set(old.numeric) | set(old.text)
    gained, lost = sorted(new_cols - old_cols), sorted(old_cols - new_cols)
    if gained:
        report.notes.append("new columns: " + ", ".join(gained))
    if lost:
        report.notes.append("columns no longer present (removed from the accounts): " + ", ".join(lost))


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return ~((a == b) | (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-9 * np.maximum(1.0, np.abs(b))))


def no_reason(reason: np.ndarray) -> np.ndarray:
    """Rows without a reason (yet)."""
    return pd.isna(reason)


def _short(text, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
