"""The PowerPoint deck (python-pptx, 16:9): title slide, overview map, one slide per region (its map
and a table of its territories with balance figures), a balance chart (a native, editable chart),
and a scenario comparison when the project has several scenarios.

Map pictures come from a callback that returns PNG bytes (rendered by the UI layer with the map
canvas renderer), so this module needs no Qt.

Names are text everywhere: python-pptx escapes them in the slide XML, and the chart's embedded
workbook (which PowerPoint opens for "Edit data") is written with XlsxWriter's string-to-formula,
-number and -URL conversions off (``ValuesOnlyChartData``), so a territory named
``=cmd|' /C calc'!A0`` is a text cell there, never an ``<f>`` formula.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import xlsxwriter
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from territory_desk.io.exporters.figures import TerritoryRow, compact, metric_label, signed_pct, territory_rows

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches (PowerPoint widescreen)
MARGIN = 0.45
TITLE_H = 0.9
ROWS_PER_SLIDE = 14
SERIES_COLORS = ("4e79a7", "f28e2b", "59a14f", "e15759")
MapPng = Callable[[list[int] | None, float, float, bool], bytes]  # (territories, w_in, h_in, legend)


@dataclass
class DeckOptions:
    title: str
    metric: str  # the metric of tables and chart
    balance_fields: list[str]  # chart series (the project's balance fields), at most 4
    tolerance_pct: float | None = None
    source_note: str = ""


def build_deck(project, scenario, d: dict, options: DeckOptions, map_png: MapPng, territories=None,
               comparison: list[tuple[str, dict]] | None = None) -> Presentation:
    """The deck as a python-pptx Presentation (call .save(path))."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    rows = territory_rows(project, scenario, d, territories)
    _title_slide(prs, project, scenario, d, options, rows)
    map_h = SLIDE_H - TITLE_H - MARGIN - 0.25
    slide = _titled(prs, f"Overview \u2014 {scenario.name}")
    _picture(slide, map_png(territories, SLIDE_W - 2 * MARGIN, map_h, True), MARGIN, TITLE_H, SLIDE_W - 2 * MARGIN, map_h)
    _note(slide, options.source_note)
    groups = _region_groups(scenario, rows)
    for name, members in groups:
        for part, chunk in enumerate(_chunks(members, ROWS_PER_SLIDE)):
            suffix = f" ({part + 1})" if len(members) > ROWS_PER_SLIDE else ""
            slide = _titled(prs, f"{name}{suffix}")
            w = (SLIDE_W - 3 * MARGIN) / 2
            png = map_png([r.index for r in members], w, map_h, False)
            _picture(slide, png, MARGIN, TITLE_H, w, map_h)
            _territory_table(slide, project, chunk, options.metric, 2 * MARGIN + w, TITLE_H, w)
    if rows:
        _balance_chart(prs, project, rows, options)
    if comparison and len(comparison) > 1:
        _comparison_slide(prs, project, comparison, options, scenario.name)
    return prs


class _ValuesOnlyWorkbookWriter(CategoryWorkbookWriter):
    """python-pptx's writer uses ``worksheet.write``, which turns text starting with "=" into a
    formula (and "http://..." into a link): here every name stays the text it is."""

    @contextlib.contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = xlsxwriter.Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                                   "strings_to_numbers": False, "strings_to_urls": False})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class ValuesOnlyChartData(CategoryChartData):
    """Category chart data whose embedded workbook holds values only, never formulas."""

    @property
    def _workbook_writer(self):
        return _ValuesOnlyWorkbookWriter(self)


# ---- slides ----------------------------------------------------------------------------------------
def _titled(prs, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    t = slide.shapes.title
    t.left, t.top, t.width, t.height = Inches(MARGIN), Inches(0.2), Inches(SLIDE_W - 2 * MARGIN), Inches(TITLE_H - 0.2)
    t.text = title
    para = t.text_frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    para.runs[0].font.size = Pt(28)
    para.runs[0].font.bold = True
    return slide


def _title_slide(prs, project, scenario, d, options: DeckOptions, rows) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title, sub = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = Inches(0.8), Inches(2.0), Inches(SLIDE_W - 1.6), Inches(1.5)
    sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.7), Inches(SLIDE_W - 1.6), Inches(1.6)
    title.text = options.title
    s = d["summary"]
    n_acc = sum(r.stats["accounts"] for r in rows)
    lines = [f"Scenario \u201c{scenario.name}\u201d \u2014 {_dt.date.today():%B %d, %Y}".replace(" 0", " "),
             f"{len(rows)} territories \u00b7 {sum(r.stats['units'] for r in rows):,} units \u00b7 {n_acc:,} accounts"]
    dev = s["max_abs_deviation_pct"].get(options.metric) if options.metric else None
    if dev is not None:
        lines.append(f"{metric_label(project, options.metric)}: largest deviation from the mean {dev:.1f}\u00a0%")
    sub.text = "\n".join(lines)


def _picture(slide, png: bytes, x: float, y: float, w: float, h: float) -> None:
    """The picture fitted (aspect kept) and centred in the box x, y, w, h (inches)."""
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(x), Inches(y))
    scale = min(Inches(w) / pic.width, Inches(h) / pic.height)
    pic.width, pic.height = Emu(int(pic.width * scale)), Emu(int(pic.height * scale))
    pic.left = Emu(int(Inches(x) + (Inches(w) - pic.width) / 2))
    pic.top = Emu(int(Inches(y) + (Inches(h) - pic.height) / 2))


def _note(slide, text: str) -> None:
    if not text:
        return
    box = slide.shapes.add_textbox(Inches(MARGIN), Inches(SLIDE_H - 0.35), Inches(SLIDE_W - 2 * MARGIN), Inches(0.3))
    p = box.text_frame.paragraphs[0]
    p.text = text
    p.runs[0].font.size = Pt(9)
    p.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)


def _region_groups(scenario, rows: list[TerritoryRow]) -> list[tuple[str, list[TerritoryRow]]]:
    """(slide title, territories) per region in scenario order; territories without a region last."""
    if not any(r.region_id for r in rows):
        return [("Territories", rows)] if rows else []
    groups = []
    for reg in scenario.regions:
        members = [r for r in rows if r.region_id == reg.id]
        if members:
            groups.append((f"Region: {reg.name}", members))
    known = {reg.id for reg in scenario.regions}
    rest = [r for r in rows if r.region_id not in known]
    if rest:
        groups.append(("Territories without a region", rest))
    return groups


def _chunks(items: list, n: int) -> list[list]:
    return [items[k:k + n] for k in range(0, len(items), n)] or [[]]


def _territory_table(slide, project, rows: list[TerritoryRow], metric: str, x: float, y: float, w: float) -> None:
    label = metric_label(project, metric) if metric else ""
    head = ["", "Territory", "Rep"] + ([label, "Dev."] if metric else []) + (["Accounts"] if metric != "accounts" else []) + ["PP"]
    widths = [0.2, 1.7, 1.4] + ([0.95, 0.85] if metric else []) + ([0.9] if metric != "accounts" else []) + [0.5]
    k = w / sum(widths)
    shape = slide.shapes.add_table(len(rows) + 1, len(head), Inches(x), Inches(y),
                                   Inches(w), Inches(0.34 * (len(rows) + 1)))
    table = shape.table
    for c, width in enumerate(widths):
        table.columns[c].width = Inches(width * k)
    for c, text in enumerate(head):
        _cell(table.cell(0, c), text, bold=True, right=c >= 3)
    for i, r in enumerate(rows, start=1):
        s = r.stats
        values = ["", r.name, r.rep or "vacant"]
        if metric:
            values += [compact(r.value(metric)), signed_pct(r.deviation(metric))]
        if metric != "accounts":
            values.append(f"{s['accounts']:,}")
        values.append("\u2013" if s["polsby_popper"] is None else f"{s['polsby_popper']:.2f}")
        for c, text in enumerate(values):
            _cell(table.cell(i, c), text, right=c >= 3)
        sw = table.cell(i, 0)
        sw.fill.solid()
        sw.fill.fore_color.rgb = RGBColor.from_string(r.color[1:])


def _cell(cell, text: str, bold: bool = False, right: bool = False, size: int = 10) -> None:
    cell.text = text
    cell.margin_left = cell.margin_right = Inches(0.05)
    p = cell.text_frame.paragraphs[0]
    p.alignment = PP_ALIGN.RIGHT if right else PP_ALIGN.LEFT
    for run in p.runs:
        run.font.size = Pt(size)
        run.font.bold = bold


def _balance_chart(prs, project, rows: list[TerritoryRow], options: DeckOptions) -> None:
    """Deviation from the mean per territory, one series per balance field (a native bar chart)."""
    fields = [f for f in options.balance_fields if f in rows[0].stats["metrics"]][:4] or [options.metric]
    slide = _titled(prs, "Balance: deviation from the mean")
    data = ValuesOnlyChartData(number_format='0.0"%"')
    data.categories = [r.name for r in rows]
    for f in fields:
        data.add_series(metric_label(project, f), [r.deviation(f) or 0.0 for r in rows])
    h = SLIDE_H - TITLE_H - MARGIN - 0.4
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(MARGIN), Inches(TITLE_H),
                                   Inches(SLIDE_W - 2 * MARGIN), Inches(h), data)
    chart = frame.chart
    chart.category_axis.reverse_order = True  # first territory on top
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # names left of the plot, not on the zero line
    chart.category_axis.tick_labels.font.size = Pt(10)
    chart.value_axis.tick_labels.font.size = Pt(10)
    chart.value_axis.has_major_gridlines = True
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = len(rows) <= 30
    if plot.has_data_labels:
        plot.data_labels.number_format = '0.0"%"'
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.font.size = Pt(8)
    chart.has_legend = len(fields) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
    for k, series in enumerate(plot.series):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(SERIES_COLORS[k % len(SERIES_COLORS)])
        series.invert_if_negative = False
        if len(fields) == 1:  # one series: each bar in its territory's colour
            for i, r in enumerate(rows):
                point = series.points[i]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = RGBColor.from_string(r.color[1:])
    tol = f"tolerance \u00b1{options.tolerance_pct:g} % \u00b7 " if options.tolerance_pct else ""
    _note(slide, tol + "bars: deviation of each territory from the mean over territories")


def _comparison_slide(prs, project, comparison: list[tuple[str, dict]], options: DeckOptions, shown: str) -> None:
    """One row per scenario: size, problems and balance (max |deviation| and CV per balance field)."""
    fields = [f for f in options.balance_fields if f in comparison[0][1]["summary"]["cv"]][:3] or [options.metric]
    slide = _titled(prs, "Scenario comparison")
    head = ["Scenario", "Territories", "Unassigned units", "Non-contiguous"]
    for f in fields:
        head += [f"{metric_label(project, f)} max |dev.|", f"{metric_label(project, f)} CV"]
    head.append("Mean PP")
    shape = slide.shapes.add_table(len(comparison) + 1, len(head), Inches(MARGIN), Inches(TITLE_H + 0.2),
                                   Inches(SLIDE_W - 2 * MARGIN), Inches(0.4 * (len(comparison) + 1)))
    table = shape.table
    for c, text in enumerate(head):
        _cell(table.cell(0, c), text, bold=True, right=c >= 1, size=12)
    for i, (name, d) in enumerate(comparison, start=1):
        s = d["summary"]
        pps = [t["polsby_popper"] for t in d["territories"] if t["polsby_popper"] is not None and t["units"]]
        values = [name + (" (shown)" if name == shown else ""), str(len(d["territories"])),
                  f"{s['unassigned_units']:,}", str(s["non_contiguous"])]
        for f in fields:
            dev, cv = s["max_abs_deviation_pct"].get(f), s["cv"].get(f)
            values += ["\u2013" if dev is None else f"{dev:.1f}\u00a0%", "\u2013" if cv is None else f"{cv:.3f}"]
        values.append(f"{sum(pps) / len(pps):.2f}" if pps else "\u2013")
        for c, text in enumerate(values):
            _cell(table.cell(i, c), text, bold=name == shown, right=c >= 1, size=12)
    _note(slide, "max |dev.|: largest deviation of a territory from the mean; CV: coefficient of variation; "
                 "PP: Polsby-Popper compactness (1 = circle)")
