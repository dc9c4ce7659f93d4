"""Reading CRM exports: encodings, delimiters, XLSX, spreadsheet row numbers, formulas kept as text."""
from pathlib import Path

import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.io.tables.reader import list_sheets, read_table, sniff_delimiter

ROWS = [["Account Name", "Billing City", "Annual Revenue"], ["Café Müller", "Köln", "12"],
        ["Señor Ñandú", "São Paulo", "7"]]


def write_text(path: Path, rows, delimiter=",", encoding="utf-8", bom=b"") -> Path:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding,bom,expected", [
    ("utf-8", b"", "UTF-8"), ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"), ("cp1252", b"", "Windows-1252"),
    ("utf-16-le", b"\xff\xfe", "UTF-16"),
])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters_give_the_same_table(tmp_path, encoding, bom, expected, delimiter):
    t = read_table(str(write_text(tmp_path / "a.csv", ROWS, delimiter, encoding, bom)))
    assert t.columns == ROWS[0]
    assert t.frame.values.tolist() == ROWS[1:]
    assert t.encoding == expected and t.delimiter == delimiter
    assert t.rows.tolist() == [2, 3]
    assert ("not UTF-8" in " ".join(t.notes)) == (encoding == "cp1252")


def test_bytes_that_are_not_cp1252_fall_back_to_latin1(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"a,b\n\x81\x8d,x\n")
    t = read_table(str(p))
    assert t.frame.values.tolist() == [["\x81\x8d", "x"]]
    assert any("read as Latin-1: row 2" in n for n in t.notes), t.notes


def test_sniffing_prefers_the_consistent_delimiter():
    assert sniff_delimiter('name;amount\n"Smith, John";1,5\n"Doe, Jane";2,5\n') == ";"
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"
    assert sniff_delimiter("just one column\nvalue\n") == ","


def test_row_numbers_skip_blank_lines_and_quoted_newlines_count_as_one_row(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,name\n1,"two\nlines"\n\n   \n3,c\n', encoding="utf-8")
    t = read_table(str(p))
    assert t.frame["name"].tolist() == ["two\nlines", "c"]
    assert t.rows.tolist() == [2, 5]


def test_ragged_rows_are_reported_not_dropped_silently(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,name\n1,a\n2,b,extra,more\n3\n", encoding="utf-8")
    t = read_table(str(p))
    assert t.frame.values.tolist() == [["1", "a"], ["3", ""]]
    assert t.bad_rows == [(3, "has 4 cells but the header has 2")]
    assert t.rows_read == 3


def test_formula_strings_stay_inert_text(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,name\n1,"=HYPERLINK(""http://evil"",""Click"")"\n2,+SUM(A1:A9)\n', encoding="utf-8")
    assert read_table(str(p)).frame["name"].tolist() == ['=HYPERLINK("http://evil","Click")', "+SUM(A1:A9)"]


def test_trailing_delimiters_and_duplicate_or_blank_headers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,Name,name,,\n1,a,b,,\n", encoding="utf-8")
    t = read_table(str(p))
    assert t.columns == ["id", "Name", "name (2)"]


@pytest.mark.parametrize("content,match", [
    (b"", "empty"), (b"\r\n\r\n   \r\n", "empty"), (bytes(range(256)) * 8, "not a text table"),
])
def test_unreadable_files_give_one_clear_error(tmp_path, content, match):
    p = tmp_path / "a.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_table(str(p))


def test_header_only_is_a_table_without_rows(tmp_path):
    t = read_table(str(write_text(tmp_path / "h.csv", [["id", "name"]])))
    assert t.columns == ["id", "name"] and len(t) == 0


def test_missing_file_folder_and_xls(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(str(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="folder"):
        read_table(str(tmp_path))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="xlsx"):
        read_table(str(tmp_path / "old.xls"))


def test_preview_reads_only_the_first_rows(tmp_path):
    rows = [["id", "v"]] + [[str(i), str(i * 2)] for i in range(5000)]
    t = read_table(str(write_text(tmp_path / "big.csv", rows)), nrows=20)
    assert len(t) == 20 and t.rows.tolist()[:2] == [2, 3]


def write_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append([])
    ws.append(["Account ID", "Account Name", "Billing Zip", "Annual Revenue", "Active"])
    ws.append(["A1", '=HYPERLINK("http://x","Acme")', 2134, 1200.5, True])
    ws.append([])
    ws.append(["A2", "Beta", "02134", 7, False])
    other = wb.create_sheet("Reps")
    other.append(["Rep ID", "Name"])
    other.append(["R1", "Ann"])
    wb.save(path)
    return path


def test_xlsx_cells_as_text_formulas_not_evaluated_and_sheet_choice(tmp_path):
    path = str(write_workbook(tmp_path / "crm.xlsx"))
    t = read_table(path)
    assert t.sheet == "Accounts" and t.columns[:2] == ["Account ID", "Account Name"]
    assert t.frame.values.tolist() == [["A1", '=HYPERLINK("http://x","Acme")', "2134", "1200.5", "TRUE"],
                                       ["A2", "Beta", "02134", "7", "FALSE"]]
    assert t.rows.tolist() == [3, 5]
    assert list_sheets(path) == ["Accounts", "Reps"]
    reps = read_table(path, sheet="Reps")
    assert reps.frame.values.tolist() == [["R1", "Ann"]]
    with pytest.raises(InputError, match="no sheet 'Nope'"):
        read_table(path, sheet="Nope")


def test_damaged_workbook_gives_one_clear_error(tmp_path):
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(InputError, match="cannot read"):
        read_table(str(p))
