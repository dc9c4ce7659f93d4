"""Rep imports: home location from coordinates or an address (geocoded offline), capacity, languages,
industries, experience; re-imports by id; one transaction."""
import os
from pathlib import Path

import pytest

from territory_desk.domain.editing.data import ReplaceReps
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.imports import ImportFailed, import_reps, plan_reps

REPS = """Rep ID,First Name,Last Name,Home Latitude,Home Longitude,Home ZIP,Home City,Home State,Capacity,Languages,Industry,Experience Level,Email
R0,Ann,Lee,38.5,-99.5,,,,250,"English, Spanish",Healthcare; Retail,senior,ann@example.com
R1,Bob,Ray,,,74103,,,180,English,Finance,junior,bob@example.com
R2,Cy,Moe,,,,Tulsa,OK,200,English / French,,mid,
R3,Dee,Fox,,,,,,150,English,,mid,
R4,Eve,Kim,,,99999,,,150,English,,mid,
R5,Fay,Orr,95,-75,,,,150,English,,mid,
R6,Gus,Poe,,,,,,lots,English,,mid,
R0,Hal,Dup,,,,,,1,,,,
"""  # noqa: E501 (the header of a real export)


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reps_with_home_location_capacity_and_skills(make_grid, tmp_path):
    project = make_grid()
    plan = plan_reps(project, write(tmp_path / "reps.csv", REPS))
    reps, r = plan.reps, plan.report
    assert [x.id for x in reps] == ["R0", "R1", "R2", "R3"]
    ann, bob, cy, dee = reps
    assert ann.name == "Ann Lee" and (ann.home_lon, ann.home_lat) == (-99.5, 38.5) and ann.capacity == 250
    assert ann.skills == {"languages": ["English", "Spanish"], "industries": ["Healthcare", "Retail"],
                          "experience": "senior", "email": "ann@example.com"}
    assert bob.home_city == "Tulsa, OK" and abs(bob.home_lon + 95.99) < 0.1
    assert cy.home_city == "Tulsa, OK" and cy.skills["languages"] == ["English", "French"]
    assert dee.home_lon is None and dee.home_lat is None and dee.home_city == ""
    assert r.methods == {"coordinates": 1, "zip": 1, "city": 1}
    assert "1 rep(s) have no home location" in r.summary()
    reasons = {x.row: x.reason for x in r.rejected}
    assert reasons == {6: "unknown ZIP: '99999'",
                       7: "swapped coordinates: latitude 95 is out of range, longitude -75 looks like a latitude",
                       8: "non-numeric value: capacity 'lots' in column 'Capacity'",
                       9: "duplicate id: 'R0' (first in row 2)"}
    # territories of the grid project name reps R0..R2, all still present; none of them is left orphaned
    assert not any("no longer in the list" in n for n in r.notes)


def test_reimport_reports_changes_and_orphaned_territories(make_grid, tmp_path):
    project = make_grid()  # reps R0, R1, R2 own territories T0..T2
    text = "Rep ID,Name,Capacity\nR0,Rep 0,100\nR1,Rep One,100\nR9,New,50\n"
    r = import_reps(project, write(tmp_path / "r.csv", text))
    assert (r.added, r.changed, r.unchanged, r.removed) == (1, 2, 0, 1)  # R0 loses its home and skills
    assert [x.id for x in project.reps] == ["R0", "R1", "R9"]
    assert "Territory 2 (R2) in Base" in " ".join(r.notes)
    assert project.scenario.territories[2].rep_id == "R2"  # alignments and territories are not touched


def test_file_transaction_and_refusals(make_grid, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(make_grid(), path)
    stamp = (path.read_bytes(), os.stat(path).st_mtime_ns)
    with pytest.raises(InputError, match="no column holds a rep id or name"):
        import_reps(str(path), write(tmp_path / "x.csv", "Capacity,Languages\n1,en\n"))
    with pytest.raises(ImportFailed, match="could be imported as reps"):
        import_reps(str(path), write(tmp_path / "y.csv", "Rep ID,Home ZIP\nR1,99999\n"))
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == stamp
    r = import_reps(str(path), write(tmp_path / "z.csv", REPS))
    assert r.imported == 4
    assert [x.name for x in load_project(path).reps] == ["Ann Lee", "Bob Ray", "Cy Moe", "Dee Fox"]


def test_replace_reps_command(make_grid, tmp_path):
    doc = Document(make_grid())
    old = doc.project.reps
    plan = plan_reps(doc.project, write(tmp_path / "r.csv", "Rep ID,Name\nX,Xavier\n"))
    cmd = ReplaceReps(plan.reps)
    cmd.redo(doc)
    assert [r.id for r in doc.project.reps] == ["X"]
    cmd.undo(doc)
    assert doc.project.reps is old
