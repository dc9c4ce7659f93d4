"""CRM activity: opportunities, leads, quotas and KPI snapshots, as column tables (numpy arrays).

* ``Opportunities``: id, account id, amount, stage text, status (open / won / lost), created and
  closed dates (datetime64[D]; closed is NaT while open), owner rep id.
* ``Leads``: id, created (datetime64[s]), first response time in hours (NaN: not answered yet),
  owner, converted, and optionally the account id and a location (lon/lat, NaN when unknown).
* ``Quotas``: an amount for a rep *or* a territory over a period (its label and first/last day).
* ``Snapshots``: KPI values of a period frozen into the project (reviews over time, domain/kpis/reviews.py).

Text columns are numpy object arrays of ``str`` ("" = empty). Which account an opportunity or lead
belongs to is resolved against the project's accounts by id once and cached (``account_rows``); an
id the project does not know gives -1 (the row counts in no territory, but in the totals).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from territory_desk.domain.model.errors import InputError

OPEN, WON, LOST = 0, 1, 2
STATUS_NAMES = {OPEN: "open", WON: "won", LOST: "lost"}
NAT_D = np.datetime64("NaT", "D")


def text_array(values, n: int | None = None) -> np.ndarray:
    """An object array of str (None -> "")."""
    if values is None:
        return np.full(n or 0, "", dtype=object)
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) or values.dtype != object else values
    if len(arr) and any(type(v) is not str for v in arr[: min(len(arr), 64)]):
        arr = np.array(["" if v is None else str(v) for v in arr], dtype=object)
    return arr


def _check_len(name: str, arr, n: int) -> None:
    if len(arr) != n:
        raise InputError(f"activity column {name!r} has {len(arr)} values for {n} rows")


class _AccountLink:
    """Caches the account row of every activity row for one account table (by identity)."""

    def __init__(self) -> None:
        self._for = None
        self._rows: np.ndarray | None = None

    def rows(self, account_ids: np.ndarray, accounts) -> np.ndarray:
        if self._rows is None or self._for is not accounts.ids or len(self._rows) != len(account_ids):
            self._rows = resolve_ids(account_ids, accounts.ids)
            self._for = accounts.ids
        return self._rows


def resolve_ids(wanted: np.ndarray, ids: list[str]) -> np.ndarray:
    """Row of each wanted id in ``ids`` (-1 when absent or empty); the first row wins on duplicates."""
    import pandas as pd

    if len(wanted) == 0:
        return np.zeros(0, dtype=np.int64)
    index = pd.Index(ids)
    if not index.is_unique:
        index = index[~index.duplicated()]
        rows = np.flatnonzero(~pd.Index(ids).duplicated())
    else:
        rows = None
    found = index.get_indexer(pd.Index(wanted)).astype(np.int64)
    if rows is not None:
        found = np.where(found >= 0, rows[np.maximum(found, 0)], -1)
    return found


@dataclass
class Opportunities:
    ids: np.ndarray
    account_id: np.ndarray
    amount: np.ndarray  # float64
    stage: np.ndarray
    status: np.ndarray  # int8: OPEN, WON, LOST
    created: np.ndarray  # datetime64[D]
    closed: np.ndarray  # datetime64[D], NaT while open
    owner: np.ndarray  # rep id ("" = none)
    _link: _AccountLink = field(default_factory=_AccountLink, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.ids = text_array(self.ids)
        self.account_id = text_array(self.account_id)
        self.stage = text_array(self.stage, n)
        self.owner = text_array(self.owner, n)
        self.amount = np.asarray(self.amount, dtype=np.float64)
        self.status = np.asarray(self.status, dtype=np.int8)
        self.created = np.asarray(self.created, dtype="datetime64[D]")
        self.closed = np.asarray(self.closed, dtype="datetime64[D]")
        for name in ("account_id", "amount", "stage", "status", "created", "closed", "owner"):
            _check_len(name, getattr(self, name), n)
        if n and (self.status.min() < OPEN or self.status.max() > LOST):
            raise InputError("an opportunity has an unknown status")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "Opportunities":
        e = np.zeros(0, dtype=object)
        return cls(e, e.copy(), np.zeros(0), e.copy(), np.zeros(0, np.int8), np.zeros(0, "datetime64[D]"),
                   np.zeros(0, "datetime64[D]"), e.copy())

    def account_rows(self, accounts) -> np.ndarray:
        """Row in ``accounts`` of every opportunity's account (-1: unknown account)."""
        return self._link.rows(self.account_id, accounts)

    def take(self, rows) -> "Opportunities":
        return Opportunities(self.ids[rows], self.account_id[rows], self.amount[rows], self.stage[rows],
                             self.status[rows], self.created[rows], self.closed[rows], self.owner[rows])


@dataclass
class Leads:
    ids: np.ndarray
    created: np.ndarray  # datetime64[s]
    response_hours: np.ndarray  # float64, NaN = no response yet
    owner: np.ndarray
    converted: np.ndarray  # bool
    account_id: np.ndarray  # "" = none
    lon: np.ndarray  # float64, NaN = no location
    lat: np.ndarray
    _link: _AccountLink = field(default_factory=_AccountLink, repr=False, compare=False)
    _units: tuple | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.ids = text_array(self.ids)
        self.owner = text_array(self.owner, n)
        self.account_id = text_array(self.account_id, n)
        self.created = np.asarray(self.created, dtype="datetime64[s]")
        self.response_hours = np.asarray(self.response_hours, dtype=np.float64)
        self.converted = np.asarray(self.converted, dtype=bool)
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.lat = np.asarray(self.lat, dtype=np.float64)
        for name in ("created", "response_hours", "owner", "converted", "account_id", "lon", "lat"):
            _check_len(name, getattr(self, name), n)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "Leads":
        e = np.zeros(0, dtype=object)
        return cls(e, np.zeros(0, "datetime64[s]"), np.zeros(0), e.copy(), np.zeros(0, bool), e.copy(),
                   np.zeros(0), np.zeros(0))

    def account_rows(self, accounts) -> np.ndarray:
        return self._link.rows(self.account_id, accounts)

    def unit_rows(self, units) -> np.ndarray:
        """Unit of every lead's location (-1: no location or outside every unit); cached per unit layer."""
        from territory_desk.domain.model.accounts import locate_points

        if self._units is None or self._units[0] is not units.geometry:
            self._units = (units.geometry, locate_points(self.lon, self.lat, units.geometry, units.source_crs))
        return self._units[1]

    def take(self, rows) -> "Leads":
        return Leads(self.ids[rows], self.created[rows], self.response_hours[rows], self.owner[rows],
                     self.converted[rows], self.account_id[rows], self.lon[rows], self.lat[rows])


@dataclass
class Quotas:
    rep_id: np.ndarray  # "" when the quota is a territory's
    territory_id: np.ndarray  # "" when the quota is a rep's
    period: np.ndarray  # labels ("2026Q3")
    start: np.ndarray  # datetime64[D]
    end: np.ndarray  # datetime64[D], inclusive
    amount: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.amount)
        self.rep_id = text_array(self.rep_id, n)
        self.territory_id = text_array(self.territory_id, n)
        self.period = text_array(self.period, n)
        self.start = np.asarray(self.start, dtype="datetime64[D]")
        self.end = np.asarray(self.end, dtype="datetime64[D]")
        self.amount = np.asarray(self.amount, dtype=np.float64)
        for name in ("rep_id", "territory_id", "period", "start", "end"):
            _check_len(name, getattr(self, name), n)
        both = (self.rep_id != "") == (self.territory_id != "")
        if n and both.any():
            raise InputError("a quota names both a rep and a territory, or neither")

    def __len__(self) -> int:
        return len(self.amount)

    @classmethod
    def empty(cls) -> "Quotas":
        e = np.zeros(0, dtype=object)
        return cls(e, e.copy(), e.copy(), np.zeros(0, "datetime64[D]"), np.zeros(0, "datetime64[D]"), np.zeros(0))


@dataclass
class Snapshots:
    """KPI values frozen for a period: one row per (snapshot, group, kpi)."""

    taken_at: np.ndarray  # ISO timestamps (text); one snapshot = one taken_at + period + level
    scenario: np.ndarray
    period: np.ndarray
    level: np.ndarray  # level name ("Territory", "Region", ...)
    group_id: np.ndarray
    group_name: np.ndarray
    kpi: np.ndarray
    value: np.ndarray  # float64 (NaN = empty)

    def __post_init__(self) -> None:
        n = len(self.value)
        for name in ("taken_at", "scenario", "period", "level", "group_id", "group_name", "kpi"):
            setattr(self, name, text_array(getattr(self, name), n))
            _check_len(name, getattr(self, name), n)
        self.value = np.asarray(self.value, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.value)

    @classmethod
    def empty(cls) -> "Snapshots":
        e = np.zeros(0, dtype=object)
        return cls(e, e.copy(), e.copy(), e.copy(), e.copy(), e.copy(), e.copy(), np.zeros(0))

    def concat(self, other: "Snapshots") -> "Snapshots":
        return Snapshots(*(np.concatenate([getattr(self, k), getattr(other, k)]) for k in
                           ("taken_at", "scenario", "period", "level", "group_id", "group_name", "kpi", "value")))

    def take(self, mask) -> "Snapshots":
        return Snapshots(*(getattr(self, k)[mask] for k in
                           ("taken_at", "scenario", "period", "level", "group_id", "group_name", "kpi", "value")))

    def keys(self) -> list[tuple[str, str, str, str]]:
        """Distinct snapshots as (taken_at, scenario, period, level), oldest first."""
        seen = dict.fromkeys(zip(self.taken_at.tolist(), self.scenario.tolist(), self.period.tolist(),
                                 self.level.tolist()))
        return sorted(seen)


@dataclass
class Activity:
    opportunities: Opportunities = field(default_factory=Opportunities.empty)
    leads: Leads = field(default_factory=Leads.empty)
    quotas: Quotas = field(default_factory=Quotas.empty)
    snapshots: Snapshots = field(default_factory=Snapshots.empty)

    @property
    def empty(self) -> bool:
        return not (len(self.opportunities) or len(self.leads) or len(self.quotas) or len(self.snapshots))

    def replaced(self, **tables) -> "Activity":
        """A new Activity with some tables swapped (the others shared)."""
        parts = {k: getattr(self, k) for k in ("opportunities", "leads", "quotas", "snapshots")}
        parts.update(tables)
        return Activity(**parts)

    def date_span(self) -> tuple[np.datetime64, np.datetime64] | None:
        """First and last activity date (created or closed opportunities, created leads)."""
        parts = [self.opportunities.created, self.opportunities.closed,
                 self.leads.created.astype("datetime64[D]")]
        values = np.concatenate([p[~np.isnat(p)] for p in parts]) if any(len(p) for p in parts) else np.zeros(0, "datetime64[D]")
        if len(values) == 0:
            return None
        return values.min(), values.max()
