"""A hostile corpus of CRM files through the real command line (issue 14, the input side).

Each file is refused with ONE line and exit 2 (the project untouched), or imported correctly with a
report that names what was done. The worst case, a 50 MB file that is one line without a newline
(it once ran for more than 600 s and grew to 10 GB), runs in a child process with an address-space
ceiling and must end within generous bounds of time and peak memory.
"""
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile

import pytest

from territory_desk.persistence.reader import load_project

from tests.cli_runner import digest, run
from tests.hostile_files import BILLION_LAUGHS, bomb_workbook

HEADER = "Account ID,Account Name,Billing Latitude,Billing Longitude,Annual Revenue"


def accounts(n: int) -> list[str]:
    return [f"C{k:03d},Company {k},{38.05 + (k % 10) * 0.1:.2f},{-99.95 + (k % 6) * 0.2:.2f},{k * 10}"
            for k in range(n)]


def refused(capsys, project_file, *args, match: str):
    before = digest(project_file)
    rc, out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("territory-desk: error: "), (rc, out, err)
    assert match in lines[0], lines[0]
    assert "Traceback" not in out + err and digest(project_file) == before
    return lines[0]


def imported(capsys, project_file, src, *extra):
    rc, out, err = run(capsys, "import-accounts", project_file, src, *extra)
    assert rc == 0 and err == "" and "Traceback" not in out, (out, err)
    return out, load_project(str(project_file)).accounts


# ---- the worst case: one line of 50 MB, under a memory ceiling ------------------------------------
CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a regression fails here, not on the machine
    from territory_desk.cli import main
    t = time.perf_counter()
    rc = main(sys.argv[2:])
    peak = 0
    with open("/proc/self/status") as f:
        peak = next((int(l.split()[1]) // 1024 for l in f if l.startswith("VmHWM:")), 0)
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    with open(sys.argv[1], "w") as f:
        json.dump({"rc": rc, "seconds": time.perf_counter() - t, "peak_mb": peak}, f)
""")


@pytest.mark.parametrize("unit", [b"x", b"a,", b'"a",', b"\xe9"])
def test_a_50mb_file_of_one_line_is_refused_fast_in_bounded_memory(project_file, tmp_path, unit):
    src = tmp_path / "one-line.csv"
    src.write_bytes(unit * (50_000_000 // len(unit)))
    result = tmp_path / "result.json"
    before = digest(project_file)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(result), "import-accounts", str(project_file), str(src)],
                          capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - t0
    facts = json.loads(result.read_text())
    lines = proc.stderr.strip().splitlines()
    assert facts["rc"] == 2 and len(lines) == 1 and lines[0].startswith("territory-desk: error: "), proc.stderr
    assert "limit" in lines[0] and "--limits" in lines[0]
    assert facts["seconds"] < 10 and wall < 30, facts
    assert facts["peak_mb"] < 500, facts
    assert digest(project_file) == before


# ---- limits, with the option that raises them -----------------------------------------------------
def test_a_huge_cell_too_many_columns_and_too_many_rows(project_file, tmp_path, capsys):
    src = tmp_path / "notes.csv"
    src.write_text(HEADER + ",Notes\n" + accounts(1)[0] + ',"' + "call back, " * 200_000 + '"\n')
    line = refused(capsys, project_file, "import-accounts", project_file, src, match="row 2 has a cell of 2.1 MiB")
    assert line.endswith("(the field limit is 1 MiB; raise it with --limits field=3MiB)")
    out, acc = imported(capsys, project_file, src, "--limits", "field=3MiB")
    assert acc.ids == ["C000"]

    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{k}" for k in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")
    refused(capsys, project_file, "import-accounts", project_file, wide,
            match="the header has 20,000 columns (the column limit is 16,384; raise it with --limits columns=20000)")
    many = tmp_path / "many.csv"
    many.write_text("\n".join([HEADER, *accounts(30)]) + "\n")
    refused(capsys, project_file, "import-accounts", project_file, many, "--limits", "rows=20",
            match="more than 20 rows")
    refused(capsys, project_file, "import-accounts", project_file, many, "--limits", "rows=lots",
            match="--limits rows: expected a whole number")


@pytest.mark.parametrize("command", ["import-reps", "import-opportunities", "import-leads", "import-quotas"])
def test_every_table_import_takes_the_same_limits(project_file, tmp_path, capsys, command):
    src = tmp_path / "t.csv"
    src.write_text("id,name,amount\n" + "".join(f"{k},n{k},{k}\n" for k in range(5)))
    refused(capsys, project_file, command, project_file, src, "--limits", "rows=3",
            match="more than 3 rows (the row limit is 3; raise it with --limits rows=24)")


def test_assign_takes_the_limits_too(project_file, tmp_path, capsys):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"name": "Rest", "type": "fallback", "target": "queue", "value": "Q"}]))
    leads = tmp_path / "leads.csv"
    leads.write_text("Lead,Company\n" + "".join(f"l{k},c{k}\n" for k in range(5)))
    out_csv = tmp_path / "out.csv"
    refused(capsys, project_file, "assign", project_file, leads, "-o", out_csv, "--rules", rules, "--limits", "rows=4",
            match="more than 4 rows")
    assert not out_csv.exists()
    rc, out, err = run(capsys, "assign", project_file, leads, "-o", out_csv, "--rules", rules, "--limits", "rows=5")
    assert rc == 0 and "5 lead(s) read" in out


def test_hostile_rules_files(project_file, tmp_path, capsys):
    leads = tmp_path / "leads.csv"
    leads.write_text("Lead,Company\nl1,c1\n")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * (17 << 20) + b"]")
    for rules, match in ((deep, "nested too deeply"), (big, "too big for a rules file")):
        refused(capsys, project_file, "assign", project_file, leads, "-o", tmp_path / "out.csv", "--rules", rules,
                match=match)
        refused(capsys, project_file, "rules", project_file, "--set", rules, match=match)


# ---- XML that would expand or fetch ---------------------------------------------------------------


def test_a_billion_laughs_workbook(project_file, tmp_path, capsys):
    from openpyxl import Workbook

    ok = tmp_path / "ok.xlsx"
    wb = Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(accounts(1)[0].split(","))
    wb.save(ok)
    bomb = bomb_workbook(ok, tmp_path / "accounts.xlsx", "Company 0")
    t0 = time.perf_counter()
    refused(capsys, project_file, "import-accounts", project_file, bomb, match="sheet1.xml declares a DTD")
    assert time.perf_counter() - t0 < 10
    out, acc = imported(capsys, project_file, ok)
    assert acc.names == ["Company 0"]


KML = """<?xml version="1.0" encoding="UTF-8"?>
{dtd}
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>{name}</name><Polygon><outerBoundaryIs>
<LinearRing><coordinates>-98.8,38 -98.6,38 -98.6,38.2 -98.8,38.2 -98.8,38</coordinates></LinearRing>
</outerBoundaryIs></Polygon></Placemark></Document></kml>
"""


@pytest.mark.parametrize("packing", ["kml", "kmz"])
def test_an_xxe_or_entity_bomb_kml_reads_nothing(project_file, tmp_path, capsys, packing):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    cases = {"xxe": (f'<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;"),
             "bomb": (BILLION_LAUGHS, "&lol9;")}
    for label, (dtd, name) in cases.items():
        text = KML.format(dtd=dtd, name=name)
        src = tmp_path / f"{label}.{packing}"
        if packing == "kml":
            src.write_text(text)
        else:
            with zipfile.ZipFile(src, "w") as zf:
                zf.writestr("doc.kml", text)
        for args in (("import-units", project_file, src), ("new", tmp_path / f"new-{label}-{packing}.gpkg",
                                                       "--units", src)):
            line = refused(capsys, project_file, *args, match="declares a DTD")
            assert "TOP-SECRET" not in line
    plain = tmp_path / f"plain.{packing}"
    text = KML.format(dtd="", name="New cell")
    if packing == "kml":
        plain.write_text(text)
    else:
        with zipfile.ZipFile(plain, "w") as zf:
            zf.writestr("doc.kml", text)
    rc, out, err = run(capsys, "import-units", project_file, plain)
    assert rc == 0, err
    assert "New cell" in load_project(str(project_file)).units.names


# ---- read correctly, and said so ------------------------------------------------------------------
def test_a_stray_quote_is_undone_and_reported(project_file, tmp_path, capsys):
    rows = accounts(40)
    rows[5] = rows[5].replace("Company 5", '"Company 5')
    src = tmp_path / "a.csv"
    src.write_text("\n".join([HEADER, *rows]) + "\n")
    out, acc = imported(capsys, project_file, src)
    assert "40 row(s) read, 40 account(s) imported" in out
    assert "row 7: an unbalanced quote" in out and "swallowed the next 34 line(s)" in out
    assert len(acc) == 40 and acc.names[6] == "Company 6"


def test_the_sep_line_is_honoured(project_file, tmp_path, capsys):
    src = tmp_path / "excel.csv"
    src.write_text("sep=;\r\n" + "\r\n".join(r.replace(",", ";") for r in [HEADER, *accounts(5)]) + "\r\n")
    out, acc = imported(capsys, project_file, src)
    assert "5 row(s) read, 5 account(s) imported" in out and "semicolon" in out and len(acc) == 5


def test_mixed_encodings_are_read_row_by_row(project_file, tmp_path, capsys):
    lines = [HEADER.encode()]
    for k, row in enumerate(accounts(40)):
        lines.append(row.replace(f"Company {k}", f"Café Müller {k}").encode("utf-8" if k % 2 else "cp1252"))
    src = tmp_path / "mixed.csv"
    src.write_bytes(b"\r\n".join(lines) + b"\r\n")
    out, acc = imported(capsys, project_file, src)
    assert acc.names == [f"Café Müller {k}" for k in range(40)]
    assert "20 row(s) are not valid UTF-8 and were read as Windows-1252: rows 2, 4, 6" in out


def test_the_format_comes_from_the_bytes(project_file, tmp_path, capsys):
    from openpyxl import Workbook

    xlsx_named_csv = tmp_path / "accounts.csv"
    wb = Workbook()
    for row in [HEADER, *accounts(3)]:
        wb.active.append(row.split(","))
    wb.save(xlsx_named_csv)
    out, acc = imported(capsys, project_file, xlsx_named_csv)
    assert "3 account(s) imported" in out and "its content is XLSX" in out
    csv_named_xlsx = tmp_path / "accounts.xlsx"
    csv_named_xlsx.write_text("\n".join([HEADER, *accounts(4)]) + "\n")
    out, acc = imported(capsys, project_file, csv_named_xlsx)
    assert "4 account(s) imported" in out and "not an Excel workbook" in out
    unknown = tmp_path / "accounts.dat"
    unknown.write_bytes(bytes(range(256)) * 40)
    refused(capsys, project_file, "import-accounts", project_file, unknown, match="not a text table")
    ods = tmp_path / "accounts.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    refused(capsys, project_file, "import-accounts", project_file, ods,
            match="OpenDocument spreadsheet (.ods): save it as")


def test_nul_bytes_utf16_without_bom_empty_and_header_only(project_file, tmp_path, capsys):
    src = tmp_path / "nul.csv"
    src.write_bytes(("\n".join([HEADER, *accounts(3)]) + "\n").encode().replace(b"Company 1", b"Comp\x00any 1"))
    out, acc = imported(capsys, project_file, src)
    assert acc.names[1] == "Company 1" and "removed 1 NUL byte(s) (row 3)" in out
    src = tmp_path / "utf16.txt"
    src.write_bytes(("\r\n".join(r.replace(",", "\t") for r in [HEADER, *accounts(3)]) + "\r\n")
                    .replace("Company 2", "Ñandú 2").encode("utf-16-le"))
    out, acc = imported(capsys, project_file, src)
    assert acc.names[2] == "Ñandú 2" and "UTF-16 without a byte order mark" in out
    src = tmp_path / "empty.csv"
    src.write_bytes(b"")
    refused(capsys, project_file, "import-accounts", project_file, src, match="is empty")
    src.write_bytes(b"\r\n \r\n\x00\r\n")
    refused(capsys, project_file, "import-accounts", project_file, src, match="is empty")
    src.write_text(HEADER + "\n")
    refused(capsys, project_file, "import-accounts", project_file, src, match="no data rows (only a header)")
    assert os.path.getsize(project_file) > 0


def test_a_virtual_layer_is_refused_and_shapefile_metadata_is_no_layer(project_file, tmp_path, capsys):
    import geopandas as gpd
    import pyogrio
    import shapely

    passwd = tmp_path / "passwd.csv"
    passwd.write_text("name,WKT\nroot,\"POLYGON((-98.8 38,-98.6 38,-98.6 38.2,-98.8 38))\"\n")
    vrt = tmp_path / "units.vrt"
    vrt.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="u"><SrcDataSource>{passwd}</SrcDataSource>'
                   '<GeometryField encoding="WKT" field="WKT"/></OGRVRTLayer></OGRVRTDataSource>')
    refused(capsys, project_file, "import-units", project_file, vrt, match="refused: it is a GDAL virtual layer")
    zipped = tmp_path / "units.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(vrt, "units.vrt")
    refused(capsys, project_file, "import-units", project_file, zipped, match="units.vrt is a GDAL virtual layer")

    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"unit_id": ["N1"]}, geometry=[shapely.box(-98.8, 38, -98.6, 38.2)], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, folder / "extra.shp")
    (folder / "extra.shp.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE metadata SYSTEM '
                                          '"http://www.esri.com/metadata/esriprof80.dtd">\n<metadata/>')
    shp_zip = tmp_path / "extra.zip"
    with zipfile.ZipFile(shp_zip, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    rc, out, err = run(capsys, "import-units", project_file, shp_zip)
    assert rc == 0 and "N1" in load_project(str(project_file)).units.ids, err
