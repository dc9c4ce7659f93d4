"""QML and SLD styles: well-formed whatever the names hold, one category or rule per territory, labels."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from territory_desk.io.exporters.figures import compact
from territory_desk.io.exporters.layer_styles import (
    StyleCategory,
    TerritoryLabel,
    account_qml,
    account_sld,
    territory_qml,
    territory_sld,
)

HOSTILE = 'A & B <script> "quoted" ]]> \x01\x1f end'
CATS = [StyleCategory("T1", "#e41a1c", HOSTILE), StyleCategory('T"2', "#377eb8", "Two")]


def _qml(text: str) -> ET.Element:
    assert text.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text.split("\n", 1)[1])


def test_territory_qml_is_well_formed_with_one_category_per_territory():
    root = _qml(territory_qml(CATS, "territory_id", TerritoryLabel("name", "potential", "potential_dev_pct")))
    assert root.get("labelsEnabled") == "1" and root.find("layerGeometryType").text == "2"
    cats = root.findall("renderer-v2/categories/category")
    assert [c.get("value") for c in cats] == ["T1", 'T"2']
    assert cats[0].get("label") == HOSTILE.replace("\x01", "\ufffd").replace("\x1f", "\ufffd")
    colors = [s.find("layer/prop[@k='color']").get("v") for s in root.findall("renderer-v2/symbols/symbol")]
    assert colors == ["228,26,28,255", "55,126,184,255"]
    style = root.find("labeling/settings/text-style")
    assert style.get("isExpression") == "1" and style.get("fieldName").startswith('"name"')


def test_label_expression_quotes_field_names_and_formats_like_the_legends():
    assert TerritoryLabel("name").expression() == '"name"'
    expr = TerritoryLabel('my "name"', "rev", "rev_dev").expression()
    assert expr.startswith('"my ""name"""') and "format_number(\"rev\" / 1000000, 1) || ' M'" in expr
    assert "if(\"rev_dev\" > 0, '+', '')" in expr
    assert compact(93829077) == "93.8 M" and compact(250000) == "250.0 k" and compact(1234) == "1,234"


def test_no_labels_without_a_label():
    root = _qml(territory_qml(CATS, "territory_id", None))
    assert root.get("labelsEnabled") == "0" and root.find("labeling") is None


def test_account_styles_have_a_no_territory_category():
    root = _qml(account_qml(CATS, "territory_id"))
    assert root.find("layerGeometryType").text == "0"
    values = [c.get("value") for c in root.findall("renderer-v2/categories/category")]
    assert values == ["T1", 'T"2', ""]
    assert root.find("renderer-v2/symbols/symbol/layer").get("class") == "SimpleMarker"
    sld = ET.fromstring(account_sld("accounts", CATS, "territory_id"))
    assert len(list(sld.iter("{http://www.opengis.net/se}PointSymbolizer"))) == 3


@pytest.mark.parametrize("label", [None, TerritoryLabel("name", "potential", "potential_dev_pct")])
def test_territory_sld_rules_filter_on_the_id_and_fill_in_the_colour(label):
    root = ET.fromstring(territory_sld("territories", CATS, "territory_id", label))
    se, ogc = "{http://www.opengis.net/se}", "{http://www.opengis.net/ogc}"
    rules = [r for r in root.iter(f"{se}Rule") if r.find(f"{ogc}Filter") is not None]
    assert [r.find(f".//{ogc}Literal").text for r in rules] == ["T1", 'T"2']
    assert [r.find(f".//{se}Fill/{se}SvgParameter").text for r in rules] == ["#e41a1c", "#377eb8"]
    texts = list(root.iter(f"{se}TextSymbolizer"))
    assert len(texts) == (0 if label is None else 1)
    if label is not None:
        assert [p.text for p in texts[0].iter(f"{ogc}PropertyName")] == ["name", "potential"]
