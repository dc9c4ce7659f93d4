"""Open exported layers in QGIS as a user would, and say what QGIS shows: run with the system Python
that has QGIS (Debian's python3-qgis), not the project's venv.

    /usr/bin/python3 tests/qgis_probe.py REQUEST.json > ANSWER.json

REQUEST: {"layers": [{"uri": "/x/t.shp" or "/x/t.gpkg|layername=territories",
                      "points": [[x, y], ...] (optional, in the layer's CRS: colours are sampled there),
                      "png": "/x/t.png" (optional: a rendering with labels, to look at)}]}
ANSWER: {"qgis": "3.22.16", "layers": [{"valid", "features", "fields": [[name, type, length, precision]],
         "renderer", "attribute", "categories": [[value, "#rrggbb", label]], "labels", "label_expression",
         "colors": ["#rrggbb" per point], "sld": {...} when "sld" was given}]}
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import Qgis, QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsPointXY, QgsVectorLayer  # noqa: E402
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def renderer_info(layer) -> dict:
    r = layer.renderer()
    out = {"renderer": r.type() if r else None, "attribute": None, "categories": [], "rules": []}
    if r is not None and r.type() == "categorizedSymbol":
        out["attribute"] = r.classAttribute()
        out["categories"] = [[str(c.value()), c.symbol().color().name(), c.label()] for c in r.categories()]
    if r is not None and r.type() == "RuleRenderer":
        for rule in r.rootRule().descendants():
            sym = rule.symbol()
            out["rules"].append([rule.filterExpression(), sym.color().name() if sym else None, rule.label()])
    return out


def render(layer, points, png: str | None, size=(900, 560)) -> list[str]:
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor(255, 255, 255))
    extent = layer.extent()
    extent.scale(1.05)
    settings.setExtent(extent)
    colors = []
    if points:
        labels = layer.labelsEnabled()
        layer.setLabelsEnabled(False)  # sample the fills, not the label text
        image = _render(settings)
        layer.setLabelsEnabled(labels)
        m2p = settings.mapToPixel()
        for x, y in points:
            p = m2p.transform(QgsPointXY(x, y))
            colors.append(QColor(image.pixel(int(round(p.x())), int(round(p.y())))).name())
    if png:
        _render(settings).save(png)
    return colors


def _render(settings):
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def probe(req: dict) -> dict:
    layer = QgsVectorLayer(req["uri"], "probe", "ogr")
    out = {"uri": req["uri"], "valid": layer.isValid()}
    if not layer.isValid():
        return out
    out["features"] = layer.featureCount()
    out["fields"] = [[f.name(), f.typeName(), f.length(), f.precision()] for f in layer.fields()]
    out.update(renderer_info(layer))
    out["labels"] = layer.labelsEnabled()
    labeling = layer.labeling()
    settings = labeling.settings() if labeling is not None and labeling.type() == "simple" else None
    out["label_expression"] = settings.fieldName if settings is not None else None
    out["colors"] = render(layer, req.get("points") or [], req.get("png"))
    if req.get("sld"):
        other = QgsVectorLayer(req["uri"], "sld", "ogr")
        ok = other.loadSldStyle(req["sld"])
        out["sld"] = {"loaded": bool(ok[1]), "message": ok[0], **renderer_info(other),
                      "labels": other.labelsEnabled()}
    return out


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as fh:
        request = json.load(fh)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        answer = {"qgis": Qgis.QGIS_VERSION.split("-")[0], "layers": [probe(r) for r in request["layers"]]}
    finally:
        app.exitQgis()
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
