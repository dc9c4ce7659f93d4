"""Territory figures as exports show them: one row per territory (colour, region, rep, stats) and the
number formats of legends, tooltips and slide tables.

Everything here works on ``services.reports.stats_dict`` output (``d``), the documented stats
interface, so maps, decks, pages and tables all show the same numbers.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.metrics import metric_fields

MINUS = "\u2212"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class TerritoryRow:
    index: int  # position in the scenario's territory list
    id: str
    name: str
    color: str  # always a valid "#rrggbb"
    region_id: str | None
    region: str  # "" when the territory has no region
    rep_id: str | None
    rep: str  # "" when vacant
    stats: dict  # the territory's entry of stats_dict(...)["territories"]

    def value(self, metric: str) -> float | None:
        m = self.stats["metrics"].get(metric)
        return None if m is None else m["value"]

    def deviation(self, metric: str) -> float | None:
        m = self.stats["metrics"].get(metric)
        return None if m is None else m["deviation_pct"]


def safe_color(color: str | None, fallback: str = "#888888") -> str:
    """A "#rrggbb" colour: project colours are user data and end up in CSS, KML and slides."""
    return color.lower() if isinstance(color, str) and _HEX.match(color) else fallback


def wash(color: str, amount: float, towards: str = "#ffffff") -> str:
    """``color`` mixed with ``towards`` (amount 0 = unchanged, 1 = ``towards``)."""
    a, b = safe_color(color), safe_color(towards)
    mix = [round(int(a[k:k + 2], 16) * (1 - amount) + int(b[k:k + 2], 16) * amount) for k in (1, 3, 5)]
    return "#" + "".join(f"{v:02x}" for v in mix)


def territory_rows(project, scenario, d: dict, territories=None) -> list[TerritoryRow]:
    """One row per territory of ``scenario`` (or of the given territory indices), in scenario order."""
    keep = None if territories is None else {int(t) for t in territories}
    regions = {r.id: r.name for r in scenario.regions}
    rows = []
    for t, (terr, st) in enumerate(zip(scenario.territories, d["territories"])):
        if keep is not None and t not in keep:
            continue
        rep = project.rep(terr.rep_id)
        rows.append(TerritoryRow(t, terr.id, terr.name, safe_color(terr.color), terr.region_id,
                                 regions.get(terr.region_id or "", ""), terr.rep_id if rep else None,
                                 rep.name if rep else "", st))
    return rows


def metric_label(project, key: str) -> str:
    for f in metric_fields(project):
        if f.key == key:
            return f.label
    return key.replace("_", " ").capitalize()


def default_metric(project, fields: list[str]) -> str:
    """The project's first balance field, else accounts, else the first metric ("" when none)."""
    for key in list(project.settings.get("balance_fields") or []) + ["accounts"]:
        if key in fields:
            return key
    return fields[0] if fields else ""


def check_metric(metric: str, fields: list[str]) -> str:
    if metric not in fields:
        raise InputError(f"no metric {metric!r}; metrics: {', '.join(fields)}")
    return metric


def compact(v: float | None) -> str:
    """93829077 -> "93.8 M"; 250000 -> "250.0 k"; 1234 -> "1,234"; None -> "–"."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "\u2013"
    a = abs(v)
    for limit, unit, suffix in ((1e12, 1e12, " T"), (1e9, 1e9, " B"), (1e6, 1e6, " M"), (1e5, 1e3, " k")):
        if a >= limit:
            return _minus(f"{v / unit:,.1f}{suffix}")
    if a >= 100 or float(v).is_integer():
        return _minus(f"{v:,.0f}")
    return _minus(f"{v:,.2f}")


def signed_pct(v: float | None, digits: int = 1) -> str:
    """-11.43 -> "−11.4 %" (no-break space); None -> "–"."""
    if v is None or not math.isfinite(v):
        return "\u2013"
    return _minus(f"{v:+.{digits}f}\u00a0%")  # a no-break space: never wrapped apart


def _minus(text: str) -> str:
    return text.replace("-", MINUS)
