"""Hostile and damaged project files through the CLI: every bad value, geometry, adjacency row, count
and page gives one line and exit 2 (the file byte for byte as it was), or opens with a one-line note
where the repair is exact. The reader-level corpus (views, triggers, wrong types, bad JSON...) is in
test_store.py; this one adds NaN/inf/empty geometries, magnitudes, adjacency rows, counts and pages,
and drives `stats`, `check` and `move` on each file."""
from __future__ import annotations

import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.edge_rows import EdgeRows
from territory_desk.domain.model.errors import InputError, ProjectFileError
from territory_desk.domain.model.units import UnitLayer
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.cli_runner import digest, run
from tests.persistence.test_store import _tamper

NAN, INF = float("nan"), float("inf")
COMMANDS = [("stats",), ("check",), ("move", "--units", "U0000", "--to", "T1")]


# project_file: the grid of make_grid_project(), 36 units, 60 adjacency rows, 40 accounts, 3 territories
def _blob(geom, srs: int = 4326) -> bytes:
    """A GeoPackage geometry blob without envelope (flags: little-endian), as GDAL writes points."""
    return b"GP\x00\x01" + struct.pack("<i", srs) + shapely.to_wkb(geom, byte_order=1, flavor="iso")


def _square_with(x: float, y: float):
    with np.errstate(invalid="ignore"):  # shapely would warn about the NaN we mean to write
        return shapely.Polygon([(-100.0, 38.0), (-99.8, 38.0), (x, y), (-100.0, 38.2), (-100.0, 38.0)])


def _recreate_adjacency_without_constraints() -> list[str]:  # a file another program wrote
    return ["CREATE TABLE t2 AS SELECT * FROM td_adjacency", "DROP TABLE td_adjacency",
            "ALTER TABLE t2 RENAME TO td_adjacency"]


def _flip_page(path: Path, table: str, offset: int, value: int) -> None:
    with sqlite3.connect(path) as conn:
        page = conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[(page - 1) * size + offset] = value
    path.write_bytes(bytes(data))


def _rename_index_key(path: Path) -> None:
    """Change one key inside td_meta's UNIQUE index page only: the b-tree stays well formed (so
    quick_check passes) but the index no longer matches its table (integrity_check fails)."""
    with sqlite3.connect(path) as conn:
        page = conn.execute("SELECT pageno FROM dbstat WHERE name = 'sqlite_autoindex_td_meta_1'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (page - 1) * size
    k = data.find(b"work_crs", start, start + size)
    data[k:k + 8] = b"work_crz"
    path.write_bytes(bytes(data))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]


# name -> (SQL statements with their parameters, or a function of the path; expected text of the one line)
REFUSED = {
    "account with one NaN coordinate": (
        [("UPDATE accounts SET geom = ? WHERE fid = 3", (_blob(shapely.Point(NAN, 38.5)),))],
        "account 'A002' has the coordinates (nan, 38.5)"),
    "account with an infinite coordinate": (
        [("UPDATE accounts SET geom = ? WHERE fid = 3", (_blob(shapely.Point(INF, 38.5)),))],
        "account 'A002' has the coordinates (inf, 38.5)"),
    "account beyond the globe": (
        [("UPDATE accounts SET geom = ? WHERE fid = 3", (_blob(shapely.Point(1e308, 38.5)),))],
        "a longitude within ±180"),
    "empty unit polygon": ([("UPDATE units SET geom = ? WHERE fid = 3", (_blob(shapely.Polygon()),))],
                           "unit 'U0002' has an empty polygon"),
    "unit with a NaN vertex": ([("UPDATE units SET geom = ? WHERE fid = 3", (_blob(_square_with(NAN, 38.2)),))],
                               "unit 'U0002' has the coordinate (nan, 38.2)"),
    "unit with an infinite vertex": (
        [("UPDATE units SET geom = ? WHERE fid = 3", (_blob(_square_with(INF, 38.2)),))],
        "unit 'U0002' has the coordinate (inf, 38.2)"),
    "unit with a 1e308 vertex": (
        [("UPDATE units SET geom = ? WHERE fid = 3", (_blob(_square_with(1e308, 38.2)),))],
        "numbers must lie within ±1e15"),
    "1e308 in a unit column": (["UPDATE units SET population = 1e308 WHERE fid = 4"],
                               "units.population holds 1e+308 in row 4; numbers must lie within ±1e15"),
    "-1e300 in an account column": (["UPDATE accounts SET revenue = -1e300 WHERE fid = 7"],
                                    "accounts.revenue holds -1e+300 in row 7"),
    "infinite account value": (["UPDATE accounts SET revenue = 1e999 WHERE fid = 2"],
                               "accounts.revenue holds an infinite number in row 2"),
    "1e308 rep capacity": (["UPDATE td_reps SET capacity = 1e308 WHERE ord = 1"], "td_reps.capacity holds 1e+308"),
    "rep home beyond the globe": (["UPDATE td_reps SET home_lon = 500 WHERE ord = 0"],
                                  "rep 'R0' the home (500, 38.5), outside longitude ±180"),
    "1e308 opportunity amount": (
        ["INSERT INTO td_opportunities (id, account_id, amount, stage, status, created, closed, owner) "
         "VALUES ('O1', 'A000', 1e308, 'Won', 1, 19000, 19100, 'ann')"], "td_opportunities.amount holds 1e+308"),
    "adjacency index one past the units": (["UPDATE td_adjacency SET j = 36 WHERE fid = 5"],
                                           "td_adjacency.j holds a value outside 0..35"),
    "negative adjacency index": (["UPDATE td_adjacency SET i = -1 WHERE fid = 5"],
                                 "td_adjacency.i holds a value outside 0..35"),
    "adjacency self-loop": (["UPDATE td_adjacency SET j = i WHERE fid = 5"], "td_adjacency row 5 links unit"),
    "negative shared length": (["UPDATE td_adjacency SET length_m = -3 WHERE fid = 2"],
                               "td_adjacency row 2 has a negative (-3) shared length"),
    "missing shared length": (_recreate_adjacency_without_constraints()
                              + ["UPDATE td_adjacency SET length_m = NULL WHERE fid = 2"],
                              "td_adjacency row 2 has a missing shared length"),
    "one pair twice with different lengths": (
        ["INSERT INTO td_adjacency (i, j, length_m, virtual, line) "
         "SELECT j, i, length_m + 1, virtual, line FROM td_adjacency WHERE fid = 1"],
        "td_adjacency rows 1 and 61 both link units"),
    "one pair twice with different borders": (
        ["INSERT INTO td_adjacency (i, j, length_m, virtual, line) "
         "SELECT i, j, length_m, virtual, NULL FROM td_adjacency WHERE fid = 1"],
        "td_adjacency row 61 repeats an earlier row's two units and length but gives them a different border"),
    "alignment misses a unit": (["DELETE FROM td_alignment WHERE fid = 2"],
                                "td_alignment has rows for 35 of the 36 units in scenario 'Base'"),
    "alignment names an unknown unit": (["UPDATE td_alignment SET unit_id = 'U9999' WHERE fid = 2"], "'U9999'"),
    "measures for fewer units": (["DELETE FROM td_unit_measures WHERE fid = 36"],
                                 "td_unit_measures has 35 rows for 36 units"),
    "negative unit area": (["UPDATE td_unit_measures SET area_m2 = -1 WHERE fid = 3"],
                           "gives unit 'U0002' a negative area or perimeter"),
    "scenario numbers with a gap": (["UPDATE td_scenarios SET ord = 5", "UPDATE td_territories SET scenario = 5",
                                     "UPDATE td_regions SET scenario = 5", "UPDATE td_alignment SET scenario = 5"],
                                    "td_scenarios.ord is not 0, 1, 2, … (it holds 5)"),
    "pins of a scenario that does not exist": (
        ["INSERT INTO td_pins (scenario, account_id, territory_id) VALUES (3, 'A000', 'T0')"],
        "td_pins.scenario holds a value outside 0..0"),
    "a page the load never reads is damaged": (lambda p: _flip_page(p, "layer_styles", 0, 0x07),
                                              "is damaged: SQLite's integrity check fails (Page"),
    "an index no longer matches its table": (
        _rename_index_key, "integrity check fails (row 6 missing from index sqlite_autoindex_td_meta_1)"),
}


def _spoil(path: Path, how) -> None:
    if callable(how):
        how(path)
        return
    for item in how:
        sql, params = (item, ()) if isinstance(item, str) else item
        _tamper(path, sql, params=params)


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_bad_project_is_one_line_and_exit_2_for_every_command(project_file: Path, capsys, case: str) -> None:
    how, expected = REFUSED[case]
    _spoil(project_file, how)
    before = digest(project_file)
    for cmd in COMMANDS:
        code, out, err = run(capsys, cmd[0], project_file, *cmd[1:])
        assert (code, out) == (2, ""), (cmd, out, err)
        assert err.count("\n") == 1 and err.startswith(f"territory-desk: error: {project_file}"), err
        assert expected in err, err
        assert digest(project_file) == before


def _duplicate_adjacency(path: Path, copies: int) -> None:
    _tamper(path, "CREATE TABLE k (x)", *[f"INSERT INTO k VALUES ({c})" for c in range(copies)],
            "INSERT INTO td_adjacency (i, j, length_m, virtual, line) "
            "SELECT i, j, length_m, virtual, line FROM td_adjacency, k", "DROP TABLE k")


def test_thousands_of_exact_duplicate_adjacency_rows_are_dropped_with_a_note(project_file: Path, capsys) -> None:
    _duplicate_adjacency(project_file, 70)  # 60 edges, 4,260 rows
    project = load_project(project_file)
    assert engine_for(project).adjacency.edge_count == 60  # so a move touches each neighbour once
    assert project.repairs == ["td_adjacency: dropped 4,200 of 4,260 rows that repeat an earlier row exactly "
                               "(same two units, shared length and border); saving writes the repaired graph"]
    capsys.readouterr()  # (a CLI run earlier in this process left its note printer listening)
    code, out, err = run(capsys, "stats", project_file)
    assert code == 0 and "Territory 1" in out
    assert err == f"territory-desk: note: {project_file}: {project.repairs[0]}\n"
    code, out, err = run(capsys, "check", project_file)
    assert code == 1 and out.splitlines()[0] == f"repaired on open: {project.repairs[0]}" and err == ""
    code, out, err = run(capsys, "move", project_file, "--units", "U0000", "--to", "T1")
    assert code == 0 and err.count("\n") == 1 and "dropped 4,200" in err
    with sqlite3.connect(project_file) as conn:  # the save wrote the repaired graph
        assert conn.execute("SELECT count(*) FROM td_adjacency").fetchone() == (60,)
    assert load_project(project_file).repairs == []


def test_reversed_adjacency_rows_are_turned_round(project_file: Path, grid_file: Path, capsys) -> None:
    _tamper(project_file, "UPDATE td_adjacency SET i = j, j = i WHERE fid % 3 = 0")
    project, original = load_project(project_file), load_project(grid_file)
    assert project.repairs == ["td_adjacency: turned round 20 rows that list their two units in reverse order; "
                               "saving writes the repaired graph"]
    capsys.readouterr()
    for f in ("i", "j", "length", "virtual"):
        np.testing.assert_array_equal(getattr(project.adjacency, f), getattr(original.adjacency, f))
    code, _, err = run(capsys, "stats", project_file)
    assert code == 0 and "turned round 20 rows" in err


def test_an_empty_account_point_is_an_unlocated_account(project_file: Path, grid_file: Path, capsys) -> None:
    """GeoPackage writes an empty point as NaN coordinates (the trace of the old GEOSException). The
    domain has unlocated accounts (no usable address; our writer stores them with a NULL geometry),
    so the point reads as exactly that: no refusal, no repair, nothing on stderr."""
    _tamper(project_file, "UPDATE accounts SET geom = ? WHERE fid = 3", params=(_blob(shapely.Point(NAN, NAN)),))
    project = load_project(project_file)
    assert np.isnan(project.accounts.lon[2]) and np.isnan(project.accounts.lat[2]) and project.repairs == []
    assert project.accounts.unit_index[2] == load_project(grid_file).accounts.unit_index[2]  # its unit_id holds
    capsys.readouterr()
    for cmd in COMMANDS:
        code, _, err = run(capsys, cmd[0], project_file, *cmd[1:])
        assert code == 0 and err == "", (cmd, err)


def test_values_at_the_bound_give_no_numpy_warnings(project_file: Path) -> None:
    """±1e15 everywhere: sums, variances and deviations stay finite; a real process, so any warning
    numpy or shapely prints would be on its stderr."""
    _tamper(project_file, "UPDATE units SET population = 1e15", "UPDATE accounts SET revenue = -1e15 WHERE fid % 2 = 0",
            "UPDATE accounts SET revenue = 1e15 WHERE fid % 2 = 1")
    for cmd in [("stats", "--format", "json"), ("stats", "--level", "1")]:
        r = subprocess.run([sys.executable, "-m", "territory_desk.cli", cmd[0], str(project_file), *cmd[1:]],
                           capture_output=True, text=True, timeout=120)
        assert (r.returncode, r.stderr) == (0, ""), r.stderr


def test_as_a_real_process_stderr_holds_exactly_one_line(project_file: Path) -> None:
    """The 1e308 value that once leaked 'RuntimeWarning: overflow encountered' now gives one line."""
    _tamper(project_file, "UPDATE units SET population = 1e308")
    before = digest(project_file)
    r = subprocess.run([sys.executable, "-m", "territory_desk.cli", "move", str(project_file), "--units", "U0000",
                        "--to", "T1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [f"territory-desk: error: {project_file} is damaged: units.population holds "
                                     "1e+308 in row 1; numbers must lie within ±1e15"]
    assert "Warning" not in r.stderr and digest(project_file) == before


def test_empty_drawn_shape_is_dropped_with_a_note(tmp_path: Path, capsys) -> None:
    from territory_desk.domain.editing.document import Document
    from territory_desk.domain.editing.freeform import AddFreeformScenario, DrawTerritory

    from tests.domain.stats.test_freeform_engine import box_between, known_project

    doc = Document(known_project())
    AddFreeformScenario("Drawn").redo(doc)
    DrawTerritory(box_between(doc.project, 0, 0, 3, 2), name="North").redo(doc)
    DrawTerritory(box_between(doc.project, 2, 0, 5, 2), name="South").redo(doc)
    path = tmp_path / "drawn.gpkg"
    save_project(doc.project, path)
    south = doc.scenario.territories[1].id
    _tamper(path, "UPDATE freeform_territories SET geom = ? WHERE fid = 2", params=(_blob(shapely.Polygon()),))
    project = load_project(path)
    assert south not in project.get_scenario("Drawn").shapes
    assert project.repairs == [f"freeform_territories: dropped 1 empty drawn shape(s) (territory {south!r}); "
                               "those territories have no drawn shape, as a save would store them"]
    capsys.readouterr()
    code, _, err = run(capsys, "stats", path)
    assert code == 0 and err.count("\n") == 1 and "empty drawn shape" in err


def test_drawn_shape_with_an_infinite_vertex_is_refused(tmp_path: Path) -> None:
    from territory_desk.domain.editing.document import Document
    from territory_desk.domain.editing.freeform import AddFreeformScenario, DrawTerritory

    from tests.domain.stats.test_freeform_engine import box_between, known_project

    doc = Document(known_project())
    AddFreeformScenario("Drawn").redo(doc)
    DrawTerritory(box_between(doc.project, 0, 0, 3, 2), name="North").redo(doc)
    path = tmp_path / "drawn.gpkg"
    save_project(doc.project, path)
    srs = sqlite3.connect(path).execute("SELECT srs_id FROM gpkg_geometry_columns "
                                        "WHERE table_name = 'freeform_territories'").fetchone()[0]
    _tamper(path, "UPDATE freeform_territories SET geom = ?",
            params=(_blob(shapely.Polygon([(0, 0), (INF, 0), (1, 1), (0, 0)]), srs),))
    with pytest.raises(ProjectFileError, match="freeform_territories holds a polygon with a coordinate that is not"):
        load_project(path)


# --- the domain side: what imports and in-memory edits may hold -----------------------------------------

def test_tables_refuse_what_the_reader_would_refuse() -> None:
    ids = ["A", "B"]
    with pytest.raises(InputError, match=r"account column 'revenue' holds 1e\+16 \(account 'B'\)"):
        AccountTable(ids, ids, [0.0, 1.0], [0.0, 1.0], numeric={"revenue": [1.0, 1e16]})
    with pytest.raises(InputError, match=r"account 'A' has the coordinates \(nan, 5\)"):
        AccountTable(ids, ids, [NAN, 1.0], [5.0, 1.0])
    assert len(AccountTable(ids, ids, [NAN, 1.0], [NAN, 1.0], numeric={"revenue": [NAN, -1e15]})) == 2
    box = shapely.box(0, 0, 1, 1)
    with pytest.raises(InputError, match="unit column 'pop' holds an infinite number"):
        UnitLayer(["u"], ["u"], [box], "EPSG:4326", numeric={"pop": [INF]})


def test_save_refuses_a_column_changed_in_place_beyond_the_bound(project_file: Path) -> None:
    project = load_project(project_file)
    before = digest(project_file)
    project.units.numeric["population"][0] = 1e300
    with pytest.raises(InputError, match="unit column 'population' holds 1e\\+300 \\(unit 'U0000'\\)"):
        save_project(project, project_file)
    assert digest(project_file) == before


def _oracle(rows: list[tuple[int, int, float]]) -> tuple[list[tuple[int, int, float]], list[int], int]:
    """First row of every pair, in row order (as i < j), those rows, and how many of them were reversed."""
    seen: dict[tuple[int, int], tuple[float, int, bool]] = {}
    for r, (a, b, w) in enumerate(rows):
        seen.setdefault((min(a, b), max(a, b)), (w, r, a > b))
    return ([(a, b, w) for (a, b), (w, _, _) in seen.items()], [r for _, r, _ in seen.values()],
            sum(rev for _, _, rev in seen.values()))


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda p: p[0] != p[1]), max_size=60),
       chunk=st.integers(1, 12))
def test_edge_rows_in_chunks_match_the_oracle(pairs, chunk) -> None:
    rows = [(a, b, float(min(a, b) * 8 + max(a, b))) for a, b in pairs]  # one length per pair
    edges, given_edge = EdgeRows(8), []
    for s in range(0, len(rows), chunk):
        part = np.array(rows[s:s + chunk], dtype=float).reshape(-1, 3)
        edge, first = edges.add(part[:, 0].astype(int), part[:, 1].astype(int), part[:, 2],
                                np.zeros(len(part), dtype=bool))
        assert len(set(edge[first].tolist())) == first.sum()  # each new edge once
        given_edge += edge.tolist()
    tidy = edges.finish()
    assert [(int(tidy.i[e]), int(tidy.j[e])) for e in given_edge] == [(min(a, b), max(a, b)) for a, b, _ in rows]
    expected, keep, turned = _oracle(rows)
    assert list(zip(tidy.i.tolist(), tidy.j.tolist(), tidy.length.tolist())) == expected
    assert tidy.keep.tolist() == keep and tidy.reversed == turned
    assert tidy.duplicates == len(rows) - len(expected)


def test_edge_rows_name_both_rows_of_a_disagreement_across_chunks() -> None:
    edges = EdgeRows(5, ids=list("abcde"), what="td_adjacency")
    edges.add([0, 1], [1, 2], [10.0, 20.0], [False, False])
    edges.add([3, 2], [4, 1], [5.0, 20.0], [False, False])  # row 4 repeats row 2 exactly (reversed)
    with pytest.raises(InputError, match="td_adjacency rows 2 and 5 both link units 'b' and 'c'"):
        edges.add([1], [2], [21.0], [False])
    inside = EdgeRows(5, what="td_adjacency")
    with pytest.raises(InputError, match="td_adjacency rows 2 and 3 both link units 0 and 4"):
        inside.add([1, 0, 4], [2, 4, 0], [1.0, 2.0, 2.5], [False, False, False])
