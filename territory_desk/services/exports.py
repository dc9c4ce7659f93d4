"""Exports for presentations, clients and CRMs: the use case the CLI and the GUI share.

    export(project, "pdf", "map.pdf", region="West", dpi=300, title="...", map_renderer=renderer)

Formats: png, svg, pdf (maps, drawn by a MapRenderer from the UI layer), pptx (a deck; its map
pictures come from the same renderer), html (offline interactive map), csv/xlsx (alignment,
accounts or summary tables), gpkg/geojson/shp/kml (dissolved territories, optionally the accounts,
styled for QGIS; io/exporters/layers.py).

A region or a territory narrows every format to its territories. Files are written beside the
target and renamed over it when complete, so a failed export never leaves half a file; the project
file itself can never be the target.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project
from territory_desk.io.exporters.figures import check_metric, default_metric, metric_label
from territory_desk.io.output_files import check_output, replaced_when_written
from territory_desk.services.export_formats import MAP_FORMATS, NEEDS_RENDERER, TABLE_FORMATS, output_path
from territory_desk.services.map_specs import (
    PAGES, MapRenderer, MapSpec, basemap_for, check_dpi, check_page, default_title, focus, source_note,
)
from territory_desk.services.reports import stats_dict
from territory_desk.services.kpis import check_thematic

@dataclass
class ExportResult:
    path: str
    message: str  # one line for the user


def map_spec(project: Project, *, scenario: str | None = None, region: str | None = None,
             territory: str | None = None, title: str | None = None, metric: str | None = None,
             page: str | None = None, dpi: int | None = None, bounds=None, inset: bool = False,
             accounts: bool = False, layers: dict | None = None, project_path: str | None = None,
             thematic=None, heatmap: bool = False, basemap: bool = True) -> MapSpec:
    """The MapSpec for these options (validated: unknown scenario, region, metric, page or dpi raise
    InputError). ``basemap``: look up the state outlines drawn under maps (tables and layers need none)."""
    sc = project.get_scenario(scenario)
    d = stats_dict(project, sc)
    fields = list(d["summary"]["max_abs_deviation_pct"])
    key = check_metric(metric, fields) if metric else default_metric(project, fields)
    territories, where = focus(sc, region, territory)
    label = metric_label(project, key) if key else ""
    subtitle = " \u00b7 ".join(x for x in (f"Scenario {sc.name}", where) if x)
    layer_state = {"accounts": accounts, **(layers or {})}
    return MapSpec(project=project, scenario=sc, stats=d, title=title or default_title(project, project_path),
                   subtitle=subtitle, territories=territories, focus_label=where, bounds=bounds, metric=key, metric_label=label,
                   page=check_page(page), dpi=check_dpi(dpi), inset=inset, note=source_note(project),
                   layers=layer_state, basemap=basemap_for(project) if basemap else None,
                   thematic=check_thematic(project, thematic),
                   heatmap=bool(heatmap))


def export(project: Project, fmt: str, out: str, *, scenario: str | None = None, region: str | None = None,
           territory: str | None = None, dpi: int | None = None, title: str | None = None,
           page: str | None = None, table: str | None = None, metric: str | None = None, inset: bool = False,
           accounts: bool = False, online_tiles: bool = False, bounds=None, layers: dict | None = None,
           map_renderer: MapRenderer | None = None, project_path: str | None = None, thematic=None,
           heatmap: bool = False, raw_csv: bool = False, label_metric: bool = False) -> ExportResult:
    """Write one export; returns where and a one-line summary. User errors raise InputError.
    CSV tables are formula-safe (io/safe_csv.py) unless ``raw_csv``. Layer formats: ``accounts`` adds
    the accounts layer, ``label_metric`` labels territories with ``metric`` under their name."""
    fmt = (fmt or "").lower()
    path = output_path(fmt, out)
    check_output(path, project_path)
    if fmt in NEEDS_RENDERER and map_renderer is None:
        raise InputError(f"{fmt} exports need the map renderer (Qt); run them from territory-desk or the editor")
    if table and fmt not in TABLE_FORMATS:
        raise InputError("--table applies to csv and xlsx exports")
    spec = map_spec(project, scenario=scenario, region=region, territory=territory, title=title, metric=metric,
                    page=page, dpi=dpi, bounds=bounds, inset=inset, accounts=accounts, layers=layers,
                    project_path=project_path, thematic=thematic, heatmap=heatmap,
                    basemap=fmt in MAP_FORMATS + ("pptx", "html"))
    what = spec.what
    if fmt in MAP_FORMATS:
        with replaced_when_written(path) as tmp:
            map_renderer.write(spec, fmt, tmp)
        w, h = spec.page_size_in
        detail = f"{PAGES[spec.page][0]}, {spec.dpi} dpi" + (f", {round(w * spec.dpi)}x{round(h * spec.dpi)} px" if fmt == "png" else "")
        return ExportResult(path, f"wrote {path} ({what}; {detail})")
    if fmt == "pptx":
        return _export_deck(spec, path, map_renderer)
    if fmt == "html":
        from territory_desk.io.exporters.html_map import build_html_map

        page_text = build_html_map(project, spec.scenario, spec.stats, title=spec.title, metric=spec.metric,
                                   territories=spec.territories, online_tiles=online_tiles, basemap=spec.basemap,
                                   note=spec.note)
        with replaced_when_written(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            fh.write(page_text)
        tiles = "with an online tile background" if online_tiles else "works offline"
        return ExportResult(path, f"wrote {path} ({what}; {len(page_text) / 1e6:.1f} MB, {tiles})")
    if fmt in TABLE_FORMATS:
        return _export_table(spec, fmt, path, table, raw_csv)
    return _export_layer(spec, fmt, path, accounts, label_metric, raw_csv)


def _export_deck(spec: MapSpec, path: str, renderer: MapRenderer) -> ExportResult:
    from territory_desk.io.exporters.pptx_deck import DeckOptions, build_deck

    project = spec.project
    dpi = min(spec.dpi, 200)  # pictures on slides: 200 dpi is plenty and keeps the file small

    def map_png(territories, w_in, h_in, legend):
        sub = spec.with_(territories=territories, size_in=(w_in, h_in), dpi=dpi, legend=legend, show_title=False,
                         bounds=None if territories != spec.territories else spec.bounds,
                         inset=territories is not None and territories != spec.territories)
        return renderer.png_bytes(sub)

    comparison = [(sc.name, stats_dict(project, sc)) for sc in project.scenarios] if len(project.scenarios) > 1 else None
    tol = project.settings.get("tolerance_pct")
    options = DeckOptions(title=spec.title, metric=spec.metric,
                          balance_fields=list(project.settings.get("balance_fields") or [spec.metric]),
                          tolerance_pct=float(tol) if isinstance(tol, (int, float)) else None, source_note=spec.note)
    prs = build_deck(project, spec.scenario, spec.stats, options, map_png, spec.territories, comparison)
    with replaced_when_written(path) as tmp:
        prs.save(tmp)
    return ExportResult(path, f"wrote {path} ({len(prs.slides)} slides, scenario {spec.scenario.name})")


def _export_table(spec: MapSpec, fmt: str, path: str, table: str | None, raw_csv: bool = False) -> ExportResult:
    from territory_desk.io.exporters.tables import TABLES, build_table, write_csv, write_xlsx

    kind = (table or "alignment").lower()
    kinds = list(TABLES) if kind == "all" and fmt == "xlsx" else [kind]
    if any(k not in TABLES for k in kinds):
        allowed = ", ".join(TABLES) + (", all" if fmt == "xlsx" else "")
        raise InputError(f"unknown table {kind!r}; tables: {allowed}")
    tables = [build_table(k, spec.project, spec.scenario, spec.stats, spec.territories) for k in kinds]
    with replaced_when_written(path) as tmp:
        write_csv(tables[0], tmp, raw_csv) if fmt == "csv" else write_xlsx(tables, tmp)
    rows = ", ".join(f"{len(t.rows):,} {t.name} rows" for t in tables)
    return ExportResult(path, f"wrote {path} ({rows})")


def _export_layer(spec: MapSpec, fmt: str, path: str, accounts: bool, label_metric: bool,
                  raw_csv: bool) -> ExportResult:
    from territory_desk.io.exporters.layer_frames import account_layer, territory_layer
    from territory_desk.io.exporters.layers import write_layers

    layers = [territory_layer(spec.project, spec.scenario, spec.stats, spec.territories,
                              spec.metric if label_metric else "")]
    if accounts:
        layers.append(account_layer(spec.project, spec.scenario, spec.stats, spec.territories))
    written = write_layers(path, fmt, layers, spec.metric, raw_csv)
    crs = "longitude/latitude" if fmt in ("geojson", "kml") else "the units' CRS"
    what = f"{len(layers[0].frame)} territories" + (f", {len(layers[1].frame):,} accounts"
                                                    if accounts and fmt != "kml" else "")
    parts = (".shx", ".dbf", ".prj", ".cpg")  # a shapefile's own parts go without saying
    extra = [os.path.basename(f) for f in written.files[1:] if not f.endswith(parts)]
    message = f"wrote {path} ({what}, {crs}" + (f"; with {', '.join(extra)}" if extra else "") + ")"
    return ExportResult(path, "; ".join([message] + written.notes))
