"""CRM activity from tables: opportunities, leads and quotas, with automatic column mapping of
Salesforce, HubSpot and Zoho headers, and a report of every row.

A row is imported whole or rejected with one reason (missing or duplicate id, bad or missing date,
bad or negative amount, a won/lost deal without a close date, a close date before the created date,
an unreadable quota period, ...). Rows that import but cannot be tied to the project yet (an account
id, rep or territory the project does not know) are kept and listed as warnings: they count in the
totals and in no territory until the accounts are imported. Vectorised: millions of rows take seconds.

Column mapping (targets per kind, header aliases, checks) is in activity_mapping.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from territory_desk.domain.model.activity import LOST, OPEN, WON, Leads, Opportunities, Quotas
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.periods import parse_period
from territory_desk.io.imports.accounts import no_reason, row_ids, text_column
from territory_desk.io.imports.activity_mapping import missing_essentials
from territory_desk.io.imports.geocoding import NOT_PLACED, place_rows
from territory_desk.io.imports.column_mapping import ColumnMapping, normalise, parse_numbers
from territory_desk.io.imports.report import ADDED, CHANGED, UNCHANGED, ImportReport, start_report
from territory_desk.io.tables.reader import RawTable

_TRUE = {"true", "yes", "y", "1", "x", "won", "closed", "closedwon", "converted", "t"}
_FALSE = {"false", "no", "n", "0", "", "lost", "open", "f", "notconverted", "closedlost"}
_WON_WORDS = re.compile(r"\bwon\b|^win$|^closed[- ]?won$|^booked$", re.IGNORECASE)
_LOST_WORDS = re.compile(r"\blost\b|^loss$|^closed[- ]?lost$|^dead$|^cancel", re.IGNORECASE)


# ---- the report ---------------------------------------------------------------------------------
@dataclass
class ActivityReport(ImportReport):
    """An ImportReport whose imported rows may carry a warning (shown in the CSV's reason column)."""

    warnings: dict[int, str] = field(default_factory=dict)  # row number -> warning

    def summary_lines(self, examples: int = 5) -> list[str]:
        lines = super().summary_lines(examples)
        lines[0] = lines[0].replace("row(s) imported", f"{self.kind} imported", 1)
        if self.warnings:
            counts: dict[str, int] = {}
            for w in self.warnings.values():
                counts[w.split(":", 1)[0]] = counts.get(w.split(":", 1)[0], 0) + 1
            lines.append("imported with a warning: " + ", ".join(f"{n:,} {c}" for c, n in counts.items()))
            for row in sorted(self.warnings)[:examples]:
                lines.append(f"  row {row}: {self.warnings[row]}")
        return lines

    def csv_rows(self):
        for row in super().csv_rows():
            if row[2] not in ("rejected", "removed") and row[0] in self.warnings:
                row = (*row[:4], "warning: " + self.warnings[row[0]])
            yield row


def _start(kind: str, raw: RawTable, mapping: ColumnMapping, reimport: bool) -> ActivityReport:
    base = start_report(kind, raw, mapping, reimport)
    report = ActivityReport(kind, base.source, rows_read=base.rows_read, reimport=reimport)
    report.notes, report.rejected = base.notes, base.rejected
    missing = missing_essentials(mapping)
    if missing:
        raise InputError(f"{raw.path}: cannot import {kind}: {missing} (columns: {', '.join(raw.columns[:12])}"
                         f"{' …' if len(raw.columns) > 12 else ''}); use --map 'COLUMN=TARGET'")
    return report


# ---- parsing helpers ----------------------------------------------------------------------------
def _cells(raw: RawTable, mapping: ColumnMapping, role: str) -> np.ndarray | None:
    col = mapping.column(role)
    return None if col is None else text_column(raw.frame, col)


def _per_distinct(fn, texts: np.ndarray):
    """Apply ``fn`` (arrays in, tuple of arrays out) to the distinct texts only and spread the
    results back: a CRM export has millions of rows but a few thousand distinct dates or stages."""
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), sort=False)
    results = fn(np.asarray(uniques, dtype=object))
    return tuple(r[codes] for r in results)


def parse_dates(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(datetime64[s] with NaT, missing mask, bad mask) from date or date-time texts: ISO 8601
    (with or without time or zone; zones converted to UTC), then US m/d/Y, then d.m.Y."""
    if len(texts) > 1000:
        return _per_distinct(_parse_dates, texts)
    return _parse_dates(texts)


def _parse_dates(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = pd.Series(texts, dtype=object)
    missing = np.array([not v or v.casefold() in ("nan", "null", "none", "n/a", "-") for v in texts], dtype=bool)
    out = np.full(len(s), np.datetime64("NaT", "s"), dtype="datetime64[s]")
    todo = ~missing
    for fmt in ("ISO8601", "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y", "%Y/%m/%d"):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        try:
            parsed = pd.to_datetime(s.iloc[idx], format=fmt, errors="coerce", utc=True)
        except (ValueError, TypeError, OverflowError):
            continue
        ok = parsed.notna().to_numpy()
        if ok.any():
            vals = parsed[ok].dt.tz_convert(None).to_numpy(dtype="datetime64[s]")
            out[idx[ok]] = vals
            todo[idx[ok]] = False
    return out, missing, todo


def parse_bools(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value, bad mask) from yes/no, true/false, 1/0, x, won/lost texts; empty is False."""
    return _per_distinct(_parse_bools, texts)


def _parse_bools(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.array([normalise(v) for v in texts], dtype=object)
    true = np.isin(norm, list(_TRUE))
    bad = ~true & ~np.isin(norm, list(_FALSE))
    return true, bad


def _flag(reason: np.ndarray, mask: np.ndarray, make) -> None:
    for k in np.flatnonzero(mask & no_reason(reason)):
        reason[k] = make(k)


def _short(text, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date_column(raw, mapping, role: str, reason: np.ndarray, required: bool, what: str) -> np.ndarray:
    n = len(raw)
    cells = _cells(raw, mapping, role)
    if cells is None:
        return np.full(n, np.datetime64("NaT", "s"), dtype="datetime64[s]")
    dates, missing, bad = parse_dates(cells)
    col = mapping.column(role)
    if required:
        _flag(reason, missing, lambda k: f"missing date: the {what} cell in column {col!r} is empty")
    _flag(reason, bad, lambda k: f"bad date: {_short(cells[k])!r} in column {col!r}")
    return dates


def _amounts(raw, mapping, reason: np.ndarray, role: str = "amount") -> np.ndarray:
    cells = raw.frame[mapping.column(role)].to_numpy(dtype=object)
    col = mapping.column(role)
    nums = parse_numbers(cells, raw.delimiter == ";")
    _flag(reason, nums.missing, lambda k: f"missing amount: the cell in column {col!r} is empty")
    _flag(reason, nums.bad | nums.huge, lambda k: f"bad amount: {_short(str(cells[k]).strip())!r} in column {col!r}")
    _flag(reason, nums.values < 0, lambda k: f"negative amount: {_short(str(cells[k]).strip())!r} in column {col!r}")
    return nums.values


def _finish(report: ActivityReport, raw: RawTable, ids: np.ndarray, reason: np.ndarray) -> np.ndarray:
    keep = no_reason(reason)
    for k in np.flatnonzero(~keep):
        report.reject(int(raw.rows[k]), ids[k], reason[k])
    report.rejected.sort(key=lambda r: r.row)
    report.imported = int(keep.sum())
    report.row_numbers = raw.rows[keep]
    report.row_ids = [str(v) for v in ids[keep]]
    return keep


def _compare(report: ActivityReport, old_ids: np.ndarray, new_ids: np.ndarray, same) -> None:
    """Added / changed / unchanged per imported row, removed ids (re-import replaces by id)."""
    outcomes = np.full(len(new_ids), ADDED, dtype=np.int8)
    if len(old_ids):
        found = pd.Index(old_ids).get_indexer(pd.Index(new_ids)) if pd.Index(old_ids).is_unique else \
            np.full(len(new_ids), -1)
        m = found >= 0
        if m.any():
            equal = same(np.flatnonzero(m), found[m])
            outcomes[np.flatnonzero(m)] = np.where(equal, UNCHANGED, CHANGED)
        still = np.zeros(len(old_ids), dtype=bool)
        still[found[m]] = True
        report.removed_ids = [str(v) for v in old_ids[~still]]
    report.row_outcomes = outcomes
    report.added = int((outcomes == ADDED).sum())
    report.changed = int((outcomes == CHANGED).sum())
    report.unchanged = int((outcomes == UNCHANGED).sum())


def _warn_unknown(report: ActivityReport, raw: RawTable, keep: np.ndarray, values: np.ndarray, known, what: str,
                  extra: np.ndarray | None = None) -> None:
    """Warn about kept rows naming an id the project lacks (``extra``: rows exempt, e.g. located leads)."""
    kept = np.flatnonzero(keep)
    vals = values[kept]
    unknown = (vals != "") & ~pd.Index(vals).isin(known)
    if extra is not None:
        unknown &= ~extra[kept]
    rows = raw.rows[kept[unknown]]
    for r, v in zip(rows.tolist(), vals[unknown].tolist()):
        report.warnings[int(r)] = f"unknown {what}: {_short(v)!r} is not in the project"


# ---- builders -----------------------------------------------------------------------------------
def _status_words(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    won = np.array([bool(_WON_WORDS.search(v)) for v in cells], dtype=bool)
    lost = np.array([bool(_LOST_WORDS.search(v)) for v in cells], dtype=bool) & ~won
    openish = np.array([normalise(v) in ("open", "inprogress", "pending", "active", "new") for v in cells], dtype=bool)
    return won, lost, openish


def _status(raw: RawTable, mapping: ColumnMapping, closed: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """OPEN/WON/LOST per row from a status column, won/closed flags, or the stage name."""
    n = len(raw)
    status = np.full(n, -1, dtype=np.int8)
    for role in ("status", "stage"):
        cells = _cells(raw, mapping, role)
        if cells is None:
            continue
        undecided = status < 0
        won, lost, openish = _per_distinct(_status_words, cells)
        status[undecided & won] = WON
        status[undecided & lost] = LOST
        if role == "status":
            status[undecided & openish] = OPEN
    won_cells = _cells(raw, mapping, "won")
    if won_cells is not None:
        is_won, bad = parse_bools(won_cells)
        col = mapping.column("won")
        _flag(reason, bad & (status < 0), lambda k: f"bad flag: {_short(won_cells[k])!r} in column {col!r} is not yes/no")
        closed_cells = _cells(raw, mapping, "closed_flag")
        if closed_cells is not None:
            is_closed, _ = parse_bools(closed_cells)
        else:
            is_closed = is_won | ~np.isnat(closed)
        undecided = status < 0
        status[undecided & is_won] = WON
        status[undecided & ~is_won & is_closed] = LOST
    status[status < 0] = OPEN
    return status


def build_opportunities(raw: RawTable, mapping: ColumnMapping, account_ids, previous: Opportunities | None = None
                        ) -> tuple[Opportunities, ActivityReport]:
    report = _start("opportunities", raw, mapping, reimport=previous is not None and len(previous) > 0)
    if not set(mapping.targets.values()) & {"status", "won", "stage"}:
        raise InputError(f"{raw.path}: no column tells whether a deal is open, won or lost (columns: "
                         f"{', '.join(raw.columns[:12])}); map one with --map 'COLUMN=stage' (or status, won)")
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    ids = row_ids(raw, mapping, reason, report)
    account = _cells(raw, mapping, "account")
    _flag(reason, account == "", lambda k: "missing account: the account cell is empty")
    amount = _amounts(raw, mapping, reason)
    created = _date_column(raw, mapping, "created", reason, True, "created date").astype("datetime64[D]")
    closed = _date_column(raw, mapping, "closed", reason, False, "close date").astype("datetime64[D]")
    status = _status(raw, mapping, closed, reason)
    done = status != OPEN
    _flag(reason, done & np.isnat(closed), lambda k: f"missing close date: a {'won' if status[k] == WON else 'lost'} "
                                                     "deal needs the date it closed")
    _flag(reason, done & (closed < created), lambda k: f"closed before created: {closed[k]} < {created[k]}")
    expected = int((~done & ~np.isnat(closed)).sum())
    closed = np.where(done, closed, np.datetime64("NaT", "D"))
    stage = _cells(raw, mapping, "stage")
    owner = _cells(raw, mapping, "owner")
    keep = _finish(report, raw, ids, reason)
    opps = Opportunities(ids[keep], account[keep], amount[keep],
                         stage[keep] if stage is not None else None, status[keep], created[keep], closed[keep],
                         owner[keep] if owner is not None else None)
    _warn_unknown(report, raw, keep, account, account_ids, "account")
    if expected:
        report.notes.append(f"close dates of {expected:,} open deal(s) are expected dates and are not used")
    counts = np.bincount(opps.status.astype(np.int64), minlength=3)
    report.notes.insert(0, f"{counts[OPEN]:,} open, {counts[WON]:,} won, {counts[LOST]:,} lost")
    if previous is not None and len(previous):
        _compare(report, previous.ids, opps.ids, lambda new, old: (
            (opps.amount[new] == previous.amount[old]) & (opps.status[new] == previous.status[old])
            & (opps.account_id[new] == previous.account_id[old]) & _same_dates(opps.closed[new], previous.closed[old])
            & (opps.created[new] == previous.created[old]) & (opps.stage[new] == previous.stage[old])))
    else:
        _compare(report, np.zeros(0, dtype=object), opps.ids, None)
    return opps, report


def _same_dates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnat(a) & np.isnat(b))


def build_leads(raw: RawTable, mapping: ColumnMapping, account_ids, previous: Leads | None = None
                ) -> tuple[Leads, ActivityReport]:
    report = _start("leads", raw, mapping, reimport=previous is not None and len(previous) > 0)
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    ids = row_ids(raw, mapping, reason, report)
    created = _date_column(raw, mapping, "created", reason, True, "created")
    hours = np.full(n, np.nan)
    if mapping.column("response_hours") is not None:
        col = mapping.column("response_hours")
        cells = raw.frame[col].to_numpy(dtype=object)
        nums = parse_numbers(cells, raw.delimiter == ";")
        _flag(reason, nums.bad | nums.huge | (nums.values < 0),
              lambda k: f"bad response time: {_short(str(cells[k]).strip())!r} in column {col!r} (hours >= 0)")
        hours = nums.values
    elif mapping.column("responded") is not None:
        responded = _date_column(raw, mapping, "responded", reason, False, "first response")
        hours = ((responded - created) / np.timedelta64(1, "s")).astype(np.float64) / 3600.0
        _flag(reason, hours < 0, lambda k: f"responded before created: {responded[k]} < {created[k]}")
    converted = np.zeros(n, dtype=bool)
    conv = _cells(raw, mapping, "converted")
    if conv is not None:
        converted, bad = parse_bools(conv)
        col = mapping.column("converted")
        _flag(reason, bad, lambda k: f"bad flag: {_short(conv[k])!r} in column {col!r} is not yes/no")
    account = _cells(raw, mapping, "account")
    account = account if account is not None else np.full(n, "", dtype=object)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    if set(mapping.targets.values()) & {"lat", "zip", "city", "county"}:
        place = place_rows(raw.frame, mapping, decimal_comma=raw.delimiter == ";", require=False)
        free = no_reason(reason)
        reason[free] = place.reason[free]
        placed = place.method != NOT_PLACED
        lon, lat = np.where(placed, place.lon, np.nan), np.where(placed, place.lat, np.nan)
    owner = _cells(raw, mapping, "owner")
    keep = _finish(report, raw, ids, reason)
    leads = Leads(ids[keep], created[keep], hours[keep], owner[keep] if owner is not None else None, converted[keep],
                  account[keep], lon[keep], lat[keep])
    _warn_unknown(report, raw, keep, account, account_ids, "account", extra=np.isfinite(lon))
    nowhere = (leads.account_id == "") & ~np.isfinite(leads.lon)
    if nowhere.any():
        report.notes.append(f"{int(nowhere.sum()):,} lead(s) have neither an account nor a location: they count in "
                            "the totals only")
    unanswered = int(np.isnan(leads.response_hours).sum())
    if unanswered:
        report.notes.append(f"{unanswered:,} lead(s) have no response yet (left out of response times)")
    _compare(report, previous.ids if previous is not None else np.zeros(0, dtype=object), leads.ids,
             lambda new, old: (leads.created[new] == previous.created[old])
             & ((leads.response_hours[new] == previous.response_hours[old])
                | (np.isnan(leads.response_hours[new]) & np.isnan(previous.response_hours[old])))
             & (leads.converted[new] == previous.converted[old]) & (leads.account_id[new] == previous.account_id[old]))
    return leads, report


def build_quotas(raw: RawTable, mapping: ColumnMapping, rep_ids, territory_ids) -> tuple[Quotas, ActivityReport]:
    report = _start("quotas", raw, mapping, reimport=False)
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    rep = _cells(raw, mapping, "rep")
    terr = _cells(raw, mapping, "territory")
    rep = rep if rep is not None else np.full(n, "", dtype=object)
    terr = terr if terr is not None else np.full(n, "", dtype=object)
    _flag(reason, (rep == "") & (terr == ""), lambda k: "missing owner: neither a rep nor a territory is given")
    _flag(reason, (rep != "") & (terr != ""), lambda k: "two owners: a quota is for a rep or for a territory, not both")
    periods = _cells(raw, mapping, "period")
    labels = np.full(n, "", dtype=object)
    start = np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")
    end = start.copy()
    cache: dict[str, object] = {}
    for k, text in enumerate(periods.tolist()):
        if text not in cache:
            try:
                cache[text] = parse_period(text) if text else InputError("missing period: the period cell is empty")
            except InputError as exc:
                cache[text] = exc
        p = cache[text]
        if isinstance(p, InputError):
            if no_reason(reason[k:k + 1])[0]:
                msg = str(p)
                reason[k] = msg if msg.startswith("missing period") else f"bad period: {msg}"
        elif p.is_all:
            if no_reason(reason[k:k + 1])[0]:
                reason[k] = "bad period: a quota needs a period, not 'all'"
        else:
            labels[k], start[k], end[k] = p.label, p.start, p.end
    amount = _amounts(raw, mapping, reason)
    key = pd.Series([f"{r}\x00{t}\x00{p}" for r, t, p in zip(rep, terr, labels)])
    dup = key.duplicated(keep="first").to_numpy()
    _flag(reason, dup, lambda k: f"duplicate quota: {(rep[k] or terr[k])!r} already has a quota for {labels[k]}")
    row_label = np.array([f"{r or t} {p}".strip() for r, t, p in zip(rep, terr, periods)], dtype=object)
    keep = _finish(report, raw, row_label, reason)
    quotas = Quotas(rep[keep], terr[keep], labels[keep], start[keep], end[keep], amount[keep])
    _warn_unknown(report, raw, keep, rep, rep_ids, "rep")
    _warn_unknown(report, raw, keep, terr, territory_ids, "territory")
    _compare(report, np.zeros(0, dtype=object), np.asarray(report.row_ids, dtype=object), None)
    return quotas, report
