"""Reading CRM tables that say what they did: stray quotes, Excel's sep= line, encodings line by
line, the format from the bytes, and the reading limits (io/tables.py and the modules it uses)."""
import zipfile
from pathlib import Path

import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.csv_exact import quoted_after
from territory_desk.io.tables.limits import LimitExceeded, ReadLimits, parse_limits
from territory_desk.io.tables.reader import list_sheets, read_table
from territory_desk.io.tables.xml_guard import UnsafeXml, prolog_problem

from tests.hostile_files import bomb_workbook

HEADER = "Account ID,Account Name,Billing City,Annual Revenue"


def rows(n: int, start: int = 0) -> list[str]:
    return [f"A{k:03d},Company {k},City {k},{k * 10}" for k in range(start, start + n)]


def write(tmp_path: Path, name: str, content) -> str:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(p)


# ---- stray quotes -------------------------------------------------------------------------------
def test_a_stray_quote_no_longer_swallows_the_rows_after_it(tmp_path):
    lines = rows(40)
    lines[5] = lines[5].replace("Company 5", '"Company 5')  # opened, never closed
    t = read_table(write(tmp_path, "a.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert len(t) == 40 and t.rows.tolist() == list(range(2, 42))
    assert t.frame["Account ID"].tolist() == [f"A{k:03d}" for k in range(40)]
    assert t.frame["Account Name"][5] == '"Company 5'  # the quote kept as a character
    assert t.frame["Billing City"][6] == "City 6"
    note = " ".join(t.notes)
    assert "row 7: an unbalanced quote (\") in column 2 ('Account Name')" in note
    assert "swallowed the next 34 line(s) into one cell (rows 8–41)" in note


def test_a_stray_quote_closed_by_a_later_quoted_cell_reports_exactly_what_it_swallowed(tmp_path):
    lines = rows(10)
    lines[2] = lines[2].replace("Company 2", '"Company 2')
    lines[6] = lines[6].replace("Company 6", '"Company 6"')
    t = read_table(write(tmp_path, "a.csv", "\n".join([HEADER, *lines]) + "\n"))
    assert len(t) == 10 and t.frame["Account Name"][6] == "Company 6"
    assert "swallowed the next 4 line(s) into one cell (rows 5–8)" in " ".join(t.notes)


def test_a_stray_quote_beyond_the_line_limit_is_recovered_and_counted(tmp_path):
    lines = rows(30_000)
    lines[3] = lines[3].replace("Company 3", '"Company 3')
    lines[20_000] = lines[20_000].replace("Company 20000", '"Company 20000"')
    t = read_table(write(tmp_path, "a.csv", "\n".join([HEADER, *lines]) + "\n"), limits=ReadLimits(line=64 << 10))
    assert len(t) == 30_000 and t.frame["Account ID"].tolist()[-1] == "A29999"
    assert "swallowed the next 19,997 line(s) into one cell (rows 6–20,002)" in " ".join(t.notes)


def test_a_stray_quote_whose_cell_outgrows_the_field_limit_is_still_undone(tmp_path):
    lines = rows(5_000)
    lines[1] = lines[1].replace("Company 1", '"Company 1')  # swallows ~150 KB: beyond the field limit
    t = read_table(write(tmp_path, "a.csv", "\n".join([HEADER, *lines]) + "\n"),
                   limits=ReadLimits(field=32 << 10, line=1 << 20))
    assert len(t) == 5_000 and t.frame["Billing City"].tolist()[-1] == "City 4999"
    assert "swallowed the next 4,998 line(s)" in " ".join(t.notes)


@pytest.mark.parametrize("content,expected", [
    ('id,street,city\n1,"12 Main St\nSuite 4",Boston\n2,"1 Elm",NYC\n', [["1", "12 Main St\nSuite 4", "Boston"],
                                                                       ["2", "1 Elm", "NYC"]]),
    ('id,name,notes\n1,Acme,"called, left a message, will\ncall back, maybe, tuesday, ok"\n2,Beta,x\n',
     [["1", "Acme", "called, left a message, will\ncall back, maybe, tuesday, ok"], ["2", "Beta", "x"]]),
    ('id,item,qty\n1,5" pipe,3\n2,6" pipe,4\n3,x,5\n', [["1", '5" pipe', "3"], ["2", '6" pipe', "4"], ["3", "x", "5"]]),
])
def test_quoted_line_breaks_and_inch_marks_are_not_stray_quotes(tmp_path, content, expected):
    t = read_table(write(tmp_path, "a.csv", content))
    assert t.frame.values.tolist() == expected and not t.notes


def test_the_quote_simulation_follows_csv_rules():
    assert quoted_after("N5,C5", ",", True)
    assert not quoted_after('7,"N7",C7', ",", True)  # the first quote closes the swallowing cell
    assert quoted_after('a,"b', ",", False) and not quoted_after('a,b"c,d', ",", False)
    assert quoted_after('x"",y', ",", True)  # "" is a quote inside the cell


# ---- sep=, delimiters, line ends ------------------------------------------------------------------
@pytest.mark.parametrize("first", ["sep=;", '"sep=;"', "SEP=;", "sep=;;;"])
def test_excels_sep_line_sets_the_delimiter(tmp_path, first):
    body = "\n".join(r.replace(",", ";") for r in [HEADER, *rows(3)])
    t = read_table(write(tmp_path, "a.csv", f"{first}\r\n{body}\r\n"))
    assert t.delimiter == ";" and t.columns == HEADER.split(",") and len(t) == 3 and t.rows.tolist() == [2, 3, 4]
    assert any("sets the delimiter (semicolon)" in n for n in t.notes)


def test_old_mac_line_ends_and_leading_blank_lines(tmp_path):
    t = read_table(write(tmp_path, "a.csv", "id,name\r1,a\r2,b\r"))
    assert t.frame.values.tolist() == [["1", "a"], ["2", "b"]]
    t = read_table(write(tmp_path, "b.csv", "\n\n id,name\n1,a\n\n2,b\n"))
    assert t.frame.values.tolist() == [["1", "a"], ["2", "b"]] and t.rows.tolist() == [4, 6]


# ---- encodings ----------------------------------------------------------------------------------
def test_mixed_utf8_and_cp1252_rows_are_decided_row_by_row_and_listed(tmp_path):
    lines = [HEADER.encode()]
    for k in range(1, 41):
        lines.append(f"A{k:02d},Café Müller {k},Köln,1".encode("utf-8" if k % 2 else "cp1252"))
    t = read_table(write(tmp_path, "a.csv", b"\r\n".join(lines) + b"\r\n"))
    assert t.frame["Account Name"].tolist() == [f"Café Müller {k}" for k in range(1, 41)]
    assert t.encoding == "UTF-8"
    note = next(n for n in t.notes if "Windows-1252" in n)
    assert note.startswith("20 row(s) are not valid UTF-8 and were read as Windows-1252: rows 3, 5, 7")
    assert "41" in note


def test_a_cp1252_file_with_some_utf8_rows(tmp_path):
    lines = [HEADER.encode()] + [f"A{k},Señor {k},São Paulo,1".encode("utf-8" if k == 7 else "cp1252")
                                 for k in range(10)]
    t = read_table(write(tmp_path, "a.csv", b"\n".join(lines) + b"\n"))
    assert t.encoding == "Windows-1252" and set(t.frame["Account Name"]) == {f"Señor {k}" for k in range(10)}
    assert any("1 row(s) are valid UTF-8 and were read as UTF-8: row 9" in n for n in t.notes)


def test_a_utf8_file_that_turns_cp1252_after_the_first_megabyte(tmp_path):
    ascii_rows = [f"A{k},Company {k},Town,1" for k in range(60_000)]
    content = ("\n".join([HEADER, *ascii_rows]) + "\n").encode() + "B1,Müller,Köln,1\n".encode("cp1252")
    t = read_table(write(tmp_path, "a.csv", content))
    assert t.frame["Account Name"].tolist()[-1] == "Müller" and t.encoding == "Windows-1252"
    assert any("not UTF-8 (from row 60,002 on)" in n for n in t.notes)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark(tmp_path, codec):
    text = "\r\n".join(["id\tname", "1\tCafé", "2\tÑandú"]) + "\r\n"
    t = read_table(write(tmp_path, "a.txt", text.encode(codec)))
    assert t.frame.values.tolist() == [["1", "Café"], ["2", "Ñandú"]] and t.encoding == "UTF-16"
    assert any("without a byte order mark" in n for n in t.notes)


def test_nul_bytes_are_removed_and_their_rows_named(tmp_path):
    t = read_table(write(tmp_path, "a.csv", b"id,name\n1,a\x00b\n2,c\n3,\x00\x00d\n"))
    assert t.frame["name"].tolist() == ["ab", "c", "d"]
    assert "removed 3 NUL byte(s) (rows 2, 4)" in t.notes


# ---- the format from the bytes ------------------------------------------------------------------
def make_xlsx(path: Path) -> str:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(["A1", "Acme", "Boston", 12])
    wb.save(path)
    return str(path)


def test_an_xlsx_named_csv_reads_as_xlsx_and_a_csv_named_xlsx_as_csv(tmp_path):
    t = read_table(make_xlsx(tmp_path / "export.csv"))
    assert t.sheet and t.frame.values.tolist() == [["A1", "Acme", "Boston", "12"]]
    assert "its content is XLSX" in t.notes[0] and list_sheets(str(tmp_path / "export.csv")) == ["Sheet"]
    t = read_table(write(tmp_path, "export.xlsx", "\n".join([HEADER, *rows(2)]) + "\n"))
    assert not t.sheet and len(t) == 2 and "not an Excel workbook" in t.notes[0]
    assert list_sheets(str(tmp_path / "export.xlsx")) == []


def _zip(path: Path, members: dict) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path.read_bytes()


@pytest.mark.parametrize("name,content,match", [
    ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls"),
    ("a.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
    ("a.csv", b"\x1f\x8b\x08\x00" + bytes(100), "gzip-compressed"),
    ("a.csv", b"SQLite format 3\x00" + bytes(100), "SQLite database"),
    ("report.xls", b"<html><head><meta charset='utf-8'></head><body><table><tr><td>x</td></tr></table>",
     "an HTML page"),
    ("a.xml", b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     "Excel 2003 XML"),
    ("a.csv", bytes(range(256)) * 8, "not a text table"),
])
def test_other_formats_are_named_in_one_line(tmp_path, name, content, match):
    with pytest.raises(InputError, match=match) as info:
        read_table(write(tmp_path, name, content))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("members,match", [
    ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}, "OpenDocument spreadsheet"),
    ({"word/document.xml": "<x/>", "[Content_Types].xml": "<x/>"}, "Word document"),
    ({"Account.csv": "id\n1\n", "Contact.csv": "id\n1\n"}, "ZIP archive holding Account.csv, Contact.csv"),
])
def test_zip_packages_that_are_not_workbooks(tmp_path, members, match):
    _zip(tmp_path / "a.xlsx", members)
    with pytest.raises(InputError, match=match):
        read_table(str(tmp_path / "a.xlsx"))


# ---- limits -------------------------------------------------------------------------------------
def test_limits_refuse_with_the_option_that_raises_them(tmp_path):
    path = write(tmp_path, "a.csv", "\n".join([HEADER, *rows(11)]) + "\n")
    with pytest.raises(LimitExceeded, match=r"more than 10 rows \(the row limit is 10; raise it with --limits "
                                            r"rows=80\)"):
        read_table(path, limits=ReadLimits(rows=10))
    assert len(read_table(path, limits=ReadLimits(rows=11))) == 11
    assert len(read_table(path, nrows=5, limits=ReadLimits(rows=10))) == 5  # a preview is no full read
    with pytest.raises(LimitExceeded, match="the header has 4 columns"):
        read_table(path, limits=ReadLimits(columns=3))
    with pytest.raises(LimitExceeded, match="line 1 is longer than 20 bytes"):
        read_table(path, limits=ReadLimits(line=20))


def test_a_huge_quoted_cell_is_refused_by_the_field_limit(tmp_path):
    path = write(tmp_path, "a.csv", 'id,notes\n1,"' + "word, " * 400_000 + '"\n2,short\n')
    with pytest.raises(LimitExceeded, match=r"row 2 has a cell of 2.3 MiB \(the field limit is 1 MiB; raise it with "
                                            r"--limits field=3MiB\)"):
        read_table(path)
    assert read_table(path, limits=ReadLimits(field=3 << 20)).frame["id"].tolist() == ["1", "2"]
    multiline = write(tmp_path, "b.csv", 'id,notes\n1,"' + "line\n" * 400_000 + '"\n2,short\n')
    with pytest.raises(LimitExceeded, match="field limit"):
        read_table(multiline)


def test_a_row_with_too_many_cells(tmp_path):
    path = write(tmp_path, "a.csv", "id,name\n1,a\n2," + ",".join("x" * 50) + "\n")
    with pytest.raises(LimitExceeded, match="row 3 has 51 cells"):
        read_table(path, limits=ReadLimits(columns=20))


def test_parse_limits():
    limits = parse_limits("rows=5000000, field=4MiB,line=64M,columns=none,unzipped=2GB")
    assert (limits.rows, limits.field, limits.line, limits.unzipped) == (5_000_000, 4 << 20, 64 << 20, 2 * 10 ** 9)
    assert limits.columns > 10 ** 15
    for bad, match in [("rows", "KEY=VALUE"), ("speed=3", "KEY=VALUE"), ("rows=4MiB", "whole number"),
                       ("field=big", "size"), ("rows=0", "at least 1")]:
        with pytest.raises(InputError, match=match):
            parse_limits(bad)


# ---- XML ----------------------------------------------------------------------------------------
def _reader(data: bytes):
    chunks = iter([data[i:i + 5000] for i in range(0, len(data), 5000)] + [b""])
    return lambda n: next(chunks, b"")


@pytest.mark.parametrize("xml,unsafe", [
    (b'<?xml version="1.0"?>\n<!-- made by hand -->\n<kml/>', False),
    (b'<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]><kml/>', True),
    (b"\xef\xbb\xbf<?xml version='1.0'?><!-- <!DOCTYPE in a comment --><kml/>", False),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'.encode("utf-16"), True),
    (b"<?xml version='1.0'?>" + b"<!--" + b"x" * 30_000 + b"-->" + b"<!doctype x><x/>", True),
])
def test_the_xml_prolog_check(xml, unsafe):
    assert bool(prolog_problem(_reader(xml))) == unsafe


def test_a_billion_laughs_workbook_is_refused_before_openpyxl_parses_it(tmp_path):
    import defusedxml.ElementTree
    import openpyxl.xml.functions

    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse  # and openpyxl would refuse too
    bomb = bomb_workbook(Path(make_xlsx(tmp_path / "ok.xlsx")), tmp_path / "bomb.xlsx", "Acme")
    with pytest.raises(UnsafeXml, match=r"xl/worksheets/sheet1.xml declares a DTD"):
        read_table(str(bomb))
    with pytest.raises(UnsafeXml):
        list_sheets(str(bomb))


def test_a_zip_bomb_workbook_is_refused_by_its_unzipped_size(tmp_path):
    ok = make_xlsx(tmp_path / "ok.xlsx")
    big = tmp_path / "big.xlsx"
    with zipfile.ZipFile(ok) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("xl/media/padding.bin", bytes(3 << 20))
    with pytest.raises(LimitExceeded, match=r"unzips to 3.0 MiB \(the unzipped-size limit is 1 MiB"):
        read_table(str(big), limits=ReadLimits(unzipped=1 << 20))
    assert len(read_table(str(big))) == 1


def test_workbook_limits_and_a_forged_dimension(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "crm.xlsx"
    wb = Workbook()
    wb.active.append(HEADER.split(","))
    for row in rows(12):
        wb.active.append(row.split(","))
    wb.active.append(["A99", "Long", "x" * 30_000, 1])  # Excel's cells hold at most 32,767 characters
    wb.save(path)
    forged = tmp_path / "forged.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:D14"/>', b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in data
            zout.writestr(info, data)
    t = read_table(str(forged))  # rows as wide as their cells, not 16,384 columns by a million rows
    assert t.columns == HEADER.split(",") and len(t) == 13 and t.rows.tolist()[-1] == 14
    with pytest.raises(LimitExceeded, match="sheet 'Sheet' has more than 10 rows"):
        read_table(str(path), limits=ReadLimits(rows=10))
    with pytest.raises(LimitExceeded, match="sheet 'Sheet', row 14 has a cell of 29 KiB"):
        read_table(str(path), limits=ReadLimits(field=16 << 10))
    with pytest.raises(LimitExceeded, match="row 1 has 4 cells"):
        read_table(str(path), limits=ReadLimits(columns=3))
