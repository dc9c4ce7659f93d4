"""Scenario comparison as the CLI prints it and the GUI exports it: a JSON-able dict, a text
table, CSV, and the lists of units and accounts that change territory.

``comparison_dict`` is the JSON of ``territory-desk compare --format json``::

    {"a": "Base", "b": "Plan B", "measures": ["units", "population", "accounts", ...],
     "disruption": {"units_territory": {"changed": 12, "total": 3108, "pct": 0.39}, "units_rep": {...},
                    "accounts_territory": {...}, "accounts_rep": {...},
                    "values_territory": {"revenue": {...}}, "values_rep": {"revenue": {...}}},
     "territories": [{"id": "T01", "name": "...", "status": "both|added|removed", "rep_a": "...",
                      "rep_b": "...", "metrics": {"accounts": {"a": 250, "b": 262, "change": 12,
                                                              "change_pct": 4.8}, ...}}],
     "changed_units": [{"id": "...", "name": "...", "from": "T01", "to": "T02"}],
     "changed_accounts": [{"id": "...", "name": "...", "from": "T01", "to": "T02",
                           "rep_from": "...", "rep_to": "..."}]}

The CSV has the per-territory table (``<measure>_a``, ``_b``, ``_change``, ``_change_pct`` per
measure), a blank line, then the disruption table (measure, changed, total, pct).
"""
from __future__ import annotations

import io
import math

from territory_desk.domain.stats.metrics import metric_fields
from territory_desk.domain.model.project import Project
from territory_desk.io.tables import safe_csv
from territory_desk.domain.compare import COMPACTNESS, UNITS, Comparison, Share

DISRUPTION_LABELS = {
    "units_territory": "Units that change territory",
    "units_rep": "Units that change rep",
    "accounts_territory": "Accounts that change territory",
    "accounts_rep": "Accounts that change rep",
}


def _num(v) -> float | int | None:
    """JSON number: None for NaN/inf, an int for whole numbers (counts), else 6 decimals."""
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else round(v, 6)


def _share(s: Share) -> dict:
    return {"changed": _num(s.changed), "total": _num(s.total), "pct": _num(s.pct)}


def measure_labels(project: Project, cmp: Comparison) -> dict[str, str]:
    labels = {f.key: f.label for f in metric_fields(project)}
    labels.update({UNITS: "Units", COMPACTNESS: "Compactness (Polsby-Popper)"})
    return {m: labels.get(m, m) for m in cmp.measures}


def disruption_rows(cmp: Comparison) -> list[tuple[str, str, Share]]:
    """(key, label, share) of every disruption figure, in display order."""
    d = cmp.disruption
    rows = [("units_territory", DISRUPTION_LABELS["units_territory"], d.units_territory),
            ("units_rep", DISRUPTION_LABELS["units_rep"], d.units_rep),
            ("accounts_territory", DISRUPTION_LABELS["accounts_territory"], d.accounts_territory),
            ("accounts_rep", DISRUPTION_LABELS["accounts_rep"], d.accounts_rep)]
    for col, s in d.values_territory.items():
        rows.append((f"{col}_territory", f"{col.replace('_', ' ').capitalize()} that changes territory", s))
    for col, s in d.values_rep.items():
        rows.append((f"{col}_rep", f"{col.replace('_', ' ').capitalize()} that changes rep", s))
    return rows


def comparison_dict(project: Project, cmp: Comparison) -> dict:
    a, b = project.get_scenario(cmp.a), project.get_scenario(cmp.b)
    rep_name = {r.id: r.name for r in project.reps}

    def rep(rep_id):
        return rep_name.get(rep_id, rep_id) if rep_id else None

    def tid(scenario, index):
        return scenario.territories[index].id if index >= 0 else None

    d = cmp.disruption
    territories = []
    for t in cmp.territories:
        change, pct = t.change, t.change_pct
        territories.append({
            "id": t.id, "name": t.name, "status": t.status, "rep_a": rep(t.rep_a), "rep_b": rep(t.rep_b),
            "metrics": {m: {"a": _num(t.a[k]), "b": _num(t.b[k]), "change": _num(change[k]),
                            "change_pct": _num(pct[k])} for k, m in enumerate(cmp.measures)},
        })
    units = project.units
    acc = project.accounts
    rep_a = {t.id: t.rep_id for t in a.territories}
    rep_b = {t.id: t.rep_id for t in b.territories}
    changed_accounts = []
    for i in sorted(set(cmp.changed_accounts.tolist()) | set(cmp.rep_changed_accounts.tolist())):
        ta, tb = tid(a, int(cmp.account_a[i])), tid(b, int(cmp.account_b[i]))
        changed_accounts.append({"id": acc.ids[i], "name": acc.names[i], "from": ta, "to": tb,
                                 "rep_from": rep(rep_a.get(ta)), "rep_to": rep(rep_b.get(tb))})
    return {
        "a": cmp.a, "b": cmp.b, "measures": list(cmp.measures),
        "disruption": {
            "units_territory": _share(d.units_territory), "units_rep": _share(d.units_rep),
            "accounts_territory": _share(d.accounts_territory), "accounts_rep": _share(d.accounts_rep),
            "values_territory": {k: _share(s) for k, s in d.values_territory.items()},
            "values_rep": {k: _share(s) for k, s in d.values_rep.items()},
        },
        "territories": territories,
        "changed_units": [{"id": units.ids[u], "name": units.names[u], "from": tid(a, int(cmp.unit_a[u])),
                           "to": tid(b, int(cmp.unit_b[u]))} for u in cmp.changed_units.tolist()],
        "changed_accounts": changed_accounts,
    }


def _fmt(v, digits: int = 0) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def _signed(v, digits: int = 0) -> str:
    if v is None:
        return "-"
    text = f"{v:+,.{digits}f}"
    return text[1:] if float(text[1:].replace(",", "")) == 0 else text


def pct_text(pct: float | None) -> str:
    """1 decimal, 2 below 1 % (so small disruption does not read as 0.0 %)."""
    if pct is None:
        return "-"
    return f"{pct:.2f} %" if 0 < abs(pct) < 1 else f"{pct:.1f} %"


def comparison_table(d: dict, fields: list[str] | None = None) -> str:
    """Text report: disruption, then per territory A, B and the change of each chosen measure."""
    measures = [m for m in (fields or d["measures"]) if m in d["measures"]]
    lines = [f"Comparing {d['a']} (A) with {d['b']} (B)", ""]
    dis = d["disruption"]
    rows = [(DISRUPTION_LABELS[k], dis[k]) for k in DISRUPTION_LABELS]
    rows += [(f"{c.replace('_', ' ').capitalize()} that changes territory", s) for c, s in dis["values_territory"].items()]
    rows += [(f"{c.replace('_', ' ').capitalize()} that changes rep", s) for c, s in dis["values_rep"].items()]
    w = max(len(r[0]) for r in rows)
    for label, s in rows:
        digits = 0 if float(s["changed"]).is_integer() and float(s["total"]).is_integer() else 2
        lines.append(f"{label.ljust(w)}  {_fmt(s['changed'], digits)} of {_fmt(s['total'], digits)} "
                     f"({pct_text(s['pct'])})")
    lines.append("")
    head = ["Territory", "Status"] + [h for m in measures for h in (f"{m} A", "B", "change")]
    table = [head]
    for t in d["territories"]:
        row = [t["name"], t["status"]]
        for m in measures:
            v = t["metrics"][m]
            digits = 3 if m == COMPACTNESS else 0
            row += [_fmt(v["a"], digits), _fmt(v["b"], digits), _signed(v["change"], digits)]
        table.append(row)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for n, r in enumerate(table):
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            lines.append("  ".join("-" * x for x in widths))
    return "\n".join(lines)


def comparison_csv(d: dict, raw: bool = False) -> str:
    """Per-territory deltas and disruption as CSV (formula-safe unless ``raw``: io/safe_csv.py)."""
    out = io.StringIO()
    w = safe_csv.writer(out, raw, lineterminator="\n")
    measures = d["measures"]
    w.writerow(["territory_id", "name", "status", "rep_a", "rep_b"]
               + [c for m in measures for c in (f"{m}_a", f"{m}_b", f"{m}_change", f"{m}_change_pct")])
    for t in d["territories"]:
        w.writerow([t["id"], t["name"], t["status"], t["rep_a"] or "", t["rep_b"] or ""]
                   + [_blank(t["metrics"][m][k]) for m in measures for k in ("a", "b", "change", "change_pct")])
    w.writerow([])
    w.writerow(["disruption", "changed", "total", "pct"])
    dis = d["disruption"]
    for k in DISRUPTION_LABELS:
        w.writerow([k, _blank(dis[k]["changed"]), _blank(dis[k]["total"]), _blank(dis[k]["pct"])])
    for kind in ("territory", "rep"):
        for col, s in dis[f"values_{kind}"].items():
            w.writerow([f"{col}_{kind}", _blank(s["changed"]), _blank(s["total"]), _blank(s["pct"])])
    return out.getvalue()


def changes_csv(d: dict, kind: str, raw: bool = False) -> str:
    """The units (``kind`` "units") or accounts ("accounts") that change territory or rep."""
    rows = d["changed_units" if kind == "units" else "changed_accounts"]
    cols = ["id", "name", "from", "to"] + (["rep_from", "rep_to"] if kind == "accounts" else [])
    out = io.StringIO()
    w = safe_csv.writer(out, raw, lineterminator="\n")
    w.writerow([f"{'unit' if kind == 'units' else 'account'}_{c}" if c in ("id", "name") else
                {"from": f"territory_{d['a']}", "to": f"territory_{d['b']}", "rep_from": f"rep_{d['a']}",
                 "rep_to": f"rep_{d['b']}"}[c] for c in cols])
    for r in rows:
        w.writerow([r[c] if r[c] is not None else "" for c in cols])
    return out.getvalue()


def changes_table(d: dict, kind: str, raw: bool = False) -> str:
    """One tab-separated line per change (pasted into a spreadsheet, its cells are formula-safe too)."""
    rows = d["changed_units" if kind == "units" else "changed_accounts"]
    what = "unit(s)" if kind == "units" else "account(s)"
    lines = [f"{len(rows)} {what} change between {d['a']} and {d['b']}"]
    for r in rows:
        cells = [r["id"], r["name"], f"{r['from'] or 'unassigned'} -> {r['to'] or 'unassigned'}"]
        if kind == "accounts":
            cells.append(f"rep {r['rep_from'] or '-'} -> {r['rep_to'] or '-'}")
        lines.append("\t".join(safe_csv.safe_row([_one_cell(c) for c in cells], raw)))
    return "\n".join(lines)


def _one_cell(text: str) -> str:
    """A cell of a tab-separated line: tabs and line breaks inside it become spaces."""
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _blank(v):
    return "" if v is None else v
