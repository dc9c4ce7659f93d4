"""Offline geocoding: own coordinates (checked), ZIP centroid, city + state, county; which method
placed each row and why the others could not be placed."""
import numpy as np
import pandas as pd
import pytest

from territory_desk.io.imports.column_mapping import auto_map
from territory_desk.io.imports.geocoding import (
    BY_CITY,
    BY_COORDINATES,
    BY_COUNTY,
    BY_ZIP,
    NOT_PLACED,
    lookup_zips,
    norm_county,
    norm_place,
    norm_state,
    place_rows,
    zip_code,
    zip_table,
)


@pytest.mark.parametrize("text,code", [
    ("02134", 2134), ("2134", 2134), ("02134-1234", 2134), ("021341234", 2134), ("2134.0", 2134), (" 74103 ", 74103),
    ("501", 501), ("abc", -1), ("", -1), ("1234567", -1), ("12", -1),
])
def test_zip_code_forms(text, code):
    assert zip_code(text) == code


def test_zip_lookup_is_vectorised_and_knows_real_zips():
    idx, ok = lookup_zips(np.array(["02134", "2134", "99999", "x", "74103"], dtype=object))
    t = zip_table()
    assert idx[0] == idx[1] >= 0 and t.city[idx[0]] == "Allston, MA"
    assert idx[2] == -1 and ok[2] and idx[3] == -1 and not ok[3]
    assert t.city[idx[4]] == "Tulsa, OK"
    assert abs(t.lon[idx[4]] + 95.99) < 0.1 and abs(t.lat[idx[4]] - 36.15) < 0.1


def test_name_normalisation():
    assert norm_state("missouri") == norm_state(" MO ") == norm_state("Missouri") == "MO"
    assert norm_state("District of Columbia") == "DC"
    assert norm_place("St. Louis") == norm_place("Saint Louis") == norm_place("st louis")
    assert norm_county("Middlesex County") == norm_county("middlesex") and norm_county("Orleans Parish") == "orleans"


def place(rows: dict):
    df = pd.DataFrame(rows, dtype=object)
    return place_rows(df, auto_map(list(df.columns), df))


def test_methods_in_order_and_reasons():
    p = place({
        "Name": ["own", "zip", "zip-bad-city", "city", "county", "nothing", "unknown-zip", "bad-zip", "city-no-state"],
        "Latitude": ["40.7", "", "", "", "", "", "", "", ""],
        "Longitude": ["-74.0", "", "", "", "", "", "", "", ""],
        "ZIP": ["", "74103", "99999", "", "", "", "99999", "ABCDE", ""],
        "City": ["", "", "Tulsa", "St. Louis", "", "", "", "", "Tulsa"],
        "State": ["", "", "OK", "Missouri", "MA", "", "", "", ""],
        "County": ["", "", "", "", "Middlesex County", "", "", "", ""],
    })
    assert p.method.tolist() == [BY_COORDINATES, BY_ZIP, BY_CITY, BY_CITY, BY_COUNTY, NOT_PLACED, NOT_PLACED,
                                 NOT_PLACED, NOT_PLACED]
    assert p.reason[:5].tolist() == [None] * 5
    assert p.reason[5].startswith("missing location")
    assert p.reason[6] == "unknown ZIP: '99999'" and p.reason[7] == "invalid ZIP: 'ABCDE'"
    assert "without a state" in p.reason[8]
    assert p.place[1] == "Tulsa, OK" and p.place[3] == "St. Louis, MO"
    assert abs(p.lon[3] + 90.2) < 0.2 and abs(p.lat[4] - 42.5) < 0.3  # St. Louis; Middlesex County, MA


def test_bad_and_swapped_coordinates_are_not_geocoded_away():
    p = place({"Latitude": ["95", "abc", "", "40", "0", "1e999", "nan", "-91"],
               "Longitude": ["-75", "1", "-75", "200", "0", "1", "NaN", "100"],
               "ZIP": ["74103"] * 8})
    r = p.reason
    assert r[0].startswith("swapped coordinates") and r[1].startswith("bad coordinates: latitude 'abc'")
    assert r[2] == "bad coordinates: only one of latitude and longitude"
    assert r[3] == "bad coordinates: (40, 200) is out of range"
    assert p.method[4] == BY_ZIP and r[4] is None  # (0, 0) is a CRM's "no coordinates": geocoded
    assert r[5].startswith("bad coordinates: latitude '1e999'")
    assert p.method[6] == BY_ZIP  # NaN/NaN are missing values
    assert r[7] == "bad coordinates: (-91, 100) is out of range"  # 100 cannot be a latitude
    assert not p.placed[[0, 1, 2, 3, 5, 7]].any()


def test_reps_may_have_no_location():
    df = pd.DataFrame({"Rep": ["a"], "Home ZIP": [""]}, dtype=object)
    m = auto_map(list(df.columns), df, kind="reps")
    p = place_rows(df, m, require=False)
    assert p.method[0] == NOT_PLACED and p.reason[0] is None
