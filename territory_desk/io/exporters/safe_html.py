"""Building blocks of the web pages we write, made so that no template ever sees user text.

Names in a project (territories, reps, regions, scenarios, accounts, CRM column names) and titles
come from clients' files. folium and branca are Jinja2 all the way down, and twice over:
``branca.element.Element(text)`` compiles ``text`` as a template, and every folium element's
rendered script goes through ``Element(...)`` once more (``MacroElement.render``), so a name that
reaches a folium element as data (a GeoJSON property, a layer name) becomes template source in the
second pass: ``{{ lipsum.__globals__.os.system(...) }}`` in a territory name would run on export.

So in our pages:

* folium builds only the frame (the map, tile layer, outlines, feature groups, fit bounds) and never
  receives a project string;
* our markup and scripts go into the page as the *value* of a fixed template (``Markup``,
  ``PageScript``), never as template source;
* data reaches scripts as JSON (``js_json``) with ``<``, ``>``, ``&``, ``'`` and every non-ASCII
  character escaped (U+2028/U+2029 too), so it can close no ``<script>`` and break no literal;
  scripts show names with ``textContent``;
* HTML text and attributes come from fixed Jinja2 templates with autoescape (``html_template``);
  a string Leaflet inserts as HTML (layer-control labels) is HTML-escaped before it is JSON-escaped
  (``html_text``); colours in CSS are validated ``#rrggbb`` (``figures.safe_color``).
"""
from __future__ import annotations

import html
import json
from collections.abc import Callable

import jinja2
from branca.element import Element, MacroElement

_TEMPLATES = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def html_template(source: str) -> jinja2.Template:
    """A fixed template (a constant of ours) whose values are HTML-escaped when rendered."""
    return _TEMPLATES.from_string(source)


def html_text(value) -> str:
    """``value`` as HTML text or a quoted attribute value."""
    return html.escape(str(value), quote=True)


def js_json(value) -> str:
    """JSON that is safe inside a <script> element and as a JavaScript literal: no <, >, &, ' or
    non-ASCII characters (hence no U+2028/U+2029 either) appear raw."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


class Markup(Element):
    """Markup put into the page exactly as it is: the value of a fixed template, never its source
    (``Element(text)`` would compile ``text`` and run any ``{{ }}`` or ``{% %}`` in it)."""

    _template = jinja2.Template("{{ this.markup }}")  # no autoescape: ``markup`` is finished HTML

    def __init__(self, markup: str):
        super().__init__()
        self.markup = markup


class PageScript(MacroElement):
    """JavaScript of ours, placed in the page's script section where this element renders (after its
    parent's own script). ``code(name, parent)`` gets this element's and its parent's JavaScript
    variable names (it may define the first and use the second). The code goes in as ``Markup``, never
    compiled as a template; data inside it must come from ``js_json``."""

    def __init__(self, code: Callable[[str, str], str]):
        super().__init__()
        self._name = "td_script"
        self._code = code

    def render(self, **kwargs) -> None:
        code = self._code(self.get_name(), self._parent.get_name())
        self.get_root().script.add_child(Markup(code), name=self.get_name())
