"""Column mapping of CRM headers (Salesforce, HubSpot, Zoho), overrides, number parsing."""
import numpy as np
import pandas as pd
import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.io.imports.column_mapping import (
    ColumnMapping,
    apply_overrides,
    auto_map,
    parse_numbers,
    parse_overrides,
    validate,
)

SALESFORCE = ["Account ID", "Account Name", "Billing Street", "Billing City", "Billing State/Province",
              "Billing Zip/Postal Code", "Billing Latitude", "Billing Longitude", "Shipping City", "Shipping Latitude",
              "Shipping Longitude", "Annual Revenue", "Industry", "Phone", "Employees", "Account Number"]


def frame(columns, row):
    return pd.DataFrame([row], columns=columns, dtype=object)


def test_salesforce_export():
    row = ["001", "Acme", "1 Main St", "Tulsa", "OK", "74103", "36.1", "-95.9", "Tulsa", "36", "-95",
           "$1,200,000", "Retail", "(918) 555-0100", "45", "12345"]
    m = auto_map(SALESFORCE, frame(SALESFORCE, row))
    assert m.targets == {
        "Account ID": "id", "Account Name": "name", "Billing Street": "street", "Billing City": "city",
        "Billing State/Province": "state", "Billing Zip/Postal Code": "zip", "Billing Latitude": "lat",
        "Billing Longitude": "lon", "Shipping City": "ignore", "Shipping Latitude": "ignore",
        "Shipping Longitude": "ignore", "Annual Revenue": "numeric", "Industry": "text", "Phone": "text",
        "Employees": "numeric", "Account Number": "text"}
    assert m.kept("numeric") == [("Annual Revenue", "annual_revenue"), ("Employees", "employees")]


def test_hubspot_and_zoho_exports():
    hub = ["Record ID", "Company name", "Street Address", "City", "State/Region", "Postal Code",
           "Number of Employees", "Annual Revenue", "Industry", "Company owner"]
    m = auto_map(hub)
    assert [m.targets[c] for c in hub] == ["id", "name", "street", "city", "state", "zip", "numeric", "numeric",
                                           "text", "text"]
    zoho = ["Account Name", "Billing Street", "Billing City", "Billing State", "Billing Code", "Shipping Code",
            "Account Owner"]
    m = auto_map(zoho)
    assert [m.targets[c] for c in zoho] == ["name", "street", "city", "state", "zip", "ignore", "text"]


def test_rep_files_map_home_location_and_skills():
    cols = ["Rep ID", "First Name", "Last Name", "Home ZIP", "Capacity", "Languages", "Industry", "Experience Level",
            "Email"]
    m = auto_map(cols, kind="reps")
    assert [m.targets[c] for c in cols] == ["id", "first_name", "last_name", "zip", "capacity", "languages",
                                            "industries", "experience", "text"]


def test_data_kind_from_values():
    cols = ["Potential", "Segment", "Mostly numbers"]
    df = pd.DataFrame({"Potential": ["", "", ""], "Segment": ["A", "B", "1"],
                       "Mostly numbers": ["1", "2", "x"] + [""] * 0}, dtype=object)
    m = auto_map(cols, df)
    assert m.targets == {"Potential": "numeric", "Segment": "text", "Mostly numbers": "text"}
    df = pd.DataFrame({"Score": [str(i) for i in range(19)] + ["n/a-ish"]}, dtype=object)
    assert auto_map(["Score"], df).targets == {"Score": "numeric"}  # 95 % numbers: the odd cell is rejected later


def test_overrides_rename_reassign_and_validate():
    m = auto_map(SALESFORCE)
    m2 = apply_overrides(m, parse_overrides(["shipping latitude=lat", "Shipping Longitude=lon", "Phone=ignore",
                                             "Employees=numeric:headcount", "Industry=skip"]), SALESFORCE)
    assert m2.column("lat") == "Shipping Latitude" and m2.targets["Billing Latitude"] == "ignore"
    assert m2.targets["Phone"] == "ignore" and m2.targets["Industry"] == "ignore"
    assert ("Employees", "headcount") in m2.kept("numeric")
    with pytest.raises(InputError, match="no column 'Nope'"):
        apply_overrides(m, {"Nope": "lat"}, SALESFORCE)
    with pytest.raises(InputError, match="unknown target 'latt'"):
        apply_overrides(m, {"Phone": "latt"}, SALESFORCE)
    with pytest.raises(InputError, match="SOURCE=TARGET"):
        parse_overrides(["Phone"])
    with pytest.raises(InputError, match="no column is mapped to 'lon'"):
        apply_overrides(m, {"Billing Longitude": "ignore"}, SALESFORCE)


def test_validate_refuses_a_role_twice():
    with pytest.raises(InputError, match="two columns are mapped to 'zip'"):
        validate(ColumnMapping({"a": "zip", "b": "zip"}))


def test_kept_names_are_unique():
    m = ColumnMapping({"Revenue": "numeric", "revenue ": "numeric", "X": "numeric:revenue"})
    assert [n for _, n in m.kept("numeric")] == ["revenue", "revenue_2", "revenue_3"]


def test_parse_numbers():
    values = ["1,234.5", "(12)", "abc", "", "NaN", " 7 ", "1e999", "40,7128", "12%", "€ 3 000", "-inf", "N/A",
              "1e308", "99999999999999999999999"]
    n = parse_numbers(values)
    expected = [1234.5, -12, np.nan, np.nan, np.nan, 7, np.nan, 40.7128, 12, 3000, np.nan, np.nan, np.nan, np.nan]
    np.testing.assert_allclose(n.values, expected, equal_nan=True)
    assert np.flatnonzero(n.bad).tolist() == [2]
    assert np.flatnonzero(n.missing).tolist() == [3, 4, 11]
    # out of range: beyond the float range, and beyond the ±1e15 a project may hold (1e308, 1e23)
    assert np.flatnonzero(n.huge).tolist() == [6, 10, 12, 13]
    assert not parse_numbers(["1e15", "-1e15"]).huge.any()


def test_parse_numbers_with_decimal_comma():
    np.testing.assert_allclose(parse_numbers(["1.234,5", "40,7128", "12", "-3,5"], decimal_comma=True).values,
                               [1234.5, 40.7128, 12, -3.5])
