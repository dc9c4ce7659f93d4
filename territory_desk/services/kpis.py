"""KPI use cases shared by the CLI and the GUI: KPI tables as text, CSV and JSON, reviews as text,
CSV and JSON, the periods a dashboard offers, and the per-unit values a thematic map colours (any
metric of the units, or a KPI of their territory).
"""
from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass

import numpy as np

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.kpis.reviews import Review
from territory_desk.domain.kpis.measures import KPI_KEYS, KPI_KINDS, KPI_LABELS, KpiTable, compute_kpis
from territory_desk.domain.model.periods import parse_period, quarters_between
from territory_desk.domain.stats.metrics import metric_fields, unit_values
from territory_desk.io.tables import safe_csv

KPI_PREFIX = "kpi:"
TABLE_KPIS = ("revenue", "quota", "attainment_pct", "pipeline", "close_rate_pct", "avg_deal", "cycle_days",
              "response_median_h", "response_p90_h", "coverage_pct", "high_potential_managed_pct", "revenue_per_rep")


def format_value(key: str, v: float) -> str:
    """How a KPI value reads in tables: "–" for empty, money with separators, per cent with one decimal."""
    v = float(v)
    if not np.isfinite(v):
        return "–"
    kind = KPI_KINDS.get(key, "count")
    if kind == "pct":
        return f"{v:.1f} %"
    if kind in ("days", "hours"):
        return f"{v:,.1f}"
    if kind == "money":
        return f"{v:,.0f}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _json_number(v: float):
    v = float(v)
    return round(v, 6) if np.isfinite(v) else None


def kpi_dict(table: KpiTable) -> dict:
    """The documented JSON shape of `territory-desk kpis --format json` (null = empty)."""
    groups = [{"id": gid, "name": name, "kpis": {k: _json_number(v) for k, v in zip(table.keys, table.values[g])}}
              for g, (gid, name) in enumerate(zip(table.group_ids, table.group_names))]
    return {"period": table.period.label, "from": str(table.period.start) if not table.period.is_all else None,
            "to": str(table.period.end) if not table.period.is_all else None, "scenario": table.scenario,
            "level": table.level.name, "potential_field": table.potential_field,
            "high_potential_threshold": _json_number(table.high_potential_threshold)
            if table.high_potential_threshold is not None else None,
            "groups": groups,
            "outside": {k: _json_number(v) for k, v in zip(table.keys, table.outside)},
            "total": {k: _json_number(v) for k, v in zip(table.keys, table.total)},
            "labels": {k: KPI_LABELS[k] for k in table.keys}, "notes": list(table.notes)}


def kpi_json(table: KpiTable) -> str:
    return json.dumps(kpi_dict(table), indent=2)


def kpi_csv(table: KpiTable, raw: bool = False) -> str:
    """One row per group plus "(no territory)" and "Total"; raw numbers, empty cells for empty values;
    names formula-safe unless ``raw`` (io/safe_csv.py)."""
    buf = io.StringIO()
    w = safe_csv.writer(buf, raw)
    w.writerow([table.level.name.lower() + "_id", "name", *table.keys])
    rows = [(gid, name, table.values[g]) for g, (gid, name) in enumerate(zip(table.group_ids, table.group_names))]
    rows += [("", "(no territory)", table.outside), ("*", "Total", table.total)]
    for gid, name, vals in rows:
        w.writerow([gid, name, *("" if not np.isfinite(v) else float(v) for v in vals)])
    return buf.getvalue()


def kpi_text(table: KpiTable, keys=TABLE_KPIS) -> str:
    """An aligned text table (the CLI's default format)."""
    keys = [k for k in keys if k in table.keys]
    head = [table.level.name, *[_short_label(k) for k in keys]]
    body = [[name, *(format_value(k, table.value(g, k)) for k in keys)] for g, name in enumerate(table.group_names)]
    if np.any(table.outside[[table.keys.index(k) for k in ("opportunities", "leads", "accounts")]] > 0):
        body.append(["(no territory)", *(format_value(k, table.outside[table.keys.index(k)]) for k in keys)])
    body.append(["Total", *(format_value(k, table.total[table.keys.index(k)]) for k in keys)])
    widths = [max(len(r[c]) for r in [head, *body]) for c in range(len(head))]
    lines = [f"KPIs for {table.period.label} — scenario {table.scenario}, by {table.level.name.lower()}"]
    fmt = lambda r: "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))  # noqa: E731
    lines += [fmt(head), fmt(["-" * w for w in widths]), *map(fmt, body)]
    lines += table.notes
    return "\n".join(lines)


_SHORT = {"revenue": "Revenue", "quota": "Quota", "attainment_pct": "Attain.", "pipeline": "Pipeline",
          "close_rate_pct": "Close rate", "avg_deal": "Avg deal", "cycle_days": "Cycle d",
          "response_median_h": "Resp. med h", "response_p90_h": "Resp. p90 h", "coverage_pct": "Coverage",
          "high_potential_managed_pct": "HP managed", "revenue_per_rep": "Rev./rep"}


def _short_label(key: str) -> str:
    return _SHORT.get(key, KPI_LABELS.get(key, key))


# ---- reviews ------------------------------------------------------------------------------------
def review_dict(review: Review) -> dict:
    return {"from": review.before, "to": review.after, "level": review.level, "threshold_pct": review.threshold_pct,
            "groups": [{"id": r.group_id, "name": r.name, "flagged": r.flagged, "flags": r.flags,
                        "from": {k: _json_number(v) for k, v in r.before.items()},
                        "to": {k: _json_number(v) for k, v in r.after.items()},
                        "change_pct": {k: (None if np.isnan(v) else (v if np.isfinite(v) else ("inf" if v > 0 else "-inf")))
                                       for k, v in r.change_pct.items()}} for r in review.rows],
            "flagged": [r.group_id for r in review.flagged]}


def review_csv(review: Review, raw: bool = False) -> str:
    buf = io.StringIO()
    w = safe_csv.writer(buf, raw)
    w.writerow(["id", "name", "flagged", "flags", *(f"{k}_{side}" for k in review.kpis for side in ("from", "to", "change_pct"))])
    for r in review.rows:
        cells = []
        for k in review.kpis:
            cells += ["" if not np.isfinite(r.before[k]) else float(r.before[k]),
                      "" if not np.isfinite(r.after[k]) else float(r.after[k]),
                      "" if np.isnan(r.change_pct[k]) else float(r.change_pct[k])]
        w.writerow([r.group_id, r.name, int(r.flagged), "; ".join(r.flags), *cells])
    return buf.getvalue()


def review_text(review: Review) -> str:
    keys = ["revenue", "attainment_pct", "accounts_per_rep", "pipeline_per_rep", "opportunities_per_rep"]
    head = [review.level or "Group", *[f"{_short_label(k) if k in _SHORT else KPI_LABELS[k]} Δ" for k in keys], "Flags"]
    body = []
    for r in review.rows:
        cells = [r.name]
        for k in keys:
            c = r.change_pct[k]
            cells.append("–" if np.isnan(c) else ("new" if np.isinf(c) else f"{c:+.1f} %"))
        cells.append("; ".join(r.flags) if r.flags else "")
        body.append(cells)
    widths = [max(len(x[c]) for x in [head, *body]) for c in range(len(head))]
    fmt = lambda x: "  ".join(c.ljust(widths[i]) if i in (0, len(head) - 1) else c.rjust(widths[i])  # noqa: E731
                              for i, c in enumerate(x)).rstrip()
    flagged = review.flagged
    lines = [f"Review {review.before} → {review.after}, by {review.level.lower()}; drift threshold "
             f"{review.threshold_pct:g} %", fmt(head), fmt(["-" * w for w in widths]), *map(fmt, body),
             f"{len(flagged)} rebalancing candidate(s)" + (": " + ", ".join(r.name for r in flagged) if flagged else "")]
    return "\n".join(lines)


# ---- periods and thematic values ----------------------------------------------------------------
def available_periods(project, limit: int = 12) -> list[str]:
    """"all" and the quarters the activity spans (newest last, at most ``limit``)."""
    span = project.activity.date_span()
    quarters = [p.label for p in quarters_between(*span, limit=limit)] if span else []
    return ["all", *quarters]


def default_period(project) -> str:
    """The latest quarter with activity (or "all")."""
    periods = available_periods(project)
    return periods[-1]


def thematic_fields(project) -> list[tuple[str, str]]:
    """(key, label) of what a thematic map can show: unit metrics, then KPIs as "kpi:KEY"."""
    out = [(f.key, f.label) for f in metric_fields(project)]
    out += [(KPI_PREFIX + k, f"KPI: {KPI_LABELS[k]}") for k in KPI_KEYS]
    return out


def thematic_values(project, field: str, scenario=None, period: str | None = None
                    ) -> tuple[np.ndarray, str, np.ndarray]:
    """(value per unit, label, the values to classify). A metric: the unit's own value (its accounts'
    count or sum for account metrics), classified over the units. A KPI ("kpi:revenue", or a KPI key
    no metric has): the value of the unit's territory in the period (NaN for unassigned units and
    empty values), classified over the territories (a big territory does not weigh more)."""
    scenario = scenario or project.scenario
    fields = metric_fields(project)
    key = field[len(KPI_PREFIX):] if field.startswith(KPI_PREFIX) else field
    metric = next((f for f in fields if f.key == field), None)
    if metric is not None:
        values = unit_values(project, [metric], scenario)[:, 0]
        return values, metric.label, values
    if key not in KPI_LABELS:
        choices = ", ".join([f.key for f in fields] + [KPI_PREFIX + k for k in KPI_KEYS])
        raise InputError(f"no metric or KPI {field!r}; choose one of: {choices}")
    table = compute_kpis(project, parse_period(period), 0, scenario)
    per_territory = table.column(key)
    a = scenario.assignment
    values = np.where(a >= 0, per_territory[np.maximum(a, 0)] if len(per_territory) else np.nan, np.nan)
    label = KPI_LABELS[key] + ("" if table.period.is_all else f", {table.period.label}")
    return values.astype(np.float64), label, per_territory


# ---- thematic maps (classification; drawn by ui.canvas.overlays.thematic) ------------------------
METHODS = {"quantiles": "Quantiles", "natural_breaks": "Natural breaks", "equal_interval": "Equal intervals"}
RAMPS = {  # anchor colours, light to dark
    "YlOrRd": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    "Blues": ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    "Greens": ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
    "Viridis": ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"],
    "RdYlGn": ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
}


@dataclass
class ThematicSpec:
    field: str
    method: str = "quantiles"
    k: int = 5
    ramp: str = "YlOrRd"
    period: str | None = None  # for KPIs


def parse_thematic(text: str) -> ThematicSpec:
    """"FIELD[:method[:k]]" as on the command line (``--thematic kpi:revenue:natural_breaks:5``)."""
    parts = [p.strip() for p in str(text).split(":")]
    if parts and parts[0] == "kpi" and len(parts) > 1:
        parts = [f"kpi:{parts[1]}", *parts[2:]]
    field = parts[0] if parts else ""
    if not field:
        raise InputError("--thematic needs a metric or KPI, e.g. --thematic population:quantiles:5")
    method = parts[1] if len(parts) > 1 and parts[1] else "quantiles"
    try:
        k = int(parts[2]) if len(parts) > 2 and parts[2] else 5
    except ValueError:
        raise InputError(f"--thematic {text!r}: the number of classes must be a whole number") from None
    if method not in METHODS:
        raise InputError(f"--thematic {text!r}: unknown method {method!r}; methods: {', '.join(METHODS)}")
    if not 2 <= k <= 9:
        raise InputError(f"--thematic {text!r}: a thematic map has 2 to 9 classes")
    return ThematicSpec(field, method, k)


def classify(values: np.ndarray, method: str = "quantiles", k: int = 5) -> np.ndarray:
    """Upper bounds of the classes (mapclassify), from the finite values; fewer than ``k`` when the
    data has fewer distinct values. Natural breaks start from fixed seeds: the same data, the same map."""
    import mapclassify  # loaded when a thematic map is drawn: it pulls in scipy and scikit-learn parts

    if method not in METHODS:
        raise InputError(f"unknown classification {method!r}; methods: {', '.join(METHODS)}")
    if not 2 <= int(k) <= 9:
        raise InputError("a thematic map has 2 to 9 classes")
    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return np.zeros(0)
    distinct = np.unique(y)
    k = int(min(k, len(distinct)))
    if k < 2:
        return np.array([float(distinct[-1])])
    cls = {"quantiles": mapclassify.Quantiles, "natural_breaks": mapclassify.NaturalBreaks,
           "equal_interval": mapclassify.EqualInterval}[method]
    state = np.random.get_state()
    np.random.seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bins = np.asarray(cls(y, k=k).bins, dtype=np.float64)
    finally:
        np.random.set_state(state)
    return np.unique(bins)


def check_thematic(project, thematic) -> ThematicSpec | None:
    """A ThematicSpec (from its "FIELD[:method[:k]]" text when given as text) whose field exists; None."""
    if thematic is None or thematic == "":
        return None
    spec = parse_thematic(thematic) if isinstance(thematic, str) else thematic
    key = spec.field[len(KPI_PREFIX):] if spec.field.startswith(KPI_PREFIX) else spec.field
    if spec.field not in {f.key for f in metric_fields(project)} and key not in KPI_LABELS:
        choices = ", ".join([f.key for f in metric_fields(project)] + [KPI_PREFIX + k for k in KPI_KEYS])
        raise InputError(f"no metric or KPI {spec.field!r} for the thematic map; choose one of: {choices}")
    if spec.ramp not in RAMPS:
        raise InputError(f"unknown colour ramp {spec.ramp!r}; ramps: {', '.join(RAMPS)}")
    if spec.period:
        parse_period(spec.period)
    return spec
