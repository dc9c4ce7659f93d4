"""A corpus of bad inputs through the real command line: each gives a report (exit 0) or ONE clear
error line (exit 2), never a traceback, and a failed import never changes the project file.
Plus hypothesis-generated CSV files: every row is imported or rejected, never dropped silently."""
import os
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory_desk.cli import main
from territory_desk.domain.model.errors import TerritoryDeskError
from territory_desk.persistence.reader import load_project
from territory_desk.services.imports import import_accounts

HEAD = "Account ID,Account Name,Billing Latitude,Billing Longitude,Billing Zip/Postal Code,Annual Revenue\n"
GOOD = "A1,Acme,38.1,-99.9,,100\n"

# name -> (file name, bytes, exit status, text expected in the output)
TABLES = {
    "empty file": ("a.csv", b"", 2, "is empty"),
    "header only": ("a.csv", HEAD.encode(), 2, "no data rows"),
    "wrong delimiter": ("a.csv", b"id|name|lat|lon\n1|a|38.1|-99.9\n", 2, "single column"),
    "mixed types": ("a.csv", (HEAD + GOOD + "A2,B,38.2,-99.8,,lots\nA3,C,38.3,-99.7,,3\n").encode(), 0,
                    "1 non-numeric value"),
    "swapped coordinates": ("a.csv", (HEAD + GOOD + "A2,B,-99.8,38.2,,1\n").encode(), 0, "1 swapped coordinates"),
    "only swapped coordinates": ("a.csv", (HEAD + "A2,B,-99.8,38.2,,1\n").encode(), 2, "swapped coordinates"),
    "out-of-range coordinates": ("a.csv", (HEAD + GOOD + "A2,B,38.2,-190,,1\nA3,C,91.5,200,,1\n").encode(), 0,
                                 "2 bad coordinates"),
    "NaN everywhere": ("a.csv", (HEAD + GOOD + "A2,NaN,NaN,NaN,NaN,NaN\n").encode(), 0, "1 missing location"),
    # 1e400 is beyond the float range; 1e300 beyond the ±1e15 a project may hold (its sums overflow)
    "huge numbers": ("a.csv", (HEAD + GOOD + "A2,B,38.2,-99.8,,1e400\nA3,C,38.3,-99.7,,1e300\n").encode(), 0,
                     "2 number out of range"),
    "non-UTF-8 bytes": ("a.csv", (HEAD + "A1,Caf\xe9 M\xfcller,38.1,-99.9,,1\n").encode("cp1252"), 0,
                        "Windows-1252"),
    "HYPERLINK formulas": ("a.csv", (HEAD + 'A1,"=HYPERLINK(""http://x"",""y"")",38.1,-99.9,,=1+2\n' + GOOD
                                     .replace("A1", "A0")).encode(), 0, "1 non-numeric value"),
    "10,000-character names": ("a.csv", (HEAD + "A1," + "N" * 10_000 + ",38.1,-99.9,,1\n").encode(), 0,
                               "1 account(s) imported"),
    "binary noise": ("a.csv", bytes(range(256)) * 64, 2, "not a text table"),
    "damaged xlsx": ("a.xlsx", b"PK\x03\x04" + b"\x01" * 300, 2, "cannot read"),
    "ragged rows": ("a.csv", (HEAD + GOOD + "A2,B,38.2,-99.8,,1,extra,cells\n").encode(), 0, "1 bad row"),
}


def stamp(path: Path):
    return path.read_bytes(), os.stat(path).st_mtime_ns


def run_cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def check_outcome(rc, out, err, expected_rc, text, project_file, before):
    assert rc == expected_rc, (out, err)
    if rc == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("territory-desk: error: "), err
        assert text in lines[0]
        assert stamp(project_file) == before  # untouched, byte for byte
    else:
        assert "Traceback" not in out + err and text in out
        load_project(project_file)  # still a valid project


@pytest.mark.parametrize("case", list(TABLES))
def test_bad_tables(case, project_file, tmp_path, capsys):
    name, content, expected_rc, text = TABLES[case]
    src = tmp_path / name
    src.write_bytes(content)
    before = stamp(project_file)
    rc, out, err = run_cli(capsys, "import-accounts", project_file, src, "--report", tmp_path / "r.csv")
    check_outcome(rc, out, err, expected_rc, text, project_file, before)
    if rc == 0:
        assert (tmp_path / "r.csv").exists()


def test_bad_paths_and_arguments(project_file, tmp_path, capsys):
    before = stamp(project_file)
    good = tmp_path / "good.csv"
    good.write_text(HEAD + GOOD)
    for args, text in [
        (("import-accounts", project_file, tmp_path / "missing.csv"), "does not exist"),
        (("import-accounts", project_file, tmp_path), "folder"),
        (("import-accounts", project_file, project_file), "the project file itself"),
        (("import-accounts", project_file, good, "--map", "Nope=lat"), "no column 'Nope'"),
        (("import-accounts", project_file, good, "--map", "Account Name"), "SOURCE=TARGET"),
        (("import-accounts", project_file, good, "--report", tmp_path / "no" / "dir.csv"), "cannot write the report"),
        (("import-accounts", tmp_path / "missing.gpkg", good), "missing.gpkg"),
        (("import-reps", project_file, tmp_path / "missing.csv"), "does not exist"),
        (("import-units", project_file, good), "cannot read as a GIS layer"),
    ]:
        rc, out, err = run_cli(capsys, *args)
        check_outcome(rc, out, err, 2, text, project_file, before)


def test_units_corpus(project_file, tmp_path, capsys):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"unit_id": ["N1"]}, geometry=[shapely.box(-98.8, 38, -98.6, 38.2)], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, folder / "extra.shp")
    (folder / "extra.dbf").unlink()
    before = stamp(project_file)
    rc, out, err = run_cli(capsys, "import-units", project_file, folder / "extra.shp")
    check_outcome(rc, out, err, 0, "no .dbf", project_file, before)
    assert load_project(project_file).units.ids[-1] == "1"
    pts = gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(-99, 38)], crs="EPSG:4326")
    pyogrio.write_dataframe(pts, tmp_path / "points.kml", driver="KML")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("readme.txt", "nothing here")
    before = stamp(project_file)
    for src, text in ((tmp_path / "points.kml", "no polygon"), (tmp_path / "empty.zip", "cannot read")):
        rc, out, err = run_cli(capsys, "import-units", project_file, src, "--replace")
        check_outcome(rc, out, err, 2, text, project_file, before)


# ---- hypothesis: arbitrary CSV files -----------------------------------------------------------------
HEADERS = ["Account ID", "Account Name", "Billing Latitude", "Billing Longitude", "Billing Zip/Postal Code",
           "Billing City", "Billing State", "Annual Revenue", "Industry", "", "id", "Notes"]
cell = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["38.1", "-99.9", "67530", "02134", "NaN", "", "=HYPERLINK(\"x\")", "Tulsa", "OK", '"', ";"]),
)


@st.composite
def csv_files(draw):
    cols = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(cols) + 2), max_size=8))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    text = "\n".join(delim.join(r) for r in [cols] + rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(content=st.one_of(csv_files(), st.binary(max_size=300)))
def test_generated_files_give_a_report_or_one_clear_error(content, make_grid):
    project = make_grid() if not hasattr(make_grid, "_cached") else make_grid._cached
    make_grid._cached = project
    original = project.accounts
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gen.csv")
        with open(path, "wb") as f:
            f.write(content)
        try:
            report = import_accounts(project, path)
        except TerritoryDeskError as exc:
            assert "\n" not in str(exc) and project.accounts is original
            return
    try:
        assert report.imported + len(report.rejected) == report.rows_read  # nothing dropped silently
        assert len(project.accounts) == report.imported > 0
        assert (project.accounts.unit_index >= 0).all()
        assert sum(report.methods.values()) == report.imported
        report.csv_text()
        report.summary()
    finally:
        project.accounts = original
