"""Period parsing: quarters, months, halves, years and date ranges; the period before; bad periods in one
line (snapshots and reviews over periods are in tests/domain/kpis/test_reviews.py)."""
from __future__ import annotations

import numpy as np
import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.periods import parse_period


@pytest.mark.parametrize("text,label,start,end", [
    ("2026Q3", "2026Q3", "2026-07-01", "2026-09-30"),
    ("q1 2026", "2026Q1", "2026-01-01", "2026-03-31"),
    ("2026-02", "2026-02", "2026-02-01", "2026-02-28"),
    ("2024-2", "2024-02", "2024-02-01", "2024-02-29"),
    ("2026", "2026", "2026-01-01", "2026-12-31"),
    ("2026H2", "2026H2", "2026-07-01", "2026-12-31"),
    ("2026-07-15..2026-08-14", "2026-07-15..2026-08-14", "2026-07-15", "2026-08-14"),
])
def test_periods(text, label, start, end):
    p = parse_period(text)
    assert (p.label, str(p.start), str(p.end)) == (label, start, end)


def test_all_and_previous():
    assert parse_period(None).is_all and parse_period("all").contains(np.array(["1999-01-01"], "datetime64[D]"))[0]
    assert parse_period("2026Q1").previous().label == "2025Q4"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-07-11..2026-07-20").previous().label == "2026-07-01..2026-07-10"
    assert not parse_period("2026Q3").contains(np.array(["NaT"], "datetime64[D]"))[0]


@pytest.mark.parametrize("bad", ["2026Q5", "2026-13", "Q3", "last quarter", "2026-09-30..2026-07-01",
                                 "2026-02-30..2026-03-01"])
def test_bad_periods_say_so_in_one_line(bad):
    with pytest.raises(InputError) as e:
        parse_period(bad)
    assert "\n" not in str(e.value) and (bad.split("..")[0] in str(e.value) or "before" in str(e.value))
