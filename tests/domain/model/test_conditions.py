"""The condition language used by segment layers and lead routing rules."""
from __future__ import annotations

import numpy as np
import pytest

from territory_desk.domain.model.conditions import Condition
from territory_desk.domain.model.errors import InputError

COLS = {
    "employees": np.array([5.0, 1500.0, np.nan, 1000.0, 999.0]),
    "industry": ["Healthcare", "finance", "", " Retail", "HEALTHCARE"],
    "state": ["TX", "CA", "TX", "NY", "ca"],
    "annual revenue": ["1,200", "abc", "", "5e6", "30"],
}


def ev(text: str) -> list[bool]:
    return Condition.parse(text).evaluate(COLS, 5).tolist()


@pytest.mark.parametrize("text, expected", [
    ("employees >= 1000", [False, True, False, True, False]),
    ("employees < 1000", [True, False, False, False, True]),  # a missing number never compares
    ("employees = 1000", [False, False, False, True, False]),
    ("industry = healthcare", [True, False, False, False, True]),  # text ignores case
    ("industry == 'Retail'", [False, False, False, True, False]),  # and surrounding blanks
    ("industry != Healthcare", [False, True, False, True, False]),  # blanks never satisfy !=
    ('industry in ("Healthcare", Finance)', [True, True, False, False, True]),
    ("state = TX and employees > 1", [True, False, False, False, False]),
    ("state = TX or state = ny", [True, False, True, True, False]),
    ("not (state = TX)", [False, True, False, True, True]),
    ("industry contains CARE", [True, False, False, False, True]),
    ("industry startswith fin", [False, True, False, False, False]),
    ("industry is empty", [False, False, True, False, False]),
    ("employees is not empty", [True, True, False, True, True]),
    ("`annual revenue` > 100", [True, False, False, True, False]),  # text numbers with separators
    ("", [True] * 5),
])
def test_conditions_evaluate(text: str, expected: list[bool]) -> None:
    assert ev(text) == expected


def test_and_binds_tighter_than_or() -> None:
    assert ev("state = CA or state = TX and employees > 100") == [False, True, False, False, True]
    assert ev("(state = CA or state = TX) and employees > 100") == [False, True, False, False, True]
    assert ev("(state = CA or state = TX) and employees > 1") == [True, True, False, False, True]


def test_fields_match_case_insensitively_and_are_listed() -> None:
    c = Condition.parse("EMPLOYEES > 3 and (State = TX or not industry is empty)")
    assert c.fields() == {"EMPLOYEES", "State", "industry"}
    assert c.evaluate(COLS, 5).tolist() == [True, True, False, True, True]


@pytest.mark.parametrize("text, message", [
    ("employees >=", "ends too early"),
    ("colour = red", "names 'colour', which is not a column"),
    ("employees > many", "needs a number"),
    ("(state = TX", "ends too early"),
    ("and = 3", "expected a field name"),
    ("state TX", "expected a comparison"),
    ("state = TX )", r"unexpected '\)'"),
    ("state is nothing", "is empty"),
    ("state = 'TX", "cannot read"),
])
def test_bad_conditions_give_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        Condition.parse(text).evaluate(COLS, 5)
    assert "\n" not in str(info.value)


def test_a_million_rows_evaluate_vectorised() -> None:
    n = 1_000_000
    cols = {"employees": np.arange(n, dtype=float), "tier": np.array(["a", "b"] * (n // 2), dtype=object)}
    mask = Condition.parse("employees >= 999990 and tier = b").evaluate(cols, n)
    assert mask.sum() == 5 and mask[-1]
