"""Fields of exported layers: shapefile names, integer and real columns, rounding."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory_desk.io.exporters.layer_fields import short_names, typed_column, value_decimals


def test_shapefile_names_are_readable_not_truncated():
    names = short_names(["territory_id", "population", "population_dev_pct", "revenue_dev_pct",
                         "polsby_popper", "average_household_income"])
    assert names == {"territory_id": "terr_id", "population": "population", "population_dev_pct": "pop_dev",
                     "revenue_dev_pct": "rev_dev", "polsby_popper": "polsby_pp",
                     "average_household_income": "avg_hh_inc"}


def test_shapefile_names_are_short_unique_ascii_and_start_with_a_letter():
    full = ["population", "Population", "population_x", "population_y_extra_long", "population_y_extra_longer",
            "Umsatz_Größe", "2024_sales", "straße", "a" * 40, "a" * 41, "x-y z", "ça_va"]
    names = short_names(full)
    short = list(names.values())
    assert list(names) == full
    assert all(1 <= len(n) <= 10 and n.isascii() and n[0].isalpha() for n in short)
    assert len({n.casefold() for n in short}) == len(short)  # dBase compares names without case
    assert names["straße"] == "strasse" and names["2024_sales"].startswith("f2024")


def test_many_colliding_names_stay_unique():
    full = [f"very_long_metric_name_{k}" for k in range(150)]
    short = list(short_names(full).values())
    assert len({n.casefold() for n in short}) == 150 and all(len(n) <= 10 for n in short)


def test_whole_numbers_are_integer_columns_with_missing_values_kept():
    col, f = typed_column([259.0, 12.0, None], "accounts", "accounts")
    assert f.kind == "integer" and str(col.dtype) == "Int64"
    assert col.tolist()[:2] == [259, 12] and pd.isna(col.iloc[2])


@pytest.mark.parametrize("values,decimals", [([228999.620103, 12.5], 2), ([0.000345678, 0.0001], 10),
                                             ([17.123456789], 5), ([4.2e8 + 0.37], 2)])
def test_reals_keep_seven_significant_digits_and_at_least_two_decimals(values, decimals):
    assert value_decimals(np.array(values)) == decimals
    col, f = typed_column(values, "x", "x")
    assert f.kind == "real" and f.decimals == decimals
    assert np.allclose(col.to_numpy(dtype=float), np.round(values, decimals))
