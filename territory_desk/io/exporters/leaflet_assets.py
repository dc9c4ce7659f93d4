"""The vendored Leaflet and Leaflet.markercluster files (resources/vendor/leaflet, from the npm
registry, with their licences) that the HTML map inlines so that it works offline.

The files are looked up in ``$TERRITORY_DESK_RESOURCES/vendor/leaflet``, the installed package
(``territory_desk/resources/vendor/leaflet``), a PyInstaller bundle, then the source checkout.
Images the CSS refers to become data: URIs, source-map comments are dropped, and files that hold a
closing ``</script>``/``</style>`` are refused. ``external_references`` lists any CDN link left in a page.
"""
from __future__ import annotations

import base64
import functools
import os
import re
import sys
from importlib import resources
from pathlib import Path

from territory_desk.domain.model.errors import TerritoryDeskError

_EXTERNAL = re.compile(r"<script[^>]*\ssrc\s*=\s*[\"']?\s*(https?:)?//|<link[^>]*href\s*=\s*[\"']?\s*(https?:)?//",
                       re.IGNORECASE)


JS_FILES = ("leaflet.js", "leaflet.markercluster.js")
CSS_FILES = ("leaflet.css", "MarkerCluster.css", "MarkerCluster.Default.css")
LICENSES = ("LICENSE", "LICENSE-markercluster.txt")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")


def candidate_dirs() -> list[Path]:
    """Where the vendored Leaflet files may be, in the order they are looked for."""
    out = []
    env = os.environ.get("TERRITORY_DESK_RESOURCES")
    if env:
        out.append(Path(env) / "vendor" / "leaflet")
    try:
        out.append(Path(str(resources.files("territory_desk"))) / "resources" / "vendor" / "leaflet")
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual importers
        pass
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        out.append(Path(bundle) / "resources" / "vendor" / "leaflet")
    out.append(Path(__file__).resolve().parents[3] / "resources" / "vendor" / "leaflet")
    return out


def vendor_dir() -> Path:
    """The first folder that holds every vendored file."""
    needed = JS_FILES + CSS_FILES
    for d in candidate_dirs():
        if all((d / name).is_file() for name in needed):
            return d
    where = ", ".join(str(d) for d in candidate_dirs())
    raise TerritoryDeskError(f"the offline map library (Leaflet) is missing; looked in {where}")


@functools.lru_cache(maxsize=2)
def _inline(folder: str) -> tuple[str, str]:
    d = Path(folder)
    js = "\n".join(_SOURCE_MAP.sub("", (d / name).read_text(encoding="utf-8")) for name in JS_FILES)
    css = "\n".join(_data_uris(d, (d / name).read_text(encoding="utf-8")) for name in CSS_FILES)
    if re.search(r"</script", js, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise TerritoryDeskError("the vendored Leaflet files cannot be inlined (they contain a closing tag)")
    return js, css


def _data_uris(d: Path, css: str) -> str:
    """url(images/x.png) -> url(data:image/png;base64,...) for the images that are vendored."""
    def repl(m: re.Match) -> str:
        path = d / m.group(2)
        if not path.is_file():
            return "none"  # e.g. the default marker icon, which the exported maps do not use
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii") + ")"

    return _SOURCE_MAP.sub("", _CSS_URL.sub(repl, css)).replace("/*# sourceMappingURL", "/* ")


def inline_assets() -> tuple[str, str]:
    """(JavaScript, CSS) of Leaflet + markercluster, safe to put inside <script>/<style> elements."""
    return _inline(str(vendor_dir()))


def license_notice() -> str:
    """The licences of the inlined libraries (kept in the page as a comment)."""
    d = vendor_dir()
    texts = [(d / name).read_text(encoding="utf-8") for name in LICENSES if (d / name).is_file()]
    return "\n\n".join(t.replace("--", "- -") for t in texts)


def external_references(page: str) -> list[str]:
    """<script src> and <link href> to http(s) or protocol-relative URLs (must be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(page)]
