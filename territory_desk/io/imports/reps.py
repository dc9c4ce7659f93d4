"""Sales reps from a table: id, name (or first + last name), home location (coordinates, or
geocoded offline from ZIP, city + state or county), capacity, languages, industries, experience
level; any other kept column lands in the rep's skills.

A rep without any location is imported without a home (the report counts them); a rep whose
location is given but unusable (bad coordinates, unknown ZIP) is rejected with the reason, as is a
missing or duplicate id or a non-numeric capacity.
"""
from __future__ import annotations

import re

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.reps import Rep
from territory_desk.io.imports.accounts import no_reason, numeric_columns, row_ids, text_column
from territory_desk.io.imports.column_mapping import ColumnMapping, parse_numbers
from territory_desk.io.imports.geocoding import NOT_PLACED, place_rows
from territory_desk.io.imports.report import ADDED, CHANGED, UNCHANGED, ImportReport, method_counts, start_report
from territory_desk.io.tables.reader import RawTable

_LIST_SPLIT = re.compile(r"\s*[,;/|]\s*")


def split_list(text: str) -> list[str]:
    """"English; Spanish / French" -> ["English", "Spanish", "French"]."""
    return [p for p in _LIST_SPLIT.split(str(text).strip()) if p]


def build_reps(raw: RawTable, mapping: ColumnMapping, previous: list[Rep] | None = None) -> tuple[list[Rep], ImportReport]:
    report = start_report("reps", raw, mapping, reimport=bool(previous))
    if mapping.column("id") is None and mapping.column("name") is None and mapping.column("last_name") is None:
        raise InputError(f"{raw.path}: no column holds a rep id or name (columns: {', '.join(raw.columns[:12])}); "
                         "map one with --map 'COLUMN=id'")
    n = len(raw)
    frame = raw.frame
    reason = np.full(n, None, dtype=object)
    ids = row_ids(raw, mapping, reason, report)
    names = _names(raw, mapping, ids)
    capacity = np.zeros(n)
    cap_col = mapping.column("capacity")
    if cap_col is not None:
        texts = frame[cap_col].to_numpy(dtype=object)
        nums = parse_numbers(texts, raw.delimiter == ";")
        for k in np.flatnonzero((nums.bad | nums.huge | (nums.values < 0)) & no_reason(reason)):
            reason[k] = f"non-numeric value: capacity {texts[k].strip()[:40]!r} in column {cap_col!r}"
        capacity = np.where(np.isfinite(nums.values), nums.values, 0.0)
    numeric = numeric_columns(raw, mapping, reason)
    place = place_rows(frame, mapping, decimal_comma=raw.delimiter == ";", require=False)
    free = no_reason(reason)
    reason[free] = place.reason[free]
    keep = no_reason(reason)
    for k in np.flatnonzero(~keep):
        report.reject(int(raw.rows[k]), ids[k], reason[k])
    report.rejected.sort(key=lambda r: r.row)
    cities = _home_cities(raw, mapping, place)
    lists = {key: mapping.column(key) for key in ("languages", "industries")}
    exp_col = mapping.column("experience")
    kept_text = mapping.kept("text")
    reps: list[Rep] = []
    for k in np.flatnonzero(keep).tolist():
        skills: dict = {}
        for key, col in lists.items():
            if col is not None:
                skills[key] = split_list(frame[col].iat[k])
        if exp_col is not None:
            skills["experience"] = frame[exp_col].iat[k].strip()
        for name, values in numeric.items():
            skills[name] = None if np.isnan(values[k]) else float(values[k])
        for source, name in kept_text:
            skills[name] = frame[source].iat[k]
        placed = place.method[k] != NOT_PLACED
        reps.append(Rep(str(ids[k]), str(names[k]), float(place.lon[k]) if placed else None,
                        float(place.lat[k]) if placed else None, cities[k], float(capacity[k]), skills))
    report.imported = len(reps)
    report.methods = method_counts(place.method[keep])
    unplaced = int((place.method[keep] == NOT_PLACED).sum())
    if unplaced:
        report.notes.append(f"{unplaced} rep(s) have no home location (no coordinates, ZIP, city or county)")
    report.row_numbers = raw.rows[keep]
    report.row_ids = [r.id for r in reps]
    report.row_methods = place.method[keep]
    _compare(previous or [], reps, report)
    return reps, report


def _names(raw: RawTable, mapping: ColumnMapping, ids: np.ndarray) -> np.ndarray:
    col = mapping.column("name")
    if col is not None:
        names = text_column(raw.frame, col)
    else:
        first, last = mapping.column("first_name"), mapping.column("last_name")
        parts = [text_column(raw.frame, c) for c in (first, last) if c is not None]
        names = np.array([" ".join(p for p in ps if p) for ps in zip(*parts)], dtype=object) if parts else ids
    return np.where(names == "", ids, names)


def _home_cities(raw: RawTable, mapping: ColumnMapping, place) -> list[str]:
    n = len(raw)
    city_col, state_col = mapping.column("city"), mapping.column("state")
    city = text_column(raw.frame, city_col) if city_col else np.full(n, "", dtype=object)
    state = text_column(raw.frame, state_col) if state_col else np.full(n, "", dtype=object)
    out = []
    for k in range(n):
        if city[k]:
            out.append(f"{city[k]}, {state[k]}" if state[k] else city[k])
        elif place.place is not None and place.place[k]:
            out.append(str(place.place[k]))
        else:
            out.append("")
    return out


def _compare(old: list[Rep], new: list[Rep], report: ImportReport) -> None:
    before = {r.id: r for r in old}
    outcomes = np.full(len(new), ADDED, dtype=np.int8)
    for k, r in enumerate(new):
        o = before.get(r.id)
        if o is not None:
            outcomes[k] = UNCHANGED if o == r else CHANGED
    seen = {r.id for r in new}
    report.row_outcomes = outcomes
    report.added = int((outcomes == ADDED).sum())
    report.changed = int((outcomes == CHANGED).sum())
    report.unchanged = int((outcomes == UNCHANGED).sum())
    report.removed_ids = [r.id for r in old if r.id not in seen]
