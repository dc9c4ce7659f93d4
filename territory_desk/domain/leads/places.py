"""Where a lead belongs: lead columns by name, live plans of territory layers, units from unit ids,
ZIP codes or coordinates, named accounts. Vectorised helpers of routing.py (no Qt, no I/O).

Every lead column is factorised once per run (pandas.factorize): conditions, unit and account
lookups and their explanations are computed once per distinct value and spread to the leads by
their codes, so a million leads with a few thousand ZIP codes cost a few thousand lookups.

A plan is the live scenario of a territory layer (segments.live_scenario); its territories get
consecutive "slots" in one registry (owned by the router) so every lead's territory is one integer.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from territory_desk.domain.model.conditions import Compare, Condition, Logic
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.leads.rules import LeadRule
from territory_desk.domain.model.projection import LONLAT, transform_points

# ZIP texts -> (lon, lat) of their centres (NaN when unknown); provided by the services layer
ZipPoints = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
_ALIASES = {"lat": ("latitude", "lat", "billing latitude", "y"),
            "lon": ("longitude", "lon", "lng", "long", "billing longitude", "x")}
_LEGAL = {"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company",
          "plc", "gmbh", "ag", "sa", "sas", "bv", "nv", "pty"}
_NON_WORD = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"^(\d+)(?:\.0|-\d{4})?$")


def _norm_header(name: str) -> str:
    return _NON_WORD.sub("", str(name).casefold())


def resolve_column(names: Iterable[str], wanted: str) -> str | None:
    """The column ``wanted`` names: exact, else ignoring case, else ignoring spaces and punctuation
    ("account_id" finds "Account ID"); lat/lon also find latitude/longitude/lng."""
    names = list(names)
    if wanted in names:
        return wanted
    for n in names:
        if n.casefold() == wanted.casefold():
            return n
    keys = {_norm_header(n): n for n in reversed(names)}
    hit = keys.get(_norm_header(wanted))
    if hit is None and wanted.casefold() in _ALIASES:
        hit = next((keys[_norm_header(a)] for a in _ALIASES[wanted.casefold()] if _norm_header(a) in keys), None)
    return hit


def normalise_company(name: str) -> str:
    """'ACME, Inc.', 'The Acme Corporation' -> 'acme'; '&' reads 'and'."""
    words = _NON_WORD.sub(" ", str(name).casefold().replace("&", " and ")).split()
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def text_of(values) -> np.ndarray:
    """Values as an object array of stripped str (None/NaN -> '')."""
    out = np.empty(len(values), dtype=object)
    out[:] = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
              for v in np.asarray(values, dtype=object).tolist()]
    return out


def numbers_of(texts: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(np.float64)


def points_in_polygons(x: np.ndarray, y: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point (-1 none; the lowest index on shared borders).
    A tree of the points queried by each (prepared) polygon: faster than the reverse for many points."""
    out = np.full(len(x), -1, dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(ok) or not len(geoms):
        return out
    tree = shapely.STRtree(shapely.points(x[ok], y[ok]))
    g, q = tree.query(geoms, predicate="intersects")
    if len(q):
        order = np.lexsort((g, q))
        q, g = q[order], g[order]
        first = np.r_[True, q[1:] != q[:-1]]
        out[ok[q[first]]] = g[first]
    return out


@dataclass
class Plan:
    """A live scenario seen by the router: slot of its first territory and owner of each territory."""

    scenario: object
    label: str  # "plan 'Base'" / "Enterprise plan 'Ent 2027'"
    base: int
    owners: np.ndarray  # owner index per territory (-1: no rep)
    shapes: tuple[np.ndarray, np.ndarray] | None = None  # freeform: (polygons, territory index of each)


@dataclass
class Located:
    """Units of some leads; texts are per distinct place (``key`` of each lead)."""

    unit: np.ndarray
    lon: np.ndarray | None  # per lead (None: located by unit id)
    lat: np.ndarray | None
    key: np.ndarray
    what: np.ndarray  # "ZIP 02134 in unit 25025"
    reason: np.ndarray  # why a place has no unit

    def what_of(self, rows: np.ndarray) -> np.ndarray:
        return self.what[self.key[rows]]


class Places:
    """Locating leads for one run: plans by layer, units by id/ZIP/point, accounts by id/name."""

    def __init__(self, project, columns: Mapping[str, np.ndarray], n: int, register_plan, zip_points):
        self.p, self.columns, self.n = project, columns, n
        self.register_plan = register_plan  # scenario -> Plan (the router owns the slots)
        self.zip_points = zip_points
        self._factors: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._layers: np.ndarray | None = None
        self._unit_key: dict[str, int] | None = None
        self._unit_points: tuple[np.ndarray, np.ndarray] | None = None
        self._account_slots: dict[str, np.ndarray] = {}
        self._names: dict[str, int] | None = None
        self._units_xy = None

    # ---- columns -----------------------------------------------------------------------------------
    def factor(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(code of every lead, distinct raw values, their stripped text) of a column."""
        key = resolve_column(self.columns, name)
        if key is None:  # checked before the run; kept for direct callers
            raise InputError(f"the leads have no column {name!r}")
        if key not in self._factors:
            codes, uniques = pd.factorize(pd.Series(self.columns[key], dtype=object), use_na_sentinel=False)
            raw = np.asarray(uniques, dtype=object)
            self._factors[key] = (codes.astype(np.int64), raw, text_of(raw))
        return self._factors[key]

    def evaluate(self, condition: Condition, idx: np.ndarray) -> np.ndarray:
        """The condition on leads ``idx``: each comparison once per distinct value of its column."""
        if condition.node is None or not len(idx):
            return np.ones(len(idx), dtype=bool)
        return self._eval(condition.node, idx)

    def _eval(self, node, idx: np.ndarray) -> np.ndarray:
        if isinstance(node, Logic):
            masks = [self._eval(p, idx) for p in node.parts]
            if node.op == "not":
                return ~masks[0]
            return np.logical_and.reduce(masks) if node.op == "and" else np.logical_or.reduce(masks)
        assert isinstance(node, Compare)
        codes, raw, _ = self.factor(node.field)
        hit = Condition("", node).evaluate({node.field: raw}, len(raw))
        return hit[codes[idx]]

    # ---- plans -------------------------------------------------------------------------------------
    def layer_plans(self) -> tuple[list[Plan | None], Plan | None]:
        from territory_desk.domain.model.territory_layers import live_scenario

        per_layer = [live_scenario(self.p, layer.name) for layer in self.p.layers]
        default = live_scenario(self.p, "")
        return ([self.register_plan(s) if s is not None else None for s in per_layer],
                self.register_plan(default) if default is not None else None)

    def lead_layers(self) -> np.ndarray:
        """Index of the territory layer of every lead (first layer whose rule holds; -1 none)."""
        if self._layers is None:
            out = np.full(self.n, -1, dtype=np.int64)
            for k, layer in enumerate(self.p.layers):
                free = np.flatnonzero(out < 0)
                if not len(free):
                    break
                try:
                    hit = self.evaluate(layer.condition(), free)
                except InputError as exc:
                    raise InputError(f"layer {layer.name!r}: {exc}") from None
                out[free[hit]] = k
            self._layers = out
        return self._layers

    def plans_of(self, rule: LeadRule, idx: np.ndarray) -> tuple[np.ndarray, list[Plan | None], str]:
        """(plan number per lead, plans, reason when a lead has no plan)."""
        from territory_desk.domain.leads.rules import plan_for

        fixed = rule.value if rule.type == "condition" and rule.target == "layer" else rule.layer
        if fixed:
            return np.zeros(len(idx), dtype=np.int64), [self.register_plan(plan_for(self.p, fixed))], ""
        per_layer, default = self.layer_plans()
        if not self.p.layers:
            return np.zeros(len(idx), dtype=np.int64), [default], "the project has no scenario"
        k = self.lead_layers()[idx]
        return (np.where(k >= 0, k, len(per_layer)), per_layer + [default],
                "no territory layer takes the lead (and no scenario covers all accounts)")

    # ---- units -------------------------------------------------------------------------------------
    def _unit_ids(self, texts: np.ndarray) -> np.ndarray:
        if self._unit_key is None:
            ids = self.p.units.ids
            key: dict[str, int] = {}
            for i in range(len(ids) - 1, -1, -1):
                key[ids[i].casefold()] = i
            for i in range(len(ids) - 1, -1, -1):
                key[ids[i]] = i
            widths = {len(u) for u in ids}
            self._unit_key = key
            self._pad = widths.pop() if len(widths) == 1 and all(u.isdigit() for u in ids) else 0
        key, pad = self._unit_key, self._pad
        out = np.full(len(texts), -1, dtype=np.int64)
        for k, t in enumerate(texts.tolist()):
            i = key.get(t, key.get(t.casefold(), -1))
            if i < 0 and pad:
                m = _DIGITS.match(t)
                if m and len(m.group(1)) <= pad:
                    i = key.get(m.group(1).zfill(pad), -1)
            out[k] = i
        return out

    def locate(self, rule: LeadRule, idx: np.ndarray) -> Located:
        """The unit of each lead ``idx`` by the rule's unit id / ZIP column or coordinates."""
        uid = np.asarray(self.p.units.ids + [""], dtype=object)
        if rule.geography() == "unit":
            col = rule.column
            codes, _, text = self.factor(col)
            key = codes[idx]
            if rule.match == "zip":
                if self.zip_points is None:
                    raise InputError(f"rule {rule.name!r}: ZIP codes cannot be looked up here")
                ulon, ulat = self.zip_points(text)
                unit = self.units_at(ulon, ulat)
                what = "ZIP " + text + " in unit " + uid[unit]
                reason = np.where(np.isfinite(ulon), "ZIP " + text + " lies in no unit", "ZIP " + text + " is unknown")
                lon, lat = ulon[key], ulat[key]
            else:
                unit = self._unit_ids(text)
                what = f"{col} " + text + " = unit " + uid[unit]
                reason = f"{col} " + text + " is not a unit id"
                lon = lat = None
            reason = np.where(text == "", f"no {col}", reason)
            return Located(unit[key], lon, lat, key, what, reason)
        ca, _, ta = self.factor(rule.lat_column)
        co, _, to = self.factor(rule.lon_column)
        pair, key = np.unique(ca[idx] * (len(to) + 1) + co[idx], return_inverse=True)
        a, o = pair // (len(to) + 1), pair % (len(to) + 1)
        lat, lon = numbers_of(ta)[a], numbers_of(to)[o]
        ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        lat, lon = np.where(ok, lat, np.nan), np.where(ok, lon, np.nan)
        unit = self.units_at(lon, lat)
        where = "(" + ta[a] + ", " + to[o] + ")"
        reason = np.where(ok, where + " lies in no unit", "no usable coordinates")
        return Located(unit[key], lon[key], lat[key], key, where + " in unit " + uid[unit], reason)

    def units_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        units = self.p.units
        crs = units.source_crs
        x, y = (lon, lat) if crs.is_geographic else transform_points(lon, lat, LONLAT, crs)
        return points_in_polygons(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), units.geometry)

    def unit_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude/latitude of a point inside every unit (for drawn territories)."""
        if self._unit_points is None:
            pts = shapely.point_on_surface(self.p.units.geometry)
            x, y = shapely.get_x(pts), shapely.get_y(pts)
            crs = self.p.units.source_crs
            self._unit_points = (x, y) if crs.is_geographic else transform_points(x, y, crs, LONLAT)
        return self._unit_points

    def territories(self, plan: Plan, unit: np.ndarray, lon, lat) -> np.ndarray:
        """Territory index in ``plan`` of each lead (its unit's, or the drawn polygon around it)."""
        if plan.shapes is None:
            return np.where(unit >= 0, plan.scenario.assignment[np.maximum(unit, 0)], -1)
        ux, uy = self.unit_points()
        x = np.full(len(unit), np.nan) if lon is None else np.asarray(lon, dtype=np.float64).copy()
        y = np.full(len(unit), np.nan) if lat is None else np.asarray(lat, dtype=np.float64).copy()
        use_unit = ~np.isfinite(x) & (unit >= 0)
        x[use_unit], y[use_unit] = ux[unit[use_unit]], uy[unit[use_unit]]
        geoms, terr = plan.shapes  # drawn in the project's working CRS
        wx, wy = transform_points(x, y, LONLAT, self.p.units.working_crs)
        hit = points_in_polygons(np.asarray(wx), np.asarray(wy), geoms)
        return np.where(hit >= 0, terr[np.maximum(hit, 0)], -1)

    # ---- named accounts ----------------------------------------------------------------------------
    def match_accounts(self, rule: LeadRule, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(account index or -1, what matched, why not) for leads ``idx``: by account id, then by name."""
        acc = self.p.accounts
        ids = np.asarray(acc.ids + [""], dtype=object)
        label = " = account " + ids + " '" + np.asarray(acc.names + [""], dtype=object) + "'"
        m = len(idx)
        found = np.full(m, -1, dtype=np.int64)
        what = np.full(m, "", dtype=object)
        reason = np.full(m, "", dtype=object)
        if rule.id_column:
            codes, _, text = self.factor(rule.id_column)
            index = pd.Index(acc.ids)
            hit_u = index.get_indexer(text) if index.is_unique else \
                np.array([acc.ids.index(v) if v in index else -1 for v in text], dtype=np.int64)
            col = rule.id_column
            key = codes[idx]
            found = hit_u[key]
            what = (f"{col} " + text + label[hit_u])[key]
            reason = np.where(text == "", f"no {col}", f"{col} " + text + " is no account")[key]
        if rule.name_column:
            codes, _, text = self.factor(rule.name_column)
            names = self._account_names()
            hit_u = np.array([names.get(normalise_company(v), -1) if v else -1 for v in text.tolist()],
                             dtype=np.int64)
            col = rule.name_column
            key = codes[idx]
            hit = hit_u[key]
            todo = found < 0
            ok = todo & (hit >= 0)
            found[ok] = hit[ok]
            what[ok] = (f"{col} '" + text + "'" + label[hit_u])[key[ok]]
            why_u = np.where(hit_u == -2, f"{col} '" + text + "' names several accounts",
                             np.where(text == "", f"no {col}", f"{col} '" + text + "' is no account"))
            bad = np.flatnonzero(todo & (hit < 0))
            reason[bad] = np.where(reason[bad] == "", why_u[key[bad]], reason[bad] + "; " + why_u[key[bad]])
        return found, what, reason

    def _account_names(self) -> dict[str, int]:
        """Normalised account name -> account index; -2 for names several accounts share."""
        if self._names is None:
            codes, uniques = pd.factorize(pd.Series(self.p.accounts.names, dtype=object), use_na_sentinel=False)
            norm = [normalise_company(u) for u in uniques]
            out: dict[str, int] = {}
            for i, c in enumerate(codes.tolist()):
                k = norm[c]
                if k:
                    out[k] = -2 if k in out and out[k] != i else i
            self._names = out
        return self._names

    def account_slots(self, rule: LeadRule) -> np.ndarray:
        """Territory slot of every account in the live plan of its layer (or of ``rule.layer``)."""
        from territory_desk.domain.leads.rules import plan_for
        from territory_desk.domain.stats.membership import account_territories
        from territory_desk.domain.model.territory_layers import route_accounts

        key = rule.layer.casefold()
        if key not in self._account_slots:
            n = len(self.p.accounts)
            out = np.full(n, -1, dtype=np.int64)
            if rule.layer:
                groups = [(np.ones(n, dtype=bool), self.register_plan(plan_for(self.p, rule.layer)))]
            else:
                per_layer, default = self.layer_plans()
                k = route_accounts(self.p) if self.p.layers else np.full(n, -1, dtype=np.int64)
                groups = [(k == j, plan) for j, plan in enumerate(per_layer)] + [(k < 0, default)]
            for mask, plan in groups:
                if plan is None or not mask.any():
                    continue
                t = account_territories(self.p, plan.scenario)
                take = mask & (t >= 0)
                out[take] = plan.base + t[take]
            self._account_slots[key] = out
        return self._account_slots[key]
