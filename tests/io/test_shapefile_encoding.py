"""Shapefile text encodings: a .cpg is honoured; without one, UTF-8 when the text is valid UTF-8, else the
dBase header's code page, else Windows-1252 or Latin-1; the choice is in the report and can be overridden.
The bundled Census counties (UTF-8 without a .cpg) read correctly."""
from __future__ import annotations

import zipfile

import pyogrio
import pytest

from territory_desk.domain.model.errors import InputError
from territory_desk.io.bundled_data import read_counties
from territory_desk.io.imports.geocoding import county_table, norm_county
from territory_desk.io.shapefile_encoding import choose_encoding, text_preview
from territory_desk.io.unit_files import list_unit_fields, read_unit_layer

from tests.cli_runner import run
from tests.gis_tools import write_old_shapefile

ROWS = [("35013", "Doña Ana"), ("72097", "Mayagüez"), ("72029", "Canóvanas"), ("06037", "Los Angeles")]


def test_bundled_counties_read_as_the_census_wrote_them():
    counties = read_counties()
    names = dict(zip(counties["GEOID"], counties["NAME"]))
    assert names["35013"] == "Doña Ana"
    everything = read_counties(contiguous=False)
    names = dict(zip(everything["GEOID"], everything["NAME"]))
    assert names["72097"] == "Mayagüez" and names["72021"] == "Bayamón" and names["72087"] == "Loíza"  # Puerto Rico
    assert not any("Ã" in n for n in names.values())


def test_demo_and_county_geocoding_have_dona_ana(demo_project):
    units = demo_project.units
    assert units.names[units.ids.index("35013")] == "Doña Ana, NM"
    assert (norm_county("Doña Ana County"), "NM") in county_table()


@pytest.mark.parametrize("encoding,chosen,says", [("cp1252", "CP1252", "Windows-1252"),
                                                  ("utf-8", "UTF-8", "valid UTF-8")])
def test_a_shapefile_without_cpg_is_read_as_its_bytes_say(tmp_path, encoding, chosen, says):
    shp = write_old_shapefile(tmp_path / "counties.shp", ROWS, encoding)
    units, report = read_unit_layer(str(shp), id_field="GEOID")
    assert units.names == [name for _, name in ROWS]
    assert report.encoding == chosen and says in report.text() and "--encoding" in report.text()


def test_latin1_when_a_byte_is_undefined_in_windows_1252(tmp_path):
    shp = write_old_shapefile(tmp_path / "c.shp", [("1", "caf\u00e9 \u0081")], "latin-1")
    assert choose_encoding(str(shp)).encoding == "ISO-8859-1"
    assert read_unit_layer(str(shp))[0].names == ["caf\u00e9 \u0081"]


def test_the_dbase_header_code_page_is_used_when_the_text_is_not_utf8(tmp_path):
    shp = write_old_shapefile(tmp_path / "ru.shp", [("1", "Москва"), ("2", "Тверь")], "cp866")
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0x65  # language driver: DOS Russian (cp866)
    dbf.write_bytes(bytes(data))
    got = choose_encoding(str(shp))
    assert got.encoding == "CP866" and "dBase header" in got.note
    assert read_unit_layer(str(shp))[0].names == ["Москва", "Тверь"]


def test_utf8_cut_inside_a_character_at_the_field_end_is_still_utf8(tmp_path):
    shp = write_old_shapefile(tmp_path / "cut.shp", [("1", "Doña"), ("2", "abcd")], "utf-8")
    dbf = shp.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes().replace(b"abcd" + b" " * 36, b"abc\xc3" + b" " * 36))  # a cut "é"
    assert choose_encoding(str(shp)).encoding == "UTF-8"


def test_cpg_is_honoured_and_plain_ascii_needs_no_choice(tmp_path):
    shp = write_old_shapefile(tmp_path / "a.shp", [("1", "Doña Ana")], "cp1252")
    shp.with_suffix(".cpg").write_text("1252")
    got = choose_encoding(str(shp))
    assert got.encoding is None and ".cpg" in got.note  # GDAL reads the .cpg itself
    assert read_unit_layer(str(shp))[0].names == ["Doña Ana"]
    ascii_shp = write_old_shapefile(tmp_path / "b.shp", [("1", "Los Angeles")], "cp1252")
    assert "plain ASCII" in choose_encoding(str(ascii_shp)).note


def test_zip_and_folder_of_shapefiles_are_detected_too(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    shp = write_old_shapefile(folder / "counties.shp", ROWS, "cp1252")
    archive = tmp_path / "counties.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    for source in (archive, folder):
        units, report = read_unit_layer(str(source))
        assert units.names == [n for _, n in ROWS] and report.encoding == "CP1252", source
    assert "NAME" in list_unit_fields(str(shp))


def test_override_and_its_errors(tmp_path):
    shp = write_old_shapefile(tmp_path / "c.shp", ROWS, "cp1252")
    units, report = read_unit_layer(str(shp), encoding="latin-1")
    assert units.names[0] == "Doña Ana" and "as chosen" in report.text()
    with pytest.raises(InputError, match="the text is not UTF-8.*choose another encoding"):
        read_unit_layer(str(shp), encoding="utf-8")
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_unit_layer(str(shp), encoding="klingon")
    gj = tmp_path / "c.geojson"
    pyogrio.write_dataframe(pyogrio.read_dataframe(shp, encoding="cp1252").set_crs(4326), gj)
    with pytest.raises(InputError, match="applies to shapefiles"):
        read_unit_layer(str(gj), encoding="cp1252")


def test_text_preview_shows_accented_names_as_each_encoding_reads_them(tmp_path):
    shp = write_old_shapefile(tmp_path / "c.shp", ROWS, "cp1252")
    chosen, names = text_preview(str(shp))
    assert chosen.encoding == "CP1252" and names[:3] == ["Doña Ana", "Mayagüez", "Canóvanas"]
    _, wrong = text_preview(str(shp), None, "utf-8")
    assert wrong[0] == "Do\ufffda Ana"
    assert text_preview(str(tmp_path / "nothing.geojson")) is None


def test_cli_new_and_import_units_take_encoding(capsys, tmp_path):
    shp = write_old_shapefile(tmp_path / "c.shp", ROWS, "cp1252")
    project = tmp_path / "p.gpkg"
    code, out, _ = run(capsys, "new", project, "--units", shp, "--id-field", "GEOID")
    assert code == 0 and "Windows-1252" in out
    more = write_old_shapefile(tmp_path / "more.shp", [("99001", "Añasco")], "cp1252", x0=-99.2)
    code, out, _ = run(capsys, "import-units", project, more, "--id-field", "GEOID", "--encoding", "cp1252")
    assert code == 0 and "CP1252, as chosen" in out
    code, out, err = run(capsys, "import-units", project, more, "--encoding", "utf-8", "--replace")
    assert code == 2 and "not UTF-8" in err and err.count("\n") == 1
    from territory_desk.persistence.reader import load_project

    names = load_project(str(project)).units.names
    assert "Doña Ana" in names and "Añasco" in names
