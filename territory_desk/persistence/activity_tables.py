"""td_opportunities, td_leads, td_quotas and td_kpi_snapshots: the project's CRM activity and its
KPI snapshots. Written in the save transaction, read with the same validation as the other tables.

Dates are integers: days since 1970-01-01 (opportunity and quota dates), seconds since 1970-01-01
UTC (lead creation); NULL where a date is missing (an open deal's close date). Two million
opportunities save and load in a few seconds (executemany of tuples, column-wise checks).
"""
from __future__ import annotations

import contextlib
import gc
import sqlite3

import numpy as np

from territory_desk.domain.model.activity import LOST, Activity, Leads, Opportunities, Quotas, Snapshots
from territory_desk.persistence.schema import sql_floats
from territory_desk.persistence.values import Damaged, floats, ints, rows, texts

# the columns read and written (the DDL is in schema.TD_TABLES)
COLUMNS = {
    "td_opportunities": ("id", "account_id", "amount", "stage", "status", "created", "closed", "owner"),
    "td_leads": ("id", "created", "response_hours", "owner", "converted", "account_id", "lon", "lat"),
    "td_quotas": ("rep_id", "territory_id", "period", "first_day", "last_day", "amount"),
    "td_kpi_snapshots": ("taken_at", "scenario", "period", "level", "group_id", "group_name", "kpi", "value"),
}
_DAY_RANGE = (-(1 << 40), 1 << 40)


def _days(dates: np.ndarray) -> list:
    """datetime64 -> int days (None for NaT)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    out = d.astype(np.int64).astype(object)
    out[np.isnat(d)] = None
    return out.tolist()


def _insert(conn: sqlite3.Connection, table: str, columns: list) -> None:
    names = COLUMNS[table]
    conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     zip(*columns))


def write_activity(conn: sqlite3.Connection, activity: Activity) -> None:
    with gc_paused():
        _write_activity(conn, activity)


def _write_activity(conn: sqlite3.Connection, activity: Activity) -> None:
    o = activity.opportunities
    if len(o):
        _insert(conn, "td_opportunities", [o.ids.tolist(), o.account_id.tolist(), sql_floats(o.amount),
                                           o.stage.tolist(), o.status.astype(np.int64).tolist(), _days(o.created),
                                           _days(o.closed), o.owner.tolist()])
    le = activity.leads
    if len(le):
        _insert(conn, "td_leads", [le.ids.tolist(), le.created.astype("datetime64[s]").astype(np.int64).tolist(),
                                   sql_floats(le.response_hours), le.owner.tolist(), le.converted.astype(np.int64).tolist(),
                                   le.account_id.tolist(), sql_floats(le.lon), sql_floats(le.lat)])
    q = activity.quotas
    if len(q):
        _insert(conn, "td_quotas", [q.rep_id.tolist(), q.territory_id.tolist(), q.period.tolist(), _days(q.start),
                                    _days(q.end), sql_floats(q.amount)])
    s = activity.snapshots
    if len(s):
        _insert(conn, "td_kpi_snapshots", [s.taken_at.tolist(), s.scenario.tolist(), s.period.tolist(),
                                           s.level.tolist(), s.group_id.tolist(), s.group_name.tolist(), s.kpi.tolist(),
                                           sql_floats(s.value)])


@contextlib.contextmanager
def gc_paused():
    """Millions of row tuples trigger the cyclic GC again and again (half the time of a load); none
    of them can form a cycle, so it is paused meanwhile (the reader pauses it for the whole load)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _select(conn: sqlite3.Connection, table: str) -> list:
    names = COLUMNS[table]
    return rows(conn, f"SELECT {', '.join(names)} FROM {table} ORDER BY fid", len(names))


def _text(values, what: str) -> np.ndarray:
    return np.array(texts(values, what), dtype=object) if len(values) else np.zeros(0, dtype=object)


def _dates(values, what: str, nullable: bool = False) -> np.ndarray:
    if nullable:
        present = [v for v in values if v is not None]
        arr = ints(present, what, *_DAY_RANGE)
        out = np.full(len(values), np.datetime64("NaT", "D"), dtype="datetime64[D]")
        mask = np.array([v is not None for v in values], dtype=bool) if len(values) else np.zeros(0, dtype=bool)
        out[mask] = arr.astype("datetime64[D]")
        return out
    return ints(values, what, *_DAY_RANGE).astype("datetime64[D]")


def read_activity(conn: sqlite3.Connection) -> Activity:
    with gc_paused():
        return _read_activity(conn)


def _read_activity(conn: sqlite3.Connection) -> Activity:
    ids, acc, amount, stage, status, created, closed, owner = _select(conn, "td_opportunities")
    opps = Opportunities(_text(ids, "td_opportunities.id"), _text(acc, "td_opportunities.account_id"),
                         floats(amount, "td_opportunities.amount"), _text(stage, "td_opportunities.stage"),
                         ints(status, "td_opportunities.status", 0, LOST + 1).astype(np.int8),
                         _dates(created, "td_opportunities.created"),
                         _dates(closed, "td_opportunities.closed", nullable=True), _text(owner, "td_opportunities.owner"))
    if len(opps) and (np.isnat(opps.closed) & (opps.status != 0)).any():
        raise Damaged("td_opportunities has a won or lost deal without a close date")
    ids, created, hours, owner, converted, acc, lon, lat = _select(conn, "td_leads")
    leads = Leads(_text(ids, "td_leads.id"),
                  ints(created, "td_leads.created", -(1 << 50), 1 << 50).astype("datetime64[s]"),
                  floats(hours, "td_leads.response_hours"), _text(owner, "td_leads.owner"),
                  ints(converted, "td_leads.converted", 0, 2).astype(bool), _text(acc, "td_leads.account_id"),
                  floats(lon, "td_leads.lon"), floats(lat, "td_leads.lat"))
    rep, terr, period, first, last, amount = _select(conn, "td_quotas")
    rep, terr = _text(rep, "td_quotas.rep_id"), _text(terr, "td_quotas.territory_id")
    if len(rep) and ((rep != "") == (terr != "")).any():
        raise Damaged("td_quotas has a quota for both a rep and a territory, or for neither")
    quotas = Quotas(rep, terr, _text(period, "td_quotas.period"), _dates(first, "td_quotas.first_day"),
                    _dates(last, "td_quotas.last_day"), floats(amount, "td_quotas.amount"))
    taken, sc, period, level, gid, gname, kpi, value = _select(conn, "td_kpi_snapshots")
    snaps = Snapshots(_text(taken, "td_kpi_snapshots.taken_at"), _text(sc, "td_kpi_snapshots.scenario"),
                      _text(period, "td_kpi_snapshots.period"), _text(level, "td_kpi_snapshots.level"),
                      _text(gid, "td_kpi_snapshots.group_id"), _text(gname, "td_kpi_snapshots.group_name"),
                      _text(kpi, "td_kpi_snapshots.kpi"), floats(value, "td_kpi_snapshots.value"))
    return Activity(opps, leads, quotas, snaps)
