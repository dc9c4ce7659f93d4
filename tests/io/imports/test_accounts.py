"""Account imports as a planner runs them: CRM exports in, every row imported or rejected with its
row number and reason, re-imports by id, alignments kept, one transaction, undoable in the editor."""
import csv
import io
import os
from pathlib import Path

import numpy as np
import pytest

from territory_desk.domain.editing.data import ReplaceAccounts
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.io.imports.geocoding import zip_table
from territory_desk.persistence.reader import load_project
from territory_desk.services.imports import ImportFailed, import_accounts, plan_accounts

HEADER = "Account ID,Account Name,Billing Latitude,Billing Longitude,Billing Zip/Postal Code,Annual Revenue,Industry\n"
V1 = "Account ID,Account Name,Billing Latitude,Billing Longitude,Billing Zip/Postal Code,Revenue,Industry\n"


def grid_zips(n: int) -> list[str]:
    """Real ZIP codes whose centroid lies inside the test grid (lon -100..-98.8, lat 38..39.2)."""
    t = zip_table()
    inside = (t.lon > -99.95) & (t.lon < -98.85) & (t.lat > 38.05) & (t.lat < 39.15)
    return [f"{c:05d}" for c in t.codes[inside][:n]]


def write(path: Path, text: str, encoding="utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_rows_are_imported_placed_or_rejected_with_row_and_reason(make_grid, tmp_path):
    z = grid_zips(1)[0]
    long_name = "N" * 10_000
    text = (HEADER
            + "A1,Acme,38.1,-99.9,,100,Retail\n"
            + 'A2,"=HYPERLINK(""http://x"",""Bob"")",38.3,-99.5,,"$2,000",Tech\n'
            + "A2,Duplicate,38.3,-99.5,,5,Tech\n"
            + "A3,Swapped,-99.5,38.3,,5,Tech\n"
            + "A4,Far away,45,-75,,5,Tech\n"
            + f"A5,By zip,,,{z},7,Tech\n"
            + "A6,Nowhere,,,,7,Tech\n"
            + "A7,Bad revenue,38.1,-99.9,,abc,Tech\n"
            + "A8,Out of range,38.3,-199.5,,5,Tech\n"
            + "A9,Unknown zip,,,99999,5,Tech\n"
            + f"A10,{long_name},38.5,-99.5,,1e999,Tech\n"
            + f"A11,{long_name},38.5,-99.5,,,Tech\n"
            + ",No id,38.5,-99.5,,1,Tech\n")
    project = make_grid()
    plan = plan_accounts(project, write(tmp_path / "a.csv", text))
    acc, r = plan.accounts, plan.report
    assert acc.ids == ["A1", "A2", "A5", "A11"]
    assert acc.names[1] == '=HYPERLINK("http://x","Bob")' and acc.names[3] == long_name
    np.testing.assert_allclose(acc.numeric["annual_revenue"], [100, 2000, 7, np.nan])
    assert acc.text["industry"] == ["Retail", "Tech", "Tech", "Tech"] and acc.text["zip"][2] == z
    assert (acc.unit_index >= 0).all()
    assert r.rows_read == 13 and r.imported == 4 and r.methods == {"coordinates": 3, "zip": 1}
    reasons = {x.row: x.reason for x in r.rejected}
    assert reasons[4] == "duplicate id: 'A2' (first in row 3)"
    assert reasons[5].startswith("swapped coordinates: latitude -99.5 is out of range")
    assert reasons[6] == "outside every unit: (45, -75)"
    assert reasons[8] == "missing location: no coordinates and no ZIP, city or county"
    assert reasons[9] == "non-numeric value: 'abc' in column 'Annual Revenue'"
    assert reasons[10] == "bad coordinates: (38.3, -199.5) is out of range"
    assert reasons[11] == "unknown ZIP: '99999'"
    assert reasons[12] == "number out of range: '1e999' in column 'Annual Revenue'"
    assert reasons[14] == "missing id: the id cell is empty"
    assert len(r.rejected) == 9 and project.accounts is not acc  # the plan does not touch the project


def test_report_csv_lists_every_row_and_keeps_formulas_inert(make_grid, tmp_path):
    text = HEADER + '=1+1,"=HYPERLINK(""x"")",38.1,-99.9,,1,Retail\n' + "B,b,45,-75,,1,x\n"
    r = plan_accounts(make_grid(), write(tmp_path / "a.csv", text)).report
    out = tmp_path / "report.csv"
    r.write_csv(out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["row", "id", "outcome", "method", "reason"]
    assert rows[1] == ["2", "'=1+1", "added", "coordinates", ""]
    assert rows[2] == ["3", "B", "rejected", "", "outside every unit: (45, -75)"]
    assert rows[3][2] == "removed" and len(rows) == 3 + 40  # the 40 accounts of the grid project were replaced
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_reimport_updates_by_id_keeps_alignments_and_reports_changes(project_file, tmp_path):
    before = load_project(project_file)
    keep = before.accounts
    lat, lon, rev = keep.lat.tolist(), keep.lon.tolist(), keep.numeric["revenue"].tolist()
    lines = [f"{keep.ids[i]},{keep.names[i]},{lat[i]!r},{lon[i]!r},,{rev[i]!r},x" for i in range(len(keep))]
    lines[0] = lines[0].replace(keep.names[0], "Renamed Ltd")
    lines[1] = f"{keep.ids[1]},{keep.names[1]},{lat[1]!r},{lon[1]!r},,999,x"
    del lines[2:5]
    lines.append("NEW1,Newcomer,38.5,-99.5,,3,x")
    path = write(tmp_path / "v1.csv", V1 + "\n".join(lines) + "\n")
    r = import_accounts(project_file, path)
    assert (r.added, r.changed, r.unchanged, r.removed) == (1, 2, len(keep) - 3 - 2, 3)
    assert "columns no longer present (removed from the accounts): segment" in r.notes
    after = load_project(project_file)
    assert after.accounts.ids[-1] == "NEW1" and keep.ids[2] not in after.accounts.ids
    for a, b in zip(before.scenarios, after.scenarios):
        assert a.name == b.name and np.array_equal(a.assignment, b.assignment)
        assert [t.id for t in a.territories] == [t.id for t in b.territories]
    assert [x.id for x in after.reps] == [x.id for x in before.reps]
    r2 = import_accounts(project_file, path)  # the same file again: nothing changes
    assert (r2.added, r2.changed, r2.unchanged, r2.removed) == (0, 0, len(after.accounts), 0)
    outcomes = [row[2] for row in list(csv.reader(io.StringIO(r.csv_text())))[1:]]
    assert outcomes.count("changed") == 2 and outcomes.count("removed") == 3


def test_nothing_importable_is_one_error_and_the_file_is_untouched(project_file, tmp_path):
    stamp = (Path(project_file).read_bytes(), os.stat(project_file).st_mtime_ns)
    path = write(tmp_path / "far.csv", HEADER + "A,a,45,-75,,1,x\nB,b,46,-75,,1,x\n")
    with pytest.raises(ImportFailed, match=r"none of the 2 row\(s\) could be imported as accounts \(2 outside every "
                                           r"unit; row 2: outside") as info:
        import_accounts(project_file, path)
    assert len(info.value.report.rejected) == 2
    with pytest.raises(InputError, match="no data rows"):
        import_accounts(project_file, write(tmp_path / "h.csv", HEADER))
    with pytest.raises(InputError, match="no column holds account coordinates"):
        import_accounts(project_file, write(tmp_path / "n.csv", "id|name|lat\n1|a|2\n"))
    assert (Path(project_file).read_bytes(), os.stat(project_file).st_mtime_ns) == stamp


def test_a_project_open_in_another_process_is_refused(project_file, tmp_path):
    import json
    import socket

    from territory_desk.services.session_files import lock_path

    Path(lock_path(project_file)).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getppid()}))
    with pytest.raises(InputError, match="is open in territory_desk"):
        import_accounts(project_file, write(tmp_path / "a.csv", HEADER + "A,a,38.1,-99.9,,1,x\n"))


def test_zip_only_semicolon_cp1252_export_with_mapping_override(make_grid, tmp_path):
    zips = grid_zips(3)
    text = "Kundennr;Firma;PLZ;Umsatz\r\n" + "".join(f"K{i};Müller {i};{z};1.234,5\r\n" for i, z in enumerate(zips))
    path = write(tmp_path / "de.csv", text, "cp1252")
    project = make_grid()
    with pytest.raises(InputError, match="no column holds account coordinates"):
        plan_accounts(project, path)
    r = import_accounts(project, path, {"Kundennr": "id", "Firma": "name", "PLZ": "zip", "Umsatz": "numeric:revenue"})
    assert r.methods == {"zip": 3} and project.accounts.names[0] == "Müller 0"
    np.testing.assert_allclose(project.accounts.numeric["revenue"], [1234.5] * 3)
    assert "Windows-1252" in r.summary()


def test_xlsx_import(make_grid, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Account ID", "Account Name", "Billing Latitude", "Billing Longitude", "Annual Revenue"])
    ws.append(["X1", '=HYPERLINK("http://x","Acme")', 38.1, -99.9, 10])
    ws.append(["X2", "Beta", 38.2, -99.8, "=A2*2"])
    wb.save(tmp_path / "crm.xlsx")
    project = make_grid()
    r = import_accounts(project, str(tmp_path / "crm.xlsx"))
    assert project.accounts.names == ['=HYPERLINK("http://x","Acme")'] and r.imported == 1
    assert r.rejected[0].row == 3 and r.rejected[0].reason == "non-numeric value: '=A2*2' in column 'Annual Revenue'"


def test_replace_accounts_command_undo_restores_the_old_table(make_grid, tmp_path):
    doc = Document(make_grid())
    old = doc.project.accounts
    before = doc.stats().value.copy()
    plan = plan_accounts(doc.project, write(tmp_path / "a.csv", HEADER + "A,a,38.1,-99.9,,5,x\n"))
    seen = []
    doc.listeners.append(lambda ch: seen.append(ch.kind))
    cmd = ReplaceAccounts(plan.accounts)
    cmd.redo(doc)
    assert doc.project.accounts is plan.accounts and "annual_revenue" in doc.fields and seen == ["data"]
    assert doc.stats().value[:, doc.fields.index("accounts")].sum() == 1
    cmd.undo(doc)
    assert doc.project.accounts is old and np.array_equal(doc.stats().value, before)


def test_coordinates_swapped_within_range_are_recognised_by_the_units(tmp_path):
    import shapely

    from territory_desk.domain.model.project import Project
    from territory_desk.domain.model.units import UnitLayer

    units = UnitLayer(["DE1", "DE2"], ["a", "b"], np.array([shapely.box(8, 48, 9, 50), shapely.box(9, 48, 10, 50)]),
                      "EPSG:4326")
    project = Project.from_units(units)
    r = plan_accounts(project, write(tmp_path / "a.csv", "id,name,lat,lon\n1,ok,49,8.5\n2,swapped,8.5,49\n")).report
    assert r.imported == 1
    assert r.rejected[0].reason == ("swapped coordinates: (8.5, 49) lies outside every unit; with latitude and "
                                    "longitude exchanged it would lie in unit 'DE1'")
