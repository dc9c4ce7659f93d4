"""Styles for exported layers, so a GIS shows the territories as the editor does: QGIS QML and OGC SLD.

* Territories: a categorized renderer on the territory id, one category per territory filled in its
  colour (the legend lists the territory names), and labels of the territory name, optionally with
  a metric and its deviation below it.
* Accounts: circles in their territory's colour; accounts counted in no territory in grey.

QGIS loads ``NAME.qml`` beside a GeoJSON or shapefile ``NAME.*`` by itself, and a GeoPackage's
default style from its ``layer_styles`` table. The QML is what QGIS 3.22 (Debian 12) reads; symbol
properties are written both as ``Option`` maps and as ``prop`` elements (newer QGIS reads the maps,
3.22 the props). The SLD is Symbology Encoding 1.1 (GeoServer, ArcGIS Pro, QGIS "Load Style").
Both are built with ElementTree, so every name is escaped; characters XML cannot hold are replaced.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

QGIS_VERSION = "3.22.0"
QML_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
OUTLINE = "#262626"
NO_TERRITORY = "#9e9e9e"
LABEL_COLOR = "#141414"
SLD_NS = "http://www.opengis.net/sld"
SE_NS = "http://www.opengis.net/se"
OGC_NS = "http://www.opengis.net/ogc"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UNIT_SCALE = "3x:0,0,0,0,0,0"


@dataclass(frozen=True)
class StyleCategory:
    value: str  # the attribute value (a territory id)
    color: str  # "#rrggbb"
    label: str  # shown in the legend (a territory name)


@dataclass(frozen=True)
class TerritoryLabel:
    """Territory labels: the name field, optionally a metric (and its deviation field) below it."""
    name_field: str
    metric_field: str | None = None
    deviation_field: str | None = None

    def expression(self) -> str:
        """The QGIS expression of the label text: the metric as the editor's legends show it
        (``figures.compact``: 93.8 M, 250.0 k, 1,234)."""
        text = _field(self.name_field)
        if self.metric_field:
            text += " || '\\n' || " + _compact(_field(self.metric_field))
            if self.deviation_field:
                dev = _field(self.deviation_field)
                text += f" || ' (' || if({dev} > 0, '+', '') || format_number({dev}, 1) || ' %)'"
        return text


def _compact(x: str) -> str:
    steps = " ".join(f"WHEN abs({x}) >= {limit} THEN format_number({x} / {unit}, 1) || ' {suffix}'"
                     for limit, unit, suffix in ((10**12, 10**12, "T"), (10**9, 10**9, "B"),
                                                 (10**6, 10**6, "M"), (10**5, 10**3, "k")))
    return f"CASE {steps} ELSE format_number({x}, 0) END"


def _field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _rgba(color: str, alpha: int = 255) -> str:
    return f"{int(color[1:3], 16)},{int(color[3:5], 16)},{int(color[5:7], 16)},{alpha}"


# ---- QML --------------------------------------------------------------------------------------------
def territory_qml(categories: list[StyleCategory], id_field: str, label: TerritoryLabel | None) -> str:
    root = _qml_root(labels=label is not None)
    symbols = [_fill_symbol(str(k), c.color) for k, c in enumerate(categories)]
    root.append(_categorized(id_field, categories, symbols))
    if label is not None:
        root.append(_labeling(label.expression()))
    return _qml_text(root, geometry_type=2)


def account_qml(categories: list[StyleCategory], territory_field: str) -> str:
    cats = categories + [StyleCategory("", NO_TERRITORY, "No territory")]
    root = _qml_root(labels=False)
    symbols = [_marker_symbol(str(k), c.color) for k, c in enumerate(cats)]
    root.append(_categorized(territory_field, cats, symbols))
    return _qml_text(root, geometry_type=0)


def _qml_root(labels: bool) -> ET.Element:
    return ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Labeling",
                               "labelsEnabled": "1" if labels else "0"})


def _qml_text(root: ET.Element, geometry_type: int) -> str:
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerGeometryType", str(geometry_type))):
        ET.SubElement(root, tag).text = text
    ET.indent(root)
    return QML_DOCTYPE + ET.tostring(root, encoding="unicode") + "\n"


def _categorized(attr: str, categories: list[StyleCategory], symbols: list[ET.Element]) -> ET.Element:
    r = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": _text(attr), "forceraster": "0",
                                   "symbollevels": "0", "enableorderby": "0", "referencescale": "-1"})
    cats = ET.SubElement(r, "categories")
    for k, c in enumerate(categories):
        ET.SubElement(cats, "category", {"value": _text(c.value), "label": _text(c.label), "render": "true",
                                         "symbol": str(k)})
    ET.SubElement(r, "symbols").extend(symbols)
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return r


def _symbol_layer(symbol_type: str, name: str, layer_class: str, props: dict[str, str]) -> ET.Element:
    s = ET.Element("symbol", {"type": symbol_type, "name": name, "alpha": "1", "clip_to_extent": "1",
                              "force_rhr": "0"})
    lay = ET.SubElement(s, "layer", {"class": layer_class, "pass": "0", "locked": "0", "enabled": "1"})
    opts = ET.SubElement(lay, "Option", {"type": "Map"})
    for k, v in props.items():
        ET.SubElement(opts, "Option", {"name": k, "type": "QString", "value": v})
    for k, v in props.items():
        ET.SubElement(lay, "prop", {"k": k, "v": v})
    return s


def _fill_symbol(name: str, color: str) -> ET.Element:
    return _symbol_layer("fill", name, "SimpleFill", {
        "border_width_map_unit_scale": _UNIT_SCALE, "color": _rgba(color), "joinstyle": "bevel", "offset": "0,0",
        "offset_map_unit_scale": _UNIT_SCALE, "offset_unit": "MM", "outline_color": _rgba(OUTLINE),
        "outline_style": "solid", "outline_width": "0.3", "outline_width_unit": "MM", "style": "solid"})


def _marker_symbol(name: str, color: str) -> ET.Element:
    return _symbol_layer("marker", name, "SimpleMarker", {
        "angle": "0", "color": _rgba(color), "horizontal_anchor_point": "1", "joinstyle": "bevel", "name": "circle",
        "offset": "0,0", "offset_map_unit_scale": _UNIT_SCALE, "offset_unit": "MM",
        "outline_color": "255,255,255,255", "outline_style": "solid", "outline_width": "0.2",
        "outline_width_map_unit_scale": _UNIT_SCALE, "outline_width_unit": "MM", "scale_method": "diameter",
        "size": "1.8", "size_map_unit_scale": _UNIT_SCALE, "size_unit": "MM", "vertical_anchor_point": "1"})


def _labeling(expression: str) -> ET.Element:
    lab = ET.Element("labeling", {"type": "simple"})
    settings = ET.SubElement(lab, "settings", {"calloutType": "simple"})
    style = ET.SubElement(settings, "text-style", {
        "fieldName": _text(expression), "isExpression": "1", "fontSize": "9", "fontSizeUnit": "Point",
        "fontWeight": "63", "textColor": _rgba(LABEL_COLOR), "textOpacity": "1", "multilineHeight": "1",
        "allowHtml": "0", "capitalization": "0", "useSubstitutions": "0", "blendMode": "0"})
    ET.SubElement(style, "text-buffer", {"bufferDraw": "1", "bufferSize": "0.8", "bufferSizeUnits": "MM",
                                         "bufferColor": "255,255,255,255", "bufferOpacity": "0.85",
                                         "bufferNoFill": "1", "bufferJoinStyle": "128", "bufferBlendMode": "0"})
    ET.SubElement(settings, "text-format", {"multilineAlign": "1", "wrapChar": "", "formatNumbers": "0",
                                            "decimals": "3", "plussign": "0", "addDirectionSymbol": "0"})
    ET.SubElement(settings, "placement", {"placement": "1", "centroidInside": "1", "centroidWhole": "0",
                                          "fitInPolygonOnly": "0", "quadOffset": "4", "dist": "0", "priority": "5",
                                          "offsetType": "0", "xOffset": "0", "yOffset": "0"})
    ET.SubElement(settings, "rendering", {"drawLabels": "1", "obstacle": "1", "obstacleType": "1",
                                          "obstacleFactor": "1", "labelPerPart": "0", "displayAll": "0",
                                          "upsidedownLabels": "0", "scaleVisibility": "0", "limitNumLabels": "0",
                                          "minFeatureSize": "0", "mergeLines": "0", "zIndex": "0"})
    return lab


# ---- SLD --------------------------------------------------------------------------------------------
def territory_sld(layer: str, categories: list[StyleCategory], id_field: str, label: TerritoryLabel | None) -> str:
    rules = [_rule(c, id_field, _polygon_symbolizer(c.color)) for c in categories]
    if label is not None:
        rules.append(_label_rule(label))
    return _sld_text(layer, rules)


def account_sld(layer: str, categories: list[StyleCategory], territory_field: str) -> str:
    cats = categories + [StyleCategory("", NO_TERRITORY, "No territory")]
    return _sld_text(layer, [_rule(c, territory_field, _point_symbolizer(c.color)) for c in cats])


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    e = ET.SubElement(parent, f"{{{SE_NS}}}{tag}", attrs)
    if text is not None:
        e.text = _text(text)
    return e


def _svg(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def _rule(c: StyleCategory, field: str, symbolizer: ET.Element) -> ET.Element:
    rule = ET.Element(f"{{{SE_NS}}}Rule")
    _se(rule, "Name", c.label or c.value or "other")
    _se(_se(rule, "Description"), "Title", c.label or c.value or "other")
    flt = ET.SubElement(rule, f"{{{OGC_NS}}}Filter")
    eq = ET.SubElement(flt, f"{{{OGC_NS}}}PropertyIsEqualTo")
    ET.SubElement(eq, f"{{{OGC_NS}}}PropertyName").text = _text(field)
    ET.SubElement(eq, f"{{{OGC_NS}}}Literal").text = _text(c.value)
    rule.append(symbolizer)
    return rule


def _polygon_symbolizer(color: str) -> ET.Element:
    sym = ET.Element(f"{{{SE_NS}}}PolygonSymbolizer")
    _svg(_se(sym, "Fill"), "fill", color)
    stroke = _se(sym, "Stroke")
    for k, v in (("stroke", OUTLINE), ("stroke-width", "1"), ("stroke-linejoin", "bevel")):
        _svg(stroke, k, v)
    return sym


def _point_symbolizer(color: str) -> ET.Element:
    sym = ET.Element(f"{{{SE_NS}}}PointSymbolizer")
    graphic = _se(sym, "Graphic")
    mark = _se(graphic, "Mark")
    _se(mark, "WellKnownName", "circle")
    _svg(_se(mark, "Fill"), "fill", color)
    stroke = _se(mark, "Stroke")
    _svg(stroke, "stroke", "#ffffff")
    _svg(stroke, "stroke-width", "0.5")
    _se(graphic, "Size", "7")
    return sym


def _label_rule(label: TerritoryLabel) -> ET.Element:
    rule = ET.Element(f"{{{SE_NS}}}Rule")
    sym = _se(rule, "TextSymbolizer")
    text = _se(sym, "Label")
    name = ET.SubElement(text, f"{{{OGC_NS}}}PropertyName")
    name.text = _text(label.name_field)
    if label.metric_field:
        name.tail = " \u00b7 "  # not whitespace alone: an SLD reader may drop that between the two values
        ET.SubElement(text, f"{{{OGC_NS}}}PropertyName").text = _text(label.metric_field)
    font = _se(sym, "Font")
    _svg(font, "font-size", "11")
    _svg(font, "font-weight", "bold")
    anchor = _se(_se(_se(sym, "LabelPlacement"), "PointPlacement"), "AnchorPoint")
    _se(anchor, "AnchorPointX", "0.5")
    _se(anchor, "AnchorPointY", "0.5")
    halo = _se(sym, "Halo")
    _se(halo, "Radius", "2")
    _svg(_se(halo, "Fill"), "fill", "#ffffff")
    _svg(_se(sym, "Fill"), "fill", LABEL_COLOR)
    return rule


def _sld_text(layer: str, rules: list[ET.Element]) -> str:
    for prefix, uri in (("", SLD_NS), ("se", SE_NS), ("ogc", OGC_NS)):
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{SLD_NS}}}StyledLayerDescriptor", {"version": "1.1.0"})
    named = ET.SubElement(root, f"{{{SLD_NS}}}NamedLayer")
    _se(named, "Name", layer)
    user = ET.SubElement(named, f"{{{SLD_NS}}}UserStyle")
    _se(user, "Name", layer)
    fts = _se(user, "FeatureTypeStyle")
    fts.extend(rules)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
