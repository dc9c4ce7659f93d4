"""The GIS programs a user opens our files with, as tests can call them: GDAL 3.6's GeoPackage validator
and QGIS 3.22 (Debian's python3-gdal and python3-qgis, for the system Python). Tests that need one
skip with the reason when it is missing."""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).resolve().parent / "qgis_probe.py"
VALIDATOR_PLACES = ("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
                    "/usr/share/doc/python3-gdal/examples/validate_gpkg.py")


@functools.lru_cache(maxsize=1)
def validator() -> str | None:
    found = next((p for p in VALIDATOR_PLACES if os.path.exists(p)), None)
    return found if found and shutil.which(SYSTEM_PYTHON) else None


def validate_gpkg(path) -> None:
    """Fail when GDAL's validate_gpkg.py (Debian's GDAL 3.6) finds the file invalid; skip without it."""
    script = validator()
    if script is None:
        pytest.skip("validate_gpkg.py (Debian python3-gdal) is not installed")
    r = subprocess.run([SYSTEM_PYTHON, script, str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"validate_gpkg.py {path}: {r.stdout}{r.stderr}"


@functools.lru_cache(maxsize=1)
def has_qgis() -> bool:
    if not shutil.which(SYSTEM_PYTHON):
        return False
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60)
    return r.returncode == 0


def qgis_probe(layers: list[dict], tmp_path) -> tuple[dict, list[str]]:
    """What QGIS shows of each layer (tests/qgis_probe.py), and the warnings GDAL and QGIS printed."""
    if not has_qgis():
        pytest.skip("QGIS (Debian python3-qgis for /usr/bin/python3) is not installed")
    request = tmp_path / "qgis-request.json"
    request.write_text(json.dumps({"layers": layers}), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    r = subprocess.run([SYSTEM_PYTHON, str(PROBE), str(request)], capture_output=True, text=True, timeout=300,
                       env=env)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "warning" in line.lower() or "error" in line.lower()]
    return json.loads(r.stdout), warnings


def write_old_shapefile(path, rows: list[tuple[str, str]], encoding: str, x0: float = -100.0, y0: float = 38.0,
                        size: float = 0.2) -> Path:
    """A shapefile as old tools write it: no .cpg, no .prj, a dBase header without a language driver,
    ``(id, name)`` rows encoded in ``encoding``, one square lon/lat cell per row in a line."""
    import shapefile  # pyshp

    path = Path(path)
    w = shapefile.Writer(str(path.with_suffix("")), shapeType=shapefile.POLYGON, encoding=encoding)
    w.field("GEOID", "C", 10)
    w.field("NAME", "C", 40)
    for k, (uid, name) in enumerate(rows):
        x = x0 + k * size
        w.poly([[[x, y0], [x, y0 + size], [x + size, y0 + size], [x + size, y0], [x, y0]]])
        w.record(uid, name)
    w.close()
    assert not path.with_suffix(".cpg").exists()
    return path
