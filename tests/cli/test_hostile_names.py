"""Hostile names (issue 14): template and markup payloads in every name field, exported to every format
through the real CLI. Nothing may run (a payload that would touch a sentinel file), nothing may be
evaluated (``td{{7*7}}td`` never becomes ``td49td``), every export must succeed, and every name must come
out as the text it is, escaped for its format.

The names come in the way they do in real life: territories, the scenario, the project title and source
note inside a project file; reps from an imported roster; accounts from an imported CRM file; the region
renamed and a territory layer added with the CLI; the map title on the command line.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.cli_runner import run
from tests.conftest import make_grid_project
from tests.pdf_text import page_words

EVALUATED = "td49td"  # what td{{7*7}}td would become if a template ran it


def _os_payload(sentinel) -> str:  # with quotes: escaping made the old exports fail on it instead
    return "{{ lipsum.__globals__.os.system('touch %s') }}" % sentinel


def _chr_payload(sentinel) -> str:
    """The issue's payload: no quote, no & < > (which escaping would turn into a syntax error), the
    command spelled with chr() - this one ran on the old exports."""
    command = "~".join(f"c({ord(ch)})" for ch in f"touch {sentinel}")
    return "{% set c = lipsum.__globals__.__builtins__.chr %}{{ lipsum.__globals__.os.system(" + command + ") }}"


def names_for(sentinel) -> dict[str, str]:
    """One hostile name per field (short ones where a map legend would elide a long one)."""
    return {
        "territory0": "T0 " + _os_payload(sentinel),
        "territory1": "T1 td{{7*7}}td",
        "territory2": "T2 {% for %} }}",
        "scenario": "Plan {% set x = 1 %}{{x}} </script><script>alert(1)</script>",
        "project_title": "Proj {{ ",
        "source": "Src td{{7*7}}td ]]> $[name]",
        "rep0": "{{",
        "rep1": _chr_payload(sentinel),
        "rep2": 'R2 "><img src=x onerror=alert(1)>',
        "region": "Reg td{{7*7}}td ]]> <b>",
        "account0": "Acc {% raw %}</script><script>alert(2)</script>",
        "account1": "Acc td{{7*7}}td",
        "account2": "Acc " + _os_payload(sentinel),
        "layer": "Lyr td{{7*7}}td {%",
        "title": "Title td{{7*7}}td {% for %} </script><script>alert(3)</script>",
    }


def build_hostile_project(tmp_path, names: dict[str, str]):
    """The grid project with the names put where a user's files put them; returns its path."""
    path = tmp_path / "hostile.gpkg"
    p = make_grid_project()
    sc = p.scenario
    for k in range(3):
        sc.territories[k].name = names[f"territory{k}"]
    sc.name = names["scenario"]
    p.active = sc.name
    p.settings["title"] = names["project_title"]
    p.settings["source"] = names["source"]
    save_project(p, str(path))
    roster = tmp_path / "reps.csv"  # a rep roster as a CRM report writes it
    with open(roster, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Rep ID", "Full Name", "Latitude", "Longitude"])
        for k in range(3):
            w.writerow([f"R{k}", names[f"rep{k}"], 38.5 + k / 10, -99.5 + k / 10])
    crm = tmp_path / "accounts.csv"
    with open(crm, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Account ID", "Account Name", "Latitude", "Longitude", "ARR"])
        for k in range(9):
            w.writerow([f"A{k}", names[f"account{k % 3}"] + f" #{k}", 38.1 + 0.12 * k, -99.9 + 0.13 * k, 10 * k])
    for args in (["import-reps", path, roster], ["import-accounts", path, crm],
                 ["regions", path, "--rename", "R1", names["region"]],
                 ["layers", path, "--add", names["layer"], "--rule", "arr >= 40", "--from-scenario", sc.name]):
        code = _cli(*args)
        assert code == 0, args
    return path


def _cli(*args) -> int:
    from territory_desk.cli import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    sentinel = tmp / "SENTINEL"
    names = names_for(sentinel)
    path = build_hostile_project(tmp, names)
    project = load_project(str(path))
    territories = project.get_scenario(names["scenario"]).territories
    assert [t.name for t in territories] == [names[f"territory{k}"] for k in range(3)]
    assert [r.name for r in project.reps] == [names[f"rep{k}"] for k in range(3)]
    return {"path": path, "sentinel": sentinel, "names": names, "project": project}


def _export(hostile, tmp_path, capsys, fmt: str, *extra):
    out = tmp_path / f"out.{fmt}"
    code, stdout, err = run(capsys, "export", hostile["path"], "-o", out, "--scenario", hostile["names"]["scenario"],
                            "--title", hostile["names"]["title"], *extra)
    assert code == 0, err
    assert err == "" and "Traceback" not in stdout
    assert not hostile["sentinel"].exists(), "a name ran as a template"
    return out


def _zip_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels")))


# ---- HTML ------------------------------------------------------------------------------------------
class _Page(HTMLParser):
    """Text outside scripts, tags, and the JSON string literals inside scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data):
        (self._script if self._script is not None else self.text).append(data)


_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def page_strings(page: str) -> tuple[set[str], _Page]:
    """Every string a reader of the page can see: text nodes (the legend, the title) and the strings the
    scripts hold (tooltips, popups; layer-control labels are HTML, so unescaped once more)."""
    parsed = _Page()
    parsed.feed(page)
    seen = {t.strip() for t in parsed.text}
    for script in parsed.scripts:
        for lit in _JSON_STRING.findall(script):
            try:
                s = json.loads(lit)
            except ValueError:
                continue
            seen |= {s, html.unescape(s)}
    return seen, parsed


def test_html_map_shows_every_name_literally(hostile, tmp_path, capsys):
    names = hostile["names"]
    page = _export(hostile, tmp_path, capsys, "html").read_text(encoding="utf-8")
    assert EVALUATED not in page
    seen, parsed = page_strings(page)
    wanted = [names[k] for k in ("title", "region")] + [names[f"territory{k}"] for k in range(3)]
    wanted += [names[f"rep{k}"] for k in range(3)] + [f"{names['account1']} #1"]
    for name in wanted:
        assert name in seen, name
    assert f"Scenario: {names['scenario']}" in seen
    assert any(s.startswith(names["source"] + " \u00b7 Made with") for s in seen)  # the source note
    assert not [t for t, _ in parsed.tags if t == "img"] and "onerror" not in str(parsed.tags)
    assert "<script>alert" not in page  # no script element of theirs, and no code of theirs in ours:
    assert not any("alert(" in _JSON_STRING.sub('""', s) for s in parsed.scripts)


def test_svg_map_is_well_formed_with_names_as_text(hostile, tmp_path, capsys, qapp):
    names = hostile["names"]
    out = _export(hostile, tmp_path, capsys, "svg", "--dpi", "96")
    text = out.read_text(encoding="utf-8")
    assert EVALUATED not in text
    root = ET.fromstring(text)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == names["title"]
    assert names["scenario"] in root.find(f"{ns}desc").text
    shown = " ".join("".join(t.itertext()) for t in root.iter(f"{ns}text"))
    for name in (names["title"], names["territory1"], names["territory2"], names["rep0"]):
        assert name in shown, name


def test_pdf_and_png_maps_export(hostile, tmp_path, capsys, qapp):
    pdf = _export(hostile, tmp_path, capsys, "pdf", "--dpi", "96")
    reader = PdfReader(str(pdf))
    assert reader.metadata.title == hostile["names"]["title"]
    words = page_words(pdf)
    assert "T1 td{{7*7}}td" in words and EVALUATED not in words
    png = _export(hostile, tmp_path, capsys, "png", "--dpi", "72")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pptx_deck_holds_the_names_as_text(hostile, tmp_path, capsys, qapp):
    names = hostile["names"]
    out = _export(hostile, tmp_path, capsys, "pptx", "--dpi", "72")
    xml = _zip_text(out)
    assert EVALUATED not in xml
    prs = Presentation(str(out))
    texts = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    cells = [c.text for s in prs.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
    assert names["title"] in texts and f"Region: {names['region']}" in texts
    for name in [names[f"territory{k}"] for k in range(3)] + [names[f"rep{k}"] for k in range(3)]:
        assert name in cells, name
    assert any(names["scenario"] in c for c in cells) and any(names["layer"] in c for c in cells)  # comparison slide
    chart = next(sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart)
    assert list(chart.plots[0].categories) == [names[f"territory{k}"] for k in range(3)]


def test_kml_geojson_xlsx_and_csv_hold_the_names(hostile, tmp_path, capsys):
    names = hostile["names"]
    terr = {names[f"territory{k}"] for k in range(3)}
    kml = _export(hostile, tmp_path, capsys, "kml")
    root = ET.fromstring(kml.read_bytes())  # well-formed although a name holds "]]>"
    ns = "{http://www.opengis.net/kml/2.2}"
    assert {p.find(f"{ns}name").text for p in root.iter(f"{ns}Placemark")} == terr
    desc = " ".join(p.find(f"{ns}description").text for p in root.iter(f"{ns}Placemark"))
    assert html.escape(names["region"]) in desc and "$[" not in desc  # HTML for Google Earth, no balloon entities
    gj = json.loads(_export(hostile, tmp_path, capsys, "geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["name"] for f in gj["features"]} == terr
    xlsx = _export(hostile, tmp_path, capsys, "xlsx", "--table", "all")
    wb = load_workbook(xlsx)
    assert {r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)} == terr
    assert f"{names['account2']} #2" in {r[1] for r in wb["accounts"].iter_rows(min_row=2, values_only=True)}
    assert "<f>" not in _zip_text(xlsx) and EVALUATED not in _zip_text(xlsx)
    rows = list(csv.reader(io.StringIO(_export(hostile, tmp_path, capsys, "csv", "--table", "summary")
                                       .read_text(encoding="utf-8"))))
    assert {r[1] for r in rows[1:]} == terr and {r[2] for r in rows[1:]} == {names["region"]}


# ---- one vector at a time: the payload that would run alone in one field --------------------------
VECTORS = ["territory0", "rep1", "scenario", "title", "region", "account2", "layer", "source", "project_title"]


@pytest.mark.parametrize("field", VECTORS)
def test_each_vector_alone_runs_nothing_in_the_html_map(field, tmp_path, capsys):
    sentinel = tmp_path / "SENTINEL"
    benign = {k: f"{k} plain" for k in names_for(sentinel)}
    payload = _chr_payload(sentinel) + " td{{7*7}}td"
    names = {**benign, field: payload}
    path = build_hostile_project(tmp_path, names)
    out = tmp_path / "map.html"
    scenario = names["layer"] + " plan" if field == "layer" else names["scenario"]
    args = ["export", path, "-o", out, "--scenario", scenario] + (["--title", payload] if field == "title" else [])
    code, _, err = run(capsys, *args)
    assert code == 0, err
    assert not sentinel.exists(), f"the {field} name ran as a template"
    page = out.read_text(encoding="utf-8")
    assert EVALUATED not in page
    seen, _ = page_strings(page)
    assert any(payload in s for s in seen), f"the {field} name is not shown literally"


def test_names_with_only_template_delimiters_export_everywhere(tmp_path, capsys, qapp):
    """`{{` alone used to crash the HTML export with a traceback (invalid template)."""
    p = make_grid_project()
    for k, name in enumerate(["{{", "}}", "{%"]):
        p.scenario.territories[k].name = name
    path = tmp_path / "braces.gpkg"
    save_project(p, str(path))
    for fmt in ("html", "svg", "pptx", "kml", "csv"):
        out = tmp_path / f"b.{fmt}"
        code, _, err = run(capsys, "export", path, "-o", out, "--title", "{#", "--dpi", "72")
        assert code == 0, (fmt, err)
    seen, _ = page_strings((tmp_path / "b.html").read_text(encoding="utf-8"))
    assert {"{{", "}}", "{%", "{#"} <= seen
