"""Reporting periods: a quarter "2026Q3", a month "2026-07", a year "2026", a half "2026H2", a
range of ISO dates "2026-07-01..2026-09-30", and "all" (every date).

A Period is an inclusive range of days [start, end] (numpy datetime64[D]). ``parse_period`` is the
one parser every KPI, quota and review uses; a text it cannot read raises InputError with one line
that lists the accepted forms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.errors import InputError

DAY = np.timedelta64(1, "D")
# "all": far enough on both sides for any business date, small enough for int64 day arithmetic
ALL_START = np.datetime64("1900-01-01", "D")
ALL_END = np.datetime64("2199-12-31", "D")
FORMS = "2026Q3, 2026-07, 2026, 2026H2, 2026-07-01..2026-09-30 or all"

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"^Q([1-4])\s*[- ]?\s*(\d{4})$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})\s*-?\s*H([12])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    label: str  # canonical text: "2026Q3", "2026-07", "2026", "2026H2", "2026-07-01..2026-09-30", "all"
    start: np.datetime64  # first day (datetime64[D])
    end: np.datetime64  # last day, inclusive

    @property
    def days(self) -> int:
        return int((self.end - self.start) / DAY) + 1

    @property
    def is_all(self) -> bool:
        return self.label == "all"

    def contains(self, dates: np.ndarray) -> np.ndarray:
        """Mask of the dates (datetime64[D], NaT never inside) that fall in the period."""
        d = np.asarray(dates, dtype="datetime64[D]")
        return (d >= self.start) & (d <= self.end)

    def overlap_days(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Days each [start, end] range shares with the period (0 when disjoint)."""
        lo = np.maximum(np.asarray(start, dtype="datetime64[D]"), self.start)
        hi = np.minimum(np.asarray(end, dtype="datetime64[D]"), self.end)
        return np.maximum((hi - lo) / DAY + 1, 0).astype(np.float64)

    def previous(self) -> "Period":
        """The period of the same kind just before this one (quarter before a quarter, ...)."""
        kind = period_kind(self.label)
        if kind == "quarter":
            y, q = int(self.label[:4]), int(self.label[-1])
            return parse_period(f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}")
        if kind == "month":
            y, m = int(self.label[:4]), int(self.label[5:])
            return parse_period(f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}")
        if kind == "half":
            y, h = int(self.label[:4]), int(self.label[-1])
            return parse_period(f"{y - 1}H2" if h == 1 else f"{y}H1")
        if kind == "year":
            return parse_period(str(int(self.label) - 1))
        if kind == "all":
            raise InputError("'all' has no previous period")
        n = self.days
        end = self.start - DAY
        return make_range(end - (n - 1) * DAY, end)

    def __str__(self) -> str:
        return self.label


def _month_start(y: int, m: int) -> np.datetime64:
    return np.datetime64(f"{y:04d}-{m:02d}", "M").astype("datetime64[D]")


def _months(y: int, first: int, count: int, label: str) -> Period:
    start = _month_start(y, first)
    end = (np.datetime64(f"{y:04d}-{first:02d}", "M") + count).astype("datetime64[D]") - DAY
    return Period(label, start, end)


def make_range(start: np.datetime64, end: np.datetime64) -> Period:
    """The period of the days from ``start`` to ``end`` (inclusive)."""
    first, last = start.astype("datetime64[D]"), end.astype("datetime64[D]")
    if last < first:
        raise InputError(f"the period {first}..{last} ends before it starts")
    return Period(f"{first}..{last}", first, last)


def parse_period(text: str | Period | None) -> Period:
    """A Period from its text (see the module docstring); None or "" mean "all"."""
    if isinstance(text, Period):
        return text
    t = str(text or "").strip()
    if not t or t.casefold() in ("all", "all time", "*"):
        return Period("all", ALL_START, ALL_END)
    m = _QUARTER.match(t) or _QUARTER_FIRST.match(t)
    if m:
        y, q = (int(m.group(1)), int(m.group(2))) if m.re is _QUARTER else (int(m.group(2)), int(m.group(1)))
        return _months(y, 3 * q - 2, 3, f"{y}Q{q}")
    m = _HALF.match(t)
    if m:
        y, h = int(m.group(1)), int(m.group(2))
        return _months(y, 6 * h - 5, 6, f"{y}H{h}")
    m = _MONTH.match(t)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise InputError(f"period {t!r}: there is no month {mo}")
        return _months(y, mo, 1, f"{y}-{mo:02d}")
    m = _YEAR.match(t)
    if m:
        y = int(m.group(1))
        return _months(y, 1, 12, str(y))
    m = _RANGE.match(t)
    if m:
        try:
            start, end = np.datetime64(m.group(1), "D"), np.datetime64(m.group(2), "D")
        except ValueError:
            raise InputError(f"period {t!r}: not a valid date") from None
        return make_range(start, end)
    raise InputError(f"cannot read the period {t!r}; write it as {FORMS}")


def period_kind(label: str) -> str:
    if label == "all":
        return "all"
    if _QUARTER.match(label):
        return "quarter"
    if _HALF.match(label):
        return "half"
    if _MONTH.match(label):
        return "month"
    if _YEAR.match(label):
        return "year"
    return "range"


def quarters_between(first: np.datetime64, last: np.datetime64, limit: int = 40) -> list[Period]:
    """The quarters from the one holding ``first`` to the one holding ``last`` (at most ``limit``,
    the latest kept)."""
    if first is None or last is None or np.isnat(first) or np.isnat(last) or last < first:
        return []
    m0 = int(np.asarray(first, dtype="datetime64[M]").astype(np.int64))  # months since 1970-01
    m1 = int(np.asarray(last, dtype="datetime64[M]").astype(np.int64))
    q0, q1 = m0 // 3, m1 // 3
    out = []
    for q in range(max(q0, q1 - limit + 1), q1 + 1):
        y, k = 1970 + q // 4, q % 4 + 1
        out.append(parse_period(f"{y}Q{k}"))
    return out
