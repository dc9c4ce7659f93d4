"""`territory-desk export` for maps: headless (no display, no QT_QPA_PLATFORM given) and in-process."""
from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image
from pptx import Presentation

from territory_desk.cli import main


def test_png_export_runs_headless_in_a_fresh_process(demo_file, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "map.png"
    proc = subprocess.run([sys.executable, "-m", "territory_desk.cli", "export", str(demo_file), "-o", str(out),
                           "--dpi", "96", "--page", "slide", "--title", "Headless"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wrote {out}") and "1280x720 px" in proc.stdout
    assert Image.open(out).size == (1280, 720)


def test_deck_and_region_map_in_process(demo_file, tmp_path, capsys, qapp):
    deck = tmp_path / "deck.pptx"
    assert main(["export", str(demo_file), "-f", "pptx", "-o", str(deck), "--region", "South"]) == 0
    prs = Presentation(str(deck))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[2:] == ["Region: South", "Balance: deviation from the mean"]
    svg = tmp_path / "t.svg"
    assert main(["export", str(demo_file), "-o", str(svg), "--territory", "Houston Area", "--inset",
                 "--dpi", "100"]) == 0
    assert "Houston Area" in capsys.readouterr().out
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert main(["export", str(demo_file), "-o", str(tmp_path / "x.png"), "--dpi", "5000"]) == 2
    assert "between 72 and 600" in capsys.readouterr().err


def test_gis_layers_from_the_command_line(demo_file, tmp_path, capsys):
    from tests.gis_tools import validate_gpkg

    gpkg = tmp_path / "plan.gpkg"
    assert main(["export", str(demo_file), "-o", str(gpkg), "--accounts", "--label-metric", "--metric",
                 "population"]) == 0
    assert "16 territories, 4,000 accounts" in capsys.readouterr().out
    shp = tmp_path / "plan.shp"
    assert main(["export", str(demo_file), "-f", "shp", "-o", str(shp), "--region", "West", "--accounts"]) == 0
    out = capsys.readouterr().out
    assert "with plan.fields.csv, plan.qml, plan.sld, plan_accounts.fields.csv, plan_accounts.qml" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"plan.cpg", "plan.dbf", "plan_accounts.dbf", "plan.fields.csv"}
    assert not list(tmp_path.glob(".td-export-*"))
    validate_gpkg(gpkg)
