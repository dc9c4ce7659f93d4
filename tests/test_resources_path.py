"""resources_path finds resources/ from a checkout, inside a PyInstaller bundle and through the override."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from territory_desk import resources_path as rp

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv(rp.ENV_VAR, raising=False)


def test_checkout_finds_the_repository_resources_folder():
    assert not rp.is_frozen()
    assert rp.resources_dir() == REPO / "resources"
    assert rp.app_icon_path() == REPO / "resources" / "icons" / "territory-desk.svg"
    assert rp.app_icon_path().read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_every_icon_the_installers_use_is_committed():
    icons = REPO / "resources" / "icons"
    names = [f"territory-desk-{n}.png" for n in (16, 24, 32, 48, 64, 128, 256, 512)]
    names += ["territory-desk.svg", "territory-desk.ico", "territory-desk.icns"]
    missing = [n for n in names if not (icons / n).is_file()]
    assert missing == []
    assert (icons / "territory-desk-16.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (icons / "territory-desk.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (icons / "territory-desk.icns").read_bytes()[:4] == b"icns"


def test_frozen_bundle_uses_the_bundle_folder(monkeypatch, tmp_path):
    internal = tmp_path / "territory-desk" / "_internal"
    (internal / "resources" / "icons").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    assert rp.is_frozen()
    assert rp.resources_dir() == internal / "resources"
    assert rp.app_icon_path() == internal / "resources" / "icons" / "territory-desk.svg"


def test_frozen_without_meipass_uses_the_executable_folder(monkeypatch, tmp_path):
    exe = tmp_path / "app" / "territory-desk"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert rp.resources_dir() == tmp_path / "app" / "resources"


def test_environment_override_wins_even_when_frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    monkeypatch.setenv(rp.ENV_VAR, str(tmp_path / "elsewhere"))
    assert rp.resources_dir() == (tmp_path / "elsewhere").resolve()


@pytest.mark.parametrize("parts", [("..", "pyproject.toml"), ("icons", "..", "..", "README.md")])
def test_paths_outside_the_resources_folder_are_refused(parts):
    with pytest.raises(ValueError, match="not inside the resources directory"):
        rp.resource_path(*parts)


def test_absolute_parts_are_refused(tmp_path):
    with pytest.raises(ValueError):
        rp.resource_path(str(tmp_path / "x.svg"))
